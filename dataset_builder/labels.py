"""Label maps: fine label -> coarse label (or ``None`` to drop the mention).

One file format and one parser serve builds (a recipe's ``label_map``: the dataset is built with the
coarse labels) and evaluation (``eval.labels.map_mentions``, applied to gold and predictions before
scoring).

Two ready maps ship with the package (``dataset_builder/labelmaps/*.yaml``, every decision commented):

* ``newsfane-to-anercorp``: NewsFANE Gold's 45 fine types -> PERS/LOC/ORG/MISC;
* ``wojood-to-anercorp``: Wojood's 21 types -> PERS/LOC/ORG/MISC (numbers, dates, occupations dropped).

A map file is YAML::

    name: my-map
    description: what it is for
    targets: [PERS, LOC]        # optional: the coarse labels allowed on the right-hand side
    map:
      Politician: PERS
      Nation: LOC
      DATE: null                # dropped

Maps are total by default: a label that is not in the map raises ``ValueError`` naming the label
and where it occurs, so no mention is lost or left unmapped silently. ``unknown="keep"`` keeps
unlisted labels as they are; ``unknown="drop"`` drops them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

__all__ = ["LABELMAP_DIR", "LabelMap", "as_label_map", "builtin_label_maps"]

LABELMAP_DIR = Path(__file__).resolve().parent / "labelmaps"
Unknown = Literal["error", "keep", "drop"]


@dataclass(frozen=True)
class LabelMap:
    """A mapping from labels to coarse labels, ``None`` meaning "drop the mention".

    Attributes
    ----------
    mapping : mapping of str to (str or None)
        Read-only.
    name : str
        Name recorded in score settings and provenance.
    description : str
        One line on what the map is for.
    unknown : {"error", "keep", "drop"}
        What happens to a label that is not in ``mapping``.
    """

    mapping: Mapping[str, str | None]
    name: str = "custom"
    description: str = ""
    unknown: Unknown = "error"
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.unknown not in ("error", "keep", "drop"):
            raise ValueError(f"unknown={self.unknown!r}; choose 'error', 'keep' or 'drop'.")
        for key, value in self.mapping.items():
            if not isinstance(key, str) or not (value is None or isinstance(value, str)):
                raise ValueError(f"label map {self.name!r}: entry {key!r}: {value!r} must map a label (str) to a "
                                 "label or null.")
        object.__setattr__(self, "mapping", MappingProxyType(dict(self.mapping)))

    @classmethod
    def from_dict(cls, mapping: Mapping[str, str | None], *, name: str = "custom", description: str = "",
                  unknown: Unknown = "error") -> LabelMap:
        """A map from a plain dictionary."""
        return cls(dict(mapping), name=name, description=description, unknown=unknown)

    @classmethod
    def from_file(cls, path: str | Path, *, unknown: Unknown | None = None) -> LabelMap:
        """Read a YAML map file (see the module documentation for the format).

        Raises
        ------
        ValueError
            When the file is not a valid map, with the path and what to fix.
        """
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML ({error}); fix the syntax of the label map.") from error
        if not isinstance(data, dict) or not isinstance(data.get("map"), dict):
            raise ValueError(f"{path}: a label map file needs a top-level 'map:' of label: coarse-label (or null) "
                             "entries.")
        mapping = {str(k): (None if v is None else str(v)) for k, v in data["map"].items()}
        targets = data.get("targets")
        if targets is not None:
            stray = sorted({v for v in mapping.values() if v is not None} - {str(t) for t in targets})
            if stray:
                raise ValueError(f"{path}: labels {stray} are mapped to but not listed in 'targets'; add them to "
                                 "'targets' or fix the entries.")
        return cls(mapping, name=str(data.get("name") or path.stem), description=str(data.get("description") or ""),
                   unknown=unknown or data.get("unknown", "error"), source=str(path))

    from_yaml = from_file

    @classmethod
    def builtin(cls, name: str) -> LabelMap:
        """A map shipped with the package, by name (see :func:`builtin_label_maps`)."""
        path = LABELMAP_DIR / f"{name}.yaml"
        if not path.is_file():
            raise ValueError(f"no built-in label map {name!r}; available: {', '.join(builtin_label_maps())}.")
        return cls.from_file(path)

    @property
    def targets(self) -> tuple[str, ...]:
        """The coarse labels, sorted."""
        return tuple(sorted({v for v in self.mapping.values() if v is not None}))

    def __call__(self, label: str) -> str | None:
        if label in self.mapping:
            return self.mapping[label]
        if self.unknown == "keep":
            return label
        if self.unknown == "drop":
            return None
        raise KeyError(label)


def builtin_label_maps() -> list[str]:
    """Names of the label maps shipped in ``dataset_builder/labelmaps``."""
    return sorted(p.stem for p in LABELMAP_DIR.glob("*.yaml"))


def as_label_map(label_map: Any) -> LabelMap:
    """A LabelMap from a LabelMap, a mapping, a YAML path or the name of a built-in map."""
    if isinstance(label_map, LabelMap):
        return label_map
    if isinstance(label_map, Mapping):
        return LabelMap.from_dict(label_map)
    if isinstance(label_map, str | Path):
        path = Path(label_map)
        if path.suffix in (".yaml", ".yml") or path.exists():
            return LabelMap.from_file(path)
        return LabelMap.builtin(str(label_map))
    raise TypeError(f"label_map must be a LabelMap, a mapping, a YAML path or a built-in name, not "
                    f"{type(label_map).__name__}.")
