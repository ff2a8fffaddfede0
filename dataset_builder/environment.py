"""What a bug report needs to know about this installation (``akhbar env``).

Versions are read from the installed distributions' metadata, never by importing them: the report
is instant and does not fail on a half-installed extra.

>>> env = describe_environment()
>>> env.akhbar == __import__("dataset_builder").__version__ and "datasets" in env.core
True
"""

from __future__ import annotations

import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata

__all__ = ["CORE", "EXTRAS", "Environment", "describe_environment"]

#: The core libraries whose versions change akhbar's behaviour or output.
CORE = ("datasets", "pyarrow", "huggingface_hub", "numpy", "scikit-learn", "tqdm", "typer", "mlcroissant")
#: Each optional extra of pyproject.toml and the distributions it installs.
EXTRAS = {
    "transformers": ("transformers", "torch", "accelerate"),
    "llm": ("openai",),
    "ray": ("ray",),
}


@dataclass(frozen=True)
class Environment:
    """akhbar's version, the interpreter, the core libraries, the optional extras present, and where the
    bundled corpus and its example system outputs (``predictions/``) are."""

    akhbar: str
    bundled_corpus: str
    python: str
    platform: str
    core: dict[str, str | None]
    extras: dict[str, dict[str, str | None]]

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self) -> str:
        width = max(len(name) for name in (*self.core, *(d for ds in self.extras.values() for d in ds), "akhbar"))
        lines = [f"{'akhbar':<{width}}  {self.akhbar}", f"{'python':<{width}}  {self.python}",
                 f"{'platform':<{width}}  {self.platform}", f"{'bundled':<{width}}  {self.bundled_corpus}"]
        lines += [f"{name:<{width}}  {version or 'not installed'}" for name, version in self.core.items()]
        for extra, versions in self.extras.items():
            present = all(versions.values())
            lines.append(f"[{extra}] {'installed' if present else 'not installed'}: "
                         + ", ".join(f"{name} {version or '-'}" for name, version in versions.items()))
        return "\n".join(lines)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def describe_environment() -> Environment:
    """The versions ``akhbar env`` prints (``None`` for a library that is not installed)."""
    from dataset_builder import __version__
    from dataset_builder.resources import BUNDLED_RECIPE, shipped

    return Environment(
        akhbar=__version__,
        bundled_corpus=str(shipped(BUNDLED_RECIPE).parent),
        python=f"{platform.python_version()} ({sys.executable})",
        platform=platform.platform(),
        core={name: _version(name) for name in CORE},
        extras={extra: {name: _version(name) for name in names} for extra, names in EXTRAS.items()},
    )
