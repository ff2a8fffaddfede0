"""The dataset card: a Hugging Face ``README.md`` written from the built data itself.

:func:`write_card` reads a built version directory (``manifest.json``, ``build-report.json``
and the ``documents``/``tokens`` configs) and writes its ``README.md``:

* YAML front matter made with ``huggingface_hub.DatasetCardData`` (language, licence, task
  categories, size category, ...), with the ``dataset_info`` and ``configs`` sections added by
  ``datasets``' own writers (``DatasetInfosDict.to_dataset_card_data`` and
  ``MetadataConfigs.to_dataset_card_data``, what ``push_to_hub`` uses), so the Hub and
  ``datasets.load_dataset`` read them exactly as they read a card ``datasets`` wrote. The
  ``configs`` map each config and split to the Hub export layout
  ``data/<config>/<split>-*.parquet`` (see ``dataset_builder.export``). An ``akhbar`` key records
  the build: name, version and the dataset ``fingerprint``, which is how publishing tells a card
  from a stale one.
* prose sections filled from the data: structure and every field with its type and meaning,
  label definitions from the schema, statistics per split (documents, sentences, tokens, mentions
  per label, nesting depth, links), the defect report with located examples, build problems,
  annotation guideline, provenance, licence, citation and limitations.

The outline and fixed prose live in ``cards/template.md``, a :class:`string.Template`
(``$name`` placeholders). We chose it over Jinja (which ``DatasetCard.from_template`` needs)
and over ``str.format`` because Markdown and YAML are full of braces; tables and lists, which
need loops, are built here in Python where they can be tested.

The card holds no date, time, absolute path or machine-specific value: the same build gives the
same bytes everywhere, which is what lets ``tests/test_card.py`` check that the committed cards
of the bundled corpus are not stale.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.features import DOCUMENTS, TOKENS
from dataset_builder.figures import FIGURES_DIR, Figure, figures_markdown, version_figures
from dataset_builder.manifest import Manifest
from dataset_builder.problems import InputError, Problem, require_path
from dataset_builder.resources import CHECKOUT, shipped
from dataset_builder.schema import Schema
from dataset_builder.version_dir import CARD_FILE, CROISSANT_FILE, VersionDir

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CARDS_DIR",
    "CARD_FILE",
    "CARD_FILES",
    "DEFAULT_TEMPLATE",
    "CardFiles",
    "CardOptions",
    "CardRequest",
    "CardStatistics",
    "bundled_card_options",
    "card_statistics",
    "copy_cards",
    "data_files_pattern",
    "licence_identifier",
    "render_card",
    "size_category",
    "write_card",
    "write_card_files",
    "write_card_request",
    "write_figures",
]

#: The card outline (``shipped(DEFAULT_TEMPLATE)``): ``cards/template.md``, shipped in the wheel.
DEFAULT_TEMPLATE = "cards/template.md"
#: Where a checkout keeps the committed cards of the bundled corpus (``cards/<name>/README.md`` and
#: ``croissant.json``). Only ``akhbar card VERSION --out cards/<name>`` writes there; a build never does.
CARDS_DIR = CHECKOUT / "cards"
CARD_FILES = (CARD_FILE, CROISSANT_FILE)
#: Marks a field the card cannot explain; tests assert that no card contains it.
UNDOCUMENTED = "(undocumented)"

#: Licence statements that *are* a licence, mapped to their Hub identifier. A statement that says
#: more than a licence name (e.g. different terms for text and annotations) becomes ``other``.
_LICENCE_IDS = {
    "cc by 4.0": "cc-by-4.0",
    "cc by sa 4.0": "cc-by-sa-4.0",
    "cc by sa 3.0": "cc-by-sa-3.0",
    "cc by nc 4.0": "cc-by-nc-4.0",
    "cc by nc sa 4.0": "cc-by-nc-sa-4.0",
    "cc0 1.0": "cc0-1.0",
    "mit": "mit",
    "apache 2.0": "apache-2.0",
    "odc by": "odc-by",
    "gpl 3.0": "gpl-3.0",
}

#: The Hub's size buckets (``size_categories``), by number of rows.
_SIZE_BUCKETS = (
    (1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"),
)


@dataclass(frozen=True, slots=True)
class CardOptions:
    """What a card says that the data cannot: how the dataset was made and where it lives.

    Attributes
    ----------
    pretty_name : str, optional
        Display name (default: the dataset name).
    licence_id : str, optional
        Hub licence identifier (``cc-by-sa-4.0``, ``mit``, ``other``...). Default: inferred
        from the licence statement when the statement is just a licence name, else ``other``.
    source_datasets : tuple of str
        Hub ``source_datasets``: ``original``, or ``extended|<dataset>`` for re-annotations.
    annotations_creators, language_creators : tuple of str
        Hub vocabulary: ``expert-generated``, ``crowdsourced``, ``found``, ``machine-generated``...
    guideline_path : Path, optional
        The annotation guideline file; the card pins its sha256 and lists its sections.
    guideline_link : str, optional
        How the card refers to the guideline (a URL, or a path in the project repository);
        default: the file name.
    repo_id : str, optional
        Hub repository id, used in the quick-start code (a placeholder otherwise).
    adjudication : Path, optional
        The ``.adjudication.json`` record of ``akhbar adjudicate`` when the gold was merged from
        several annotators: the card states the policy, the counts and the agreement figures.
    """

    pretty_name: str | None = None
    licence_id: str | None = None
    source_datasets: tuple[str, ...] = ("original",)
    annotations_creators: tuple[str, ...] = ("expert-generated",)
    language_creators: tuple[str, ...] = ("found",)
    guideline_path: Path | None = None
    guideline_link: str | None = None
    repo_id: str | None = None
    tags: tuple[str, ...] = field(default=())
    adjudication: Path | None = None


@dataclass(frozen=True, slots=True)
class DefectExample:
    split: str
    doc_id: str
    start: int
    end: int
    kind: str
    text: str
    suggestion: str | None
    message: str


@dataclass(slots=True)
class CardStatistics:
    """What the card reports that needs the rows, not just the manifest (see :func:`card_statistics`).

    Attributes
    ----------
    depth : dict
        ``{layer: {split: Counter(depth -> spans)}}``; depth 1 is a span inside no other span of
        its layer, depth 2 a span inside one, and so on.
    linked_sources : dict
        ``{link type: {split: (source spans with at least one such link, source spans)}}``.
    links : dict
        ``{link type: {split: links}}``.
    defect_examples : dict
        ``{kind: [DefectExample, ...]}``, the first few of each kind in split and row order.
    """

    depth: dict[str, dict[str, Counter[int]]] = field(default_factory=dict)
    linked_sources: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    links: dict[str, dict[str, int]] = field(default_factory=dict)
    defect_examples: dict[str, list[DefectExample]] = field(default_factory=dict)
    example_sentence: dict[str, Any] | None = None
    #: ``{split: [tokens of each document that has sentences]}``, from the ``tokens`` config.
    tokens_per_document: dict[str, list[int]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Small public helpers
# --------------------------------------------------------------------------------------------


def data_files_pattern(config: str, split: str) -> str:
    """The ``data_files`` pattern of one config and split in the Hub export layout.

    Split names cannot contain ``-`` (``datasets`` forbids it), so ``test-*`` never matches the
    files of another split.

    Examples
    --------
    >>> data_files_pattern("tokens", "train")
    'data/tokens/train-*.parquet'
    """
    return f"data/{config}/{split}-*.parquet"


def size_category(num_rows: int) -> str:
    """The Hub ``size_categories`` bucket of a number of rows.

    Examples
    --------
    >>> size_category(31), size_category(25_000)
    ('n<1K', '10K<n<100K')
    """
    for bound, name in _SIZE_BUCKETS:
        if num_rows < bound:
            return name
    return "n>1B"


def licence_identifier(statement: str | None) -> str:
    """The Hub licence id of a licence statement: the id when the statement is only a licence name.

    Examples
    --------
    >>> licence_identifier("CC BY-SA 4.0"), licence_identifier("text (c) SANA; annotations CC BY-SA 4.0")
    ('cc-by-sa-4.0', 'other')
    """
    if not statement:
        return "unknown"
    key = re.sub(r"[\s_-]+", " ", statement.strip().rstrip(".").lower()).replace("licence", "").strip()
    key = re.sub(r"\s+", " ", key.replace("license", "")).strip()
    return _LICENCE_IDS.get(key, "other")


# --------------------------------------------------------------------------------------------
# Reading the build
# --------------------------------------------------------------------------------------------


def _split_batches(version_dir: Path, config: str, split: str, columns: Sequence[str], *,
                   max_rows: int | None = None) -> Iterator[pa.RecordBatch]:
    """The rows of one split, ``columns`` only, in record batches of at most ``max_rows`` rows (None: as
    written), one Arrow file at a time.

    Each file is memory-mapped only while its batches are read (the map is released with the last
    batch of the file). The pages a read touches count in the process' resident memory for as long as
    their file is mapped: reading a split through ``load_from_disk``, which maps every file of the split
    until the dataset is dropped, put ~250 MB of a 100,000-document build's Arrow files into the build's
    peak RSS (docs/benchmarks.md, "Build").
    """
    import pyarrow as pa

    # Only the split's state.json (the file order load_from_disk follows) is read, not the manifest:
    # the build writes the card before the manifest is published.
    for file in VersionDir(version_dir, {}).data_files(config, split):
        with pa.memory_map(str(file)) as source:
            for batch in pa.ipc.open_stream(source):
                batch = batch.select(columns)
                step = max_rows or max(batch.num_rows, 1)
                for start in range(0, batch.num_rows, step):
                    yield batch.slice(start, step)


def _span_depths(spans: Iterable[Mapping[str, Any]]) -> list[int]:
    """Nesting depth of each span (outer spans first: the rows are sorted by start, -end)."""
    ordered = sorted(spans, key=lambda s: (s["start"], -s["end"]))
    stack: list[int] = []  # ends of the spans enclosing the current position
    depths = []
    for span in ordered:
        while stack and stack[-1] < span["end"]:
            stack.pop()
        depths.append(len(stack) + 1)
        stack.append(span["end"])
    return depths


def card_statistics(version_dir: Path, schema: Schema, splits: Sequence[str], *,
                    max_defect_examples: int = 3) -> CardStatistics:
    """Statistics that need the rows: nesting depth, link coverage, defect examples.

    Reads only the span, link and defect columns of the ``documents`` config, a batch at a time.
    """
    stats = CardStatistics()
    layers = [layer.name for layer in schema.layers]
    link_names = [link.name for link in schema.links]
    for name in layers:
        stats.depth[name] = {split: Counter() for split in splits}
    for name in link_names:
        stats.links[name] = dict.fromkeys(splits, 0)
        stats.linked_sources[name] = dict.fromkeys(splits, (0, 0))
    for split in splits:
        for record_batch in _split_batches(version_dir, DOCUMENTS, split, ["id", *layers, "links", "defects"],
                                           max_rows=256):
            batch = record_batch.to_pydict()
            for row in range(len(batch["id"])):
                for name in layers:
                    stats.depth[name][split].update(_span_depths(batch[name][row]))
                _count_links(stats, schema, split, {name: batch[name][row] for name in layers}, batch["links"][row])
                for defect in batch["defects"][row]:
                    examples = stats.defect_examples.setdefault(defect["kind"], [])
                    if len(examples) < max_defect_examples:
                        examples.append(DefectExample(split, batch["id"][row], defect["start"], defect["end"],
                                                      defect["kind"], defect["text"], defect["suggestion"],
                                                      defect["message"]))
        stats.tokens_per_document[split] = _tokens_per_document(version_dir, split)
    stats.example_sentence = _example_sentence(version_dir, schema, splits)
    return stats


def _tokens_per_document(version_dir: Path, split: str) -> list[int]:
    """Tokens of each document of a split, summed over its sentences (in first-seen document order)."""
    import numpy as np
    import pyarrow.compute as pc

    # Summed over each run of rows with the same doc_id (a document's sentences follow each other), then
    # across runs: no table of the split's sentences is held. (Arrow's group_by does not keep first-seen
    # order, and a document's sentences may lie in two files of a version written by another tool.)
    totals: dict[str, int] = {}
    for batch in _split_batches(version_dir, TOKENS, split, ["doc_id", "tokens"]):
        ids = batch["doc_id"]
        lengths = pc.list_value_length(batch["tokens"]).fill_null(0).to_numpy(zero_copy_only=False)
        changes = pc.not_equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(np.concatenate(([True], changes)))
        for doc_id, n in zip(ids.take(starts).to_pylist(), np.add.reduceat(lengths, starts).tolist(), strict=True):
            totals[doc_id] = totals.get(doc_id, 0) + n
    return list(totals.values())


def _count_links(stats: CardStatistics, schema: Schema, split: str, spans: Mapping[str, list[dict[str, Any]]],
                 links: list[dict[str, Any]]) -> None:
    for index, spec in enumerate(schema.links):
        mine = [link for link in links if link["type"] == index]
        stats.links[spec.name][split] += len(mine)
        sources = [s for s in spans.get(spec.source.layer, ())
                   if not spec.source.labels or schema.layer(spec.source.layer).label_names[s["label"]]
                   in spec.source.labels]
        linked = {link["source"] for link in mine}
        done, total = stats.linked_sources[spec.name][split]
        stats.linked_sources[spec.name][split] = (done + sum(s["id"] in linked for s in sources),
                                                  total + len(sources))


def _example_sentence(version_dir: Path, schema: Schema, splits: Sequence[str]) -> dict[str, Any] | None:
    """The first sentence (of the first split) with a mention nested inside another, else with any mention."""
    columns = [c for layer in schema.layers for c in layer.tag_columns()]
    if not columns or not splits:
        return None
    fallback = None
    for split in splits:
        for record_batch in _split_batches(version_dir, TOKENS, split, ["id", "tokens", *columns], max_rows=256):
            batch = record_batch.to_pydict()
            for row in range(len(batch["id"])):
                tags = {c: batch[c][row] for c in columns}
                if len(batch["tokens"][row]) > 40:
                    continue
                example = {"split": split, "id": batch["id"][row], "tokens": batch["tokens"][row], "tags": tags}
                nested = any(any(t) for c, t in tags.items() if c != columns[0] and c.startswith(columns[0]))
                if nested:
                    return example
                if fallback is None and any(any(t) for t in tags.values()):
                    fallback = example
    return fallback


# --------------------------------------------------------------------------------------------
# YAML front matter
# --------------------------------------------------------------------------------------------


def _card_data(manifest: Mapping[str, Any], infos: Mapping[str, Mapping[str, Any]], schema: Schema,
               options: CardOptions, licence: str | None) -> Any:
    from datasets import DatasetInfo, Features, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    licence_id = options.licence_id or licence_identifier(licence)
    rows = max((sum(s["num_examples"] for s in info["splits"].values()) for info in infos.values()), default=0)
    tags = ["arabic", "news", "akhbar"]
    if any(layer.nesting for layer in schema.layers):
        tags.append("nested-ner")
    if schema.links:
        tags.append("relation-extraction")
    tags += [t for t in options.tags if t not in tags]
    extra: dict[str, Any] = {}
    if licence_id == "other":
        # The Hub asks for a name and a link for licences outside its list; the terms are in the card.
        extra = {"license_name": f"{manifest['name']}-licence", "license_link": CARD_FILE}
    data = DatasetCardData(
        language=["ar"],
        license=licence_id,
        annotations_creators=list(options.annotations_creators),
        language_creators=list(options.language_creators),
        multilinguality=["monolingual"],
        size_categories=[size_category(rows)],
        source_datasets=list(options.source_datasets),
        task_categories=["token-classification"],
        task_ids=["named-entity-recognition"],
        pretty_name=options.pretty_name or manifest["name"],
        **extra,
        tags=tags,
    )
    MetadataConfigs({
        config: {
            "data_files": [{"split": split, "path": data_files_pattern(config, split)} for split in info["splits"]],
            **({"default": True} if config == DOCUMENTS else {}),
        }
        for config, info in infos.items()
    }).to_dataset_card_data(data)
    DatasetInfosDict({
        config: DatasetInfo(
            features=Features.from_dict(info["features"]),
            splits=SplitDict({split: SplitInfo(name=split, num_bytes=s["num_bytes"], num_examples=s["num_examples"])
                              for split, s in info["splits"].items()}),
            dataset_size=sum(s["num_bytes"] for s in info["splits"].values()),
            config_name=config,
        )
        for config, info in infos.items()
    }).to_dataset_card_data(data)
    data["akhbar"] = {
        "name": manifest["name"],
        "version": manifest["version"],
        "fingerprint": manifest["fingerprint"],
        "builder_version": manifest["builder"]["version"],
        # Not called "...fingerprint": publishing reads every such key as the dataset's fingerprint.
        "schema": {"name": manifest["schema"]["name"], "sha256": manifest["schema"]["fingerprint"]},
        "projection_policy": manifest["projection_policy"],
    }
    return data


# --------------------------------------------------------------------------------------------
# Prose
# --------------------------------------------------------------------------------------------


def _join(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence_case(text: str) -> str:
    """Lower-case the first letter of a description used mid-sentence (not of an acronym: ``NER``)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _n(value: int) -> str:
    return f"{value:,}"


def _code(text: str) -> str:
    """Inline code that survives any content (backticks inside, table pipes, line breaks)."""
    text = text.replace("\n", "⏎").replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: Sequence[str] | None = None) -> str:
    align = align or ["l"] * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _type_name(feature: Any) -> str:
    from datasets import ClassLabel, List, Value

    if isinstance(feature, ClassLabel):
        return f"ClassLabel ({feature.num_classes} name{'' if feature.num_classes == 1 else 's'})"
    if isinstance(feature, Value):
        return feature.dtype
    if isinstance(feature, List):
        return f"list of {_type_name(feature.feature)}"
    if isinstance(feature, dict):
        return "struct"
    return type(feature).__name__


def _leaves(prefix: str, feature: Any) -> Iterable[tuple[str, Any]]:
    """``(dotted path, feature)`` for a column and everything nested in it, outer first."""
    from datasets import List

    yield prefix, feature
    inner, suffix = feature, ""
    if isinstance(feature, List) and isinstance(feature.feature, dict):
        inner, suffix = feature.feature, "[]"
    if isinstance(inner, dict):
        for name, sub in inner.items():
            yield from _leaves(f"{prefix}{suffix}.{name}", sub)


_DOCUMENT_FIELDS = {
    "id": "Document id, unique in the dataset. The split is a function of it (see Provenance).",
    "text": "The document text exactly as read from the source, never normalized or repaired. "
            "Every offset in the dataset points into it.",
    "metadata": "What the source says about the document besides its text.",
    "metadata.title": "Headline, when the source has one.",
    "metadata.date": "Publication date, ISO 8601 (`YYYY-MM-DD`), when known.",
    "metadata.dateline_place": "Place named in the dateline (e.g. موسكو in `موسكو-سانا`).",
    "metadata.dateline_agency": "News agency named in the dateline (e.g. سانا).",
    "metadata.source_file": "The file the document was read from, relative to the corpus folder.",
    "metadata.licence": "Licence statement of this document, when the source gives one.",
    "metadata.paragraphs": "Body paragraphs, in order.",
    "metadata.paragraphs[].start": "First character of the paragraph.",
    "metadata.paragraphs[].end": "End of the paragraph (exclusive).",
    "metadata.extra": "Reader-specific facts as canonical JSON (e.g. offsets of the title and caption, "
                      "the tag scheme of a CoNLL file, `\"tokenization\": \"given\"`).",
    "links": "Typed, directed relations between spans (see Labels).",
    "links[].id": "Link id, unique within the document.",
    "links[].type": "Link type (ClassLabel over the schema's link types).",
    "links[].source": "Id of the span the link starts from.",
    "links[].target": "Id of the span the link points to.",
    "defects": "Character-level defects of the source text (see Text defects); the text keeps them.",
    "defects[].start": "First character of the defect.",
    "defects[].end": "End of the defect (exclusive).",
    "defects[].kind": "Defect kind, e.g. `mixed-script`, `lookalike`, `zero-width`.",
    "defects[].text": "The defective characters: `text[start:end]`.",
    "defects[].suggestion": "A conservative correction of the token that holds the defect (null when unsure).",
    "defects[].message": "What is wrong, naming each character and its code point.",
}

_SPAN_FIELDS = {
    "id": "Span id, unique within the document; links refer to it.",
    "start": "First character of the span.",
    "end": "End of the span (exclusive).",
    "label": "The span's label (ClassLabel, names in schema order: see Labels).",
    "text": "The surface string, always equal to `text[start:end]` of the document.",
}

_TOKEN_FIELDS = {
    "id": "Sentence id: `<doc_id>-s<NNNN>` (document id, sentence index).",
    "doc_id": "Id of the document (row of `documents`) the sentence comes from.",
    "sentence_index": "Position of the sentence in its document, from 0.",
    "start": "First character of the sentence in the document text.",
    "end": "End of the sentence in the document text (exclusive).",
    "tokens": "The tokens, each exactly `text[token_starts[i]:token_ends[i]]` of the document: "
              "clitics stay attached (`وبوتين` is one token).",
    "token_starts": "First character of each token in the document text.",
    "token_ends": "End of each token in the document text (exclusive).",
}


def _level_name(level: int) -> str:
    if level == 1:
        return "level 1: outermost spans"
    if level == 2:
        return "level 2: spans inside one other span"
    return f"level {level}: spans inside {level - 1} others"


def _field_meanings(schema: Schema) -> tuple[dict[str, str], dict[str, str]]:
    documents = dict(_DOCUMENT_FIELDS)
    for layer in schema.layers:
        what = _sentence_case(layer.description.rstrip(".")) if layer.description else f"layer `{layer.name}`"
        documents[layer.name] = f"Spans of {what}, sorted by start, longer spans first."
        for key, meaning in _SPAN_FIELDS.items():
            documents[f"{layer.name}[].{key}"] = meaning
    if not schema.links:
        documents["links"] = ("Always empty: the schema declares no link types (the column is kept so that every "
                              "build has the same columns).")
    tokens = dict(_TOKEN_FIELDS)
    for layer in schema.layers:
        for level, column in enumerate(layer.tag_columns(), start=1):
            tokens[column] = f"IOB2 tag of each token for layer `{layer.name}`, nesting {_level_name(level)}."
    return documents, tokens


def _structure_section(infos: Mapping[str, Mapping[str, Any]], schema: Schema) -> str:
    from datasets import Features

    meanings = dict(zip((DOCUMENTS, TOKENS), _field_meanings(schema), strict=True))
    parts = [_table(
        ["config", "split", "rows", "Arrow bytes"],
        [(f"`{config}`", f"`{split}`", _n(s["num_examples"]), _n(s["num_bytes"]))
         for config, info in infos.items() for split, s in info["splits"].items()],
        ["l", "l", "r", "r"],
    )]
    for config, info in infos.items():
        features = Features.from_dict(info["features"])
        known = meanings.get(config, {})
        rows = []
        for column, feature in features.items():
            for path, sub in _leaves(column, feature):
                rows.append((f"`{path}`", _type_name(sub), known.get(path, UNDOCUMENTED)))
        unit = "document" if config == DOCUMENTS else "sentence" if config == TOKENS else "row"
        parts.append(f"### `{config}`: one row per {unit}\n\n" + _table(["field", "type", "meaning"], rows))
    return "\n\n".join(parts)


def _labels_section(schema: Schema) -> str:
    parts = []
    for layer in schema.layers:
        head = f"### Layer `{layer.name}`\n\n{layer.description}".rstrip()
        rules = [f"nesting {'allowed' if layer.nesting else 'not allowed'}",
                 f"crossing spans {'allowed' if layer.overlap else 'not allowed'}"]
        columns = layer.tag_columns()
        if columns:
            rules.append(f"token tag columns {', '.join(f'`{c}`' for c in columns)} "
                         f"({layer.levels} nesting level{'s' if layer.levels > 1 else ''})")
        table = _table(["id", "label", "definition"],
                       [(i, f"`{label.name}`", label.definition or UNDOCUMENTED)
                        for i, label in enumerate(layer.labels)],
                       ["r", "l", "l"])
        tags = ""
        if columns:
            tags = (f"\n\nIOB2 tag ids in {', '.join(f'`{c}`' for c in columns)}: "
                    + ", ".join(f"{i} `{name}`" for i, name in enumerate(layer.bio_names)) + ".")
        parts.append(f"{head}\n\n{'; '.join(rules).capitalize()}.\n\n{table}{tags}")
    if schema.links:
        rows = []
        for i, link in enumerate(schema.links):
            def end(e: Any) -> str:
                return f"`{e.layer}`" + (f" ({', '.join(e.labels)})" if e.labels else "")
            rows.append((i, f"`{link.name}`", end(link.source), end(link.target), link.description or UNDOCUMENTED))
        parts.append("### Links\n\n" + _table(["id", "type", "from", "to", "meaning"], rows, ["r", "l", "l", "l", "l"]))
    return "\n\n".join(parts)


def _statistics_section(manifest: Mapping[str, Any], schema: Schema, stats: CardStatistics,
                        figures: Sequence[Figure] = ()) -> str:
    splits = list(manifest["splits"])
    counts = manifest["splits"]
    layer_names = [layer.name for layer in schema.layers]
    header = ["split", "documents", "sentences", "tokens", *(f"{n} spans" for n in layer_names), "links"]
    def totals(split: str) -> list[str]:
        c = counts[split]
        return [_n(c["documents"]), _n(c["sentences"]), _n(c["tokens"]),
                *(_n(c["mentions"].get(n, 0)) for n in layer_names), _n(c["links"])]
    rows = [[f"`{s}`", *totals(s)] for s in splits]
    if len(splits) > 1:
        sums = [sum(counts[s][k] for s in splits) for k in ("documents", "sentences", "tokens")]
        mentions = [sum(counts[s]["mentions"].get(n, 0) for s in splits) for n in layer_names]
        rows.append(["**all**", *map(_n, sums), *map(_n, mentions), _n(sum(counts[s]["links"] for s in splits))])
    parts = ["### Size\n\n" + _table(header, rows, ["l"] + ["r"] * (len(header) - 1))]
    if figures:
        parts.append("### Figures\n\nThe numbers of the tables below, drawn (SVG files in `figures/`).\n\n"
                     + figures_markdown(figures))

    labels = manifest.get("labels", {})
    for layer in schema.layers:
        per_split = [labels.get(s, {}).get(layer.name, {}) for s in splits]
        rows = []
        for label in layer.label_names:
            values = [c.get(label, 0) for c in per_split]
            rows.append([f"`{label}`", *map(_n, values)] + ([_n(sum(values))] if len(splits) > 1 else []))
        cols = [f"`{s}`" for s in splits] + (["all"] if len(splits) > 1 else [])
        parts.append(f"### Spans per label: `{layer.name}`\n\n"
                     + _table(["label", *cols], rows, ["l"] + ["r"] * len(cols)))

    for layer in schema.layers:
        depth = stats.depth.get(layer.name, {})
        deepest = max((d for c in depth.values() for d in c), default=0)
        if not layer.nesting and deepest <= 1:
            continue
        rows = []
        for level in range(1, deepest + 1):
            values = [depth[s].get(level, 0) for s in splits]
            note = "" if level <= layer.levels else " (not in token tags)"
            rows.append([f"{level}{note}", *map(_n, values)] + ([_n(sum(values))] if len(splits) > 1 else []))
        cols = [f"`{s}`" for s in splits] + (["all"] if len(splits) > 1 else [])
        text = (f"### Nesting depth: `{layer.name}`\n\nDepth 1 is a span inside no other span of the layer, depth 2 a "
                f"span inside one, and so on. Token tag columns hold depths 1 to {layer.levels}.\n\n")
        parts.append(text + (_table(["depth", *cols], rows, ["l"] + ["r"] * len(cols)) if rows else "No spans."))

    if schema.links:
        rows = []
        for spec in schema.links:
            for s in splits:
                done, total = stats.linked_sources[spec.name][s]
                share = f"{done / total:.0%}" if total else "n/a"
                rows.append([f"`{spec.name}`", f"`{s}`", _n(stats.links[spec.name][s]),
                             f"{_n(done)} of {_n(total)} ({share})"])
        source_note = ", ".join(
            f"`{spec.name}` starts from `{spec.source.layer}` spans"
            + (f" labelled {', '.join(spec.source.labels)}" if spec.source.labels else "")
            for spec in schema.links
        )
        parts.append(f"### Links\n\nA source span counts as linked when at least one link of the type starts from it "
                     f"({source_note}).\n\n"
                     + _table(["type", "split", "links", "linked source spans"], rows, ["l", "l", "r", "r"]))

    if stats.example_sentence:
        ex = stats.example_sentence
        names = {c: layer.bio_names for layer in schema.layers for c in layer.tag_columns()}
        columns = list(ex["tags"])
        rows = [[_code(token), *(_tag(names[c][ex["tags"][c][i]]) for c in columns)]
                for i, token in enumerate(ex["tokens"])]
        parts.append(f"### Example\n\nSentence `{ex['id']}` of split `{ex['split']}` in the `tokens` config "
                     "(tags shown by name; the columns store their ids):\n\n"
                     + _table(["token", *(f"`{c}`" for c in columns)], rows))
    return "\n\n".join(parts)


def _tag(name: str) -> str:
    return "" if name == "O" else f"`{name}`"


def _defects_section(manifest: Mapping[str, Any], stats: CardStatistics) -> str:
    defects = manifest.get("defects") or {}
    if not defects:
        return "No defects were found."
    from dataset_builder.text.defects import DEFECT_KINDS

    rows = [(f"`{kind}`", _n(n), str(DEFECT_KINDS[kind].value) if kind in DEFECT_KINDS else "")
            for kind, n in sorted(defects.items())]
    parts = [_table(["kind", "count", "severity"], rows, ["l", "r", "l"])]
    examples = [e for kind in sorted(stats.defect_examples) for e in stats.defect_examples[kind]]
    if examples:
        parts.append("Examples (the first of each kind):\n\n" + _table(
            ["kind", "document", "offsets", "characters", "suggestion", "message"],
            [(f"`{e.kind}`", f"`{e.doc_id}` ({e.split})", f"{e.start}-{e.end}", _code(e.text),
              _code(e.suggestion) if e.suggestion else "none", e.message.replace("|", "\\|"))
             for e in examples],
        ))
    return "\n\n".join(parts)


def _problems_section(report: Mapping[str, Any]) -> str:
    if not report:
        return "No build report was found in the version directory."
    docs, spans, links = report["documents"], report["spans"], report["links"]
    rows = [(what, _n(c["read"]), _n(c["written"]), _n(c["rejected"]))
            for what, c in (("documents", docs), ("spans", spans), ("links", links))]
    parts = [
        "Every record read was either written or rejected with its reasons (`rejects.jsonl` in the build's "
        "version directory); every other finding is logged in `problems.jsonl` with its file, line or offset.",
        _table(["", "read", "written", "rejected"], rows, ["l", "r", "r", "r"]),
    ]
    problems = report.get("problems") or {}
    by_severity = problems.get("by_severity") or {}
    if any(by_severity.values()):
        parts.append("Problems by severity: " + ", ".join(f"{sev} {_n(n)}" for sev, n in by_severity.items()) + ".")
        by_code = problems.get("by_code") or {}
        parts.append(_table(["code", "count"], [(f"`{code}`", _n(n)) for code, n in by_code.items()], ["l", "r"]))
    else:
        parts.append("No problems were logged.")
    return "\n\n".join(parts)


def _guideline_sections(path: Path) -> list[str]:
    headings = re.findall(r"^##\s+(.+?)\s*$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return headings


def _annotation_section(schema: Schema, options: CardOptions, manifest: Mapping[str, Any]) -> str:
    creators = _join(list(options.annotations_creators))
    layers = _join([f"`{layer.name}`" for layer in schema.layers])
    noun = "layers" if len(schema.layers) > 1 else "layer"
    links = f", with links of type {_join([f'`{link.name}`' for link in schema.links])}," if schema.links else ","
    parts = [f"The annotations ({creators}) are character spans in the {noun} {layers}{links} checked by the "
             "builder against the schema (offsets, surface text, labels, nesting, link ends) before anything is "
             "written."]
    if options.guideline_path is not None:
        path = Path(options.guideline_path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        link = options.guideline_link or path.name
        shown = f"[{link}]({link})" if re.match(r"^https?://", link) else f"`{link}`"
        sections = _guideline_sections(path)
        parts.append(f"The annotation guideline is {shown} (sha256 `{digest}`)"
                     + (": " + "; ".join(sections) + "." if sections else "."))
    else:
        parts.append("No annotation guideline was given to the card; see the label definitions above.")
    if options.adjudication is not None:
        from dataset_builder.annotate.card import adjudication_paragraph

        parts.append(adjudication_paragraph(options.adjudication))
    policy = manifest["projection_policy"]
    parts.append(
        f"Token tags are derived, not annotated: each character span is projected onto the tokens under the "
        f"`{policy}` policy"
        + (" (a span that starts or ends inside a token tags the whole token, e.g. a proclitic و before a name)"
           if policy == "expand" else "")
        + ". Every projection decision is logged in `problems.jsonl`; score models on the character spans of "
        "`documents` when the tokenization is not yours."
    )
    return "\n\n".join(parts)


def _provenance_section(manifest: Mapping[str, Any]) -> str:
    rows = [
        ("dataset", f"`{manifest['name']}` {manifest['version']}"),
        ("fingerprint", f"`{manifest['fingerprint']}`"),
        ("builder", f"{manifest['builder']['name']} {manifest['builder']['version']}"),
        ("schema", f"`{manifest['schema']['name']}`, sha256 of its canonical JSON "
                   f"`{manifest['schema']['fingerprint']}`"),
        ("split rule", _code(json.dumps(manifest["split_rule"], ensure_ascii=False, sort_keys=True))),
        ("projection policy", f"`{manifest['projection_policy']}`"),
    ]
    parts = [
        "The fingerprint identifies the data by content: it is the sha256 of the build settings and of the "
        "canonical JSON of every record read (`dataset_builder.manifest` defines it exactly), so formatting changes "
        "to the input do not change it and content changes do. Evaluation results quote it to say which gold data "
        "they were computed on.",
        _table(["what", "value"], rows),
    ]
    sources = manifest.get("source_files") or {}
    if sources:
        rows = [(f"`{path}`", f"`{digest}`") for path, digest in sources.items()]
        parts.append("Source files:\n\n" + _table(["file", "sha256"], rows))
    return "\n\n".join(parts)


def _limitations_section(manifest: Mapping[str, Any], schema: Schema, stats: CardStatistics,
                         report: Mapping[str, Any]) -> str:
    items = []
    splits = manifest["splits"]
    tokens = sum(c["tokens"] for c in splits.values())
    if tokens < 10_000:
        items.append(f"It is small ({_n(tokens)} tokens): fit for checking and evaluating models, not for training "
                     "them, and confidence intervals on its scores are wide.")
    elif tokens < 100_000:
        items.append(f"It is small for training ({_n(tokens)} tokens): expect scores to vary between training runs "
                     "and rare labels to be learnt from a handful of examples.")
    empty = [s for s, c in splits.items() if c["documents"] == 0]
    if empty:
        items.append(f"Split{'s' if len(empty) > 1 else ''} {', '.join(f'`{s}`' for s in empty)} "
                     f"{'are' if len(empty) > 1 else 'is'} empty.")
    labels = manifest.get("labels", {})
    for layer in schema.layers:
        absent = [name for name in layer.label_names
                  if not any(labels.get(s, {}).get(layer.name, {}).get(name, 0) for s in splits)]
        if absent:
            items.append(f"No `{layer.name}` span is labelled {', '.join(f'`{a}`' for a in absent)}: per-label "
                         "scores for these labels are undefined here, and a model that predicts them only "
                         "collects false positives.")
        depth = stats.depth.get(layer.name, {})
        too_deep = sum(n for c in depth.values() for d, n in c.items() if d > layer.levels)
        if too_deep and layer.tag_columns():
            items.append(f"{_n(too_deep)} `{layer.name}` span(s) are nested deeper than {layer.levels} levels and "
                         "appear only in `documents`, not in the token tag columns.")
    by_code = ((report.get("problems") or {}).get("by_code") or {}) if report else {}
    widened = by_code.get("projection-clitic-remainder", 0)
    if widened:
        items.append(f"{_n(widened)} span(s) start or end inside a token (attached clitics): their token tags "
                     "cover the whole token, so token-level and character-level scores differ.")
    warnings = ((report.get("problems") or {}).get("by_severity") or {}).get("warning", 0) if report else 0
    if warnings:
        items.append(f"{_n(warnings)} warning(s) of the build need a human look (see Build problems and "
                     "`problems.jsonl` for where each one is).")
    defects = sum((manifest.get("defects") or {}).values())
    if defects:
        items.append(f"The text keeps {_n(defects)} character defect(s) of the source (see Text defects); "
                     "normalize a copy for search or matching, never the offsets' text.")
    rejected = (report.get("documents") or {}).get("rejected", 0) if report else 0
    if rejected:
        items.append(f"{_n(rejected)} document(s) of the input were rejected and are not in the dataset.")
    items.append("Span boundaries follow this dataset's guideline; other corpora draw them differently (clitics, "
                 "titles, nested names), so compare scores only across models evaluated on the same fingerprint.")
    return "\n".join(f"- {item}" for item in items)


def _quick_start(manifest: Mapping[str, Any], infos: Mapping[str, Mapping[str, Any]], schema: Schema,
                 options: CardOptions) -> str:
    def q(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    repo = q(options.repo_id or f"<org>/{manifest['name']}")
    split = q(next(iter(manifest["splits"]), "train"))
    tag_column = next((c for layer in schema.layers for c in layer.tag_columns()), None)
    first_layer = schema.layers[0].name
    version_path = q(f"out/{manifest['name']}/{manifest['version']}/{DOCUMENTS}")
    lines = [
        "```python",
        "from datasets import load_dataset, load_from_disk",
        "",
        f"# from the Hub repository {repo} (or a local `akhbar export` folder)",
        f"documents = load_dataset({repo}, {q(DOCUMENTS)}, split={split})",
        f"tokens = load_dataset({repo}, {q(TOKENS)}, split={split})",
        "# or straight from the build output",
        f"documents = load_from_disk({version_path})[{split}]",
        "",
        "doc = documents[0]",
        f"label_names = documents.features[{q(first_layer)}].feature[\"label\"].names",
        f"for span in doc[{q(first_layer)}]:",
        "    assert doc[\"text\"][span[\"start\"]:span[\"end\"]] == span[\"text\"]  # offsets index the text",
    ]
    if tag_column:
        lines.append(f"tag_names = tokens.features[{q(tag_column)}].feature.names  # IOB2")
    lines.append("```")
    return "\n".join(lines)


def _facts(manifest: Mapping[str, Any], licence_id: str) -> str:
    splits = manifest["splits"]
    sizes = ", ".join(f"{s} {_n(c['documents'])} doc / {_n(c['sentences'])} sentences / {_n(c['tokens'])} tokens"
                      for s, c in splits.items())
    return "\n".join([
        f"- **Version**: {manifest['version']}, fingerprint `{manifest['fingerprint']}`",
        "- **Language**: Arabic (`ar`)",
        f"- **Splits**: {sizes}",
        f"- **Licence**: `{licence_id}` (see Licence)",
        f"- **Built with**: akhbar {manifest['builder']['version']}",
    ])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _open_version(manifest: Manifest | Mapping[str, Any] | None, version_dir: Path) -> VersionDir:
    """The version directory, with the manifest given by the caller (the build passes the one it just
    wrote) or read from ``manifest.json``."""
    if manifest is None:
        return VersionDir.open(version_dir)
    return VersionDir(version_dir, manifest.to_dict() if isinstance(manifest, Manifest) else dict(manifest))


def render_card(
    version_dir: str | Path,
    *,
    schema: Schema,
    manifest: Manifest | Mapping[str, Any] | None = None,
    licence: str | None = None,
    citation: str | None = None,
    description: str | None = None,
    options: CardOptions | None = None,
    template: str | Path | None = None,
) -> str:
    """The text of the dataset card of a built version (see :func:`write_card`)."""
    return _render_card(version_dir, schema=schema, manifest=manifest, licence=licence, citation=citation,
                        description=description, options=options, template=template)[0]


def _render_card(
    version_dir: str | Path,
    *,
    schema: Schema,
    manifest: Manifest | Mapping[str, Any] | None,
    licence: str | None,
    citation: str | None,
    description: str | None,
    options: CardOptions | None,
    template: str | Path | None,
) -> tuple[str, list[Figure]]:
    from huggingface_hub import DatasetCard

    version_dir = Path(version_dir)
    options = options or CardOptions()
    version = _open_version(manifest, version_dir)
    manifest_dict = dict(version.manifest_data)
    if manifest_dict["schema"]["fingerprint"] != schema.fingerprint():
        raise InputError(Problem(
            "card-schema", f"schema {schema.name!r} is not the schema this version was built with "
            f"(its sha256 is {schema.fingerprint()}, the manifest says {manifest_dict['schema']['fingerprint']}).",
            "Pass the schema (or recipe) the version was built from.", path=str(version_dir),
        ))
    report = version.report
    infos = version.config_infos()
    licence = licence if licence is not None else manifest_dict.get("licence")
    citation = citation if citation is not None else manifest_dict.get("citation")
    first_info = next(iter(infos.values()), {})
    description = (description or first_info.get("description") or schema.description
                   or f"{manifest_dict['name']}: Arabic news text with gold annotations.").strip()
    stats = card_statistics(version_dir, schema, list(manifest_dict["splits"]))
    figures = version_figures(manifest_dict, schema, stats)
    data = _card_data(manifest_dict, infos, schema, options, licence)
    licence_id = data["license"]

    template_path = Path(template) if template is not None else shipped(DEFAULT_TEMPLATE)
    if not template_path.is_file():
        raise InputError(Problem(
            "card-template", "the card template does not exist.", "Pass the path of an existing template.",
            path=str(template_path),
        ))
    licence_text = licence.strip() if licence else "No licence was stated for this build: ask the data owners."
    body = string.Template(template_path.read_text(encoding="utf-8")).substitute(
        yaml=data.to_yaml(),
        title=options.pretty_name or manifest_dict["name"],
        summary=description,
        facts=_facts(manifest_dict, licence_id),
        quick_start=_quick_start(manifest_dict, infos, schema, options),
        structure=_structure_section(infos, schema),
        labels=_labels_section(schema),
        statistics=_statistics_section(manifest_dict, schema, stats, figures),
        defects=_defects_section(manifest_dict, stats),
        problems=_problems_section(report),
        annotation=_annotation_section(schema, options, manifest_dict),
        provenance=_provenance_section(manifest_dict),
        licence=licence_text,
        citation=f"```text\n{citation.strip()}\n```" if citation else "No citation was given for this build.",
        limitations=_limitations_section(manifest_dict, schema, stats, report),
    )
    # Parse it back with the Hub's own card parser: a card the Hub cannot read must not be written.
    DatasetCard(body)
    return body, figures


def write_card(
    version_dir: str | Path,
    *,
    schema: Schema,
    manifest: Manifest | Mapping[str, Any] | None = None,
    licence: str | None = None,
    citation: str | None = None,
    description: str | None = None,
    guideline_path: str | Path | None = None,
    options: CardOptions | None = None,
    out_dir: str | Path | None = None,
    template: str | Path | None = None,
) -> Path:
    """Write the dataset card (``README.md``) of a built version.

    Parameters
    ----------
    version_dir : path
        ``OUT/NAME/VERSION`` as written by ``akhbar build`` (or its temporary directory during
        the build): ``manifest.json``, ``build-report.json`` and the two configs.
    schema : Schema
        The schema the version was built with (checked against the manifest): label
        definitions, layer descriptions and link types come from it.
    manifest : Manifest or mapping, optional
        Default: ``version_dir/manifest.json``.
    licence, citation : str, optional
        Default: the manifest's.
    description : str, optional
        The summary paragraph. Default: the description recorded in the build.
    guideline_path : path, optional
        The annotation guideline (overrides ``options.guideline_path``).
    options : CardOptions, optional
        Facts about the dataset the data cannot tell.
    out_dir : path, optional
        Where to write ``README.md`` (default: ``version_dir``).
    template : path, optional
        Card outline (default: ``cards/template.md``, shipped with akhbar).

    Returns
    -------
    Path
        The card written.

    Raises
    ------
    InputError
        The directory is not a built version, the schema is not the one it was built with, or
        the template is missing.
    """
    options = options or CardOptions()
    if guideline_path is not None:
        from dataclasses import replace

        options = replace(options, guideline_path=Path(guideline_path))
    text, figures = _render_card(version_dir, schema=schema, manifest=manifest, licence=licence, citation=citation,
                                 description=description, options=options, template=template)
    target_dir = Path(out_dir) if out_dir is not None else Path(version_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    write_figures(figures, target_dir)
    path = target_dir / CARD_FILE
    _write_text_atomically(path, text)
    return path


def write_figures(figures: Sequence[Figure], out_dir: Path) -> list[Path]:
    """Write each figure as ``out_dir/figures/<name>`` (atomically, only when its bytes differ); remove
    figures of an earlier card that this one no longer has."""
    folder = out_dir / FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {figure.name for figure in figures}
    for old in folder.glob("*.svg"):
        if old.name not in wanted:
            old.unlink()
    written = []
    for figure in figures:
        path = folder / figure.name
        text = figure.file_text()
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            _write_text_atomically(path, text)
        written.append(path)
    return written


def _write_text_atomically(path: Path, text: str) -> None:
    import os

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def bundled_card_options() -> CardOptions:
    """Card options of the bundled corpus (``corpora/sana-sample``): its guideline and display name."""
    return CardOptions(
        pretty_name="sana-sample: an Arabic news article with nested entities and quotations",
        guideline_path=shipped("docs/annotation-guideline.md"),
        guideline_link="docs/annotation-guideline.md",
    )


def copy_cards(version_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Copy a version's ``README.md``, ``croissant.json`` and the card's figures (``figures/*.svg``) into
    ``out_dir`` (e.g. ``cards/<name>/``).

    Files are replaced atomically and only when their bytes differ, so an up-to-date checkout
    is left untouched; figures the card no longer has are removed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    figures = sorted((Path(version_dir) / FIGURES_DIR).glob("*.svg"))
    wanted = {path.name for path in figures}
    for old in (out_dir / FIGURES_DIR).glob("*.svg"):
        if old.name not in wanted:
            old.unlink()
    for name in (*CARD_FILES, *(f"{FIGURES_DIR}/{path.name}" for path in figures)):
        source = Path(version_dir) / name
        if not source.is_file():
            raise InputError(Problem(
                "no-card", f"{name} is missing from the version directory.",
                "Regenerate it with `akhbar card VERSION_DIR`.", path=str(version_dir),
            ))
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            _write_text_atomically(target, text)
        written.append(target)
    return written


def write_card_files(
    version_dir: str | Path,
    *,
    schema: Schema,
    options: CardOptions | None = None,
    out_dir: str | Path | None = None,
    export_dir: str | Path | None = None,
) -> tuple[Path, Path]:
    """(Re)write the card (``README.md``) and ``croissant.json`` of a built version: what ``akhbar card`` does.

    ``options.repo_id`` also gives the Croissant ``url``; ``export_dir`` (an ``akhbar export`` folder)
    makes ``croissant.json`` list its Parquet files with their sha256. Returns both paths written.

    Raises
    ------
    InputError
        Not a built version (``not-a-version``), or what :func:`write_card` and
        :func:`~dataset_builder.croissant.write_croissant` raise.
    """
    from dataset_builder.croissant import write_croissant

    version = VersionDir.open(version_dir)
    options = options or CardOptions()
    readme = write_card(version.path, schema=schema, manifest=version.manifest_data, options=options, out_dir=out_dir)
    url = f"https://huggingface.co/datasets/{options.repo_id}" if options.repo_id else None
    # With an export folder the file is headed for the Hub: validated, as `akhbar export` does.
    croissant = write_croissant(version.path, schema=schema, export_dir=export_dir, url=url,
                                out_path=Path(out_dir) / CROISSANT_FILE if out_dir is not None else None,
                                validate=export_dir is not None)
    return readme, croissant


@dataclass(frozen=True, slots=True)
class CardRequest:
    """What ``akhbar card`` was asked: the version, where the schema comes from (``schema``, else
    ``recipe``'s, else the bundled corpus' when the version is the bundled corpus) and what to change
    in the card options (None: keep). The other fields are :func:`write_card_files`' parameters."""

    version_dir: Path
    out_dir: Path | None = None
    recipe: Path | None = None
    schema: Path | None = None
    guideline: Path | None = None
    repo_id: str | None = None
    licence_id: str | None = None
    export_dir: Path | None = None
    adjudication: Path | None = None


@dataclass(frozen=True, slots=True)
class CardFiles:
    """The card files written for a version: ``akhbar card``'s result."""

    name: str
    version: str
    fingerprint: str
    readme: Path
    croissant: Path

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "fingerprint": self.fingerprint,
                "readme": str(self.readme), "croissant": str(self.croissant)}


def write_card_request(request: CardRequest) -> CardFiles:
    """(Re)write a version's card and ``croissant.json`` as ``akhbar card`` does: find the schema and the
    card options the request names, then :func:`write_card_files`.

    Raises
    ------
    InputError
        Not a built version; no schema to be found (a version that is not the bundled corpus, without
        ``schema`` or ``recipe``); a bad schema, recipe, guideline or adjudication file.
    """
    import dataclasses

    from dataset_builder.recipe import load_recipe, recipe_schema
    from dataset_builder.resources import default_recipe, is_bundled_recipe
    from dataset_builder.schema import load_schema

    version = VersionDir.open(request.version_dir)
    if request.out_dir is not None:
        require_path(request.out_dir, "folder", what="card folder (--out)", missing_ok=True,
                     fix="Pass a folder for README.md and croissant.json, not a file.")
    if request.guideline is not None:
        require_path(request.guideline, "file", what="annotation guideline (--guideline)",
                     fix="Pass the guideline's Markdown or PDF file.")
    if request.export_dir is not None:
        require_path(request.export_dir, "folder", what="export folder (--export-dir)",
                     fix="Pass the folder `akhbar export` wrote (it holds data/ and manifest.json).")
    options = CardOptions()
    if request.schema is not None:
        schema = load_schema(request.schema)
    elif request.recipe is not None:
        schema = recipe_schema(request.recipe)
        options = bundled_card_options() if is_bundled_recipe(request.recipe) else options
    else:
        bundled = load_recipe(default_recipe())
        if bundled.name != version.name:
            raise InputError(Problem(
                "usage", f"{version.name!r} is not the bundled corpus: the card needs its schema.",
                "Pass --recipe RECIPE.yaml or --schema SCHEMA.yaml (the ones the version was built with).",
            ))
        schema, options = bundled.schema, bundled_card_options()
    guideline = request.guideline
    changes: dict[str, Any] = {"guideline_path": guideline, "guideline_link": guideline and guideline.as_posix(),
                               "repo_id": request.repo_id, "licence_id": request.licence_id,
                               "adjudication": request.adjudication}
    options = dataclasses.replace(options, **{key: value for key, value in changes.items() if value is not None})
    readme, croissant = write_card_files(version.path, schema=schema, options=options, out_dir=request.out_dir,
                                         export_dir=request.export_dir)
    return CardFiles(version.name, version.version, version.fingerprint, readme, croissant)
