"""Bounds on what one input record may cost, and JSON decoding that stays inside them.

Hostile or broken files must be refused fast, with file and line, instead of exhausting the
interpreter: JSON nested deeper than Python's recursion limit, structures nested just under it that
every later recursive step would trip on, and lone UTF-16 surrogates (``"\\ud800"``), which decode
into Python strings but cannot be written as UTF-8 by any later stage. The JSON readers and
``eval``'s predictions loader share these helpers, so the rules are the same everywhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from dataset_builder.problems import InputError, Problem

__all__ = ["DEFAULT_LIMITS", "SURROGATE_ESCAPE", "InputLimits", "JsonLimitError", "check_decoded", "json_problem",
           "loads_checked", "parse_size"]


@dataclass(frozen=True, slots=True)
class InputLimits:
    """The largest input the readers accept; anything beyond is refused with file and line.

    Attributes
    ----------
    max_json_depth : int
        Deepest nesting of arrays and objects in one JSON record (a document, a task, a prediction line).
        Real documents need about 6 levels; the default leaves room for rich ``metadata.extra``.
    max_line_chars : int
        Longest line of a token-per-line (CoNLL) file. A real line holds one token and its tags.
    max_token_chars : int
        Longest CoNLL token. Arabic words are under 30 characters; URLs and hashtags stay far below.
    max_columns : int
        Most columns on one CoNLL line (token and tag levels; Wojood's nested files have 22).
    """

    max_json_depth: int = 64
    max_line_chars: int = 100_000
    max_token_chars: int = 5_000
    max_columns: int = 100

    def __post_init__(self) -> None:
        for name, low, high in (("max_json_depth", 2, 500), ("max_line_chars", 10, 10**9),
                                ("max_token_chars", 1, 10**9), ("max_columns", 2, 10**6)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")


DEFAULT_LIMITS = InputLimits()

_SURROGATE = re.compile("[\ud800-\udfff]")
# A lone surrogate can only come from a \uXXXX escape: strict UTF-8 decoding never yields one.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


_WALKED = (dict, list)


class JsonLimitError(ValueError):
    """A JSON record that decodes (or nearly) but is outside :class:`InputLimits`; ``str()`` says why."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def loads_checked(text: str, limits: InputLimits = DEFAULT_LIMITS) -> Any:
    """``json.loads(text)``, refusing what later stages could not handle.

    Raises
    ------
    json.JSONDecodeError
        For text that is not JSON.
    JsonLimitError
        ``json-too-deep`` for nesting beyond ``limits.max_json_depth`` (also when it is too deep for
        the decoder itself), ``json-lone-surrogate`` for a string holding half of a UTF-16 pair,
        ``json-number-too-long`` for an integer of thousands of digits.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise JsonLimitError("json-too-deep", "arrays and objects are nested too deeply to decode") from None
    except ValueError as exc:  # an integer of more than 4,300 digits (Python's guard against slow conversion)
        raise JsonLimitError("json-number-too-long", f"a number is too long to read ({exc})") from None
    escaped = SURROGATE_ESCAPE.search(text) is not None
    # No value nests deeper than the number of brackets that open one: when there are few, and no
    # escaped surrogate to look for, there is nothing to walk (most records of a news corpus).
    if escaped or text.count("{") + text.count("[") > limits.max_json_depth:
        check_decoded(value, limits, escaped=escaped)
    return value


def check_decoded(value: Any, limits: InputLimits = DEFAULT_LIMITS, *, escaped: bool = True) -> None:
    """Raise :class:`JsonLimitError` when a decoded value is nested too deep or holds a lone surrogate.

    ``escaped=False`` skips the surrogate search (the caller knows the source had no ``\\uD8xx`` escape).
    Iterative, so it cannot itself run out of stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limits.max_json_depth:
                raise _too_deep(limits)
            for key, child in item.items():
                if escaped and _SURROGATE.search(key):
                    raise _surrogate(key)
                if isinstance(child, _WALKED) or (escaped and isinstance(child, str)):
                    stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > limits.max_json_depth:
                raise _too_deep(limits)
            stack.extend((child, depth + 1) for child in item
                         if isinstance(child, _WALKED) or (escaped and isinstance(child, str)))
        elif escaped and isinstance(item, str) and _SURROGATE.search(item):
            raise _surrogate(item)


def _too_deep(limits: InputLimits) -> JsonLimitError:
    return JsonLimitError("json-too-deep", f"arrays and objects are nested deeper than {limits.max_json_depth} levels")


def _surrogate(text: str) -> JsonLimitError:
    position = _SURROGATE.search(text)
    at = position.start() if position else 0
    return JsonLimitError("json-lone-surrogate",
                          f"a string holds a lone UTF-16 surrogate {text[at]!r} (at character {at}), "
                          "which is not a character and cannot be written as UTF-8")


def json_problem(error: JsonLimitError) -> tuple[str, str]:
    """The message and fix for a :class:`JsonLimitError`, worded for a problem report."""
    if error.code == "json-number-too-long":
        return (f"the record is refused: {error.reason}.", "Write offsets and numbers with at most a few digits.")
    if error.code == "json-too-deep":
        return (f"the record is refused: {error.reason}.",
                "Flatten the nested values (or raise InputLimits.max_json_depth if they are genuine).")
    return (f"the record is refused: {error.reason}.",
            "Escape characters outside the BMP as a surrogate pair (\\ud83d\\ude00) or write them as UTF-8.")


_SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_size(text: str) -> int:
    """A size as people write it, in bytes: KB/MB/GB are decimal, KiB/MiB/GiB binary, a bare number is bytes.

    >>> parse_size("500MB"), parse_size("2GiB"), parse_size("1000")
    (500000000, 2147483648, 1000)

    Raises :class:`~dataset_builder.problems.InputError` (``usage``) for anything else.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?\s*", text, re.IGNORECASE)
    if not match:
        raise InputError(Problem("usage", f"{text!r} is not a size.", "Write e.g. 500MB, 2GiB or 1000000."))
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()])
