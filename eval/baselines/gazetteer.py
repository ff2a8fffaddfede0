"""The dictionary tagger: every surface form seen as a mention in training, with its most frequent label.

:class:`GazetteerBaseline` learns a dictionary from the gold mentions of a training split and tags
new text by longest match over normalized words. It is the floor a learned model must clear, and
its errors are easy to read: anything it misses was never seen; anything it tags wrongly was seen
with another label or is ambiguous (``الأمل`` the hope, ``الأمل`` the party). A fixed list of names
(a test fixture, an external gazetteer) goes through the same matcher:
:meth:`GazetteerBaseline.from_entries`.

Arabic specifics, each a decision:

* **Normalization.** Words are compared after :func:`~dataset_builder.text.normalize.normalize_text`
  (hamza-alef, alef maksura, teh marbuta, harakat, tatweel), so ``أنان`` matches ``انان`` while the
  predicted offsets still index the text as published.
* **Proclitics.** A conjunction or preposition attached to the first word (``وبوتين``, ``للعراق``) is
  looked through: the stem is matched. Whether the predicted span then keeps the proclitic is the
  corpus' convention, learned from the gold (``clitics="auto"``): ANERcorp tags the whole token
  (``لإسرائيل``), our guideline tags ``بوتين`` inside ``وبوتين``.
* **Word boundaries.** Matches start and end on the words of the build's text layer (the corpus'
  own tokens for CoNLL input) and never cross a sentence boundary or a line break. Punctuation is a
  word of its own there, so an entry with punctuation inside (``2021-09-14``) matches only that
  punctuation, and an entry never runs across a full stop it does not contain.
* **Ambiguity.** An entry whose matches in the training text are mostly *not* gold mentions (a
  common word that was once part of a name) is dropped: ``min_precision`` is measured on the
  training split itself, with the same matcher.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dataset_builder.model import Document, Span
from dataset_builder.text.normalize import NormalizedView, normalize, normalize_text
from eval.baselines._words import CliticConvention, learn_clitic_convention, proclitic_splits, sentence_words

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One dictionary entry: the label it predicts and how it fared on the training text.

    Attributes
    ----------
    label : str
        The most frequent gold label of the surface form (ties: the label that sorts first).
    count : int
        Gold mentions with this surface form in training (0 for an entry given by
        :meth:`GazetteerBaseline.from_entries`).
    matches, correct : int
        Times the matcher fired on the training text with this entry, and times that was exactly
        a gold mention with this label. ``correct / matches`` is the entry's training precision.
    """

    label: str
    count: int
    matches: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.matches if self.matches else 1.0


@dataclass(frozen=True, slots=True)
class _Word:
    start: int  # source offsets of the word
    end: int
    norm: str  # normalized form
    view_start: int  # offset of the word in the normalized view, to map a proclitic cut back


class GazetteerBaseline:
    """Longest-match dictionary tagger learned from training mentions.

    Parameters
    ----------
    layer : str, default="entities"
        The annotation layer learned from and predicted.
    clitics : {"auto", "include", "exclude"}, default="auto"
        Whether a predicted span keeps a proclitic attached to its first word. ``"auto"`` learns it
        from the training gold with :func:`~eval.baselines._words.learn_clitic_convention`.
    min_count : int, default=1
        Drop surface forms seen fewer times as gold mentions.
    min_precision : float, default=0.5
        Drop entries whose training precision (see :class:`GazetteerEntry`) is below this. ``0``
        keeps every entry.
    max_words : int, default=8
        Longest entry kept, in words; longer gold mentions are rare and never recur verbatim.
    name : str, default="gazetteer"

    Attributes
    ----------
    entries_ : dict of tuple of str to GazetteerEntry
        Normalized word sequences (the first word without proclitic) and their entries.
    clitic_convention_ : {"include", "exclude"}
    clitic_evidence_ : dict of str to int
        The counts ``"auto"`` decided from (empty when the convention was given).
    dropped_ : int
        Entries removed by ``min_precision``.

    Examples
    --------
    >>> from dataset_builder.model import Document, Span
    >>> train = [Document("d1", "قال بوتين إن روسيا", spans=(Span("T1", "entities", 4, 9, "PERS"),
    ...                                                       Span("T2", "entities", 13, 18, "LOC")))]
    >>> model = GazetteerBaseline().fit(train)
    >>> [(s.text, s.label) for s in model.predict([Document("d2", "وبوتين في روسيا.")])[0]]
    [('بوتين', 'PERS'), ('روسيا', 'LOC')]

    A fixed dictionary, no training:

    >>> names = GazetteerBaseline.from_entries({"فلاديمير بوتين": "PERS", "موسكو": "GPE"})
    >>> [(s.text, s.label) for s in names.predict([Document("d3", "وصل فلاديمير بوتين الى موسكو")])[0]]
    [('فلاديمير بوتين', 'PERS'), ('موسكو', 'GPE')]
    """

    def __init__(
        self,
        *,
        layer: str = "entities",
        clitics: Literal["auto", "include", "exclude"] = "auto",
        min_count: int = 1,
        min_precision: float = 0.5,
        max_words: int = 8,
        name: str = "gazetteer",
    ) -> None:
        if clitics not in ("auto", "include", "exclude"):
            raise ValueError(f"clitics={clitics!r}; choose 'auto', 'include' or 'exclude'.")
        if not 0.0 <= min_precision <= 1.0:
            raise ValueError(f"min_precision={min_precision} is not in [0, 1].")
        if min_count < 1 or max_words < 1:
            raise ValueError(f"min_count={min_count} and max_words={max_words} must be at least 1.")
        self.layer = layer
        self.clitics = clitics
        self.min_count = min_count
        self.min_precision = min_precision
        self.max_words = max_words
        self.name = name
        self.entries_: dict[Key, GazetteerEntry] = {}
        self.clitic_convention_: CliticConvention = "exclude" if clitics == "auto" else clitics
        self.clitic_evidence_: dict[str, int] = {}
        self.dropped_ = 0
        self._lengths: dict[str, tuple[int, ...]] = {}

    # ------------------------------------------------------------------------------------- fit

    @classmethod
    def from_entries(
        cls,
        entries: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        layer: str = "entities",
        clitics: CliticConvention = "exclude",
        name: str = "gazetteer",
    ) -> GazetteerBaseline:
        """A tagger over a fixed dictionary: no training, nothing pruned (``min_precision=0``).

        Parameters
        ----------
        entries : mapping of surface to label, or iterable of (surface, label)
            Surfaces are cut into words by the text layer's tokenizer
            (:func:`~dataset_builder.text.tokenize.token_spans`) and normalized word by word, as
            documents are; a surface listed again with another label keeps its first label.
        layer : str, default="entities"
        clitics : {"exclude", "include"}, default="exclude"
            Whether a span keeps a proclitic attached to its first word; there is no gold to learn
            it from. ``"exclude"`` is our guideline: ``وبوتين`` gives ``بوتين``.
        name : str, default="gazetteer"

        Returns
        -------
        GazetteerBaseline
            Ready to ``predict``; each entry has ``count=0`` and no training matches.

        Raises
        ------
        ValueError
            When ``clitics`` is not ``"exclude"`` or ``"include"``, or a label is not a non-empty string.
        """
        from dataset_builder.text.tokenize import token_spans

        if clitics not in ("include", "exclude"):
            raise ValueError(f"clitics={clitics!r}; a fixed dictionary has no gold to learn from: "
                             "choose 'exclude' or 'include'.")
        model = cls(layer=layer, clitics=clitics, min_precision=0.0, name=name)
        found: dict[Key, GazetteerEntry] = {}
        for surface, label in entries.items() if isinstance(entries, Mapping) else entries:
            if not isinstance(label, str) or not label:
                raise ValueError(f"entry {surface!r} has label {label!r}; give a non-empty string.")
            starts, ends = token_spans(surface)
            key = tuple(word for word in (normalize_text(surface[a:b]) for a, b in zip(starts, ends, strict=True))
                        if word)
            if key:
                found.setdefault(key, GazetteerEntry(label, 0))
        model.entries_ = dict(sorted(found.items()))
        model._index()
        return model

    def fit(self, documents: Iterable[Document]) -> GazetteerBaseline:
        """Learn the dictionary (and, with ``clitics="auto"``, the clitic convention) from gold documents.

        Returns
        -------
        self
        """
        documents = list(documents)
        if self.clitics == "auto":
            self.clitic_convention_, self.clitic_evidence_ = learn_clitic_convention(documents, self.layer)
        label_counts: dict[Key, Counter[str]] = defaultdict(Counter)
        for doc in documents:
            words = [word for sentence in _words(doc) for word in sentence]
            word_ends = [word.end for word in words]
            for span in doc.spans:
                if span.layer != self.layer:
                    continue
                key = _mention_key(doc.text, words, word_ends, span)
                if key and len(key) <= self.max_words:
                    label_counts[key][span.label] += 1
        # A mention whose first word carries a proclitic (ANERcorp's والولايات المتحدة) is also stored
        # under its stem when the stem starts a mention elsewhere, so that للولايات المتحدة matches too.
        first_words = {key[0] for key in label_counts}
        for key, counts in list(label_counts.items()):
            for stem, cut in proclitic_splits(key[0]):
                if cut and stem in first_words:
                    label_counts[(stem, *key[1:])].update(counts)
                    break
        self.entries_ = {
            key: GazetteerEntry(min(counts, key=lambda label: (-counts[label], label)), sum(counts.values()))
            for key, counts in sorted(label_counts.items())
            if sum(counts.values()) >= self.min_count
        }
        self._index()
        self._measure_and_prune(documents)
        return self

    def _measure_and_prune(self, documents: Sequence[Document]) -> None:
        matches: Counter[Key] = Counter()
        correct: Counter[Key] = Counter()
        for doc in documents:
            gold = {(s.start, s.end, s.label) for s in doc.spans if s.layer == self.layer}
            for key, start, end, label in self._matches(doc):
                matches[key] += 1
                correct[key] += (start, end, label) in gold
        measured = {
            key: GazetteerEntry(entry.label, entry.count, matches[key], correct[key])
            for key, entry in self.entries_.items()
        }
        self.entries_ = {key: e for key, e in measured.items() if e.precision >= self.min_precision}
        self.dropped_ = len(measured) - len(self.entries_)
        self._index()

    def _index(self) -> None:
        lengths: dict[str, set[int]] = defaultdict(set)
        for key in self.entries_:
            lengths[key[0]].add(len(key))
        self._lengths = {head: tuple(sorted(found, reverse=True)) for head, found in lengths.items()}

    # --------------------------------------------------------------------------------- predict

    def predict(self, documents: Sequence[Document]) -> list[list[Span]]:
        """Spans of every document: longest dictionary matches, flat (no nesting), in text order."""
        out = []
        for doc in documents:
            spans = [
                Span(f"G{index}", self.layer, start, end, label, doc.text[start:end])
                for index, (_, start, end, label) in enumerate(self._matches(doc), start=1)
            ]
            out.append(spans)
        return out

    def _matches(self, doc: Document) -> list[tuple[Key, int, int, str]]:
        found: list[tuple[Key, int, int, str]] = []
        if not self.entries_:
            return found
        view = normalize(doc.text)
        for sentence in _words(doc, view):
            i = 0
            while i < len(sentence):
                hit = self._longest_at(sentence, i)
                if hit is None:
                    i += 1
                    continue
                key, length, cut = hit
                first, last = sentence[i], sentence[i + length - 1]
                start = first.start
                if cut and self.clitic_convention_ == "exclude":
                    start = view.source_span(first.view_start + cut, first.view_start + cut)[0]
                found.append((key, start, last.end, self.entries_[key].label))
                i += length
        return found

    def _longest_at(self, sentence: Sequence[_Word], i: int) -> tuple[Key, int, int] | None:
        # The whole word first, then stems after a proclitic: a dictionary word wins over a split.
        candidates = [
            (length, -rank, head, cut)
            for rank, (head, cut) in enumerate(proclitic_splits(sentence[i].norm))
            for length in self._lengths.get(head, ())
            if i + length <= len(sentence)
        ]
        for length, _, head, cut in sorted(candidates, reverse=True):
            key = (head, *(word.norm for word in sentence[i + 1:i + length]))
            if key in self.entries_:
                return key, length, cut
        return None

    # ---------------------------------------------------------------------------------- report

    def __len__(self) -> int:
        return len(self.entries_)

    def describe(self) -> dict[str, object]:
        """Settings and learned facts, for provenance (JSON-ready)."""
        labels = Counter(entry.label for entry in self.entries_.values())
        return {
            "model": "gazetteer", "layer": self.layer, "clitics": self.clitics,
            "clitic_convention": self.clitic_convention_, "clitic_evidence": dict(self.clitic_evidence_),
            "min_count": self.min_count, "min_precision": self.min_precision, "max_words": self.max_words,
            "entries": len(self.entries_), "entries_per_label": dict(sorted(labels.items())),
            "dropped_low_precision": self.dropped_,
        }

    @property
    def entries(self) -> Mapping[Key, GazetteerEntry]:
        return self.entries_


def _words(doc: Document, view: NormalizedView | None = None) -> list[list[_Word]]:
    view = view if view is not None else normalize(doc.text)
    sentences = sentence_words(doc)
    offsets = np.asarray([offset for sentence in sentences for word in sentence for offset in word], dtype=np.int64)
    # to_source is non-decreasing: one search maps every word boundary into the view.
    in_view = np.searchsorted(np.asarray(view.to_source), offsets, side="left").tolist()
    out = []
    position = 0
    for sentence in sentences:
        words = []
        for start, end in sentence:
            view_start, view_end = in_view[position], in_view[position + 1]
            position += 2
            norm = view.text[view_start:view_end]
            if norm:  # a word of deleted characters only (a lone tatweel or bidi mark) matches nothing
                words.append(_Word(start, end, norm, view_start))
        out.append(words)
    return out


def _mention_key(text: str, words: Sequence[_Word], word_ends: Sequence[int], span: Span) -> Key:
    """The normalized words a gold mention covers; a word it covers only partly is cut to the mention."""
    key = []
    for word in words[bisect_right(word_ends, span.start):]:
        if word.start >= span.end:
            break
        piece = normalize_text(text[max(word.start, span.start):min(word.end, span.end)])
        if piece:
            key.append(piece)
    return tuple(key)


__all__ = ["GazetteerBaseline", "GazetteerEntry"]
