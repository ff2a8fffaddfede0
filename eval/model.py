"""Evaluate a model object directly: the :class:`Model` protocol, :func:`run_model`, and a gazetteer baseline.

Any object with a ``name`` and a ``predict(documents)`` method that returns, for each document,
spans with character offsets into that document's text is a :class:`Model`; no base class is
needed. :func:`run_model` runs it in batches, checks every span it returns (offsets inside the
text, a label, the surface text when the model gives one), times the run, and reports what it had
to reject instead of passing it on to the scorer.

:class:`GazetteerModel` is a deliberately small reference model: it tags the longest run of tokens
whose normalized form is in a dictionary built from training mentions. It is useful in tests and as
the floor any real model must beat.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Protocol, overload, runtime_checkable

import regex

from dataset_builder.model import Document, Span
from dataset_builder.problems import Problem, Severity
from dataset_builder.text.clitics import proclitic_prefixes
from dataset_builder.text.normalize import normalize, normalize_text
from eval.types import Mention


@runtime_checkable
class Model(Protocol):
    """What :func:`run_model` and :func:`eval.evaluate.evaluate` need from a model.

    ``predict`` receives a batch of documents and returns one sequence of spans per document, in
    the same order. Each span has character offsets into that document's ``text`` (Python string
    indices, end exclusive), a ``label`` and a ``layer``; :class:`~dataset_builder.model.Span` is the
    natural type, and any object with those attributes is accepted.
    """

    name: str

    def predict(self, documents: Sequence[Document]) -> Sequence[Sequence[Span]]: ...


@dataclass(frozen=True)
class ModelRun(Sequence[Mention]):
    """The mentions a model predicted (use it as a sequence of Mention), with what was rejected and timing.

    Attributes
    ----------
    mentions : list of Mention
        Valid predicted mentions, sorted.
    problems : list of Problem
        One per rejected or suspicious span (doc id, offset, what is wrong).
    seconds : float
        Wall time spent in ``predict``.
    n_documents : int
    model_name : str
    """

    mentions: list[Mention]
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    n_documents: int = 0
    model_name: str = ""

    @property
    def documents_per_second(self) -> float:
        return self.n_documents / self.seconds if self.seconds > 0 else float("inf")

    def __len__(self) -> int:
        return len(self.mentions)

    @overload
    def __getitem__(self, index: int) -> Mention: ...
    @overload
    def __getitem__(self, index: slice) -> list[Mention]: ...
    def __getitem__(self, index: int | slice) -> Mention | list[Mention]:
        return self.mentions[index]

    def __iter__(self) -> Iterator[Mention]:
        return iter(self.mentions)


def run_model(
    model: Model,
    documents: Sequence[Document],
    *,
    batch_size: int = 32,
    progress: bool = True,
) -> ModelRun:
    """Run ``model`` on ``documents`` in batches and collect its valid predictions as mentions.

    Parameters
    ----------
    model : Model
    documents : sequence of Document
    batch_size : int, default=32
        Documents passed to one ``predict`` call.
    progress : bool, default=True
        Show a progress bar (tqdm) over documents.

    Returns
    -------
    ModelRun
        A sequence of :class:`~eval.types.Mention` (``list(run)`` gives the mentions) that also
        carries the problems found and the time spent in ``predict``.

    Raises
    ------
    ValueError
        When ``predict`` returns a number of results different from the number of documents it was
        given: results could not be paired with documents at all.

    Notes
    -----
    A span is rejected (ERROR problem, not scored) when it lacks integer ``start``/``end`` or a string
    ``label``, or when ``0 <= start < end <= len(text)`` does not hold. A span whose ``text`` differs
    from the slice it claims is kept and reported as a WARNING.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    name = str(getattr(model, "name", type(model).__name__))
    mentions: list[Mention] = []
    problems: list[Problem] = []
    seconds = 0.0
    bar = _progress(len(documents), name) if progress else None
    try:
        for begin in range(0, len(documents), batch_size):
            batch = list(documents[begin:begin + batch_size])
            started = time.perf_counter()
            outputs = list(model.predict(batch))
            seconds += time.perf_counter() - started
            if len(outputs) != len(batch):
                raise ValueError(
                    f"model {name!r} returned {len(outputs)} results for a batch of {len(batch)} documents "
                    f"(first id {batch[0].id!r}); predict() must return one sequence of spans per document, in order."
                )
            for doc, spans in zip(batch, outputs, strict=True):
                for index, span in enumerate(spans):
                    mention = _checked(span, index, doc, name, problems)
                    if mention is not None:
                        mentions.append(mention)
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    mentions.sort()
    return ModelRun(mentions, problems, seconds, len(documents), name)


def _progress(total: int, name: str) -> Any:
    from dataset_builder.progress import progress_bar

    return progress_bar(total=total, desc=f"predict ({name})", unit="doc")


def _checked(span: Any, index: int, doc: Document, model_name: str, problems: list[Problem]) -> Mention | None:
    start, end = getattr(span, "start", None), getattr(span, "end", None)
    label, layer = getattr(span, "label", None), getattr(span, "layer", "entities")
    is_int = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end))
    if not is_int or not isinstance(label, str) or not isinstance(layer, str):
        problems.append(Problem(
            "model-invalid-span", f"model {model_name!r} returned span #{index} without integer start/end and string "
            f"label/layer (start={start!r}, end={end!r}, label={label!r}, layer={layer!r}); it is not scored.",
            "Return dataset_builder.model.Span objects (or objects with start, end, label, layer).",
            doc_id=doc.id,
        ))
        return None
    if not 0 <= start < end <= len(doc.text):
        problems.append(Problem(
            "model-offsets", f"model {model_name!r} returned span #{index} [{start}, {end}) ({label}), outside the "
            f"text (length {len(doc.text)}) or empty; it is not scored.",
            "Offsets are code-point indices into Document.text, end exclusive.", doc_id=doc.id, offset=start,
        ))
        return None
    surface = doc.text[start:end]
    claimed = getattr(span, "text", None)
    if isinstance(claimed, str) and claimed != surface:
        problems.append(Problem(
            "model-text-mismatch", f"span #{index} [{start}, {end}) claims text {claimed!r} but the document has "
            f"{surface!r}; scored by its offsets.", "Check the model's offset arithmetic (code points, not bytes).",
            Severity.WARNING, doc_id=doc.id, offset=start,
        ))
    span_id = getattr(span, "id", None)
    return Mention(doc.id, start, end, label, layer, surface, span_id if isinstance(span_id, str) else None)


# Tokens for the gazetteer: runs of letters, marks and digits in the normalized text.
_TOKEN = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_SPACES = regex.compile(r"[^\S\n]+")
_NEWLINES = regex.compile(r"\s*\n\s*")


def _gap(between: str) -> str:
    """What separates two tokens, with runs of spaces as one space and any line break as one newline."""
    return _SPACES.sub(" ", _NEWLINES.sub("\n", between))


def _key(surface: str) -> tuple[str, ...]:
    """Tokens and the gaps between them, interleaved: ``("2021", "-", "09", "-", "14")``."""
    matches = list(_TOKEN.finditer(surface))
    key: list[str] = []
    for previous, match in zip([None, *matches], matches, strict=False):
        if previous is not None:
            key.append(_gap(surface[previous.end():match.start()]))
        key.append(match.group())
    return tuple(key)



class GazetteerModel:
    """Longest-match dictionary tagger over normalized tokens; a baseline and a test fixture.

    Parameters
    ----------
    entries : mapping of surface -> label, or iterable of (surface, label)
        Surfaces are normalized with :func:`~dataset_builder.text.normalize.normalize_text` and split into
        tokens; when a surface is listed with several labels, the first one wins.
    layer : str, default="entities"
    name : str, default="gazetteer"

    Notes
    -----
    Matching: at each token, the longest dictionary entry starting there wins and matching resumes
    after it (so predictions are flat: no nested spans). What lies between the tokens must match too
    (runs of spaces compare equal, a line break only to a line break), so an entry never runs across
    a full stop it does not contain, while ``2021-09-14`` still matches itself.

    The first token may carry a conjunction or preposition proclitic (و ف ب ل ك and pairs such as
    وب, فل), which stays outside the span, as in the gold guideline: ``وبوتين`` gives ``بوتين``.
    """

    def __init__(self, entries: Mapping[str, str] | Iterable[tuple[str, str]], *, layer: str = "entities",
                 name: str = "gazetteer") -> None:
        self.name = name
        self.layer = layer
        self._entries: dict[tuple[str, ...], str] = {}
        items = entries.items() if isinstance(entries, Mapping) else entries
        for surface, label in items:
            key = _key(normalize_text(surface).strip())
            if key:
                self._entries.setdefault(key, label)
        self._longest = max(((len(key) + 1) // 2 for key in self._entries), default=0)

    @classmethod
    def from_documents(cls, documents: Iterable[Document], *, layer: str = "entities", min_count: int = 1,
                       name: str = "gazetteer") -> GazetteerModel:
        """Build the dictionary from gold mentions: each surface gets its most frequent label.

        ``min_count`` drops surfaces seen fewer times (noise control on larger corpora). Ties between
        labels go to the label that sorts first, so the result does not depend on document order.
        """
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for doc in documents:
            for span in doc.spans:
                if span.layer == layer:
                    counts[normalize_text(doc.text[span.start:span.end])][span.label] += 1
        entries = []
        for surface in sorted(counts):
            label_counts = counts[surface]
            if sum(label_counts.values()) >= min_count:
                entries.append((surface, min(label_counts, key=lambda lab: (-label_counts[lab], lab))))
        return cls(entries, layer=layer, name=name)

    def __len__(self) -> int:
        return len(self._entries)

    def predict(self, documents: Sequence[Document]) -> list[list[Span]]:
        return [self._predict_one(doc) for doc in documents]

    def _predict_one(self, doc: Document) -> list[Span]:
        view = normalize(doc.text)
        tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(view.text)]
        gaps = [_gap(view.text[a[1]:b[0]]) for a, b in pairwise(tokens)]
        spans: list[Span] = []
        i = 0
        while i < len(tokens):
            found = self._longest_at(tokens, gaps, i)
            if found is None:
                i += 1
                continue
            length, label, skip = found
            start, end = view.source_span(tokens[i][0] + skip, tokens[i + length - 1][1])
            spans.append(Span(f"G{len(spans) + 1}", self.layer, start, end, label, doc.text[start:end]))
            i += length
        return spans

    def _longest_at(
        self, tokens: list[tuple[int, int, str]], gaps: list[str], i: int
    ) -> tuple[int, str, int] | None:
        first = tokens[i][2]
        # The bare token first, then with a conjunction/preposition chain removed, longest first (not the
        # article: names keep it): a dictionary word wins over a split.
        heads = [(first, 0)]
        heads += [(stem, len(prefix)) for prefix, stem in reversed(proclitic_prefixes(first, min_stem=2))]
        for length in range(min(self._longest, len(tokens) - i), 0, -1):
            rest: list[str] = []
            for k in range(i + 1, i + length):
                rest += (gaps[k - 1], tokens[k][2])
            for head, skip in heads:
                label = self._entries.get((head, *rest))
                if label is not None:
                    return length, label, skip
        return None


__all__ = ["GazetteerModel", "Model", "ModelRun", "run_model"]
