"""One call from a predictions file (and a gold dataset) to an evaluation result: what ``akhbar eval`` does.

:func:`run_evaluation` takes an :class:`EvalRequest` (the command's options, typed), loads the gold
set and the predictions, and evaluates them: predictions against the gold documents with
:func:`eval.evaluate.evaluate`, or a CoNLL file's predicted tags against its own gold column with
:func:`eval.evaluate.evaluate_tags`. Label maps and ignored labels are applied by the evaluation
itself. Any input it cannot use is an :class:`~dataset_builder.problems.InputError` naming the file
and the fix; problems that leave some predictions unscored are in ``EvalResult.problems``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dataset_builder.problems import InputError, Problem
from eval.options import BootstrapOptions, ScoringOptions

if TYPE_CHECKING:
    from eval.evaluate import EvalResult
    from eval.predictions import PredictionFormat


@dataclass(frozen=True)
class EvalRequest:
    """What to evaluate and how: the options of ``akhbar eval``.

    Attributes
    ----------
    pred : Path
        Predictions: standoff JSONL, offset-free mentions (JSONL/JSON), a BRAT folder, or a CoNLL
        file of ``TOKEN GOLD PRED`` lines.
    gold : str, optional
        A built version directory, a Hub-layout export folder or a Hub repo id; ``None`` for a CoNLL
        file, which carries its own gold column.
    split, config, revision : str
        Which gold split and config to load (``revision``: a Hub tag, branch or commit).
    pred_format : {"jsonl", "mentions", "conll", "brat"}, optional
        Detected when omitted (:func:`eval.predictions.load_predictions`).
    scheme, decoder : str
        Tag scheme and chunk decoder of CoNLL input.
    delimiter, raw, o_tag
        conlleval.pl's column options (``-d``, ``-r``, ``-o``) for a CoNLL file scored without gold.
    options : ScoringOptions
        What is scored and how (:class:`eval.options.ScoringOptions`), passed to the evaluation as is.
    intervals : BootstrapOptions
        Bootstrap confidence intervals (:class:`eval.options.BootstrapOptions`).

    Examples
    --------
    >>> from pathlib import Path
    >>> from eval.options import NO_INTERVALS, ScoringOptions
    >>> from eval.run import EvalRequest
    >>> request = EvalRequest(pred=Path("output.conll"), options=ScoringOptions(modes=("strict",)),
    ...                       intervals=NO_INTERVALS)
    >>> request.options.modes, request.intervals.resamples
    (('strict',), 0)
    """

    pred: Path
    gold: str | None = None
    split: str = "test"
    config: str = "documents"
    revision: str | None = None
    pred_format: PredictionFormat | None = None
    scheme: str = "IOB2"
    decoder: Literal["lenient", "strict"] = "lenient"
    delimiter: str | None = None
    raw: bool = False
    o_tag: str = "O"
    options: ScoringOptions = field(default_factory=ScoringOptions)
    intervals: BootstrapOptions = field(default_factory=BootstrapOptions)
    #: A line on stderr for each step (load gold, load predictions, score) that takes :data:`STEP_SECONDS`
    #: or more (:func:`dataset_builder.progress.progress_step`): a large evaluation shows where it is, a
    #: small one stays quiet.
    progress: bool = True


#: The shortest step of an evaluation that gets a progress line.
STEP_SECONDS = 1.0


def _step(request: EvalRequest, desc: str) -> AbstractContextManager[None]:
    from dataset_builder.progress import progress_step

    return progress_step(f"eval: {desc}", enabled=request.progress, min_seconds=STEP_SECONDS)


def _usage(message: str, fix: str = "") -> InputError:
    return InputError(Problem("usage", message, fix))


@contextmanager
def input_errors() -> Iterator[None]:
    """Raise what the layers below report as ``OSError``/``ValueError``/``KeyError``/``ImportError`` (a
    missing file, an unknown split, a label outside the map, an extra not installed) as one
    :class:`InputError`, so an API call fails one way and a command prints it one way."""
    try:
        yield
    except InputError:
        raise
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise _usage(str(exc)) from None


def looks_like_conll(path: Path) -> bool:
    """Whether a predictions path is read as CoNLL when its format is not given: a file that is not JSON."""
    return path.is_file() and path.suffix.lower() not in {".json", ".jsonl"}


def run_evaluation(request: EvalRequest) -> EvalResult:
    """Load gold and predictions as ``request`` says and evaluate them (see the module notes).

    Returns
    -------
    EvalResult

    Raises
    ------
    InputError
        When nothing can be scored: an unreadable file, an unknown gold split, a label missing from
        the label map, a CoNLL file given with gold documents (or other predictions without gold).
    """
    with input_errors():
        if request.gold is None:
            return _evaluate_conll(request)
        return _evaluate_against_gold(request, request.gold)


def _evaluate_conll(request: EvalRequest) -> EvalResult:
    from eval.evaluate import evaluate_tags
    from eval.predictions import source_hash

    path = request.pred
    if not looks_like_conll(path) or request.pred_format not in (None, "conll"):
        raise _usage(f"{path}: no --gold given, and only a CoNLL file (TOKEN GOLD PRED) carries its own gold.",
                     "Pass --gold with the dataset the predictions were made for.")
    from eval.conlleval import ConllevalInputError, conlleval_tag_sequences

    try:
        with _step(request, f"read {path.name}"):
            y_true, y_pred = conlleval_tag_sequences(path, scheme=request.scheme, decoder=request.decoder,  # type: ignore[arg-type]
                                                     delimiter=request.delimiter, raw=request.raw, o_tag=request.o_tag)
    except ConllevalInputError as exc:
        raise _usage(str(exc)) from None  # already located as path:line, with its fix
    with _step(request, "score"):
        return evaluate_tags(y_true, y_pred, scheme=request.scheme, decoder=request.decoder,
                             options=request.options, intervals=request.intervals,
                             source={"source": str(path), "hash": source_hash(path)})


def _evaluate_against_gold(request: EvalRequest, gold: str) -> EvalResult:
    from eval.evaluate import evaluate
    from eval.gold import load_gold
    from eval.predictions import TagPredictions, load_predictions

    with _step(request, f"load gold {gold}"):
        gold_set = load_gold(gold, split=request.split, config=request.config, revision=request.revision)
    with _step(request, f"load predictions {request.pred.name}"):
        predictions = load_predictions(request.pred, fmt=request.pred_format, documents=gold_set.by_id(),
                                       scheme=request.scheme, decoder=request.decoder)
    if isinstance(predictions, TagPredictions):
        raise _usage(f"{request.pred}: CoNLL predictions are in token positions and carry their own gold column; "
                     "they cannot be scored against character-offset gold documents.",
                     "Omit --gold to score the CoNLL file on its own.")
    with _step(request, "score"):
        return evaluate(gold_set, predictions, options=request.options, intervals=request.intervals)


__all__ = ["EvalRequest", "input_errors", "looks_like_conll", "run_evaluation"]
