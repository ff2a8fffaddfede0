"""Sentence splitting of Arabic news text, as character spans aligned to token boundaries.

A news article is a sequence of lines: title, dateline, date, paragraphs, captions. Each line is
its own unit, so **a sentence never crosses a line break** (``\\n``, ``\\r``, U+2028/U+2029 and the
other Unicode line separators). Within a line, a sentence ends after:

* a run of terminal marks ``.`` ``!`` ``?`` ``؟`` ``…`` ``۔`` (Arabic full stop), including the ``..``
  and ``...`` that Arabic news writing uses between clauses (SANA's ``مؤخراً.. وقد``), which CAMeL
  Lab's ANERcorp split also treats as a sentence end;
* followed by any closing quotation marks and brackets written right after it (``."`` ``.»`` ``؟)``),
  which stay in the sentence they close.

Not a sentence end:

* a period inside a number (90.5, 1,000.25): the tokenizer keeps those numbers whole, and a mark
  that does not end a token never ends a sentence;
* a period after a single Latin letter (initials: "George W. Bush", "J. K.");
* a period in an abbreviation chain of single letters (ق.م., أ.د., U.S.), including its last
  period (ANERcorp's gold does not split after ق.م.), or written directly before a Latin letter
  or digit with no space (sana.sy, v1.2);
* a run of terminal marks right after another sentence end (". ." and "؟ ." in ANERcorp) closes
  that same sentence; a run that opens a line (a leading "...") starts the next sentence. Neither
  forms a sentence of its own.

Abbreviations are rare in Arabic news and have no reliable list; the period after an Arabic
abbreviation written with a space (د. فيصل) still ends a sentence. This is a known limitation.

Sentence spans start at the first token and end at the last token of the sentence, so surrounding
whitespace and invisible characters are outside; offsets are exact code-point offsets. The work is
one ``regex`` scan for line breaks and terminal marks plus a binary search per candidate, so the
cost grows with the number of sentence ends, not with the number of tokens.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import pairwise

import regex

from dataset_builder.text.tokenize import token_spans

__all__ = ["CLOSING_MARKS", "TERMINAL_MARKS", "sentence_token_ranges", "split_sentences"]

TERMINAL_MARKS = ".!?\u061f\u2026\u06d4"
# Closing quotation marks and brackets; " and ' close a sentence only when written right after the
# terminal mark, which is the only position the splitter looks at.
CLOSING_MARKS = frozenset("\"'\u201d\u2019\u00bb\u203a)]}\u300d\u300f")

_CANDIDATES = regex.compile(
    r"(?P<line>[\n\r\u2028\u2029\x0b\x0c\x85])|(?P<end>[" + regex.escape(TERMINAL_MARKS) + r"]+)"
)
_LATIN_LETTER = regex.compile(r"\p{Latin}")
_LATIN_OR_DIGIT = regex.compile(r"[\p{Latin}\p{N}]")
_LETTER = regex.compile(r"\p{L}")
_GLUED_ABBREVIATION = regex.compile(r"\p{L}(?:\.\p{L})*")


def split_sentences(
    text: str,
    starts: Sequence[int] | None = None,
    ends: Sequence[int] | None = None,
) -> list[tuple[int, int]]:
    """Split text into sentences (see the module docstring for the rules).

    Parameters
    ----------
    text : str
        Text as read.
    starts, ends : sequence of int, optional
        Token offsets, e.g. from :func:`~dataset_builder.text.tokenize.token_spans`, or a corpus's
        own tokens. Sentence boundaries fall between tokens. Computed when omitted.

    Returns
    -------
    list of (start, end)
        Half-open character spans, in order, non-overlapping, each from the start of its first
        token to the end of its last token.

    Examples
    --------
    >>> text = 'قال الرئيس: "أنا سعيد." ثم غادر.. وعاد\\nموسكو-سانا'
    >>> [text[a:b] for a, b in split_sentences(text)]
    ['قال الرئيس: "أنا سعيد."', 'ثم غادر..', 'وعاد', 'موسكو-سانا']
    """
    if starts is None or ends is None:
        starts, ends = token_spans(text)
    token_count = len(starts)
    if token_count == 0:
        return []
    cuts: list[int] = [0]  # sentence i covers tokens [cuts[i], cuts[i + 1])
    previous_was_end = False  # whether the last cut came from terminal marks (not a line break)
    for match in _CANDIDATES.finditer(text):
        if match.lastgroup == "line":
            cut = bisect_left(starts, match.start())
            if cut > cuts[-1]:
                cuts.append(cut)
            previous_was_end = False  # marks after a line break never reach back across it
            continue
        found = _terminal_cut(text, starts, ends, match.start(), match.end())
        if found is None:
            continue
        first, cut = found
        if first > cuts[-1] or (first == cuts[-1] and starts[first] < match.start()):
            cuts.append(cut)
            previous_was_end = True
        elif previous_was_end and len(cuts) > 1:
            # Marks right after a sentence end (". ." or "؟ ." in ANERcorp) close that same sentence.
            cuts[-1] = max(cuts[-1], cut)
        # Otherwise the marks open a line ("...وقال"): they start the next sentence.
    if cuts[-1] < token_count:
        cuts.append(token_count)
    return [(starts[first], ends[after - 1]) for first, after in pairwise(cuts)]


def _terminal_cut(
    text: str, starts: Sequence[int], ends: Sequence[int], run_start: int, run_end: int
) -> tuple[int, int] | None:
    """For a run of terminal marks at ``[run_start, run_end)``: the index of the token holding its
    first mark, and the index of the token the sentence ends before. ``None`` when the run is not
    a sentence end."""
    last = bisect_right(starts, run_end - 1) - 1  # the token holding the run's last mark
    if last < 0:
        return None
    if ends[last] > run_end:
        return None  # the mark is inside a token, e.g. the decimal point of 90.5
    first = max(bisect_right(starts, run_start) - 1, 0)  # the token holding the run's first mark
    if run_end - run_start == 1 and text[run_start] == "." and _is_abbreviation(text, starts, ends, last, run_end):
        return None
    cut = last + 1
    # Closing quotes and brackets written right after the mark belong to this sentence.
    while cut < len(starts) and starts[cut] == ends[cut - 1] and text[starts[cut] : ends[cut]] in CLOSING_MARKS:
        cut += 1
    return first, cut


def _is_abbreviation(text: str, starts: Sequence[int], ends: Sequence[int], dot: int, dot_end: int) -> bool:
    """Whether the single period ending at ``dot_end`` (token ``dot``) marks an abbreviation."""
    if starts[dot] == dot_end - 1:  # the period is a token of its own
        previous = dot - 1
        glued = previous >= 0 and ends[previous] == dot_end - 1
        word = text[starts[previous] : ends[previous]] if glued else ""
    else:  # a corpus tokenization that glued the period to its word
        word = text[starts[dot] : dot_end - 1]
        if _GLUED_ABBREVIATION.fullmatch(word):
            return True  # ق.م. / ق. kept as one token by the corpus: it is an abbreviation
    single_letter = len(word) == 1 and _LETTER.match(word) is not None
    if single_letter and _LATIN_LETTER.match(word):
        return True  # an initial: "George W. Bush"
    word_start = dot_end - 1 - len(word)
    if single_letter and word_start > 0 and text[word_start - 1] == ".":
        return True  # the last letter of a chain: the second period of ق.م.
    following = text[dot_end] if dot_end < len(text) else ""
    if not following:
        return False
    if single_letter and _LETTER.match(following):
        return True  # ق.م. / أ.د. / U.S.
    return _LATIN_OR_DIGIT.match(following) is not None  # sana.sy, v1.2


def sentence_token_ranges(
    starts: Sequence[int], ends: Sequence[int], sentence_spans: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Token index ranges ``[first, after)`` of each sentence span.

    A token belongs to the sentence its start falls in. With spans from :func:`split_sentences`
    on the same tokens, the ranges are contiguous and cover every token exactly once.

    Examples
    --------
    >>> text = "عقدت قمة. وناقش الرئيسان"
    >>> starts, ends = token_spans(text)
    >>> sentence_token_ranges(starts, ends, split_sentences(text, starts, ends))
    [(0, 3), (3, 5)]
    """
    del ends  # token membership is decided by start offsets; kept for a symmetric signature
    return [(bisect_left(starts, start), bisect_left(starts, end)) for start, end in sentence_spans]
