"""Load the gold side of an evaluation: a built akhbar dataset, back as :class:`Document` objects.

Three sources are accepted by :func:`load_gold`:

* a **version directory** written by ``akhbar build`` (``<out>/<name>/<version>/`` holding
  ``manifest.json`` and the ``documents``/``tokens`` configs in ``save_to_disk`` layout);
* a **Hub-layout export folder** (``README.md`` whose YAML front matter declares ``configs``, and
  ``data/<config>/<split>-NNNNN-of-NNNNN.parquet``), read with ``datasets.load_dataset``;
* a **Hub repository id** (``owner/name``) with an optional ``revision``.

Rows of the ``documents`` config are turned back into :class:`~dataset_builder.model.Document`
objects: ClassLabel integers become label names through the dataset's own features, so a gold set
never depends on the label order of the schema file on this machine.

The dataset identity (:class:`DatasetRef`) travels with every result so that two runs can be
compared only when they were scored against the same data. Its ``fingerprint`` is the build
fingerprint from ``manifest.json`` when there is one; otherwise it is ``content-sha256:<hex>``, a
hash of the canonical content of the loaded documents (ids, texts, spans, links) — stable across
storage formats, so the same documents always give the same fingerprint.

``datasets`` is imported inside the functions: importing it costs most of a second, and the fast
evaluation paths (scoring a CoNLL file) must not pay for it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.model import Document, Link, Metadata, Span
from dataset_builder.problems import InputError, Problem
from dataset_builder.version_dir import MANIFEST_FILE, VersionDir, read_manifest_file
from eval.types import Mention

if TYPE_CHECKING:  # pragma: no cover - typing only
    from datasets import Dataset

_HUB_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
# Columns of the `documents` config that are not annotation layers.
_NON_LAYER_COLUMNS = frozenset({"id", "text", "metadata", "links", "defects"})


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """Which data a gold set is: enough to refuse comparing runs scored on different data.

    Attributes
    ----------
    name, version : str or None
        From ``manifest.json`` (or the export's card); ``None`` when the source does not say.
    fingerprint : str
        The build fingerprint from ``manifest.json``, else ``content-sha256:<hex>`` over the
        canonical content of the loaded documents.
    config, split : str
        The dataset config and split that were loaded.
    source : str
        The path or Hub repo id as given.
    revision : str or None
        The Hub revision, when loaded from the Hub.
    """

    name: str | None
    version: str | None
    fingerprint: str
    config: str
    split: str
    source: str
    revision: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "fingerprint": self.fingerprint,
            "config": self.config, "split": self.split, "source": self.source, "revision": self.revision,
        }


@dataclass(frozen=True)
class GoldSet:
    """Gold documents and the identity of the dataset they came from."""

    documents: list[Document]
    dataset: DatasetRef

    @property
    def layers(self) -> tuple[str, ...]:
        """Layers that have at least one gold span, in first-seen order."""
        seen: dict[str, None] = {}
        for doc in self.documents:
            for span in doc.spans:
                seen.setdefault(span.layer, None)
        return tuple(seen)

    def by_id(self) -> dict[str, Document]:
        return {doc.id: doc for doc in self.documents}

    def texts(self) -> dict[str, str]:
        """``doc_id -> text``, the form :func:`eval.align.align` takes for clitic tolerance."""
        return {doc.id: doc.text for doc in self.documents}

    def mentions(self, layer: str = "entities") -> list[Mention]:
        return mentions_of(self.documents, layer)


def mentions_of(documents: Iterable[Document], layer: str = "entities") -> list[Mention]:
    """All spans of one layer as :class:`~eval.types.Mention` objects, sorted.

    Parameters
    ----------
    documents : iterable of Document
    layer : str, default="entities"

    Returns
    -------
    list of Mention
        Sorted by ``(doc_id, start, end, label)``; ``text`` is the span's slice of the document text
        and ``id`` the span id.
    """
    mentions = [
        Mention(doc.id, span.start, span.end, span.label, layer, doc.text[span.start:span.end], span.id)
        for doc in documents
        for span in doc.spans
        if span.layer == layer
    ]
    mentions.sort()
    return mentions


def content_fingerprint(documents: Iterable[Document]) -> str:
    """``content-sha256:<hex>`` over ids, texts, spans and links, in document order.

    Metadata is left out on purpose: it does not change what is scored.
    """
    digest = hashlib.sha256()
    for doc in documents:
        canonical = {
            "id": doc.id,
            "text": doc.text,
            "spans": sorted([s.layer, s.start, s.end, s.label, s.id] for s in doc.spans),
            "links": sorted([link.type, link.source, link.target, link.id] for link in doc.links),
        }
        digest.update(json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return f"content-sha256:{digest.hexdigest()}"


def gold_from_documents(
    documents: Sequence[Document],
    *,
    name: str | None = None,
    version: str | None = None,
    split: str = "test",
    source: str = "<documents>",
) -> GoldSet:
    """Wrap documents already in memory (e.g. read with a reader) as a :class:`GoldSet`.

    The fingerprint is the content fingerprint, so it equals that of the same documents loaded
    from an export without a manifest.
    """
    documents = list(documents)
    ref = DatasetRef(name, version, content_fingerprint(documents), "documents", split, source)
    return GoldSet(documents, ref)


def load_gold(
    source: str | Path,
    *,
    split: str = "test",
    config: str = "documents",
    revision: str | None = None,
) -> GoldSet:
    """Load gold documents from a built version directory, a Hub-layout export folder or the Hub.

    Parameters
    ----------
    source : str or Path
        A version directory (has ``manifest.json``), a config directory inside one
        (``<version>/documents``), an export folder (``README.md`` with YAML ``configs`` and
        ``data/``), or a Hub repo id ``owner/name`` when no such local path exists.
    split : str, default="test"
    config : str, default="documents"
        Only the ``documents`` config carries text and character offsets; the ``tokens`` config is
        scored with :func:`eval.score.score_tags` instead.
    revision : str, optional
        Hub revision (branch, tag or commit); ignored for local sources.

    Returns
    -------
    GoldSet

    Raises
    ------
    InputError
        When the source, config or split does not exist, or rows lack the ``documents`` columns;
        the message names the source and what to pass instead.
    """
    if config != "documents":
        raise InputError(Problem(
            "gold-config", f"config {config!r} cannot be loaded as documents.",
            "Load the `documents` config; score token tags with eval.score.score_tags.", path=str(source),
        ))
    path = Path(source)
    if path.is_dir():
        is_export = (path / "README.md").is_file() and (path / "data").is_dir()
        if (path / MANIFEST_FILE).is_file() and not is_export:
            return _load_version_dir(path, path / config, split, config, str(source))
        if (path / "dataset_dict.json").is_file() and (path.parent / MANIFEST_FILE).is_file():
            return _load_version_dir(path.parent, path, split, config, str(source))
        if is_export or (path / "data").is_dir():
            return _load_export_folder(path, split, config, str(source))
        raise InputError(Problem(
            "gold-not-dataset",
            "the folder is neither a built version directory (no manifest.json) nor a Hub-layout export "
            "(no README.md or data/).",
            "Pass `<out>/<name>/<version>` as written by `akhbar build`, or an exported dataset folder.",
            path=str(source),
        ))
    if path.exists() or not _HUB_REPO_ID.fullmatch(str(source)):
        raise InputError(Problem(
            "gold-not-found", "no dataset at this path.",
            "Check the path, or pass a Hub repo id of the form `owner/name`.", path=str(source),
        ))
    return _load_hub(str(source), split, config, revision)


def _load_version_dir(version_dir: Path, config_dir: Path, split: str, config: str, source: str) -> GoldSet:
    import datasets

    version = VersionDir.open(version_dir)
    if not version.has_config(config):
        raise InputError(Problem(
            "gold-config", f"the version directory has no {config!r} config.",
            "Rebuild the dataset, or pass the right version directory.", path=str(version_dir),
        ))
    dataset_dict = datasets.load_from_disk(str(config_dir))
    if split not in dataset_dict:
        raise InputError(Problem(
            "gold-split", f"split {split!r} is not in this dataset (splits: {', '.join(dataset_dict)}).",
            f"Pass one of: {', '.join(dataset_dict)}.", path=str(config_dir),
        ))
    documents = documents_from_dataset(dataset_dict[split], source=str(config_dir / split))
    ref = DatasetRef(version.name, version.version, version.fingerprint, config, split, source)
    return GoldSet(documents, ref)


def _load_export_folder(folder: Path, split: str, config: str, source: str) -> GoldSet:
    import datasets

    scripts = sorted(p.name for p in folder.glob("*.py"))
    if scripts:  # gold is data: a loading script is never run (and datasets >= 4 refuses it with a RuntimeError)
        raise InputError(Problem(
            "gold-script", f"the folder holds a Python script ({', '.join(scripts[:3])}); gold is loaded from data "
            "files only and no code is run.",
            "Pass a folder written by `akhbar export` (Parquet files under data/, no script), or a built version.",
            path=source,
        ))
    card = _card_metadata(folder / "README.md")
    try:
        dataset = datasets.load_dataset(str(folder), config, split=split)
    except ValueError as exc:  # unknown config or split: datasets says which exist
        raise InputError(Problem(
            "gold-split", f"cannot load config {config!r}, split {split!r}: {exc}",
            "Pass a config and split declared in the folder's README.md `configs`.", path=source,
        )) from None
    except FileNotFoundError as exc:  # data/ holds no file the card's patterns match
        raise InputError(Problem(
            "gold-not-dataset", f"no data files to load as config {config!r}, split {split!r} ({exc}).",
            "Pass a folder written by `akhbar export`, or re-export the version.", path=source,
        )) from None
    documents = documents_from_dataset(dataset, source=source)
    manifest = _exported_manifest(folder / MANIFEST_FILE)
    akhbar_meta = card.get("akhbar") if isinstance(card.get("akhbar"), Mapping) else {}
    identity = {**card, **akhbar_meta, **manifest}
    fingerprint = identity.get("fingerprint") or content_fingerprint(documents)
    name = identity.get("name") or card.get("pretty_name") or folder.name
    return GoldSet(documents, DatasetRef(name, identity.get("version"), fingerprint, config, split, source))


def _load_hub(repo_id: str, split: str, config: str, revision: str | None) -> GoldSet:
    import datasets

    dataset = datasets.load_dataset(repo_id, config, split=split, revision=revision)
    documents = documents_from_dataset(dataset, source=repo_id)
    manifest: dict[str, Any] = {}
    try:  # a published build carries its manifest; without it the content fingerprint stands in
        from huggingface_hub import hf_hub_download

        manifest = _exported_manifest(Path(hf_hub_download(repo_id, MANIFEST_FILE, repo_type="dataset",
                                                           revision=revision)))
    except Exception:  # a missing file, no network, a gated repo: all mean "no manifest"
        manifest = {}
    fingerprint = manifest.get("fingerprint") or content_fingerprint(documents)
    ref = DatasetRef(manifest.get("name", repo_id), manifest.get("version"), fingerprint, config, split, repo_id,
                     revision)
    return GoldSet(documents, ref)


def _exported_manifest(path: Path) -> dict[str, Any]:
    """The manifest copied into an export (``{}`` without one): identity keys may be missing there,
    the card or the content fingerprint stand in for them."""
    return read_manifest_file(path, required=()) if path.is_file() else {}


def _card_metadata(readme: Path) -> dict[str, Any]:
    """The YAML front matter of a dataset card (``---`` ... ``---``), or ``{}``."""
    if not readme.is_file():
        return {}
    import yaml

    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    data = yaml.safe_load(text[3:end])
    return data if isinstance(data, dict) else {}


def documents_from_dataset(dataset: Dataset, *, source: str = "<dataset>") -> list[Document]:
    """Turn rows of a ``documents`` config back into :class:`Document` objects.

    Every list-of-struct column with ``start``, ``end`` and ``label`` fields is a layer; ClassLabel
    integers are mapped to names with the column's own feature. The ``defects`` column is derived
    from the text at build time and is not part of the gold, so it is not carried over.

    Raises
    ------
    InputError
        When the rows have no ``id`` or ``text`` column (not a ``documents`` config).
    """
    features = dataset.features
    missing = [column for column in ("id", "text") if column not in features]
    if missing:
        raise InputError(Problem(
            "gold-columns", f"rows have no {' or '.join(missing)} column (columns: {', '.join(features)}).",
            "Load the `documents` config of an akhbar dataset.", path=source,
        ))
    layer_labels = {
        column: _label_names(_struct_of(feature).get("label"))
        for column, feature in features.items()
        if column not in _NON_LAYER_COLUMNS and {"start", "end", "label"} <= set(_struct_of(feature))
    }
    link_types = _label_names(_struct_of(features["links"]).get("type")) if "links" in features else None

    documents = []
    for row in dataset:
        spans = [
            Span(
                id=str(item["id"]), layer=layer, start=int(item["start"]), end=int(item["end"]),
                label=_name(item["label"], names), text=item.get("text"),
            )
            for layer, names in layer_labels.items()
            for item in row[layer] or ()
        ]
        links = [
            Link(str(item["id"]), _name(item["type"], link_types), str(item["source"]), str(item["target"]))
            for item in row.get("links") or ()
        ]
        documents.append(Document(
            id=str(row["id"]), text=row["text"], metadata=_metadata(row.get("metadata")),
            spans=tuple(spans), links=tuple(links),
        ))
    return documents


def _struct_of(feature: Any) -> dict[str, Any]:
    """The field dict of a list-of-struct feature (``List({...})``, ``Sequence({...})`` or ``[{...}]``)."""
    inner = feature[0] if isinstance(feature, list) and feature else getattr(feature, "feature", None)
    return dict(inner) if isinstance(inner, Mapping) else {}


def _label_names(feature: Any) -> tuple[str, ...] | None:
    names = getattr(feature, "names", None)
    return tuple(names) if names else None


def _name(value: Any, names: tuple[str, ...] | None) -> str:
    # ClassLabel values arrive as ints; an export that stored plain strings is taken as it is.
    if names is not None and isinstance(value, int):
        return names[value]
    return str(value)


def _metadata(raw: Mapping[str, Any] | None) -> Metadata:
    if not raw:
        return Metadata()
    extra = raw.get("extra")
    if isinstance(extra, str):  # stored as canonical JSON so that any reader-specific keys fit one column
        extra = json.loads(extra) if extra else {}
    paragraphs = tuple(
        (int(p["start"]), int(p["end"])) if isinstance(p, Mapping) else (int(p[0]), int(p[1]))
        for p in raw.get("paragraphs") or ()
    )
    return Metadata(
        title=raw.get("title"), date=raw.get("date"), dateline_place=raw.get("dateline_place"),
        dateline_agency=raw.get("dateline_agency"), source_file=raw.get("source_file"),
        licence=raw.get("licence"), paragraphs=paragraphs, extra=dict(extra or {}),
    )


__all__ = [
    "DatasetRef", "GoldSet", "content_fingerprint", "documents_from_dataset", "gold_from_documents",
    "load_gold", "mentions_of",
]
