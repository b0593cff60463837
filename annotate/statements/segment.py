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

import functools
import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from annotate.core.models import StatementKind

__all__ = ["Segment", "iter_segments", "segment_text"]


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
_WORD_STOPS = '«"“([{'
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


@functools.lru_cache(maxsize=64)
def _boilerplate_markers(language: str) -> tuple[str, ...]:
    return _markers(BOILERPLATE_MARKERS, language)


# --- Blocks: paragraphs and lines. ----------------------------------------------------


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line, the newline excluded, as they are found: neither the
    lines nor their offsets are kept (a long file has hundreds of thousands)."""
    pos = 0
    while (end := text.find("\n", pos)) >= 0:
        yield pos, end
        pos = end + 1
    yield pos, len(text)


def _is_hard_wrapped(text: str, lines: Iterable[tuple[int, int]]) -> bool:
    """True when the text looks wrapped at a fixed width (e-mail, plain-text wires).

    Then a single newline is a soft break inside a paragraph; otherwise every line is
    its own paragraph, which is how copied web articles and extracted HTML look.
    """
    non_blank = adjacent = wide = 0
    previous = 0
    for start, end in lines:  # one line at a time: only lengths are kept
        length = len(text[start:end].strip())
        if length > 100:
            return False
        if length:
            non_blank += 1
            adjacent += previous > 0
            wide += length >= 50
        previous = length
    return non_blank >= 4 and adjacent >= 3 and wide * 2 >= non_blank


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each paragraph, trimmed of surrounding whitespace."""
    wrapped = _is_hard_wrapped(text, _line_spans(text))  # found again below, not kept
    current: list[tuple[int, int]] = []

    def flush() -> Iterator[tuple[int, int]]:
        if current:
            start, end = current[0][0], current[-1][1]
            yield from _trim(text, start, end)
            current.clear()

    for start, end in _line_spans(text):
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


_QUOTE_RE = re.compile('[«»„“”"]')


def _quote_spans(block: str) -> tuple[bytearray, set[int]]:
    """Mark the characters inside a quotation that closes within the block.

    Returns `inside[i]` (true when position i lies strictly between an opening quote and
    its closing one) and the set of closing-quote positions. A quote that never closes
    is ignored, so one stray « cannot glue a whole paragraph together. Only the quote
    characters are visited, and nested quotations are merged before marking, so the
    work is linear in the length of the block.
    """
    n = len(block)
    spans: list[tuple[int, int]] = []
    guillemets: list[int] = []
    curly: list[int] = []
    straight: int | None = None
    for match in _QUOTE_RE.finditer(block):
        i, ch = match.start(), match.group(0)
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
        elif straight is not None:
            spans.append((straight, i))
            straight = None
        elif (i == 0 or block[i - 1].isspace() or block[i - 1] in _OPEN_QUOTE_CONTEXT) and (
            i + 1 < n and not block[i + 1].isspace()
        ):
            straight = i
    inside = bytearray(n)
    reach = 0  # marked up to here: a span inside a marked one adds nothing
    for opening, closing in sorted(spans):
        first, last = max(opening + 1, reach), closing
        if last > first:
            inside[first:last] = b"\x01" * (last - first)
            reach = last
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


def _token_start(block: str, end: int) -> int:
    """Start of the word that ends at `end` (up to a space, quote or opening bracket).

    A backward scan: words that precede distinct sentence ends do not overlap, so the
    scans add up to the length of the block (a regex anchored at `$` from position 0
    would rescan the block for every full stop).
    """
    start = end
    while start > 0 and not block[start - 1].isspace() and block[start - 1] not in _WORD_STOPS:
        start -= 1
    return start


def _sentence_spans(block: str, language: str) -> list[tuple[int, int]]:
    """Split one paragraph into sentence spans (offsets relative to the block)."""
    n = len(block)
    inside, closings = _quote_spans(block)
    always = _for_language(ALWAYS_ABBREVIATIONS, language)
    sometimes = _for_language(SOMETIMES_ABBREVIATIONS, language)
    starters = _for_language(SENTENCE_STARTERS, language)
    cased = any(map(str.isupper, block))
    first_visible = len(block) - len(block.lstrip())
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
            token = block[_token_start(block, i) : i]
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
            if token.isdigit() and len(token) <= 3 and i - len(token) <= first_visible:
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
    marker = _starts_with_marker(folded, _boilerplate_markers(language))
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
    return list(iter_segments(text, language))


def iter_segments(text: str, language: str) -> Iterator[Segment]:
    """The segments of `segment_text`, one paragraph at a time (time and memory linear in
    the length of the text)."""
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end]
        spans = _sentence_spans(block, language)
        single_line = "\n" not in block
        for start, end in spans:
            whole = single_line and len(spans) == 1
            piece = block[start:end]
            yield Segment(
                start=block_start + start,
                end=block_start + end,
                text=piece,
                kind=_classify(piece, whole, language),
            )
