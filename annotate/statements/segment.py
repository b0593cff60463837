"""Split an article into statements (sentences) with exact character offsets.

Annotators label statements, so every segment keeps `start`/`end` offsets into the
document text: `text[s.start:s.end] == s.text` always holds, which is what lets a
statement be shown in context and exported with provenance. Lines that are not claims
(titles, bylines, photo captions, "Lire aussi" links, language menus) are kept as
segments too, but marked, so nothing in the document silently disappears.

The splitter is rule based and tuned for French and English news copy: guillemets and
quotes keep a quoted passage inside its sentence, French narrow no-break spaces are
ordinary whitespace, and abbreviations, initials and decimals do not end a sentence.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from annotate.core.models import StatementKind

__all__ = ["Segment", "segment_text"]


class Segment(BaseModel):
    """One span of a document: a statement, or a line that is not one."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    text: str
    kind: StatementKind


# --- Markers, per language ("*" applies to every language). -----------------------------

_MARKERS_FILE = Path(__file__).parent.parent / "data" / "segment_markers.toml"


def _load_markers() -> dict[str, Any]:
    with _MARKERS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def _sets(table: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    return {language: frozenset(words) for language, words in table.items()}


_DATA = _load_markers()
ALWAYS_ABBREVIATIONS = _sets(_DATA["abbreviations"]["always"])
"""Abbreviations that never end a sentence (titles, Latin, "p. ex.")."""
SOMETIMES_ABBREVIATIONS = _sets(_DATA["abbreviations"]["sometimes"])
"""Abbreviations that end a sentence only when a typical sentence opener follows."""
SENTENCE_STARTERS = _sets(_DATA["sentence_starters"])
BOILERPLATE_MARKERS: dict[str, tuple[str, ...]] = {
    language: tuple(words) for language, words in _DATA["boilerplate"].items()
}
CAPTION_MARKERS: tuple[str, ...] = tuple(_DATA["caption"]["markers"])
AGENCIES: tuple[str, ...] = tuple(_DATA["caption"]["agencies"])
BYLINE_MARKERS: tuple[str, ...] = tuple(_DATA["byline"]["markers"])
LANGUAGE_NAMES: tuple[str, ...] = tuple(_DATA["language_menu"]["names"])

HEADING_MAX_WORDS = 25
HEADING_MAX_CHARS = 200
BYLINE_MAX_WORDS = 12
BOILERPLATE_MAX_WORDS = 15

# --- Character classes. -------------------------------------------------------------

_TERMINAL_RE = re.compile(r"[.!?…]+")
_HSPACE = " \t\u00a0\u202f\u2009\u2007\u3000"
_OPEN_QUOTE_CONTEXT = "([{«“‘—–-/:'’"
_BRACKET_CLOSERS = ")]}"
_FINAL_PUNCT = ".!?…"
_QUOTE_CHARS = "»\"”“'’"
_DATE_LINE_RE = re.compile(
    r"^(?:\d{4}-\d{2}(?:-\d{2})?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"
    r"|(?:\w+\s+)?\d{1,2}(?:er)?\s+\w+\.?\s+\d{4}(?:\s+(?:à|at)\s+\S+)?)$",
    re.IGNORECASE,
)
_INITIALISM_RE = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")
_WORD_BEFORE_RE = re.compile(r"[^\s«\"“(\[{]*$")
_NEXT_WORD_RE = re.compile(r"[^\W\d_]+['’]?")
_LIST_ITEM_RE = re.compile(r"^(?:[-*+•]\s|\d{1,3}[.)]\s|#)")
_AGENCY_RE = re.compile(
    r"^\(?\s*(?:photo\s*:?\s*)?(?:" + "|".join(re.escape(a) for a in AGENCIES) + r")"
    r"(?:\s*[/,-]\s*[\w .'’-]{1,40})?\s*\)?\.?$",
    re.IGNORECASE,
)


def _for_language(table: dict[str, frozenset[str]], language: str) -> frozenset[str]:
    """Markers of `language` plus the shared ones; unknown languages get fr+en."""
    own = table.get(language)
    if own is None:
        own = table.get("fr", frozenset()) | table.get("en", frozenset())
    return table.get("*", frozenset()) | own


def _markers(table: dict[str, tuple[str, ...]], language: str) -> tuple[str, ...]:
    # Articles often mix languages (a French site's English "Share" button), so every
    # list applies; the language only orders them.
    first = table.get(language, ())
    return first + tuple(m for lang, ms in table.items() if lang != language for m in ms)


# --- Blocks: paragraphs and lines. ----------------------------------------------------


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _is_hard_wrapped(text: str, lines: list[tuple[int, int]]) -> bool:
    """True when the text looks wrapped at a fixed width (e-mail, plain-text wires).

    Then a single newline is a soft break inside a paragraph; otherwise every line is
    its own paragraph, which is how copied web articles and extracted HTML look.
    """
    stripped = [text[s:e].strip() for s, e in lines]
    non_blank = [line for line in stripped if line]
    if len(non_blank) < 4 or max(len(line) for line in non_blank) > 100:
        return False
    adjacent = sum(1 for a, b in itertools.pairwise(stripped) if a and b)
    wide = sum(1 for line in non_blank if 50 <= len(line) <= 100)
    return adjacent >= 3 and wide * 2 >= len(non_blank)


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each paragraph, trimmed of surrounding whitespace."""
    lines = _line_spans(text)
    wrapped = _is_hard_wrapped(text, lines)
    current: list[tuple[int, int]] = []

    def flush() -> Iterator[tuple[int, int]]:
        if current:
            start, end = current[0][0], current[-1][1]
            yield from _trim(text, start, end)
            current.clear()

    for start, end in lines:
        line = text[start:end].strip()
        if not line:
            yield from flush()
            continue
        if current:
            previous = text[current[-1][0] : current[-1][1]].strip()
            joins = wrapped and len(previous) >= 40 and not _LIST_ITEM_RE.match(line)
            joins = joins and not previous.startswith("#")
            if not joins:
                yield from flush()
        current.append((start, end))
    yield from flush()


def _trim(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


# --- Sentences inside one block. ------------------------------------------------------


def _quote_spans(block: str) -> tuple[list[bool], set[int]]:
    """Mark the characters inside a quotation that closes within the block.

    Returns `inside[i]` (position i lies strictly between an opening quote and its
    closing one) and the set of closing-quote positions. A quote that never closes is
    ignored, so one stray « cannot glue a whole paragraph together.
    """
    n = len(block)
    spans: list[tuple[int, int]] = []
    guillemets: list[int] = []
    curly: list[int] = []
    straight: int | None = None
    for i, ch in enumerate(block):
        if ch == "«":
            guillemets.append(i)
        elif ch == "»":
            if guillemets:
                spans.append((guillemets.pop(), i))
        elif ch == "„":
            curly.append(i)
        elif ch == "“":
            if curly and block[curly[-1]] == "„":
                spans.append((curly.pop(), i))
            else:
                curly.append(i)
        elif ch == "”":
            if curly:
                spans.append((curly.pop(), i))
        elif ch == '"':
            if straight is not None:
                spans.append((straight, i))
                straight = None
            elif (i == 0 or block[i - 1].isspace() or block[i - 1] in _OPEN_QUOTE_CONTEXT) and (
                i + 1 < n and not block[i + 1].isspace()
            ):
                straight = i
    diff = [0] * (n + 1)
    for opening, closing in spans:
        diff[opening + 1] += 1
        diff[closing] -= 1
    inside = []
    depth = 0
    for i in range(n):
        depth += diff[i]
        inside.append(depth > 0)
    return inside, {closing for _, closing in spans}


def _next_word(block: str, pos: int) -> str:
    match = _NEXT_WORD_RE.match(block, pos)
    return match.group(0).replace("’", "'") if match else ""


def _opens_sentence(block: str, pos: int, cased: bool, starters: frozenset[str]) -> bool:
    """Whether the text at `pos` plausibly starts a new sentence."""
    ch = block[pos]
    if ch in '«“"„—–-':
        return True
    if cased:
        return not ch.islower()
    return _next_word(block, pos).casefold() in starters


def _starts_with_starter(block: str, pos: int, cased: bool, starters: frozenset[str]) -> bool:
    ch = block[pos]
    if ch in "«“„":
        return True
    word = _next_word(block, pos)
    if not word or (cased and not word[0].isupper()):
        return False
    folded = word.casefold()
    return folded in starters or f"{folded}." in starters  # "Mr." is listed with its dot


def _sentence_spans(block: str, language: str) -> list[tuple[int, int]]:
    """Split one paragraph into sentence spans (offsets relative to the block)."""
    n = len(block)
    inside, closings = _quote_spans(block)
    always = _for_language(ALWAYS_ABBREVIATIONS, language)
    sometimes = _for_language(SOMETIMES_ABBREVIATIONS, language)
    starters = _for_language(SENTENCE_STARTERS, language)
    cased = any(ch.isupper() for ch in block)
    cuts: list[int] = []
    for match in _TERMINAL_RE.finditer(block):
        i, k = match.start(), match.end()
        punct = match.group(0)
        if i > 0 and block[i - 1] in "([":  # an elision: "(...)", "[…]"
            continue
        closed_quote = False
        while True:
            t = k
            while t < n and block[t] in _HSPACE:
                t += 1
            if t < n and t in closings:
                k, closed_quote = t + 1, True
            elif k < n and block[k] in _BRACKET_CLOSERS:
                k += 1
            else:
                break
        if k >= n or not block[k].isspace() or inside[k]:
            continue
        q = k
        while q < n and block[q].isspace():
            q += 1
        if q >= n:
            continue
        if closed_quote or "…" in punct or ".." in punct or punct in "!?":
            # « ... ! » a-t-il dit / "..." she said: the attribution belongs to it.
            if not _opens_sentence(block, q, cased, starters):
                continue
        elif punct == ".":
            word = _WORD_BEFORE_RE.search(block, 0, i)
            token = word.group(0) if word else ""
            lowered = token.casefold() + "."
            if lowered in always:
                continue
            ambiguous = (
                lowered in sometimes
                or _INITIALISM_RE.match(token) is not None
                or (len(token) == 1 and token.isalpha())
            )
            if ambiguous and not _starts_with_starter(block, q, cased, starters):
                continue
            if token.isdigit() and len(token) <= 3 and block[:i].strip() == token:
                continue  # "1. First point": a numbered list item
        cuts.append(k)
    spans = []
    start = 0
    for cut in [*cuts, n]:
        for s, e in _trim(block, start, cut):
            spans.append((s, e))
        start = cut
    return spans


# --- Kinds. ---------------------------------------------------------------------------


def _starts_with_marker(folded: str, markers: tuple[str, ...]) -> str | None:
    for marker in markers:
        if folded.startswith(marker):
            rest = folded[len(marker) :]
            if not rest or not (rest[0].isalnum() or rest[0] in "'’-"):
                return marker
    return None


def _is_language_menu(folded: str) -> bool:
    if len(folded) > 400:
        return False
    return sum(1 for name in LANGUAGE_NAMES if name in folded) >= 3


def _ends_as_sentence(text: str) -> bool:
    stripped = text.rstrip(_QUOTE_CHARS + _BRACKET_CLOSERS + _HSPACE)
    return (bool(stripped) and stripped[-1] in _FINAL_PUNCT) or text[-1] in '»”"'


def _classify(text: str, whole_line: bool, language: str) -> StatementKind:
    folded = text.casefold().replace("\u00a0", " ").replace("\u202f", " ")
    words = len(text.split())
    if _is_language_menu(folded):
        return "boilerplate"
    if whole_line and ("©" in text or re.search(r"\(c\)\s*\d{4}", folded)) and words <= 20:
        return "boilerplate"
    marker = _starts_with_marker(folded, _markers(BOILERPLATE_MARKERS, language))
    short = words <= BOILERPLATE_MAX_WORDS and (not text.endswith(".") or words <= 6)
    if marker and whole_line and short:
        return "boilerplate"
    caption = _starts_with_marker(folded.lstrip("(["), CAPTION_MARKERS)
    if caption:
        rest = folded.lstrip("([")[len(caption) :].lstrip()
        if rest[:1] in (":", "/", "|", "©"):
            return "caption"
    if _AGENCY_RE.match(folded.strip()):
        return "caption"
    if whole_line and text.endswith("|") and words <= HEADING_MAX_WORDS:
        return "caption"
    if whole_line and words <= BYLINE_MAX_WORDS and not text.endswith("."):
        if _starts_with_marker(folded, BYLINE_MARKERS) and words >= 2:
            return "byline"
        if text[0] in "—–-" and 2 <= words <= 6:
            return "byline"
    if whole_line and text.startswith("#"):
        return "heading"
    if whole_line and _DATE_LINE_RE.match(text.strip()):
        return "heading"
    if (
        whole_line
        and not _ends_as_sentence(text)
        and words <= HEADING_MAX_WORDS
        and len(text) <= HEADING_MAX_CHARS
    ):
        return "heading"
    return "statement"


def segment_text(text: str, language: str) -> list[Segment]:
    """Split `text` into ordered, non-overlapping segments covering all its non-blank text.

    `language` (ISO 639-1) selects the abbreviation and marker lists; an unknown code
    uses the French and English ones together.
    """
    segments: list[Segment] = []
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end]
        spans = _sentence_spans(block, language)
        single_line = "\n" not in block
        for start, end in spans:
            whole = single_line and len(spans) == 1
            piece = block[start:end]
            segments.append(
                Segment(
                    start=block_start + start,
                    end=block_start + end,
                    text=piece,
                    kind=_classify(piece, whole, language),
                )
            )
    return segments
