"""Offset-preserving folding: the matching copy of a statement.

Matching runs on a *folded* copy of the text (lower case, accents removed, typographic
apostrophes, quotes, dashes and spaces made plain) whose characters map one to one to the
original, so every cue and every speaker span is an exact slice of the original statement.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "trim"]

_SPECIAL = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2011": "-",
    "\u2013": "-",
    "\u2014": "-",
}
_fold_table: dict[int, str] = {}


def _fold_char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    low = ch.lower()
    if len(low) != 1:
        low = ch
    base = "".join(c for c in unicodedata.normalize("NFD", low) if not unicodedata.combining(c))
    return base if len(base) == 1 else low


def fold(text: str) -> str:
    """Lower-case, accent-free copy of ``text`` with exactly one character per original one."""
    table = _fold_table
    for ch in set(text):
        if ord(ch) not in table:
            table[ord(ch)] = _fold_char(ch)
    return text.translate(table)


def trim(folded: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink ``[start, end)`` to start on a letter or digit and end on one (or on "." / ")")."""
    while start < end and not folded[start].isalnum():
        start += 1
    while end > start and not folded[end - 1].isalnum() and folded[end - 1] not in ".)":
        end -= 1
    return (start, end) if end > start else None
