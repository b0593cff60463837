"""Speaker classification: what kind of source a speaker phrase names.

The phrase is cut at its commas (name and apposition); in each piece only the *head* region
is read (before "of/at/for"; « de/du/chez »), and the class of the head noun decides:
the last class word in English ("a former CIA analyst" is an analyst), the first in French
(« l'ancien analyste de la CIA »). Anonymity ("people familiar with", « qui souhaite rester
anonyme ») is read in the whole phrase. Whether a person is *named* is read on the original
capitals ("Luisa Ortega", « M. Dupont »), so lower-case scraped text is classified by role
only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from annotate.suggest.lexicon import Lexicon
from annotate.suggest.text import trim

__all__ = ["Speaker", "classify"]


@dataclass(frozen=True, slots=True)
class Speaker:
    """``kind`` is a speaker class of the lexicon, "pronoun", "proper" (an unknown capitalised
    name: a person, a place or an organisation) or "unknown"."""

    kind: str
    named: bool
    start: int
    end: int
    cue: tuple[int, int] | None = None


_CAPWORD = re.compile(r"(?<![\w'’])(?:[A-ZÀ-Ý][\w'’.-]*|Mc\w+)")
_HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|M|Mme|Me|Pr)\.?\s+[A-ZÀ-Ý]")

# Classes whose presence in the whole phrase (not only its head) decides.
_WHOLE_PHRASE = ("anonymous",)
_PRIORITY = (
    "anonymous",
    "expert",
    "spokesperson",
    "intelligence",
    "document",
    "outlet",
    "title",
    "institution",
    "person",
)


def _named(lex: Lexicon, text: str, start: int, end: int) -> bool:
    if _HONORIFIC.search(text, start, end):
        return True
    words = [
        m.group(0)
        for m in _CAPWORD.finditer(text, start, end)
        if m.group(0).rstrip(".") not in lex.speakers.name_stopwords
    ]
    run = 0
    best = 0
    prev_end = -1
    for m in _CAPWORD.finditer(text, start, end):
        w = m.group(0).rstrip(".")
        if w in lex.speakers.name_stopwords:
            run = 0
            prev_end = m.end()
            continue
        gap = text[prev_end : m.start()] if prev_end >= 0 else ""
        run = run + 1 if prev_end >= 0 and gap.strip() in ("", "-") and run else 1
        prev_end = m.end()
        best = max(best, run)
    return best >= 2 and bool(words)


_TOKEN = re.compile(r"[a-z][a-z'-]*")


def _name_like(lex: Lexicon, folded: str, start: int, end: int) -> bool:
    """In text with no capitals at all, a comma piece of two to four plain words that are
    neither function words nor class words reads as a name ("..., sean savett, ...")."""
    words = folded[start:end].split()
    if not 2 <= len(words) <= 4 or not all(_TOKEN.fullmatch(w) for w in words):
        return False
    span = lex.span
    for w in words:
        for regex in (span.determiners, span.head_end, span.incidental):
            if regex is not None and regex.fullmatch(w):
                return False
    return not any(regex.search(folded, start, end) for _, regex in lex.speakers.classes)


def _inside_compound(folded: str, start: int, end: int) -> bool:
    """A class word that is only part of a hyphenated name ("the Herald-Leader") is not the
    head; prefixes ("ex-ministre", "vice-president") do not count as a first part."""
    if end < len(folded) - 1 and folded[end] == "-" and folded[end + 1].isalpha():
        return True
    if start >= 2 and folded[start - 1] == "-" and folded[start - 2].isalpha():
        word_start = start - 1
        while word_start > 0 and folded[word_start - 1].isalpha():
            word_start -= 1
        return start - 1 - word_start > 4
    return False


def _head(lex: Lexicon, folded: str, start: int, end: int) -> tuple[int, int]:
    stop = lex.span.head_end
    if stop is not None:
        m = stop.search(folded, start + 1, end)
        if m:
            return start, m.start()
    return start, end


def classify(lex: Lexicon, text: str, folded: str, span: tuple[int, int]) -> Speaker:
    start, end = span
    phrase = folded[start:end].strip()
    sp = lex.speakers
    if phrase in sp.pronouns:
        return Speaker("pronoun", False, start, end, (start, end))
    named = _named(lex, text, start, end)
    found: dict[str, tuple[int, int]] = {}
    for name, regex in sp.classes:
        if name in _WHOLE_PHRASE:
            # on the phrase alone, so that ^ and $ anchor to the phrase
            m = regex.search(folded[start:end])
            if m:
                found[name] = (start + m.start(), start + m.end())
    pieces = []
    pos = start
    for i in range(start, end + 1):
        if i == end or folded[i] == ",":
            piece = trim(folded, pos, i)
            if piece:
                pieces.append(piece)
            pos = i + 1
    if sp.statistics is not None:
        m = sp.statistics.search(folded, start, end)
        if m:
            found["document"] = m.span()
    if not named and not any(c.isupper() for c in text):
        named = any(_name_like(lex, folded, ps, pe) for ps, pe in pieces)
    for ps, pe in pieces:
        _, he = _head(lex, folded, ps, pe)
        best: tuple[tuple[int, int], str, tuple[int, int]] | None = None
        for name, regex in sp.classes:
            if name in _WHOLE_PHRASE:
                continue
            for m in regex.finditer(folded, ps, pe):
                if m.start() >= he:
                    break
                if _inside_compound(folded, m.start(), m.end()):
                    continue
                # the head noun: first class word in French; last in English, the longest
                # at that end ("news agency" over "agency")
                key = (m.start(), -m.end()) if sp.head_side == "first" else (-m.end(), m.start())
                if best is None or key < best[0]:
                    best = (key, name, m.span())
                if sp.head_side == "first":
                    break
        if best is not None and best[1] not in found:
            found[best[1]] = best[2]
    if "anonymous" in found and named:
        found.setdefault("title", found.pop("anonymous"))
    for name in _PRIORITY:
        if name in found:
            return Speaker(name, named, start, end, found[name])
    if phrase in sp.places:
        return Speaker("institution", False, start, end)
    if named or (_CAPWORD.match(text, start) and not folded[start:end].startswith(("l'", "d'"))):
        return Speaker("proper", named, start, end)
    if _CAPWORD.search(text, start, end) and end - start < 40:
        return Speaker("proper", named, start, end)
    return Speaker("unknown", named, start, end)
