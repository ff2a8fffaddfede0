"""Pre-annotations: a model's spans for the documents sent to annotators (``akhbar annotate export --pre-annotate``).

What pre-annotates is one typed spec, :class:`PreAnnotator`, resolved from the command line's
``--pre-annotate MODEL`` by :meth:`PreAnnotator.resolve`:

- an existing path is a predictions file, in any format ``akhbar eval`` reads: standoff JSONL (what
  ``akhbar benchmark --out`` writes per model), offset-free mentions (what the LLM runner,
  ``akhbar predict --out FILE``, writes), a BRAT folder;
- a built-in baseline name (``gazetteer``, ``linear``: :data:`eval.benchmark.BUILTIN_MODELS`) is that
  baseline trained on a built version (``train``, its ``train_split``) by the benchmark's own
  training code (:func:`eval.benchmark.build_model`), then run on the documents;
- anything else is refused with the choices.

:func:`pre_annotations` returns the spans by document id with the name they are marked with
(``model_version``): the file name, or ``<baseline>@<dataset>/<version>`` for a baseline.

Nothing of ``eval`` is imported until pre-annotations are asked for: the annotate commands stay fast
to load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dataset_builder.model import Document, Span
from dataset_builder.problems import InputError, Problem, require_path

if TYPE_CHECKING:
    from eval.types import Mention

__all__ = ["PreAnnotations", "PreAnnotator", "PreAnnotatorKind", "pre_annotations", "pre_annotations_from_file"]

PreAnnotatorKind = Literal["file", "baseline"]
DEFAULT_TRAIN_SPLIT = "train"


@dataclass(frozen=True, slots=True)
class PreAnnotator:
    """Where pre-annotations come from.

    Attributes
    ----------
    kind : {"file", "baseline"}
    source : str
        The predictions file (``kind="file"``) or the baseline's name (``kind="baseline"``).
    train : Path, optional
        The built version a baseline is trained on (required for a baseline, refused for a file).
    train_split : str, default="train"
        The split of ``train`` the baseline learns from.
    layer : str, optional
        The layer a baseline learns and predicts; default: the first layer of the training data.
    model_version : str, optional
        The name the pre-annotations are marked with; default: the file name, or
        ``<baseline>@<dataset>/<version>`` (``:<split>`` added when not trained on ``train``).
    """

    kind: PreAnnotatorKind
    source: str
    train: Path | None = None
    train_split: str = DEFAULT_TRAIN_SPLIT
    layer: str | None = None
    model_version: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "baseline":
            if self.train is None:
                raise InputError(Problem(
                    "pre-annotate-needs-train", f"the baseline {self.source!r} is trained here and needs training "
                    "data.", "Pass --train out/NAME/VERSION (a built version; its train split, or another with "
                    "--train-split), or pre-annotate from a predictions file."))
            require_path(self.train, "folder", what="training version (--train)",
                         fix="Pass a built version directory, out/NAME/VERSION as akhbar build writes it.")
        if self.kind == "file" and self.train is not None:
            raise InputError(Problem(
                "pre-annotate-train-unused", f"--train is for a built-in baseline, but {self.source!r} is a "
                "predictions file.", "Drop --train, or name a baseline: --pre-annotate gazetteer --train VERSION_DIR."))

    @classmethod
    def resolve(cls, model: str | Path, *, train: str | Path | None = None, train_split: str = DEFAULT_TRAIN_SPLIT,
                layer: str | None = None, model_version: str | None = None) -> PreAnnotator:
        """The spec ``--pre-annotate MODEL`` names: an existing path is a file, a built-in name a baseline.

        Raises
        ------
        InputError
            ``MODEL`` is neither (the message lists the choices), a baseline comes without ``train``,
            or a file with it.
        """
        from eval.benchmark import BUILTIN_MODELS

        train_dir = None if train is None else Path(train)
        if Path(model).exists():
            return cls("file", str(model), train_dir, train_split, layer, model_version)
        if str(model) in BUILTIN_MODELS:
            return cls("baseline", str(model), train_dir, train_split, layer, model_version)
        raise InputError(Problem(
            "pre-annotate-unknown", f"--pre-annotate {str(model)!r} is neither an existing predictions file nor a "
            f"built-in baseline ({', '.join(BUILTIN_MODELS)}).",
            f"Pass the path of a predictions file akhbar eval reads, or one of {', '.join(BUILTIN_MODELS)} with "
            "--train VERSION_DIR."))


@dataclass(frozen=True, slots=True)
class PreAnnotations:
    """A model's spans by document id, and the name they are marked with in the export."""

    model_version: str
    spans: Mapping[str, tuple[Span, ...]]

    @property
    def n_spans(self) -> int:
        return sum(len(spans) for spans in self.spans.values())


def pre_annotations(documents: Sequence[Document], annotator: PreAnnotator) -> PreAnnotations:
    """The pre-annotations ``annotator`` gives for ``documents`` (see the module docstring).

    Raises
    ------
    InputError
        A predictions file with error-level problems, training data that cannot be read (missing
        version, unknown split), or a model run with invalid spans: pre-annotations are never sent
        half-made.
    """
    if annotator.kind == "file":
        spans = pre_annotations_from_file(annotator.source, documents)
        return PreAnnotations(annotator.model_version or Path(annotator.source).name, spans)
    return _baseline_pre_annotations(documents, annotator)


def pre_annotations_from_file(path: str | Path, documents: Sequence[Document]) -> dict[str, tuple[Span, ...]]:
    """Model spans by document id, from a predictions file in any format :func:`eval.predictions.load_predictions`
    reads (standoff JSONL as ``akhbar benchmark`` writes it, an LLM runner's offset-free mentions, BRAT).

    Raises
    ------
    InputError
        When the file holds error-level problems (unknown documents, spans outside their text,
        mentions that could not be placed): pre-annotations are not sent half-read.
    """
    from eval.predictions import OffsetFreePredictions, TagPredictions, load_predictions

    predictions = load_predictions(path, documents={doc.id: doc for doc in documents})
    if isinstance(predictions, TagPredictions):
        raise InputError(Problem(
            "pre-annotations-invalid", "CoNLL predictions are token tags without character offsets.",
            "Pre-annotate from standoff JSONL, offset-free mentions or BRAT.", path=str(path)))
    unaligned = predictions.unaligned if isinstance(predictions, OffsetFreePredictions) else []
    problems = [*predictions.errors, *(u.to_problem() for u in unaligned)]
    if problems:
        first = problems[0]
        raise InputError(Problem(
            "pre-annotations-invalid", f"{len(problems)} error(s) in the predictions, first: {first.message}",
            "Fix the predictions file (akhbar eval lists every problem) or pre-annotate from another file.",
            path=first.path or str(path), line=first.line, doc_id=first.doc_id))
    return _spans_by_document(predictions.mentions)


def _baseline_pre_annotations(documents: Sequence[Document], annotator: PreAnnotator) -> PreAnnotations:
    """Train the baseline as ``akhbar benchmark`` does and run it on ``documents``."""
    from eval.benchmark import build_model
    from eval.gold import load_gold
    from eval.model import run_model
    from eval.run import input_errors

    assert annotator.train is not None  # PreAnnotator refuses a baseline without it
    with input_errors():  # a missing version, a training failure: one InputError with what to pass
        try:
            train = load_gold(annotator.train, split=annotator.train_split)
        except InputError as exc:
            if exc.problem.code != "gold-split":
                raise
            raise InputError(replace(exc.problem, fix="Pass --train-split with one of the splits listed.")) from None
        layer = annotator.layer or (train.layers[0] if train.layers else "entities")
        model = build_model(annotator.source, train, train_source=annotator.train, train_split=annotator.train_split,
                            layer=layer)
        run = run_model(model, documents, progress=False)
    if errors := [problem for problem in run.problems if problem.is_error]:
        raise InputError(Problem(
            "pre-annotations-invalid", f"the {annotator.source} baseline gave {len(errors)} invalid span(s), first: "
            f"{errors[0].message}", "Report this as a bug of the baseline; pre-annotate from a predictions file "
            "meanwhile.", doc_id=errors[0].doc_id))
    dataset = train.dataset
    trained_on = f"{dataset.name or annotator.train.name}/{dataset.version or '?'}"
    if annotator.train_split != DEFAULT_TRAIN_SPLIT:
        trained_on += f":{annotator.train_split}"
    return PreAnnotations(annotator.model_version or f"{annotator.source}@{trained_on}", _spans_by_document(run))


def _spans_by_document(mentions: Iterable[Mention]) -> dict[str, tuple[Span, ...]]:
    spans: dict[str, list[Span]] = {}
    for index, mention in enumerate(mentions, start=1):
        spans.setdefault(mention.doc_id, []).append(
            Span(mention.id or f"P{index}", mention.layer, mention.start, mention.end, mention.label, mention.text))
    return {doc_id: tuple(items) for doc_id, items in spans.items()}
