"""Reader for Label Studio exports of text span annotation (NER-style ``<Labels>`` projects).

The full JSON export is a list of tasks::

    [{"id": 7, "data": {"text": "..."},
      "annotations": [{"id": 12, "was_cancelled": false, "result": [
          {"id": "a1", "from_name": "label", "to_name": "text", "type": "labels",
           "value": {"start": 0, "end": 5, "text": "موسكو", "labels": ["GPE"]}},
          {"type": "relation", "from_id": "q1", "to_id": "a1", "direction": "right", "labels": ["speaker"]}]}]}]

The JSON-MIN export (one flat object per task, ``{"id", "text", "label": [{"start", "end",
"text", "labels"}], "annotator", "annotation_id", ...}``) is read too; it has no relations.

Label Studio's front end measures offsets on JavaScript strings, i.e. in UTF-16 code units: every
character outside the Basic Multilingual Plane (emoji, 𝕏) counts twice. They are converted to
Python code-point offsets exactly (:class:`Utf16Offsets`). Arabic text is entirely in the BMP, so
only such astral characters shift offsets.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from dataset_builder.input_limits import (
    DEFAULT_LIMITS,
    SURROGATE_ESCAPE,
    InputLimits,
    JsonLimitError,
    check_decoded,
    json_problem,
)
from dataset_builder.model import Document, Link, Metadata, Span, Unreadable
from dataset_builder.problems import Location, Problem, Severity
from dataset_builder.readers.brat import LayerOf, layer_resolver

__all__ = ["Utf16Offsets", "read_labelstudio"]

AnnotationPolicy = Literal["first", "all"]
OffsetUnit = Literal["utf16", "codepoints", "auto"]
_METADATA_FIELDS = ("title", "date", "dateline_place", "dateline_agency", "source_file", "licence")


class Utf16Offsets:
    """Exact conversion between UTF-16 code-unit offsets (JavaScript) and code-point offsets (Python).

    Parameters
    ----------
    text : str
        The text the offsets point into.

    Examples
    --------
    >>> index = Utf16Offsets("😀 سانا")
    >>> index.to_codepoints(3), index.to_utf16(2)
    (2, 3)
    """

    __slots__ = ("_astral", "_astral_units", "_length", "_units")

    def __init__(self, text: str) -> None:
        # Code-point positions of the characters that take two code units (a surrogate pair).
        self._astral = [i for i, char in enumerate(text) if ord(char) > 0xFFFF]
        # Where each of them starts in code units: every earlier astral character added one unit.
        self._astral_units = [index + k for k, index in enumerate(self._astral)]
        self._length = len(text)
        self._units = len(text) + len(self._astral)

    def to_codepoints(self, unit: int) -> int:
        """The code-point offset at UTF-16 offset ``unit``.

        Raises
        ------
        ValueError
            When ``unit`` is outside ``[0, length in code units]`` or falls between the two halves
            of a surrogate pair (it then points into the middle of a character).
        """
        if not 0 <= unit <= self._units:
            raise ValueError(f"UTF-16 offset {unit} is outside the text ({self._units} code units)")
        before = bisect.bisect_left(self._astral_units, unit)  # astral characters starting before `unit`
        if before and self._astral_units[before - 1] == unit - 1:
            raise ValueError(f"UTF-16 offset {unit} falls inside the surrogate pair of one character")
        return unit - before

    def to_utf16(self, index: int) -> int:
        """The UTF-16 offset of code-point offset ``index`` (``0 <= index <= len(text)``)."""
        if not 0 <= index <= self._length:
            raise ValueError(f"offset {index} is outside the text ({self._length} characters)")
        return index + bisect.bisect_left(self._astral, index)

    @property
    def is_identity(self) -> bool:
        """True when the text has no astral character, so both offsets agree everywhere."""
        return not self._astral


def read_labelstudio(
    path: Path,
    *,
    from_name: str | None = None,
    text_field: str = "text",
    annotation: AnnotationPolicy = "first",
    offsets: OffsetUnit = "utf16",
    layer_of: LayerOf = None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> Iterator[Document | Unreadable]:
    """Read a Label Studio JSON (or JSON-MIN) export: one document per task.

    Parameters
    ----------
    path : Path
        An export ``.json`` file, or a folder of them (read by name, not recursively).
    from_name : str, optional
        Read only results of this control (``<Labels name="...">``); others are counted in an INFO
        problem. Default: results of every control.
    text_field : str, default="text"
        The key of the task's ``data`` that holds the text (``$text`` in the labeling config).
    annotation : {"first", "all"}, default="first"
        ``"first"``: one document per task, from its first annotation that was not cancelled (the
        others are listed in an INFO problem). ``"all"``: one document per non-cancelled
        annotation, with id ``<task id>-a<annotation id>``. The choice is recorded in
        ``metadata.extra["annotation_policy"]``.
    offsets : {"utf16", "codepoints", "auto"}, default="utf16"
        What ``value.start``/``value.end`` count. ``"utf16"`` (JavaScript string indices) is what
        Label Studio's front end records; ``"auto"`` picks, per region, the reading under which
        ``value.text`` equals the text slice (they differ only after an astral character), noting
        each code-point pick as INFO.
    layer_of : callable or mapping, optional
        Label -> layer, as for the BRAT reader (default: QUOTE/DIRECT/INDIRECT -> ``"quotes"``,
        everything else -> ``"entities"``).

    Yields
    ------
    Document or Unreadable
        A task without a text string, or a file that is not a Label Studio export, is
        ``Unreadable``; problems name the file, the task's line, the task id and the region id.

    Notes
    -----
    - ``labels`` results become spans (id: the region id). A region with several labels becomes
      one span per label (ids ``<region>``, ``<region>-2``, ...; WARNING). ``value.text`` is checked
      against the converted slice (``labelstudio-text-mismatch``, ERROR).
    - Per-region results of other controls (``choices``, ``textarea``, ``rating``, ... sharing the
      region id) become ``Span.attributes[from_name]``; document-level ones go to
      ``metadata.extra["document_results"][from_name]``.
    - ``relation`` results become links: type = first label (one link per label) or
      ``"relation"``; ``direction: "left"`` is reversed, ``"bi"`` is kept as from -> to with a WARNING.
    - Cancelled annotations are skipped with INFO (``labelstudio-cancelled``); a task with no usable
      annotation is read with an ERROR (``labelstudio-unannotated``), since an unannotated text
      is not gold "no entities". Model ``predictions`` in the export are not read (INFO).
    - Data fields named like metadata fields (``title``, ``date``, ...) fill ``Metadata``; other data
      fields are kept in ``metadata.extra["data"]``.
    """
    if annotation not in ("first", "all"):
        raise ValueError(f"annotation must be 'first' or 'all', not {annotation!r}")
    if offsets not in ("utf16", "codepoints", "auto"):
        raise ValueError(f"offsets must be 'utf16', 'codepoints' or 'auto', not {offsets!r}")
    path = Path(path)
    options = _Options(from_name, text_field, annotation, offsets, layer_of, limits)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    for file in files:
        yield from _read_file(file, options)


class _Options:
    __slots__ = ("annotation", "from_name", "layer", "limits", "offsets", "text_field")

    def __init__(self, from_name: str | None, text_field: str, annotation: AnnotationPolicy,
                 offsets: OffsetUnit, layer_of: LayerOf, limits: InputLimits) -> None:
        self.limits = limits
        self.from_name = from_name
        self.text_field = text_field
        self.annotation = annotation
        self.offsets = offsets
        self.layer = layer_resolver(layer_of)


def _read_file(path: Path, options: _Options) -> Iterator[Document | Unreadable]:
    where = str(path)
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        line = raw.count(b"\n", 0, exc.start) + 1
        yield Unreadable(Location(where, line), (Problem(
            "labelstudio-not-utf8", f"byte {exc.start} (0x{raw[exc.start]:02x}) is not valid UTF-8.",
            "Export again from Label Studio (exports are UTF-8), or convert the file to UTF-8.", path=where,
            line=line,
        ),))
        return
    try:
        tasks = list(_top_level_items(content))
    except json.JSONDecodeError as exc:
        yield Unreadable(Location(where, exc.lineno), (Problem(
            "labelstudio-invalid-json", f"the file is not valid JSON: {exc.msg} (column {exc.colno}).",
            "Use the file exactly as Label Studio exported it (Export -> JSON).", path=where, line=exc.lineno,
        ),))
        return
    except (RecursionError, ValueError) as exc:  # too deep for the decoder; an integer of thousands of digits
        code, why = (("labelstudio-json-too-deep", "arrays and objects are nested too deeply to decode")
                     if isinstance(exc, RecursionError) else ("labelstudio-json-number-too-long", str(exc)))
        yield Unreadable(Location(where), (Problem(
            code, f"the file is refused: {why}.",
            "Use the file exactly as Label Studio exported it (Export -> JSON).", path=where,
        ),))
        return
    if tasks and tasks[0][1] is _NOT_A_LIST:
        shape = tasks[0][2]
        yield Unreadable(Location(where, 1), (Problem(
            "labelstudio-unknown-shape",
            f"the file holds a JSON {shape}, not a Label Studio export (a list of tasks).",
            "Export the project from Label Studio with Export -> JSON (or JSON-MIN); CSV, TSV, CoNLL and "
            "other exports are not read.",
            path=where, line=1,
        ),))
        return
    escaped = SURROGATE_ESCAPE.search(content) is not None
    for index, (line, task, _) in enumerate(tasks):
        reader = _TaskReader(where, line, index, options)
        try:
            check_decoded(task, options.limits, escaped=escaped)
        except JsonLimitError as exc:
            yield reader.unreadable(f"labelstudio-{exc.code}", *json_problem(exc))
            continue
        yield from reader.read(task)


_NOT_A_LIST = object()


def _top_level_items(content: str) -> Iterator[tuple[int, Any, str]]:
    """Each element of the top-level JSON array with the line it starts on.

    ``json.load`` forgets positions; decoding element by element keeps them, so problems can say
    ``file:line`` for each task. A single task object (not in a list) is accepted too.
    """
    decoder = json.JSONDecoder()
    position = _skip_space(content, 0)
    if position < len(content) and content[position] != "[":
        value, end = decoder.raw_decode(content, position)
        if _skip_space(content, end) != len(content):
            raise json.JSONDecodeError("extra data after the top-level value", content, end)
        if isinstance(value, dict):
            yield (1 + content.count("\n", 0, position), value, "object")
        else:
            yield (1, _NOT_A_LIST, type(value).__name__)
        return
    if position >= len(content):
        raise json.JSONDecodeError("the file is empty", content, position)
    position = _skip_space(content, position + 1)
    line, counted = 1, 0
    if position < len(content) and content[position] == "]":
        return
    while True:
        line += content.count("\n", counted, position)
        counted = position
        value, position = decoder.raw_decode(content, position)
        yield (line, value, type(value).__name__)
        position = _skip_space(content, position)
        if position < len(content) and content[position] == ",":
            position = _skip_space(content, position + 1)
            continue
        if position < len(content) and content[position] == "]":
            if _skip_space(content, position + 1) != len(content):
                raise json.JSONDecodeError("extra data after the top-level list", content, position + 1)
            return
        raise json.JSONDecodeError("expected ',' or ']' between tasks", content, position)


def _skip_space(content: str, position: int) -> int:
    while position < len(content) and content[position] in " \t\r\n":
        position += 1
    return position


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


class _TaskReader:
    """Turns one task into documents, collecting problems located at the task's line."""

    def __init__(self, path: str, line: int, index: int, options: _Options) -> None:
        self.path = path
        self.line = line
        self.index = index
        self.options = options
        self.location = Location(path, line)
        self.task_id: Any = None
        self.doc_id = f"{Path(path).stem}-{index + 1}"
        self.problems: list[Problem] = []
        self.filtered_regions: set[str] = set()  # regions left out by the from_name option

    def problem(self, code: str, message: str, fix: str, severity: Severity = Severity.ERROR,
                span_id: str | None = None, offset: int | None = None) -> Problem:
        subject = f"task {self.task_id}" if self.task_id is not None else f"task #{self.index + 1}"
        return Problem(code, f"{subject}: {message}", fix, severity, self.path, self.line, self.doc_id,
                       offset, span_id)

    def report(self, *args: Any, **kwargs: Any) -> None:
        self.problems.append(self.problem(*args, **kwargs))

    def unreadable(self, code: str, message: str, fix: str) -> Unreadable:
        return Unreadable(self.location, (self.problem(code, message, fix),), self.doc_id)

    # -- task level ---------------------------------------------------------------------------------

    def read(self, task: Any) -> Iterator[Document | Unreadable]:
        if not isinstance(task, dict):
            yield self.unreadable("labelstudio-unknown-shape", f"the task is a JSON {type(task).__name__}, "
                                  "not an object.", "Export the project again with Export -> JSON.")
            return
        if "id" in task and isinstance(task["id"], (str, int)) and not isinstance(task["id"], bool):
            self.task_id = task["id"]
            self.doc_id = str(task["id"])
        if any(key in task for key in ("data", "annotations", "completions")):
            yield from self.read_full(task)
        elif isinstance(task.get(self.options.text_field), str):
            yield self.read_min(task)
        else:
            yield self.unreadable(
                "labelstudio-unknown-shape",
                f"the task has neither `data`/`annotations` (full JSON export) nor a "
                f"`{self.options.text_field}` string (JSON-MIN export); its keys are {sorted(task)[:8]}.",
                "Export with Export -> JSON, or pass text_field=<the data key of your text>.",
            )

    def text_of(self, data: Any) -> str | Unreadable:
        field = self.options.text_field
        if not isinstance(data, dict) or not isinstance(data.get(field), str):
            keys = sorted(data) if isinstance(data, dict) else []
            return self.unreadable(
                "labelstudio-no-text", f"`data.{field}` is not a string (data keys: {keys}).",
                "Pass text_field=<the data key your labeling config reads as $value>, e.g. text_field=\"article\".",
            )
        return data[field]

    def metadata(self, data: dict[str, Any], extra: dict[str, Any]) -> Metadata:
        known = {name: data[name] for name in _METADATA_FIELDS if isinstance(data.get(name), str)}
        rest = {key: value for key, value in data.items()
                if key != self.options.text_field and key not in known}
        if rest:
            extra["data"] = _frozen(rest)
        return Metadata(**known, extra=extra)

    def read_full(self, task: dict[str, Any]) -> Iterator[Document | Unreadable]:
        text = self.text_of(task.get("data"))
        if isinstance(text, Unreadable):
            yield text
            return
        annotations = task.get("annotations", task.get("completions")) or []
        if not isinstance(annotations, list):
            yield self.unreadable("labelstudio-unknown-shape", "`annotations` is not a list.",
                                  "Export the project again with Export -> JSON.")
            return
        if task.get("predictions"):
            predictions = task["predictions"]
            count = len(predictions) if isinstance(predictions, list) else "the"
            self.report("labelstudio-predictions-ignored",
                        f"{count} model prediction(s) in the export were not read.",
                        "Predictions are not gold; nothing to do unless you meant to read them as annotations.",
                        Severity.INFO)
        usable = []
        for item in annotations:
            if not isinstance(item, dict):
                self.report("labelstudio-unknown-shape", "an annotation is not an object; it was not read.",
                            "Export the project again with Export -> JSON.")
            elif item.get("was_cancelled"):
                self.report("labelstudio-cancelled",
                            f"annotation {item.get('id')} was cancelled (skipped) and is not read.",
                            "Nothing to do; submit the annotation in Label Studio if it should count.", Severity.INFO)
            else:
                usable.append(item)
        index = Utf16Offsets(text)
        if not usable:
            self.report("labelstudio-unannotated", "the task has no submitted annotation.",
                        "Annotate the task in Label Studio, or leave it out of the export.")
            extra = {"labelstudio_task_id": self.task_id, "annotation_id": None,
                     "annotation_policy": self.options.annotation, "offsets": self.options.offsets}
            yield Document(self.doc_id, text, self.metadata(task["data"], extra), location=self.location,
                           problems=tuple(self.problems))
            return
        chosen = usable if self.options.annotation == "all" else usable[:1]
        if self.options.annotation == "first" and len(usable) > 1:
            others = ", ".join(str(item.get("id")) for item in usable[1:])
            self.report("labelstudio-other-annotations",
                        f"{len(usable) - 1} further annotation(s) ({others}) were not read; the first, "
                        f"{usable[0].get('id')}, was.",
                        'Pass annotation="all" to read every annotation as its own document.', Severity.INFO)
        task_problems = list(self.problems)
        task_doc_id = self.doc_id
        for item in chosen:
            if self.options.annotation == "all":
                self.doc_id = f"{task_doc_id}-a{item.get('id')}"
            self.problems = [dataclasses.replace(problem, doc_id=self.doc_id) for problem in task_problems]
            results = item.get("result") or []
            if not isinstance(results, list):
                self.report("labelstudio-unknown-shape",
                            f"`result` of an annotation is a JSON {type(results).__name__}, not a list; it was "
                            "not read.",
                            "Export the project again with Export -> JSON.")
                results = []
            spans, links, document_results = self.results(results, text, index)
            extra: dict[str, Any] = {
                "labelstudio_task_id": self.task_id, "annotation_id": item.get("id"),
                "annotation_policy": self.options.annotation, "offsets": self.options.offsets,
            }
            if item.get("completed_by") is not None:
                extra["completed_by"] = _frozen(item["completed_by"])
            if document_results:
                extra["document_results"] = document_results
            yield Document(self.doc_id, text, self.metadata(task["data"], extra), spans, links,
                           self.location, tuple(self.problems))

    def read_min(self, task: dict[str, Any]) -> Document:
        text = task[self.options.text_field]
        index = Utf16Offsets(text)
        results: list[dict[str, Any]] = []
        data: dict[str, Any] = {}
        for key, value in task.items():
            if key in ("id", "annotation_id", self.options.text_field):
                continue
            if isinstance(value, list) and value and all(
                isinstance(region, dict) and "start" in region and "end" in region for region in value
            ):
                for number, region in enumerate(value, start=1):
                    labels = region.get("labels", region.get(key))
                    results.append({"id": f"{key}-{number}", "from_name": key, "type": "labels",
                                    "value": {**region, "labels": labels}})
            else:
                data[key] = value
        spans, links, _ = self.results(results, text, index)
        extra: dict[str, Any] = {
            "labelstudio_task_id": self.task_id, "annotation_id": task.get("annotation_id"),
            "annotation_policy": "json-min", "offsets": self.options.offsets,
        }
        return Document(self.doc_id, text, self.metadata(data, extra), spans, links, self.location,
                        tuple(self.problems))

    # -- results -----------------------------------------------------------------------------------

    def results(self, results: Sequence[Any], text: str, index: Utf16Offsets
                ) -> tuple[tuple[Span, ...], tuple[Link, ...], dict[str, Any]]:
        spans: list[Span] = []
        region_spans: dict[str, int] = {}  # region id -> index of its (first) span
        skipped: Counter[str] = Counter()
        self.filtered_regions: set[str] = set()
        relations: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for result in results:
            if not isinstance(result, dict):
                self.report("labelstudio-unknown-shape", "a result is not an object; it was not read.",
                            "Export the project again with Export -> JSON.")
                continue
            kind = result.get("type")
            if kind == "relation":
                relations.append(result)
                continue
            if self.options.from_name is not None and result.get("from_name") != self.options.from_name:
                skipped[str(result.get("from_name"))] += 1
                self.filtered_regions.add(str(result.get("id")))
                continue
            if kind == "labels":
                for span in self.region(result, text, index):
                    region_spans.setdefault(str(result.get("id")), len(spans))
                    spans.append(span)
            else:
                others.append(result)
        if skipped:
            listed = ", ".join(f"{name} ({count})" for name, count in sorted(skipped.items()))
            self.report("labelstudio-other-controls",
                        f"results of other controls were not read (from_name={self.options.from_name!r}): {listed}.",
                        "Pass from_name=None to read every control, or the name of the control you want.",
                        Severity.INFO)
        document_results = self.attach_others(others, spans, region_spans)
        links = self.links(relations, spans, region_spans)
        return tuple(spans), links, document_results

    def region(self, result: dict[str, Any], text: str, index: Utf16Offsets) -> list[Span]:
        region_id = str(result.get("id")) if result.get("id") is not None else None
        value = result.get("value")
        if region_id is None or not isinstance(value, dict):
            self.report("labelstudio-bad-result", f"a labels result has no id or no value: {str(result)[:80]}.",
                        "Export the project again with Export -> JSON; the region was not read.")
            return []
        start, end = value.get("start"), value.get("end")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            self.report("labelstudio-bad-result",
                        f"region {region_id} has non-integer offsets start={start!r}, end={end!r}; not read.",
                        "Text regions need integer start/end (HyperText regions with XPath offsets are not "
                        "supported).", span_id=region_id)
            return []
        labels = value.get("labels")
        if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
            self.report("labelstudio-no-label", f"region {region_id} has no label ({labels!r}); not read.",
                        "Give the region a label in Label Studio, or delete it.", span_id=region_id)
            return []
        stored = value.get("text") if isinstance(value.get("text"), str) else None
        converted = self.convert(region_id, start, end, stored, text, index)
        if converted is None:
            return []
        cp_start, cp_end = converted
        if stored is not None and stored != text[cp_start:cp_end]:
            self.report(
                "labelstudio-text-mismatch",
                f"region {region_id} stores {stored!r} but the text at [{cp_start}, {cp_end}) "
                f"(from {self.options.offsets} offsets {start}-{end}) is {text[cp_start:cp_end]!r}"
                f"{self.hint(start, end, stored, text, index)}.",
                "Check that data.text is the exact text that was annotated; see the `offsets` option.",
                span_id=region_id, offset=cp_start,
            )
        if len(labels) > 1:
            self.report("labelstudio-multiple-labels",
                        f"region {region_id} has {len(labels)} labels {labels}: one span per label.",
                        "Nothing to do if intended; otherwise keep one label per region.", Severity.WARNING,
                        span_id=region_id)
        location = self.location
        return [
            Span(region_id if k == 0 else f"{region_id}-{k + 1}", self.options.layer(label), cp_start, cp_end,
                 label, stored, location=location)
            for k, label in enumerate(labels)
        ]

    def convert(self, region_id: str, start: int, end: int, stored: str | None, text: str,
                index: Utf16Offsets) -> tuple[int, int] | None:
        mode = self.options.offsets
        if mode == "codepoints":
            return start, end
        try:
            units = index.to_codepoints(start), index.to_codepoints(end)
        except ValueError as exc:
            units = None
            error = str(exc)
        if mode == "auto" and stored is not None and not index.is_identity:
            as_units_ok = units is not None and text[units[0]:units[1]] == stored
            if not as_units_ok and text[start:end] == stored:
                self.report("labelstudio-codepoint-offsets",
                            f"region {region_id}: offsets {start}-{end} fit code points, not UTF-16 units; "
                            "read as code points.", "Nothing to do (offsets='auto').", Severity.INFO,
                            span_id=region_id)
                return start, end
        if units is None:
            self.report("labelstudio-bad-offsets", f"region {region_id}: {error}; not read.",
                        "Check that data.text is the exact text that was annotated.", span_id=region_id)
        return units

    def hint(self, start: int, end: int, stored: str, text: str, index: Utf16Offsets) -> str:
        if self.options.offsets != "codepoints" and text[start:end] == stored:
            return "; the offsets fit code points: pass offsets='codepoints' or 'auto'"
        if self.options.offsets == "codepoints" and not index.is_identity:
            try:
                if text[index.to_codepoints(start):index.to_codepoints(end)] == stored:
                    return "; the offsets fit UTF-16 code units: pass offsets='utf16'"
            except ValueError:
                pass
        return ""

    def attach_others(self, others: list[dict[str, Any]], spans: list[Span],
                      region_spans: dict[str, int]) -> dict[str, Any]:
        """Per-region results (same id as a labels region) become attributes; the rest is document-level."""
        document_results: dict[str, Any] = {}
        for result in others:
            kind, name = str(result.get("type")), str(result.get("from_name"))
            value = result.get("value") if isinstance(result.get("value"), dict) else {}
            payload = _frozen(value.get("text" if kind == "textarea" else kind, value))
            region = region_spans.get(str(result.get("id")))
            if region is None:
                document_results[name] = payload
                continue
            region_id = spans[region].id
            for position, span in enumerate(spans):
                if span.id == region_id or span.id.startswith(f"{region_id}-"):
                    attributes = {**span.attributes, name: payload}
                    spans[position] = Span(span.id, span.layer, span.start, span.end, span.label, span.text,
                                           attributes, span.location)
        return document_results

    def links(self, relations: list[dict[str, Any]], spans: list[Span],
              region_spans: dict[str, int]) -> tuple[Link, ...]:
        links: list[Link] = []
        for relation in relations:
            ends = [str(relation.get(key)) for key in ("from_id", "to_id")]
            missing = [end for end in ends if end not in region_spans]
            if missing and all(end in self.filtered_regions for end in missing):
                self.report("labelstudio-other-controls",
                            f"relation {ends[0]} -> {ends[1]} joins a region of another control "
                            f"(from_name={self.options.from_name!r} was asked); it was not read.",
                            "Pass from_name=None to read every control.", Severity.INFO, span_id=missing[0])
                continue
            if missing:
                self.report("labelstudio-unknown-reference",
                            f"a relation {ends[0]} -> {ends[1]} refers to {', '.join(missing)}, which is not a read "
                            "labels region; the relation was not read.",
                            "Check the region was read (see other problems) or delete the relation.",
                            span_id=missing[0])
                continue
            source, target = (spans[region_spans[end]].id for end in ends)
            direction = relation.get("direction", "right")
            if direction == "left":
                source, target = target, source
            elif direction == "bi":
                self.report("labelstudio-bidirectional-relation",
                            f"relation {ends[0]} <-> {ends[1]} is bidirectional; read as {source} -> {target}.",
                            "Give the relation a direction in Label Studio if it matters.", Severity.WARNING,
                            span_id=source)
            labels = relation.get("labels") or ["relation"]
            if isinstance(labels, str):  # one label written without its list: one link, not one per letter
                labels = [labels]
            if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
                self.report("labelstudio-unknown-shape",
                            f"relation {ends[0]} -> {ends[1]} has `labels` {json.dumps(labels)[:60]}, not a list "
                            "of strings; it was not read.",
                            "Export the project again with Export -> JSON.", span_id=source)
                continue
            for label in labels:
                links.append(Link(f"R{len(links) + 1}", str(label), source, target, self.location))
        return tuple(links)
