"""Shared fixtures.

Publishing fixtures: built versions of the bundled SANA corpus, a Hub-compatible server on
127.0.0.1 (tests/hub_server.py), and the environment a subprocess needs to drive the real
``huggingface_hub``/``datasets`` clients against it. Those libraries read ``HF_ENDPOINT``,
``HF_HUB_OFFLINE`` and friends once, at import time, so Hub round trips that rely on the
environment run in a subprocess that starts with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from hub_server import HubServer

REPO_ROOT = Path(__file__).resolve().parents[1]
SANA_CORPUS = REPO_ROOT / "corpora" / "sana-sample"
#: What the Hub server accepts; recognisable, so tests can assert it never shows up in output.
FAKE_HUB_TOKEN = "hf_AkhbarFakeTokenDoNotPrint0123456789"


def _build_sana(out: Path, version: str, *, drop_first_unlinked_entity: bool = False) -> Path:
    """Build the bundled corpus with the real pipeline (all in `test`, as its recipe says)."""
    from dataset_builder.config import BuildConfig
    from dataset_builder.pipeline import build
    from dataset_builder.readers.jsonl import read_jsonl, write_jsonl
    from dataset_builder.schema import load_schema
    from dataset_builder.split import HashSplit

    source = SANA_CORPUS / "sana-sample.jsonl"
    if drop_first_unlinked_entity:
        # A second, different version: one annotation withdrawn, as a correction release would.
        documents = list(read_jsonl(source))
        first = documents[0]
        linked = {end for link in first.links for end in (link.source, link.target)}
        victim = next(s for s in first.layer("entities") if s.id not in linked)
        documents[0] = replace(first, spans=tuple(s for s in first.spans if s.id != victim.id))
        source = out / f"sana-sample-{version}.jsonl"
        write_jsonl(documents, source)
    build(BuildConfig([source], schema=load_schema(SANA_CORPUS / "schema.yaml"), name="sana-sample", version=version,
                      split=HashSplit((("test", 1.0),)), out_dir=out / "out", progress=False,
                      licence="Source text © SANA (sana.sy); annotations CC BY-SA 4.0."))
    return out / "out" / "sana-sample" / version


def write_test_card(version_dir: Path, *, fingerprint: str | None = None) -> Path:
    """A minimal dataset card: YAML ``configs`` for the Hub layout and a fingerprint line.

    Used where a test needs a card of known content (stale or incomplete cards), and when this
    checkout has no card stage yet (dataset_builder/card.py), so that export and push are still
    exercised; the real card is checked by tests that require it.
    """
    from huggingface_hub import DatasetCardData

    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    configs = [
        {"config_name": config, "data_files": [{"split": s, "path": f"data/{config}/{s}-*"} for s in splits]}
        for config, splits in manifest["configs"].items()
    ]
    data = DatasetCardData(language=["ar"], license="cc-by-sa-4.0", pretty_name=manifest["name"], configs=configs)
    text = (f"---\n{data.to_yaml()}\n---\n\n# {manifest['name']} {manifest['version']}\n\n"
            f"Dataset fingerprint: `{fingerprint or manifest['fingerprint']}`\n")
    path = version_dir / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def _with_card(version_dir: Path) -> Path:
    """The version with its dataset card: the build's own, else what `akhbar card` writes, else a test card."""
    if (version_dir / "README.md").is_file():
        return version_dir
    try:
        from dataset_builder.card import write_card
    except ImportError:
        write_test_card(version_dir)
        return version_dir
    from dataset_builder.schema import load_schema

    write_card(version_dir, schema=load_schema(SANA_CORPUS / "schema.yaml"))
    return version_dir


@pytest.fixture(scope="session")
def sana_version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sana-sample`` 1.0.0 built by the real pipeline, with its dataset card."""
    return _with_card(_build_sana(tmp_path_factory.mktemp("sana-1.0.0"), "1.0.0"))


@pytest.fixture(scope="session")
def sana_version_next(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sana-sample`` 1.1.0: the same article with one entity annotation withdrawn."""
    return _with_card(_build_sana(tmp_path_factory.mktemp("sana-1.1.0"), "1.1.0", drop_first_unlinked_entity=True))


@pytest.fixture(scope="session")
def sana_version_conflicting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Different data built under the already used version number 1.0.0."""
    return _with_card(_build_sana(tmp_path_factory.mktemp("sana-1.0.0-bis"), "1.0.0",
                                  drop_first_unlinked_entity=True))


@pytest.fixture(scope="session")
def ray_instance():
    """One local Ray instance (2 CPUs) for the whole session; the test skips where Ray is not installed."""
    ray = pytest.importorskip("ray")
    # Ray's workers must import the tests' task functions and this checkout's code: put both on their path.
    path = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    ray.shutdown()


@pytest.fixture
def hub_server() -> Iterator[HubServer]:
    """A Hub-compatible server on 127.0.0.1 (random port) that accepts :data:`FAKE_HUB_TOKEN`."""
    with HubServer(tokens={FAKE_HUB_TOKEN}) as server:
        yield server


@pytest.fixture
def hub_env(hub_server: HubServer, tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess that talks to ``hub_server`` with the real clients.

    Xet is disabled (the server implements the LFS basic transfer), ``HF_HOME`` is a fresh
    folder (no cache, no saved login), and offline switches inherited from the caller are off.
    """
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HF_", "HUGGING_FACE_", "HUGGINGFACE_"))}
    env.update({
        "HF_ENDPOINT": hub_server.url,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
        "HF_TOKEN": FAKE_HUB_TOKEN,
        "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    })
    return env


@pytest.fixture
def hub_client(hub_server: HubServer, monkeypatch: pytest.MonkeyPatch) -> HubServer:
    """For in-process pushes to ``hub_server`` (pass ``endpoint=hub_server.url``): Xet off."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    return hub_server


def run_python(code: str, env: Mapping[str, str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code`` in a fresh interpreter with ``env``; fail the test with its output on error."""
    result = subprocess.run([sys.executable, "-c", code], env=dict(env), capture_output=True, text=True,
                            timeout=timeout, cwd=REPO_ROOT)
    if result.returncode != 0:
        pytest.fail(f"subprocess failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


def run_akhbar(args: list[str], env: Mapping[str, str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the ``akhbar`` CLI in a fresh interpreter with ``env`` (exit code not checked)."""
    code = "import sys; from dataset_builder.cli import main; sys.argv = ['akhbar', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], env=dict(env), capture_output=True, text=True,
                          timeout=timeout, cwd=REPO_ROOT)


def copy_of_the_repository(target: Path) -> Path:
    """The checkout's files (no git data, outputs or caches) copied to ``target``: for tests that run
    commands which write beside the sources (the README tour, building the wheel)."""
    import shutil

    ignore = shutil.ignore_patterns(".git", "out", "__pycache__", "*.egg-info", "build", "dist", ".venv",
                                    ".pytest_cache", ".ruff_cache", ".hypothesis", "_work")
    shutil.copytree(Path(__file__).resolve().parents[1], target, ignore=ignore)
    return target
