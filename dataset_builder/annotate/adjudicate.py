"""Merge several annotators' versions of the same documents into one gold, deciding by a policy.

A *candidate* is a distinct span (layer, start, end, label) of a document; its *votes* are the
annotators who marked it. Every annotator span is one vote, so the counts reconcile::

    spans in (all annotators) = votes of kept candidates + votes dropped by decision + votes in conflicts

Policies:

- ``majority``: a candidate marked by more than half of the annotators is kept, one marked by fewer
  than half is dropped; a tie (e.g. one annotator of two) is a conflict for a human.
- ``unanimous``: kept when every annotator marked it; anything else is a conflict.
- ``prefer:A``: annotator A's spans are kept, other spans are dropped; in a document A did not
  annotate, every candidate is a conflict.

Links (``speaker``: quote -> person) are decided the same way, over (type, source candidate,
target candidate), and kept only when both ends are kept; a link with an end in conflict is in
conflict too, a link with a dropped end is dropped.

Conflicts group the overlapping undecided candidates of one document and layer, each alternative
with its annotators, and the text around them. :meth:`Adjudication.conflict_documents` gives them as
documents that ``akhbar annotate export`` sends back to Label Studio for a human adjudicator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.annotate.card import read_adjudication_record
from dataset_builder.model import Document, Link, Metadata, Span
from dataset_builder.problems import InputError, Problem
from dataset_builder.schema import Schema

if TYPE_CHECKING:
    from eval.options import BootstrapOptions

__all__ = [
    "POLICIES", "Adjudication", "Alternative", "Conflict", "Counts", "adjudicate", "adjudicate_files",
    "documents_by_id", "read_adjudication_record", "write_adjudication",
]

POLICIES = ("majority", "unanimous", "prefer:<annotator>")
CONTEXT_CHARS = 40
SpanKey = tuple[str, int, int, str]  # layer, start, end, label
LinkKey = tuple[str, SpanKey, SpanKey]  # type, source, target


@dataclass(frozen=True, slots=True)
class Alternative:
    """One undecided candidate of a conflict: a span (or link) and who marked it."""

    layer: str
    start: int
    end: int
    label: str
    text: str
    annotators: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "start": self.start, "end": self.end, "label": self.label, "text": self.text,
                "annotators": list(self.annotators)}


@dataclass(frozen=True, slots=True)
class Conflict:
    """Overlapping candidates of one document and layer that the policy could not decide.

    ``kind`` is ``"span"`` or ``"link"``; for a link conflict ``label`` of each alternative is the link
    type and ``start``/``end`` those of its source (the quote), ``text`` names the speaker.
    """

    doc_id: str
    kind: str
    layer: str
    start: int
    end: int
    alternatives: tuple[Alternative, ...]
    context: str

    @property
    def votes(self) -> int:
        return sum(len(alternative.annotators) for alternative in self.alternatives)

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "kind": self.kind, "layer": self.layer, "start": self.start, "end": self.end,
                "context": self.context, "alternatives": [a.to_dict() for a in self.alternatives]}


@dataclass(frozen=True, slots=True)
class Counts:
    """Votes in and where they went; ``votes_in == kept_votes + dropped_votes + conflict_votes``.

    ``kept`` is the number of distinct spans (links) in the merged gold.
    """

    votes_in: int = 0
    kept: int = 0
    kept_votes: int = 0
    dropped_votes: int = 0
    conflict_votes: int = 0
    per_annotator: Mapping[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.votes_in == self.kept_votes + self.dropped_votes + self.conflict_votes

    def to_dict(self) -> dict[str, Any]:
        return {"in": self.votes_in, "kept": self.kept, "kept_votes": self.kept_votes,
                "dropped_by_decision": self.dropped_votes, "in_conflicts": self.conflict_votes,
                "per_annotator": dict(self.per_annotator)}


@dataclass(frozen=True, slots=True)
class Adjudication:
    """The merged gold, the conflicts left for a human, and the counts that account for every span."""

    policy: str
    annotators: tuple[str, ...]
    documents: tuple[Document, ...]
    conflicts: tuple[Conflict, ...]
    spans: Counts
    links: Counts
    dropped: tuple[Alternative, ...] = ()

    def conflict_documents(self) -> list[Document]:
        """One document per document with conflicts, holding the alternatives as spans
        (``attributes``: conflict number and annotators), ready for ``akhbar annotate export``."""
        texts = {doc.id: doc for doc in self.documents}
        by_doc: dict[str, list[Span]] = {}
        for number, conflict in enumerate(self.conflicts, start=1):
            if conflict.kind != "span":
                continue
            spans = by_doc.setdefault(conflict.doc_id, [])
            for alternative in conflict.alternatives:
                spans.append(Span(f"C{number}-{len(spans) + 1}", alternative.layer, alternative.start, alternative.end,
                                  alternative.label, alternative.text,
                                  {"conflict": number, "annotators": alternative.annotators}))
        return [Document(doc_id, texts[doc_id].text, texts[doc_id].metadata, tuple(spans))
                for doc_id, spans in by_doc.items()]

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "annotators": list(self.annotators), "n_documents": len(self.documents),
                "spans": self.spans.to_dict(), "links": self.links.to_dict(),
                "conflicts": [c.to_dict() for c in self.conflicts],
                "dropped": [a.to_dict() for a in self.dropped]}


def _decide(votes: int, n_annotators: int, policy: str, preferred_voted: bool | None) -> str:
    if policy == "unanimous":
        return "keep" if votes == n_annotators else "conflict"
    if policy == "majority":
        if 2 * votes > n_annotators:
            return "keep"
        return "drop" if 2 * votes < n_annotators else "conflict"
    if preferred_voted is None:  # the preferred annotator did not annotate this document
        return "conflict"
    return "keep" if preferred_voted else "drop"


def _preferred_voted(preferred: str | None, versions: Mapping[str, Document], who: Sequence[str]) -> bool | None:
    """Under ``prefer:A``: whether A marked the candidate (None when A did not annotate the document)."""
    if preferred is None or preferred not in versions:
        return None
    return preferred in who


def _check_policy(policy: str, annotators: Sequence[str]) -> str | None:
    if policy in ("majority", "unanimous"):
        return None
    if policy.startswith("prefer:") and policy[len("prefer:"):] in annotators:
        return policy[len("prefer:"):]
    raise InputError(Problem(
        "adjudication-policy", f"unknown adjudication policy {policy!r}.",
        f"Use majority, unanimous or prefer:<annotator> with one of: {', '.join(annotators)}."))


def documents_by_id(annotations: Mapping[str, Sequence[Document]]) -> dict[str, dict[str, Document]]:
    """``{doc id: {annotator: document}}`` in the order first seen, checking that each annotator has a
    document once and that every annotator's version of a document has the same text.

    Raises
    ------
    InputError
        On a duplicate document or a text that differs between annotators.
    """
    by_doc: dict[str, dict[str, Document]] = {}
    for annotator, documents in annotations.items():
        for doc in documents:
            versions = by_doc.setdefault(doc.id, {})
            if annotator in versions:
                raise InputError(Problem("adjudication-duplicate-document",
                                         f"annotator {annotator!r} has document {doc.id!r} twice.",
                                         "Give each annotator's export one version of each document.", doc_id=doc.id))
            first = next(iter(versions.values()), None)
            if first is not None and first.text != doc.text:
                raise InputError(Problem(
                    "adjudication-text-differs",
                    f"document {doc.id!r}: annotator {annotator!r} has another text than the others.",
                    "Annotators must annotate the same text; export it once (akhbar annotate export) for all.",
                    doc_id=doc.id))
            versions[annotator] = doc
    return by_doc


def _context(text: str, start: int, end: int) -> str:
    return (text[max(0, start - CONTEXT_CHARS):start] + "[" + text[start:end] + "]"
            + text[end:end + CONTEXT_CHARS]).replace("\n", " ")


def adjudicate(annotations: Mapping[str, Sequence[Document]], *, policy: str = "majority") -> Adjudication:
    """Merge annotators' documents (matched by id) into one gold under ``policy``.

    Parameters
    ----------
    annotations : mapping of annotator name to documents
        Each annotator's export, read with :func:`dataset_builder.readers.read`. Documents are
        matched by id; the same id must have the same text everywhere.
    policy : str, default="majority"
        ``majority``, ``unanimous`` or ``prefer:<annotator>`` (module notes).

    Returns
    -------
    Adjudication
        Merged documents in the order first seen; each kept span has ``attributes["annotators"]``
        (provenance) and id ``S<n>``, links ``L<n>``.

    Raises
    ------
    InputError
        Fewer than two annotators, an unknown policy, a document with different texts.
    """
    names = tuple(annotations)
    if len(names) < 2:
        raise InputError(Problem("adjudication-annotators",
                                 f"adjudication needs two annotators or more, got {len(names)}.",
                                 "Pass one export per annotator."))
    preferred = _check_policy(policy, names)
    span_in = dict.fromkeys(names, 0)
    link_in = dict.fromkeys(names, 0)
    span_tally = [0, 0, 0, 0]  # kept distinct, kept votes, dropped votes, conflict votes
    link_tally = [0, 0, 0, 0]
    documents: list[Document] = []
    conflicts: list[Conflict] = []
    dropped: list[Alternative] = []
    for doc_id, versions in documents_by_id(annotations).items():
        text = next(iter(versions.values())).text
        votes: dict[SpanKey, list[str]] = {}
        link_votes: dict[LinkKey, list[str]] = {}
        for annotator, doc in versions.items():
            keys = {span.id: (span.layer, span.start, span.end, span.label) for span in doc.spans}
            span_in[annotator] += len(doc.spans)
            for key in dict.fromkeys(keys.values()):
                votes.setdefault(key, []).append(annotator)
            span_tally[2] += len(doc.spans) - len(set(keys.values()))  # the same span twice: one is dropped
            link_in[annotator] += len(doc.links)
            for link in doc.links:
                if link.source in keys and link.target in keys:
                    link_key = (link.type, keys[link.source], keys[link.target])
                    if annotator not in link_votes.setdefault(link_key, []):
                        link_votes[link_key].append(annotator)
                        continue
                link_tally[2] += 1  # a duplicate or a link whose end is not a span: dropped
        decision: dict[SpanKey, str] = {}
        for key, who in votes.items():
            decision[key] = _decide(len(who), len(names), policy, _preferred_voted(preferred, versions, who))
        kept = sorted(k for k, d in decision.items() if d == "keep")
        ids = {key: f"S{i}" for i, key in enumerate(kept, start=1)}
        spans = tuple(Span(ids[k], k[0], k[1], k[2], k[3], text[k[1]:k[2]], {"annotators": tuple(votes[k])})
                      for k in kept)
        span_tally[0] += len(kept)
        span_tally[1] += sum(len(votes[k]) for k in kept)
        for key, who in votes.items():
            if decision[key] == "drop":
                span_tally[2] += len(who)
                dropped.append(Alternative(key[0], key[1], key[2], key[3], text[key[1]:key[2]], tuple(who)))
        open_keys = sorted(k for k, d in decision.items() if d == "conflict")
        for group in _overlapping_groups(open_keys):
            span_tally[3] += sum(len(votes[k]) for k in group)
            start, end = min(k[1] for k in group), max(k[2] for k in group)
            conflicts.append(Conflict(doc_id, "span", group[0][0], start, end, tuple(
                Alternative(k[0], k[1], k[2], k[3], text[k[1]:k[2]], tuple(votes[k])) for k in group),
                _context(text, start, end)))
        links: list[Link] = []
        link_conflicts: dict[SpanKey, list[LinkKey]] = {}
        for link_key, who in link_votes.items():
            link_type, source, target = link_key
            ends = {decision[source], decision[target]}
            verdict = "conflict" if "conflict" in ends else "drop" if "drop" in ends else _decide(
                len(who), len(names), policy, _preferred_voted(preferred, versions, who))
            if verdict == "keep":
                links.append(Link(f"L{len(links) + 1}", link_type, ids[source], ids[target]))
                link_tally[0] += 1
                link_tally[1] += len(who)
            elif verdict == "drop":
                link_tally[2] += len(who)
            else:
                link_conflicts.setdefault(source, []).append(link_key)
        for source, keys_of_source in sorted(link_conflicts.items()):
            link_tally[3] += sum(len(link_votes[k]) for k in keys_of_source)
            conflicts.append(Conflict(doc_id, "link", source[0], source[1], source[2], tuple(
                Alternative(source[0], source[1], source[2], k[0], text[k[2][1]:k[2][2]], tuple(link_votes[k]))
                for k in keys_of_source), _context(text, source[1], source[2])))
        first = next(iter(versions.values()))
        documents.append(Document(doc_id, text, Metadata(
            title=first.metadata.title, date=first.metadata.date, dateline_place=first.metadata.dateline_place,
            dateline_agency=first.metadata.dateline_agency, source_file=first.metadata.source_file,
            licence=first.metadata.licence, paragraphs=first.metadata.paragraphs,
            extra={"adjudication_policy": policy, "annotators": tuple(versions)}), spans, tuple(links)))
    return Adjudication(
        policy, names, tuple(documents), tuple(conflicts),
        Counts(sum(span_in.values()), *span_tally, per_annotator=span_in),
        Counts(sum(link_in.values()), *link_tally, per_annotator=link_in), tuple(dropped))


def _overlapping_groups(keys: list[SpanKey]) -> list[list[SpanKey]]:
    """Sorted candidates of a document cut into runs of (transitively) overlapping spans of one layer."""
    groups: list[list[SpanKey]] = []
    for layer in sorted({k[0] for k in keys}):
        reach = -1
        for key in (k for k in keys if k[0] == layer):
            if groups and groups[-1][0][0] == layer and key[1] < reach:
                groups[-1].append(key)
                reach = max(reach, key[2])
            else:
                groups.append([key])
                reach = key[2]
    return groups


RECORD_SUFFIX = ".adjudication.json"


def write_adjudication(result: Adjudication, out: str | Path, *, agreement: Mapping[str, Any] | None = None
                       ) -> tuple[Path, Path, Path]:
    """Write the merged gold (JSONL standoff), the conflicts as documents (JSONL, for ``annotate export``)
    and the record (policy, counts, conflicts, agreement figures) that a dataset card can cite.

    Returns the three paths: ``out``, ``<out stem>.conflicts.jsonl``, ``<out stem>.adjudication.json``.
    """
    from dataset_builder.readers.jsonl import write_jsonl

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    conflicts_path = out.with_name(stem + ".conflicts.jsonl")
    record_path = out.with_name(stem + RECORD_SUFFIX)
    write_jsonl(result.documents, out)
    write_jsonl(result.conflict_documents(), conflicts_path)
    record = {"gold": out.name, **result.to_dict(), "agreement": dict(agreement or {})}
    record_path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out, conflicts_path, record_path


def adjudicate_files(arguments: Sequence[str], schema: Schema | str | Path, out: str | Path, *,
                     policy: str = "majority", fmt: str | None = None,
                     intervals: BootstrapOptions | None = None,
                     ) -> tuple[Adjudication, tuple[Path, Path, Path], list[Problem]]:
    """Read annotators' exports (``NAME=PATH`` or ``PATH`` each), adjudicate them under ``policy`` and write
    the merged gold, the conflicts and the record with the agreement summary (:func:`write_adjudication`).

    ``intervals`` are those of the agreement summary (:func:`eval.agreement.agreement`; default: 1,000
    resamples). Returns the adjudication, the three paths written and every reader problem.
    """
    from dataset_builder.annotate.inputs import annotator_inputs, input_problems
    from dataset_builder.schema import load_schema
    from eval.agreement import agreement

    loaded = schema if isinstance(schema, Schema) else load_schema(schema)
    inputs = annotator_inputs(arguments, loaded, fmt=fmt)
    annotations = {a.name: a.documents for a in inputs}
    result = adjudicate(annotations, policy=policy)
    figures = agreement(annotations, layers=loaded.layer_names, link_types=tuple(link.name for link in loaded.links),
                        intervals=intervals)
    paths = write_adjudication(result, out, agreement=figures.summary())
    return result, paths, input_problems(inputs)
