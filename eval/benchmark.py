"""``akhbar benchmark``: train baselines on one split, score them on another, write a leaderboard.

:func:`run_benchmark` loads the evaluation split of a built dataset (and the training split of the
same or another dataset), builds each requested model, runs it with :func:`eval.model.run_model`,
scores it with :func:`eval.evaluate.evaluate` (strict matching and bootstrap confidence intervals
over documents) and returns a :class:`Leaderboard`. Every row names the dataset it was scored on
-- name, version, build fingerprint, split -- and where the model was trained, so a row cannot be
read without knowing what it measures.

Model specifications:

``gazetteer``
    :class:`~eval.baselines.gazetteer.GazetteerBaseline`, learned from the training documents.
``linear``
    :class:`~eval.baselines.linear.LinearTokenClassifier`, trained on the ``tokens`` config of the
    training split (its clitic convention learned from the training documents).
``transformers:PATH``
    :class:`~eval.baselines.transformers_adapter.TransformersTokenClassifier` for a local,
    already fine-tuned model (no training here).

Cross-corpus evaluation: ``train_dataset`` names another built dataset to train on, and
``exclude_overlap`` drops the training documents that contain a sentence that is also (exactly or
nearly, after the canonical normalization of :mod:`dataset_builder.audit`) in the evaluation
split -- how a model trained on NewsFANE Gold is scored fairly on ANERcorp, whose text NewsFANE
re-annotates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_builder.problems import InputError, Problem
from eval.options import BootstrapOptions, ScoringOptions

if TYPE_CHECKING:
    from dataset_builder.model import Document
    from eval.evaluate import EvalResult
    from eval.gold import GoldSet
    from eval.model import ModelRun
    from eval.runners import RunSettings

LEADERBOARD_KIND = "akhbar-leaderboard"
BUILTIN_MODELS = ("gazetteer", "linear")


@dataclass(frozen=True)
class LeaderboardRow:
    """One model scored on one dataset split (strict matching, micro average).

    ``precision_ci``, ``recall_ci`` and ``f1_ci`` are ``(low, high)`` bootstrap intervals over
    documents, or ``None`` when intervals were not computed (0 resamples, or one document).
    """

    model: str
    dataset: str | None
    version: str | None
    fingerprint: str
    split: str
    train: str
    precision: float
    recall: float
    f1: float
    precision_ci: tuple[float, float] | None
    recall_ci: tuple[float, float] | None
    f1_ci: tuple[float, float] | None
    n_gold: int
    n_pred: int
    fit_seconds: float
    predict_seconds: float
    model_settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "dataset": self.dataset, "version": self.version, "fingerprint": self.fingerprint,
            "split": self.split, "train": self.train, "precision": self.precision, "recall": self.recall,
            "f1": self.f1, "precision_ci": _pair(self.precision_ci), "recall_ci": _pair(self.recall_ci),
            "f1_ci": _pair(self.f1_ci), "n_gold": self.n_gold, "n_pred": self.n_pred,
            "fit_seconds": round(self.fit_seconds, 2), "predict_seconds": round(self.predict_seconds, 2),
            "model_settings": self.model_settings,
        }


def _pair(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [interval[0], interval[1]]


@dataclass(frozen=True)
class Leaderboard:
    """Rows sorted by F1 (best first), with how they were measured.

    Attributes
    ----------
    rows : list of LeaderboardRow
    settings : dict
        Matching mode, bootstrap resamples, confidence, seed, layer, training exclusions.
    results : dict of model name to EvalResult
        The full evaluation of each model (per label, errors, confusion), for reports.
    """

    rows: list[LeaderboardRow]
    settings: dict[str, Any]
    results: dict[str, EvalResult] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": LEADERBOARD_KIND, "settings": self.settings, "rows": [row.to_dict() for row in self.rows]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    def to_markdown(self) -> str:
        """A Markdown table: one row per model, P/R/F1 in percent with their intervals."""
        s = self.settings
        intervals = (f"{100 * s['confidence']:g}% bootstrap intervals over documents ({s['bootstrap']} resamples, "
                     f"seed {s['seed']})" if s["bootstrap"] else "no bootstrap intervals")
        lines = [
            f"Strict matching, micro average; {intervals}; layer `{s['layer']}`.",
            "",
            "| model | dataset | version | fingerprint | split | trained on | P | R | F1 | gold | pred | fit s | "
            "predict s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in self.rows:
            lines.append(
                f"| {row.model} | {row.dataset or '?'} | {row.version or '?'} | `{_short(row.fingerprint)}` | "
                f"{row.split} | {row.train} | {_cell(row.precision, row.precision_ci)} | "
                f"{_cell(row.recall, row.recall_ci)} | {_cell(row.f1, row.f1_ci)} | {row.n_gold} | {row.n_pred} | "
                f"{row.fit_seconds:.1f} | {row.predict_seconds:.1f} |"
            )
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | Path, documents: Sequence[Document] | None = None,
              runs: dict[str, ModelRun] | None = None) -> list[Path]:
        """Write ``leaderboard.md``, ``leaderboard.json`` and, per model, ``<model>.result.json`` and
        ``<model>.predictions.jsonl`` (when ``documents`` and ``runs`` are given).

        Returns
        -------
        list of Path
            The files written.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "leaderboard.md", out / "leaderboard.json"]
        written[0].write_text(self.to_markdown(), encoding="utf-8")
        written[1].write_text(self.to_json(), encoding="utf-8")
        for name, result in self.results.items():
            stem = _file_stem(name)
            path = out / f"{stem}.result.json"
            path.write_text(result.to_json(include_pairs=False, include_texts=False), encoding="utf-8")
            written.append(path)
            if documents is not None and runs is not None and name in runs:
                written.append(write_predictions(out / f"{stem}.predictions.jsonl", documents, runs[name]))
        return written


def _short(fingerprint: str) -> str:
    return fingerprint.split(":")[-1][:12]


def _cell(value: float, interval: tuple[float, float] | None) -> str:
    if interval is None:
        return f"{100 * value:.1f}"
    return f"{100 * value:.1f} [{100 * interval[0]:.1f}, {100 * interval[1]:.1f}]"


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def write_predictions(path: str | Path, documents: Sequence[Document], mentions: Sequence[Any]) -> Path:
    """Write predicted mentions as akhbar's standoff JSONL (read back by :func:`eval.predictions.load_predictions`).

    One line per document, in ``documents`` order, documents without predictions included:
    ``{"id": ..., "spans": [{"id", "layer", "start", "end", "label", "text"}, ...]}``.
    """
    by_doc: dict[str, list[Any]] = {}
    for mention in mentions:
        by_doc.setdefault(mention.doc_id, []).append(mention)
    path = Path(path)
    with path.open("w", encoding="utf-8") as handle:
        for doc in documents:
            spans = [
                {"id": m.id or f"P{index}", "layer": m.layer, "start": m.start, "end": m.end, "label": m.label,
                 "text": doc.text[m.start:m.end]}
                for index, m in enumerate(sorted(by_doc.get(doc.id, ())), start=1)
            ]
            handle.write(json.dumps({"id": doc.id, "spans": spans}, ensure_ascii=False) + "\n")
    return path


def overlapping_documents(train: Sequence[Document], test: Sequence[Document], *, threshold: float = 0.8) -> set[str]:
    """Ids of training documents with a sentence that (nearly) duplicates a sentence of ``test``.

    Sentences are compared with :func:`dataset_builder.audit.find_duplicates` on the canonical token
    view (hamza and clitic segmentation differences removed), Jaccard similarity of word 3-grams
    ``>= threshold``.
    """
    from dataset_builder.audit import AuditUnit, find_duplicates
    from eval.baselines._words import sentence_words

    units: list[AuditUnit] = []
    for side, documents in (("train", train), ("test", test)):
        for doc in documents:
            for index, words in enumerate(sentence_words(doc)):
                units.append(AuditUnit("benchmark", side, doc.id, doc.text[words[0][0]:words[-1][1]], index))
    found: set[str] = set()
    for pair in find_duplicates(units, threshold=threshold).pairs():
        a, b = units[pair.a], units[pair.b]
        if a.split != b.split:
            found.add((a if a.split == "train" else b).doc_id)
    return found


def build_model(
    spec: str, train: GoldSet | None, *, train_source: str | Path | None = None, train_split: str = "train",
    layer: str = "entities", documents: Sequence[Document] | None = None,
) -> Any:
    """Instantiate (and train, for built-in baselines) the model named by ``spec``.

    Parameters
    ----------
    spec : str
        ``gazetteer``, ``linear`` or ``transformers:PATH``.
    train : GoldSet, optional
        Training documents (required for built-in baselines).
    train_source : str or Path, optional
        The dataset the ``linear`` model reads its ``tokens`` config from.
    documents : sequence of Document, optional
        The training documents actually used (after exclusions); defaults to ``train.documents``.
        The ``linear`` model then trains only on the sentences of these documents.
    """
    if spec.startswith("transformers:"):
        from eval.baselines.transformers_adapter import TransformersTokenClassifier

        return TransformersTokenClassifier(spec.split(":", 1)[1], layer=layer)
    if spec not in BUILTIN_MODELS:
        raise InputError(Problem("usage", f"unknown model {spec!r}; choose from {', '.join(BUILTIN_MODELS)} or "
                                 "transformers:PATH.", ""))
    if train is None:
        raise InputError(Problem("usage", f"model {spec!r} is trained here and needs a training split.", ""))
    if train.layers and layer not in train.layers:  # a model of a layer with no gold would predict nothing
        raise InputError(Problem("usage", f"layer {layer!r} is not a layer of the training data.",
                                 f"Pass --layer with one of: {', '.join(train.layers)}."))
    documents = list(train.documents if documents is None else documents)
    if spec == "gazetteer":
        from eval.baselines.gazetteer import GazetteerBaseline

        return GazetteerBaseline(layer=layer).fit(documents)
    from eval.baselines.linear import LinearTokenClassifier, load_tagged_sentences

    if train_source is None:
        return LinearTokenClassifier(layer=layer).fit_documents(documents)
    labels = {span.label for doc in documents for span in doc.spans if span.layer == layer}
    tagged = load_tagged_sentences(train_source, train_split, labels=labels)
    keep = {doc.id for doc in documents}
    doc_ids = _sentence_doc_ids(train_source, train_split)
    words = [w for w, d in zip(tagged.words, doc_ids, strict=True) if d in keep]
    tags = [t for t, d in zip(tagged.tags, doc_ids, strict=True) if d in keep]
    return LinearTokenClassifier(layer=layer).fit(words, tags, documents=documents)


def _sentence_doc_ids(source: str | Path, split: str) -> list[str]:
    import datasets

    path = Path(source)
    if (path / "tokens" / "dataset_dict.json").is_file():
        return list(datasets.load_from_disk(str(path / "tokens"))[split]["doc_id"])
    return list(datasets.load_dataset(str(path), "tokens", split=split)["doc_id"])


@dataclass(frozen=True)
class BenchmarkOptions:
    """How a benchmark trains and scores: splits, cross-corpus training, layer, intervals, LLM runner.

    Attributes
    ----------
    split : str, default="test"
        The split scored on.
    train_split : str, default="train"
    train_dataset : str or Path, optional
        Train on this dataset instead of the scored one (cross-corpus evaluation).
    exclude_overlap : bool, default=False
        Drop training documents sharing a (near-)duplicate sentence with the scored split.
    overlap_threshold : float, default=0.8
        Jaccard similarity of word 3-grams from which two sentences count as the same.
    layer : str, optional
        The layer to train and score; default: the first layer of the gold.
    intervals : BootstrapOptions, default=BootstrapOptions()
        Bootstrap intervals of every row (:class:`eval.options.BootstrapOptions`).
    runner : RunSettings, optional
        Server, cache and retry settings for ``openai:MODEL`` rows (their ``model`` is replaced by the
        spec); defaults to :class:`~eval.runners.RunSettings` defaults.

    Examples
    --------
    >>> from eval.benchmark import BenchmarkOptions
    >>> from eval.options import BootstrapOptions
    >>> BenchmarkOptions(exclude_overlap=True, intervals=BootstrapOptions(resamples=200, seed=3)).intervals.seed
    3
    """

    split: str = "test"
    train_split: str = "train"
    train_dataset: str | Path | None = None
    exclude_overlap: bool = False
    overlap_threshold: float = 0.8
    layer: str | None = None
    intervals: BootstrapOptions = field(default_factory=BootstrapOptions)
    runner: RunSettings | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.overlap_threshold <= 1.0:
            raise InputError(Problem("usage", f"overlap_threshold={self.overlap_threshold} is outside (0, 1].",
                                     "Give a Jaccard similarity such as 0.8."))


def run_benchmark(
    dataset: str | Path,
    models: Sequence[str] = BUILTIN_MODELS,
    *,
    options: BenchmarkOptions | None = None,
    out: str | Path | None = None,
    progress: bool = False,
) -> Leaderboard:
    """Train and score each model; return (and with ``out``, write) the leaderboard.

    Parameters
    ----------
    dataset : str or Path
        The dataset scored on: a built version directory or an ``akhbar export`` folder.
    models : sequence of str
        Model specifications (see the module docstring).
    options : BenchmarkOptions, default=BenchmarkOptions()
        Splits, cross-corpus training, layer, bootstrap intervals and LLM runner settings.
    out : str or Path, optional
        Folder for ``leaderboard.md``, ``leaderboard.json``, results and predictions.
    progress : bool, default=False
        Progress per model on stderr.

    Returns
    -------
    Leaderboard

    Raises
    ------
    InputError
        A dataset, split or model that cannot be used (unknown model, no training data left, an
        extra not installed, ...).
    """
    from eval.run import input_errors

    options = options if options is not None else BenchmarkOptions()
    split, train_split, exclude_overlap = options.split, options.train_split, options.exclude_overlap
    intervals = options.intervals
    with input_errors():  # one error type for every failure of the input below
        from dataset_builder.progress import progress_bar, progress_step
        from eval.evaluate import evaluate
        from eval.gold import load_gold
        from eval.model import run_model

        gold = load_gold(dataset, split=split)
        layer = options.layer or (gold.layers[0] if gold.layers else "entities")
        scoring = ScoringOptions(modes=("strict",), layers=(layer,))
        train_source = options.train_dataset if options.train_dataset is not None else dataset
        needs_training = any(not spec.startswith(("transformers:", "openai:")) for spec in models)
        train = load_gold(train_source, split=train_split) if needs_training else None
        train_documents = list(train.documents) if train is not None else []
        excluded: set[str] = set()
        if train is not None and exclude_overlap:
            with progress_step("benchmark: training documents overlapping the scored split", enabled=progress):
                excluded = overlapping_documents(train.documents, gold.documents,
                                                 threshold=options.overlap_threshold)
            train_documents = [doc for doc in train.documents if doc.id not in excluded]
            if not train_documents:
                raise InputError(Problem(
                    "usage", f"every one of the {len(train.documents)} training documents shares text with the scored "
                    f"split ({split}); nothing is left to train on. Train on another dataset or split.", ""))
        train_label = "-" if train is None else (
            f"{train.dataset.name or train_source} {train.dataset.version or ''}".strip() + f" / {train_split}"
            + (f" ({len(train_documents)} of {len(train.documents)} docs: {len(excluded)} overlapping dropped)"
               if exclude_overlap else "")
        )
        rows: list[LeaderboardRow] = []
        results: dict[str, EvalResult] = {}
        runs: dict[str, ModelRun] = {}
        bar = progress_bar(total=len(models), desc=f"benchmark on {split}", unit="model", enabled=progress)
        for spec in models:
            if spec.startswith("openai:"):  # an LLM row: run, then score its predictions file as `akhbar eval` does
                name, result, run = _llm_entry(spec, dataset, gold, scoring, options, out)
                results[name], runs[name] = result, run
                settings = result.provenance.predictions["model_settings"]
                rows.append(_row(name, result, layer, "-", 0.0, run.seconds, settings))
                bar.update(1)
                continue
            started = time.perf_counter()
            loads = spec.startswith("transformers:")
            with progress_step(f"benchmark: {'load' if loads else 'train'} {spec}", enabled=progress):
                model = build_model(spec, train, train_source=train_source if train is not None else None,
                                    train_split=train_split, layer=layer, documents=train_documents)
            fit_seconds = time.perf_counter() - started if not loads else 0.0
            run = run_model(model, gold.documents, progress=progress)
            with progress_step(f"benchmark: score {model.name}", enabled=progress):
                result = evaluate(gold, list(run), options=scoring, intervals=intervals)
            settings = model.describe() if hasattr(model, "describe") else {}
            info = {**result.provenance.predictions, "model": model.name, "seconds": round(run.seconds, 3),
                    "model_settings": settings}
            result = replace(result, provenance=replace(result.provenance, predictions=info),
                             problems=[*run.problems, *result.problems])
            results[model.name], runs[model.name] = result, run
            rows.append(_row(model.name, result, layer, train_label, fit_seconds, run.seconds, settings))
            bar.update(1)
        bar.close()
        rows.sort(key=lambda row: -row.f1)
        board = Leaderboard(rows, {
            "mode": "strict", "average": "micro", "layer": layer, "bootstrap": intervals.resamples,
            "seed": intervals.seed, "confidence": intervals.confidence, "split": split, "train_split": train_split,
            "train_dataset": None if train is None else train.dataset.to_dict(),
            "exclude_overlap": exclude_overlap,
            "overlap_threshold": options.overlap_threshold if exclude_overlap else None,
            "excluded_training_documents": sorted(excluded),
        }, results)
        if out is not None:
            board.write(out, gold.documents, runs)
        return board


def _llm_entry(spec: str, dataset: str | Path, gold: GoldSet, scoring: ScoringOptions, options: BenchmarkOptions,
               out: str | Path | None) -> tuple[str, EvalResult, ModelRun]:
    """Run an ``openai:MODEL`` spec with :func:`eval.runners.predict` and score the file it wrote."""
    import tempfile

    from eval.evaluate import evaluate
    from eval.model import ModelRun
    from eval.predictions import load_predictions
    from eval.runners import RunSettings, predict

    settings = replace(options.runner or RunSettings(model=spec), model=spec, split=options.split)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(out) if out is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        done = predict(dataset, settings, out=folder / f"{_file_stem(spec)}.mentions.jsonl")
        predictions = load_predictions(done.out, fmt="mentions", documents=gold.by_id())
    result = evaluate(gold, predictions, options=scoring, intervals=options.intervals)
    described = {k: v for k, v in done.settings.items() if k != "dataset"} | {"summary": done.summary.to_dict()}
    info = {**result.provenance.predictions, "model": spec, "seconds": round(done.summary.wall_seconds, 3),
            "model_settings": described}
    result = replace(result, provenance=replace(result.provenance, predictions=info))
    (layer,) = scoring.layers or ()
    run = ModelRun(predictions.layer(layer), list(predictions.problems), done.summary.wall_seconds,
                   done.summary.documents, spec)
    return spec, result, run


def _row(name: str, result: EvalResult, layer: str, train: str, fit_seconds: float, predict_seconds: float,
         settings: dict[str, Any]) -> LeaderboardRow:
    report = result.score(layer, "strict")
    intervals = result.layers[layer].intervals.get("strict", {}).get("micro", {})

    def ci(metric: str) -> tuple[float, float] | None:
        interval = intervals.get(metric)
        return None if interval is None else (interval.low, interval.high)

    dataset = result.provenance.dataset or {}
    return LeaderboardRow(
        model=name, dataset=dataset.get("name"), version=dataset.get("version"),
        fingerprint=str(dataset.get("fingerprint")), split=str(dataset.get("split")), train=train,
        precision=report.micro.precision, recall=report.micro.recall, f1=report.micro.f1,
        precision_ci=ci("precision"), recall_ci=ci("recall"), f1_ci=ci("f1"), n_gold=report.n_gold,
        n_pred=report.n_pred, fit_seconds=fit_seconds, predict_seconds=predict_seconds, model_settings=settings,
    )


# ----------------------------------------------------------------------------------------------- CLI

__all__ = [
    "BUILTIN_MODELS", "BenchmarkOptions", "Leaderboard", "LeaderboardRow", "build_model",
    "overlapping_documents", "run_benchmark", "write_predictions",
]
