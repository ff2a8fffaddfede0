"""Arabic proclitics: the one inventory of what news text writes onto the start of a word.

Arabic writes a few short words as part of the word that follows them: ``وبوتين`` is و "and" +
بوتين, ``بالإضافة`` is ب "in" + ال "the" + إضافة. Corpora disagree on whether a mention includes
them (ANERcorp and Wojood do, NewsFANE and our own guideline do not), so the build, the audit and
the scorers all need to recognise them. They all use this module.

The inventory
-------------
Conjunctions, :data:`CONJUNCTIONS`
    و "and", ف "so, then".
Prepositions, :data:`PREPOSITIONS`
    ب "in, with, by", ل "for, to", ك "like, as".
The article, :data:`ARTICLE`
    ال "the". Written onto its noun like the others, but part of a name in every annotation
    guideline the project follows (الأسد, القاهرة, الأمم المتحدة): a search for a name under its
    clitics leaves it on (``article=False``).
The fused article, :data:`FUSED_ARTICLE`
    ل + ال is written لل: the article's alef is dropped after the preposition ل (للأمم "for the
    nations", never لالأمم). What may precede the article's lam then is the preposition with an
    optional conjunction, :data:`BEFORE_FUSED_ARTICLE` (ل ول فل). A stem starting with ل after
    that preposition is either the article with its alef elided (للقاهرة = ل + القاهرة) or a word
    of its own (لليبيا = ل + ليبيا); :func:`restore_elided_article` gives the first reading.
Tatweel
    A typesetter may elongate a clitic with tatweel ـ (U+0640), mostly before a foreign word or an
    abbreviation: ``الـCOVID``, ``بـiPhone``. ``tatweel=True`` accepts any number of them after a
    chain (not alone: a tatweel is not a clitic).
The segmented spelling, :data:`SEGMENTED_FUSED_ARTICLE`
    NewsFANE Gold writes its morphological segmentation, not the surface word: ل + ال is لال there
    (``لالاتحاد`` for للاتحاد). ``segmented=True`` also accepts لال, ولال and فلال.

Chains
------
At most one clitic of each kind, always in the order conjunction, preposition, article::

    [وف]? ( [بلك] | [بك]?ال | لل )?

That is 23 non-empty chains with the article (و ف ب ل ك, وب ول فك ..., ال وال فال, بال كال
وبال فكال ..., لل ولل فلل) and 11 without it (و ف ب ل ك وب ول وك فب فل فك). Never two
conjunctions or two prepositions (وف and بل are not chains), never a preposition after the
article, and ل is never written before ال (that is لل).

A chain is a spelling, not an analysis
--------------------------------------
Every one-letter chain is also the first letter of many words: فيصل, بشار, كورونا, ليبيا, وزير,
لبنان, and فلاديمير even starts with the chain فل. Nothing in the letters tells و + زير from وزير,
so each function states what it decides:

* :func:`is_proclitic_chain` judges a string whose cut is already known (from an annotation
  boundary, a match, two spans' starts).
* :func:`proclitic_prefixes` lists every reading the spelling allows, for a caller that decides
  with a dictionary, the whole word first.
* :func:`split_proclitics` cuts one reading: with ``known`` (a lexicon) the word stays whole when it
  is known, else it is cut at the shortest chain that leaves a known word (وزير stays whole, ووزير
  is و + وزير); without ``known`` it cuts the longest chain that leaves ``min_stem`` letters, which
  is a *key*, not an analysis (لبنان -> ل + بنان), for comparing texts that both went through it.

Who uses which variant, and why
-------------------------------
:mod:`dataset_builder.text.project`
    Whether the part of a token before a gold span (وبوتين with gold بوتين) is a clitic or a bad
    boundary. Text as written: the article (a span may start after it), tatweel (after الـ) and
    the segmented spelling (NewsFANE's own text).
:mod:`dataset_builder.text.defects`
    Whether the Arabic letters before a foreign word (وDell, الـCOVID, بـiPhone, as in ANERcorp)
    are clitics rather than a mixed-script defect. Same variant as projection.
:mod:`dataset_builder.audit`
    Strips the longest chain, article included, leaving at least two letters, from every
    normalized word so that والولايات, بالولايات and الولايات compare equal: a key applied to
    both sides. It re-attaches NewsFANE's separated clitic tokens first (:data:`PROCLITIC_LETTERS`)
    and rewrites its لال as لل itself.
:mod:`eval.mentions`
    Whether the normalized text before a match inside a token allows the match (بوتين inside
    وبوتين): every chain, article and segmented spelling included (the document may be NewsFANE's);
    :data:`BEFORE_FUSED_ARTICLE` places a mention ال... on the fused لل.
:mod:`eval.align`
    Whether two spans ending together start on clitic boundaries of the same word (clitic
    tolerance): chains with the article, short vowels and tatweel set aside.
:class:`eval.baselines.gazetteer.GazetteerBaseline`
    Look a name up under a conjunction or preposition: no article (the name keeps it), every reading
    from :func:`proclitic_prefixes` checked against the dictionary with the whole word first, and
    the elided article restored after ل.
"""

from __future__ import annotations

from collections.abc import Container
from functools import cache

from dataset_builder.text.normalize import TATWEEL

__all__ = [
    "ARTICLE",
    "BEFORE_FUSED_ARTICLE",
    "CONJUNCTIONS",
    "FUSED_ARTICLE",
    "MIN_STEM",
    "PREPOSITIONS",
    "PROCLITIC_LETTERS",
    "SEGMENTED_FUSED_ARTICLE",
    "TATWEEL",
    "is_proclitic_chain",
    "proclitic_chains",
    "proclitic_prefixes",
    "restore_elided_article",
    "split_proclitics",
]

CONJUNCTIONS: tuple[str, ...] = ("و", "ف")
"""Conjunction proclitics, first in a chain: و "and", ف "so, then"."""
PREPOSITIONS: tuple[str, ...] = ("ب", "ل", "ك")
"""Preposition proclitics, after a conjunction: ب "in, with", ل "for, to", ك "like"."""
ARTICLE = "ال"
"""The definite article, last in a chain."""
FUSED_ARTICLE = "لل"
"""ل + ال as written: the article's alef is dropped after the preposition ل (للأمم)."""
SEGMENTED_FUSED_ARTICLE = "لال"
"""ل + ال as NewsFANE Gold's segmentation writes it (لالاتحاد); never the published spelling."""
PROCLITIC_LETTERS: frozenset[str] = frozenset(CONJUNCTIONS + PREPOSITIONS)
"""The one-letter proclitics, as a segmenter leaves them standing alone (NewsFANE's ``و الصحية``)."""
BEFORE_FUSED_ARTICLE: frozenset[str] = frozenset(c + "ل" for c in ("", *CONJUNCTIONS))
"""What may precede the article's lam in a fused لل: the preposition ل after an optional conjunction."""
MIN_STEM = 2
"""Default shortest stem left by a cut: one letter is rarely a word of its own (بن is not ب + ن)."""

# Letter order of the inventory, to list chains the same way in every process (frozensets are not).
_ORDER = {letter: rank for rank, letter in enumerate("وفبلكا")}


@cache
def proclitic_chains(*, article: bool = True, segmented: bool = False) -> tuple[str, ...]:
    """Every non-empty proclitic chain, longest first (ties in inventory order: و ف, then ب ل ك).

    Parameters
    ----------
    article : bool, default=True
        Include chains with the article (ال, وال, بال, وبال, ...) and the fused article (لل, ولل, فلل).
    segmented : bool, default=False
        Also include NewsFANE's segmented spelling of ل + ال (لال, ولال, فلال). Needs ``article``.

    Returns
    -------
    tuple of str
        23 chains with the article, 11 without it, 26 with the segmented spelling.

    Examples
    --------
    >>> proclitic_chains(article=False)
    ('وب', 'ول', 'وك', 'فب', 'فل', 'فك', 'و', 'ف', 'ب', 'ل', 'ك')
    >>> len(proclitic_chains()), "وبال" in proclitic_chains(), "لال" in proclitic_chains()
    (23, True, False)
    """
    if segmented and not article:
        raise ValueError("segmented=True adds spellings of the article; it needs article=True.")
    tails = ["", *PREPOSITIONS]
    if article:
        tails += [ARTICLE, "ب" + ARTICLE, "ك" + ARTICLE, FUSED_ARTICLE]
        if segmented:
            tails.append(SEGMENTED_FUSED_ARTICLE)
    chains = {c + tail for c in ("", *CONJUNCTIONS) for tail in tails} - {""}
    return tuple(sorted(chains, key=lambda chain: (-len(chain), [_ORDER[letter] for letter in chain])))


@cache
def _chain_set(article: bool, segmented: bool) -> frozenset[str]:
    return frozenset(proclitic_chains(article=article, segmented=segmented))


def is_proclitic_chain(text: str, *, article: bool = True, segmented: bool = False, tatweel: bool = False) -> bool:
    """Whether ``text`` is exactly one proclitic chain (conjunction, preposition, article, in that order).

    Parameters
    ----------
    text : str
        The candidate, as written (no harakat: normalize or strip them first when they may occur).
    article : bool, default=True
        Accept chains with the article and the fused article (ال, بال, لل, ...).
    segmented : bool, default=False
        Also accept NewsFANE's segmented لال, ولال, فلال.
    tatweel : bool, default=False
        Accept any number of tatweels after the chain (الـ, بـ); a tatweel alone is never a chain.

    Returns
    -------
    bool
        False for the empty string.

    Examples
    --------
    >>> is_proclitic_chain("وبال"), is_proclitic_chain("ولل"), is_proclitic_chain("وف")
    (True, True, False)
    >>> is_proclitic_chain("ال", article=False), is_proclitic_chain("الـ", tatweel=True)
    (False, True)
    """
    if tatweel:
        text = text.rstrip(TATWEEL)
    return text in _chain_set(article, segmented)


def proclitic_prefixes(
    word: str, *, article: bool = False, segmented: bool = False, min_stem: int = MIN_STEM
) -> list[tuple[str, str]]:
    """Every way the spelling allows reading ``word`` as proclitic chain + stem, shortest chain first.

    A reading is listed when its chain starts the word and at least ``min_stem`` characters remain.
    The word itself (no chain) is not listed: a caller that checks readings against a dictionary
    tries it first, so a dictionary word that starts like a chain (فيصل, وزير) is never cut.

    Parameters
    ----------
    word : str
        One word, without harakat (normalize it first when it may carry them).
    article : bool, default=False
        Also cut the article (ال, لل) with the chain. Off by default: a name keeps its article.
    segmented : bool, default=False
        Also read NewsFANE's segmented لال as ل + ال. Needs ``article``.
    min_stem : int, default=2
        The shortest stem a reading may leave.

    Returns
    -------
    list of (prefix, stem)
        ``prefix + stem == word`` for every reading.

    Examples
    --------
    >>> proclitic_prefixes("وبوتين")
    [('و', 'بوتين'), ('وب', 'وتين')]
    >>> proclitic_prefixes("وبالتالي", article=True)
    [('و', 'بالتالي'), ('وب', 'التالي'), ('وبال', 'تالي')]
    >>> proclitic_prefixes("بن")
    []
    """
    chains = _chain_set(article, segmented)
    longest = min(len(proclitic_chains(article=article, segmented=segmented)[0]), len(word) - min_stem)
    return [(word[:n], word[n:]) for n in range(1, longest + 1) if word[:n] in chains]


def split_proclitics(
    word: str,
    *,
    article: bool = False,
    segmented: bool = False,
    min_stem: int = MIN_STEM,
    known: Container[str] | None = None,
) -> tuple[str, str]:
    """Cut ``word`` into ``(prefix, stem)`` at one proclitic chain (``("", word)`` when none applies).

    Parameters
    ----------
    word : str
        One word, without harakat.
    article : bool, default=False
        Cut the article (ال, لل) with the chain as well (a key for comparing texts: الولايات and
        بالولايات become ولايات). Off by default: a name keeps its article.
    segmented : bool, default=False
        Also cut NewsFANE's segmented لال. Needs ``article``.
    min_stem : int, default=2
        The shortest stem a cut may leave.
    known : container of str, optional
        Words that may stand alone (a gazetteer, a vocabulary of stems). When given, a known word is
        kept whole, and otherwise the *shortest* chain that leaves a known word is cut: the cut is
        an analysis, and removes no more than needed. When omitted, the *longest* chain that leaves
        ``min_stem`` characters is cut: a deterministic key, not an analysis, since it also cuts
        words that only start like a chain (لبنان -> ل + بنان).

    Returns
    -------
    (prefix, stem)
        ``prefix + stem == word``; ``prefix`` is a proclitic chain or ``""``.

    Examples
    --------
    >>> split_proclitics("وبالتالي", article=True)
    ('وبال', 'تالي')
    >>> split_proclitics("فالرئيس")
    ('ف', 'الرئيس')
    >>> names = {"بوتين", "وزير", "لبنان"}
    >>> split_proclitics("وبوتين", known=names), split_proclitics("وزير", known=names)
    (('و', 'بوتين'), ('', 'وزير'))
    >>> split_proclitics("لبنان"), split_proclitics("لبنان", known=names)
    (('ل', 'بنان'), ('', 'لبنان'))
    """
    readings = proclitic_prefixes(word, article=article, segmented=segmented, min_stem=min_stem)
    if known is None:
        return readings[-1] if readings else ("", word)
    if word in known:
        return "", word
    return next(((prefix, stem) for prefix, stem in readings if stem in known), ("", word))


def restore_elided_article(prefix: str, stem: str, *, min_stem: int = MIN_STEM) -> str | None:
    """The stem with the article's alef put back, when ``prefix`` + ``stem`` may be ل + ال + word.

    After the preposition ل (prefix ل, ول or فل) the article is written without its alef, so the
    stem لقاهرة of للقاهرة may stand for القاهرة. It may also be a word of its own (لليبيا is
    ل + ليبيا): this gives the article reading, the caller tries both.

    Parameters
    ----------
    prefix : str
        The chain cut from the word.
    stem : str
        What follows it.
    min_stem : int, default=2
        The shortest word that may follow the article.

    Returns
    -------
    str or None
        ``"ا" + stem``, or None when the prefix does not end in the preposition ل, the stem does not
        start with ل, or fewer than ``min_stem`` characters would follow the article.

    Examples
    --------
    >>> restore_elided_article("ل", "لقاهرة"), restore_elided_article("و", "لقاهرة")
    ('القاهرة', None)
    """
    if prefix in BEFORE_FUSED_ARTICLE and stem.startswith("ل") and len(stem) - 1 >= min_stem:
        return "ا" + stem
    return None
