"""The linear baseline: a scikit-learn token classifier over hashed, clitic-aware word features.

:class:`LinearTokenClassifier` tags each word with an IOB2 tag from a linear model
(:class:`~sklearn.linear_model.SGDClassifier`, one-vs-rest, averaged) over features hashed with
:class:`~sklearn.feature_extraction.FeatureHasher` (so there is no vocabulary to build or store),
repairs the tag sequence (an ``I-X`` that continues no ``X`` chunk becomes ``B-X``), and turns chunks
into character spans. It trains from the ``tokens`` config of a built dataset in seconds to a
minute on two CPU cores, and predicts on :class:`~dataset_builder.model.Document` objects like any
:class:`~eval.model.Model`.

Features of a word (see :func:`token_features`), each a string hashed to one column:

* the word as written and normalized (:func:`~dataset_builder.text.normalize.normalize_text`);
* its **stem** after removing a conjunction/preposition proclitic and the article (و ف ب ل ك, ال,
  and combinations such as وبال or لل), and the proclitic removed: ``وبالعراق`` -> stem ``عراق``,
  proclitic ``وبال`` -- so a name is recognised whatever is attached to it;
* prefixes and suffixes of 1-3 letters (Arabic nisba ``ي``/``ية``, plural ``ون``/``ات``, ...), and
  character 3-grams of the normalized word;
* its shape (Arabic, Latin, digits, punctuation, mixed) and length;
* the normalized words and stems at offsets -2..+2, and the bigrams with the previous and next
  word (``قال`` before a person, ``مدينة`` before a place).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import regex

from dataset_builder.model import Document, Span
from dataset_builder.problems import InputError, Problem
from dataset_builder.text.clitics import split_proclitics
from dataset_builder.text.normalize import normalize_text
from eval.baselines._words import (
    CliticConvention,
    learn_clitic_convention,
    proclitic_splits,
    repair_bio,
    sentence_words,
    tag_documents,
    with_text,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from datasets import Dataset

_ARABIC = regex.compile(r"\p{Arabic}")
_LATIN = regex.compile(r"\p{Latin}")
_DIGIT = regex.compile(r"\p{N}")
_LETTER_OR_DIGIT = regex.compile(r"[\p{L}\p{N}]")


def _shape(word: str) -> str:
    arabic, latin, digit = bool(_ARABIC.search(word)), bool(_LATIN.search(word)), bool(_DIGIT.search(word))
    kinds = [name for name, present in (("arabic", arabic), ("latin", latin), ("digit", digit)) if present]
    if not kinds:
        return "punct" if not _LETTER_OR_DIGIT.search(word) else "other"
    return kinds[0] if len(kinds) == 1 else "mixed"


def _stem(norm: str) -> tuple[str, str]:
    """``(proclitics, stem)`` of a normalized word: the longest proclitic chain, article included (and
    NewsFANE's segmented لال), cut off; the stem keeps at least two letters. A matching key, not an analysis."""
    return split_proclitics(norm, article=True, segmented=True)


def token_features(words: Sequence[str]) -> list[list[str]]:
    """The feature strings of every word of one sentence (see the module docstring).

    Parameters
    ----------
    words : sequence of str
        The words of a sentence, as written.

    Returns
    -------
    list of list of str
        One list per word, ready for ``FeatureHasher(input_type="string")``.

    Examples
    --------
    >>> features = token_features(["قال", "وبالعراق"])[1]
    >>> [f for f in features if f.startswith(("stem=", "clitic=", "w-1="))]
    ['stem=عراق', 'clitic=وبال', 'w-1=قال']
    """
    norms = [normalize_text(word) or word for word in words]
    stems = [_stem(norm) for norm in norms]
    padded = ["<s2>", "<s1>", *norms, "</s1>", "</s2>"]
    padded_stems = ["<s2>", "<s1>", *(stem for _, stem in stems), "</s1>", "</s2>"]
    out: list[list[str]] = []
    for i, (word, norm) in enumerate(zip(words, norms, strict=True)):
        clitic, stem = stems[i]
        j = i + 2  # position in the padded lists
        bounded = f"<{norm}>"
        features = [
            "bias", f"word={word}", f"norm={norm}", f"stem={stem}", f"clitic={clitic}",
            f"shape={_shape(word)}", f"len={min(len(norm), 12)}",
            *(f"pre{k}={stem[:k]}" for k in (1, 2, 3) if len(stem) >= k),
            *(f"suf{k}={norm[-k:]}" for k in (1, 2, 3) if len(norm) >= k),
            *(f"c3={bounded[k:k + 3]}" for k in range(len(bounded) - 2)),
            f"w-2={padded[j - 2]}", f"w-1={padded[j - 1]}", f"w+1={padded[j + 1]}", f"w+2={padded[j + 2]}",
            f"s-1={padded_stems[j - 1]}", f"s+1={padded_stems[j + 1]}",
            f"w-1|w={padded[j - 1]}|{norm}", f"w|w+1={norm}|{padded[j + 1]}",
            f"shape-1|shape={_shape(padded[j - 1])}|{_shape(word)}",
        ]
        out.append(features)
    return out


@dataclass(frozen=True)
class TaggedSentences:
    """Sentences of words with their gold IOB2 tags, read from a ``tokens`` config.

    Attributes
    ----------
    words, tags : list of list of str
    tag_column : str
        The column the tags came from.
    source : str
        Where they were read (path and split).
    """

    words: list[list[str]]
    tags: list[list[str]]
    tag_column: str
    source: str


def tagged_sentences(
    dataset: Dataset, *, tag_column: str | None = None, labels: Iterable[str] | None = None, source: str = "<dataset>",
) -> TaggedSentences:
    """Words and tag names of the rows of a ``tokens`` config (one row per sentence).

    Parameters
    ----------
    dataset : datasets.Dataset
        Rows with a ``tokens`` column and at least one ``List(ClassLabel)`` tag column.
    tag_column : str, optional
        Which tag column to read. Required when there are several (a nested layer has one per
        level, and every projected layer its own), unless ``labels`` picks one.
    labels : iterable of str, optional
        Labels of the layer wanted: the first tag column (the outermost level) that has a ``B-`` tag
        for each of them is read.

    Raises
    ------
    InputError
        When there is no ``tokens`` column, or the tag column is missing or ambiguous.
    """
    features = dataset.features
    candidates = [name for name, feature in features.items() if hasattr(getattr(feature, "feature", None), "names")]
    if "tokens" not in features or not candidates:
        raise InputError(Problem(
            "baseline-not-tokens", f"rows have no `tokens` column or no List(ClassLabel) tag column "
            f"(columns: {', '.join(features)}).", "Train from the `tokens` config of a dataset built by akhbar.",
            path=source))
    if tag_column is None and labels is not None:
        wanted = {f"B-{label}" for label in labels}
        fitting = [name for name in candidates if wanted <= set(features[name].feature.names)]
        candidates = fitting[:1] or candidates
    if tag_column is None:
        if len(candidates) > 1:
            raise InputError(Problem(
                "baseline-tag-column",
                f"several tag columns ({', '.join(candidates)}); which one to learn is ambiguous.",
                f"Pass tag_column= one of: {', '.join(candidates)}.", path=source))
        tag_column = candidates[0]
    if tag_column not in candidates:
        raise InputError(Problem(
            "baseline-tag-column", f"no tag column {tag_column!r} (tag columns: {', '.join(candidates)}).",
            f"Pass one of: {', '.join(candidates)}.", path=source))
    names = features[tag_column].feature.names
    columns = dataset.select_columns(["tokens", tag_column]).to_dict()
    tags = [[names[t] for t in row] for row in columns[tag_column]]
    return TaggedSentences(columns["tokens"], tags, tag_column, source)


def load_tagged_sentences(
    source: str | Path, split: str = "train", *, tag_column: str | None = None, labels: Iterable[str] | None = None,
) -> TaggedSentences:
    """Read one split of the ``tokens`` config from a built version directory or a Hub-layout export folder.

    Parameters
    ----------
    source : str or Path
        ``<out>/<name>/<version>`` (read with ``datasets.load_from_disk``) or a folder written by
        ``akhbar export`` (read with ``datasets.load_dataset``).
    split : str, default="train"
    tag_column, labels : optional
        See :func:`tagged_sentences`.
    """
    import datasets

    path = Path(source)
    if (path / "tokens" / "dataset_dict.json").is_file():
        splits = datasets.load_from_disk(str(path / "tokens"))
        if split not in splits:
            raise InputError(Problem(
                "baseline-split", f"split {split!r} is not in this dataset (splits: {', '.join(splits)}).",
                f"Pass one of: {', '.join(splits)}.", path=str(path / "tokens")))
        dataset = splits[split]
    elif (path / "README.md").is_file() and (path / "data").is_dir():
        try:
            dataset = datasets.load_dataset(str(path), "tokens", split=split)
        except ValueError as exc:
            raise InputError(Problem(
                "baseline-split", f"cannot load config 'tokens', split {split!r}: {exc}",
                "Pass a split declared in the export's README.md `configs`.", path=str(path))) from None
    else:
        raise InputError(Problem(
            "baseline-not-dataset", "neither a built version directory (no tokens/dataset_dict.json) nor an export "
            "folder (no README.md and data/).", "Pass `<out>/<name>/<version>` or an `akhbar export` folder.",
            path=str(path)))
    return tagged_sentences(dataset, tag_column=tag_column, labels=labels, source=f"{path}:{split}")


class LinearTokenClassifier:
    """IOB2 word tagger: hashed clitic-aware features and a linear model, with BIO repair at decode time.

    Parameters
    ----------
    layer : str, default="entities"
        Layer of the predicted spans (and of the gold, for :meth:`fit_documents`).
    n_features : int, default=2**20
        Width of the hashed feature space.
    alpha : float, default=3e-7
        L2 regularization strength of :class:`~sklearn.linear_model.SGDClassifier`; the default was
        chosen on NewsFANE's validation split among 1e-5, 1e-6, 3e-7 and 1e-7 (docs/baselines.md).
    epochs : int, default=15
        Passes over the training words.
    loss : {"modified_huber", "hinge", "log_loss"}, default="modified_huber"
    clitics : {"auto", "include", "exclude"}, default="auto"
        Whether a predicted span keeps a proclitic attached to its first word. Tags are per word, so
        a span always covers whole words unless the convention is ``"exclude"``: then a first word
        whose stem (not the whole word) starts a training mention is cut after its proclitic
        (``وبوتين`` -> ``بوتين``). ``"auto"`` learns the convention from documents given to
        :meth:`fit`/:meth:`fit_documents`, and keeps whole words when trained from tags only.
    random_state : int, default=0
    n_jobs : int, default=2
        Processes for the one-vs-rest fits.
    name : str, default="linear"
    progress : bool, default=False
        One line on stderr per step of :meth:`fit` (hashing the features, the SGD epochs), with its time
        (:func:`dataset_builder.progress.progress_step`); a fit on NewsFANE takes tens of seconds.

    Attributes
    ----------
    classes_ : list of str
        The tags the model can predict.
    clitic_convention_ : {"include", "exclude"}
    n_train_words_ : int
    fit_seconds_ : float

    Examples
    --------
    >>> model = LinearTokenClassifier(epochs=5).fit([["قال", "بوتين", "في", "موسكو"]] * 4,
    ...                                             [["O", "B-PERS", "O", "B-LOC"]] * 4)
    >>> model.predict_tags([["قال", "بوتين", "في", "موسكو"]])
    [['O', 'B-PERS', 'O', 'B-LOC']]
    """

    def __init__(
        self,
        *,
        layer: str = "entities",
        n_features: int = 2**20,
        alpha: float = 3e-7,
        epochs: int = 15,
        loss: Literal["modified_huber", "hinge", "log_loss"] = "modified_huber",
        clitics: Literal["auto", "include", "exclude"] = "auto",
        random_state: int = 0,
        n_jobs: int = 2,
        name: str = "linear",
        progress: bool = False,
    ) -> None:
        if clitics not in ("auto", "include", "exclude"):
            raise ValueError(f"clitics={clitics!r}; choose 'auto', 'include' or 'exclude'.")
        self.layer = layer
        self.n_features = n_features
        self.alpha = alpha
        self.epochs = epochs
        self.loss = loss
        self.clitics = clitics
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.name = name
        self.progress = progress
        self.classes_: list[str] = []
        self.clitic_convention_: CliticConvention = "include" if clitics == "auto" else clitics
        self.clitic_evidence_: dict[str, int] = {}
        self.n_train_words_ = 0
        self.fit_seconds_ = 0.0
        self._heads: frozenset[str] = frozenset()
        self._classifier: Any = None

    def _hasher(self) -> Any:
        from sklearn.feature_extraction import FeatureHasher

        return FeatureHasher(n_features=self.n_features, input_type="string", alternate_sign=False)

    def _matrix(self, sentences: Sequence[Sequence[str]]) -> Any:
        return self._hasher().transform(f for words in sentences for f in token_features(words))

    # ------------------------------------------------------------------------------------- fit

    def fit(
        self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], *,
        documents: Iterable[Document] | None = None,
    ) -> LinearTokenClassifier:
        """Learn from words and their IOB2 tags, one list per sentence.

        Parameters
        ----------
        sentences : sequence of sequence of str
        tags : sequence of sequence of str
            Same shape as ``sentences``.
        documents : iterable of Document, optional
            The gold documents the tags were projected from; with ``clitics="auto"`` the clitic
            convention and the mention-initial words are learned from their spans.

        Returns
        -------
        self
        """
        from sklearn.linear_model import SGDClassifier

        from dataset_builder.progress import progress_step

        if len(sentences) != len(tags):
            raise ValueError(f"{len(sentences)} sentences but {len(tags)} tag sequences; they must pair up.")
        for index, (words, labels) in enumerate(zip(sentences, tags, strict=True)):
            if len(words) != len(labels):
                raise ValueError(f"sentence {index}: {len(words)} words but {len(labels)} tags.")
        y = [tag for labels in tags for tag in repair_bio(labels)]
        if len(set(y)) < 2:
            raise ValueError(f"the training tags hold {len(set(y))} distinct tag(s); a classifier needs at least two.")
        started = time.perf_counter()
        self._learn_clitics(sentences, tags, documents)
        self.classes_ = sorted(set(y))
        with progress_step(f"{self.name}: features of {len(y)} words", enabled=self.progress):
            X = self._matrix(sentences)
        with progress_step(f"{self.name}: fit, {self.epochs} epochs over {len(self.classes_)} tags",
                           enabled=self.progress):
            self._classifier = SGDClassifier(
                loss=self.loss, alpha=self.alpha, max_iter=self.epochs, tol=None, average=True,
                random_state=self.random_state, n_jobs=self.n_jobs,
            ).fit(X, y)
        self.n_train_words_ = len(y)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def fit_documents(self, documents: Sequence[Document]) -> LinearTokenClassifier:
        """Learn from gold documents directly: words as the build cuts them, tags from the spans.

        A word gets ``B-X`` when a span of label ``X`` starts in it and ``I-X`` while the span goes on
        (the build's ``expand`` projection); overlapping spans keep the first (outermost) one.
        """
        sentences: list[list[str]] = []
        tags: list[list[str]] = []
        for doc in documents:
            spans = doc.layer(self.layer)
            for words in sentence_words(doc):
                sentences.append([doc.text[a:b] for a, b in words])
                tags.append(_project(words, spans))
        return self.fit(sentences, tags, documents=documents)

    def _learn_clitics(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]],
                       documents: Iterable[Document] | None) -> None:
        heads: set[str] = set()
        if documents is not None:
            documents = list(documents)
            if self.clitics == "auto":
                self.clitic_convention_, self.clitic_evidence_ = learn_clitic_convention(documents, self.layer)
            for doc in documents:
                for span in doc.spans:
                    first = doc.text[span.start:span.end].split(maxsplit=1)
                    if span.layer == self.layer and first:
                        heads.add(normalize_text(first[0]))
        else:
            for words, labels in zip(sentences, tags, strict=True):
                heads.update(normalize_text(w) for w, t in zip(words, repair_bio(labels), strict=True) if t[0] == "B")
        self._heads = frozenset(heads)

    # --------------------------------------------------------------------------------- predict

    def _check_fitted(self) -> None:
        if self._classifier is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit() or fit_documents() first.")

    def predict_tags(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """IOB2 tags of every word, one list per sentence: the best-scoring well-formed sequence.

        The model scores each word for each tag, plus a learned score for each (previous tag, tag)
        pair; Viterbi search finds the highest-scoring sequence in which every ``I-X`` continues an
        ``X`` chunk. Decoding is repaired with :func:`~eval.baselines._words.repair_bio` all the same.
        """
        self._check_fitted()
        if not any(sentences):
            return [[] for _ in sentences]
        import numpy as np

        word_scores = np.asarray(self._classifier.decision_function(self._matrix(sentences)))
        transitions = _bio_constraints(self.classes_)
        out: list[list[str]] = []
        position = 0
        for words in sentences:
            path = _viterbi(word_scores[position:position + len(words)], transitions)
            out.append(repair_bio([self.classes_[i] for i in path]))
            position += len(words)
        return out

    def predict(self, documents: Sequence[Document]) -> list[list[Span]]:
        """Character spans of every document (see :class:`~eval.model.Model`)."""
        self._check_fitted()
        per_doc = tag_documents(documents, self.predict_tags, layer=self.layer, id_prefix="L")
        out: list[list[Span]] = []
        for doc, spans in zip(documents, per_doc, strict=True):
            if self.clitic_convention_ == "exclude":
                spans = [self._cut_proclitic(doc, span) for span in spans]
            out.append(with_text(doc, spans))
        return out

    def _cut_proclitic(self, doc: Document, span: Span) -> Span:
        from dataset_builder.text.normalize import normalize

        first = doc.text[span.start:span.end].split(maxsplit=1)[0]
        view = normalize(first)
        if view.text in self._heads:
            return span
        for stem, cut in proclitic_splits(view.text)[1:]:
            if stem in self._heads:
                start = span.start + view.source_span(cut, cut)[0]
                return Span(span.id, span.layer, start, span.end, span.label)
        return span

    def describe(self) -> dict[str, object]:
        """Settings and learned facts, for provenance (JSON-ready)."""
        return {
            "model": "linear", "layer": self.layer, "classifier": "sklearn.linear_model.SGDClassifier",
            "loss": self.loss, "alpha": self.alpha, "epochs": self.epochs, "average": True,
            "n_features": self.n_features, "random_state": self.random_state, "clitics": self.clitics,
            "clitic_convention": self.clitic_convention_, "clitic_evidence": dict(self.clitic_evidence_),
            "classes": list(self.classes_), "train_words": self.n_train_words_,
            "fit_seconds": round(self.fit_seconds_, 2),
        }


def _bio_constraints(classes: Sequence[str]) -> Any:
    """``[previous, tag]`` additive mask: ``-inf`` where ``I-X`` would follow anything but ``B-X``/``I-X``."""
    import numpy as np

    mask = np.zeros((len(classes) + 1, len(classes)))
    for j, tag in enumerate(classes):
        if tag.startswith("I-"):
            for i, previous in enumerate(["<s>", *classes]):
                if previous[2:] != tag[2:] or previous == "O":
                    mask[i, j] = -np.inf
    return mask


def _viterbi(scores: Any, transitions: Any) -> list[int]:
    """Best tag path for one sentence: ``scores`` is words x tags, ``transitions`` (1 + tags) x tags."""
    import numpy as np

    n_words = scores.shape[0]
    if n_words == 0:
        return []
    best = transitions[0] + scores[0]
    back = np.zeros(scores.shape, dtype=np.int64)
    for t in range(1, n_words):
        candidates = best[:, None] + transitions[1:]
        back[t] = candidates.argmax(axis=0)
        best = candidates.max(axis=0) + scores[t]
    path = [int(best.argmax())]
    for t in range(n_words - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def _project(words: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[str]:
    tags = ["O"] * len(words)
    for span in spans:  # outer spans first (Document.layer order); a word keeps its first tag
        inside = [i for i, (a, b) in enumerate(words) if a < span.end and b > span.start]
        if not inside or any(tags[i] != "O" for i in inside):
            continue
        tags[inside[0]] = f"B-{span.label}"
        for i in inside[1:]:
            tags[i] = f"I-{span.label}"
    return tags


__all__ = ["LinearTokenClassifier", "TaggedSentences", "load_tagged_sentences", "tagged_sentences", "token_features"]
