"""Evaluate a model object directly: the :class:`Model` protocol and :func:`run_model`.

Any object with a ``name`` and a ``predict(documents)`` method that returns, for each document,
spans with character offsets into that document's text is a :class:`Model`; no base class is
needed. :func:`run_model` runs it in batches, checks every span it returns (offsets inside the
text, a label, the surface text when the model gives one), times the run, and reports what it had
to reject instead of passing it on to the scorer.

The dictionary tagger that is the floor any real model must beat, learned from training mentions
or given as a fixed list of names, is :class:`~eval.baselines.gazetteer.GazetteerBaseline`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, overload, runtime_checkable

from dataset_builder.model import Document, Span
from dataset_builder.problems import Problem, Severity
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


__all__ = ["Model", "ModelRun", "run_model"]
