"""Attribution cues: find who a statement is attributed to and suggest a source type.

Rules only, read from per-language pattern files (``data/cues_<lang>.toml``) so that a
newsroom can add its own outlets, titles and verbs without touching code.

Matching runs on a *folded* copy of the text (lower case, accents removed, typographic
apostrophes and quotes made plain, non-breaking spaces made plain) whose characters map
one to one to the original, so every cue is an exact slice of the original statement.

How the votes become one suggestion (the rule annotators are asked to follow too):

* every cue votes for one or more source types with a weight; a type's score is the
  highest weight it received;
* the primary type is the one with the highest score; ties go to the file's
  ``precedence`` order;
* the weights encode "what is relayed wins over who relays it": an official citing
  declassified intelligence is ``declassified_intel``, an outlet citing anonymous officials
  is ``anonymous_official``; a denial or a refusal is the speaker's own act, so it wins over
  whoever voiced it. The other types found are kept as ``secondary`` ("also cites");
* a hedge (French conditional, "reportedly") only votes ``unattributed`` weakly: a named
  source anywhere in the statement outweighs it; a statement with no cue at all is
  ``unattributed``.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from annotate.core.errors import SourceDeskError, validation_line

__all__ = [
    "Cue",
    "CueDetector",
    "CueKind",
    "PatternError",
    "PatternSet",
    "Suggestion",
    "detect_cues",
    "fold",
    "load_patterns",
]

DATA_DIR = Path(__file__).parent.parent / "data"

CueKind = Literal[
    "reporting_verb",
    "according_to",
    "anonymity",
    "intelligence",
    "denial",
    "refusal",
    "request_for_comment",
    "media_citation",
    "communique",
    "hedge",
    "document",
    "expert",
    "official_title",
]
SpanRule = Literal["after", "before", "subject", "match"]
UNATTRIBUTED = "unattributed"


class Cue(BaseModel):
    """One matched phrase; ``kind`` is "source" for the span naming who speaks."""

    kind: CueKind | Literal["source"]
    start: int
    end: int
    text: str
    pattern: str


class Suggestion(BaseModel):
    language: str
    cues: list[Cue]
    source_span: Cue | None
    suggested_type: str
    score: float = Field(ge=0.0, le=1.0)
    secondary: list[tuple[str, float]]

    @property
    def who(self) -> str:
        """What pre-fills the annotator's "who" field."""
        return self.source_span.text if self.source_span else ""

    @property
    def cue_text(self) -> str:
        """What pre-fills the "cue" field: the first cue outside the source span (a title
        inside "le ministre" names the source; it is not the attributing phrase)."""
        span = self.source_span
        outside = (
            c for c in self.cues if span is None or c.end <= span.start or c.start >= span.end
        )
        return next((c.text for c in outside), "")


class PatternError(SourceDeskError):
    """A pattern file that cannot be used; the message names the file and the pattern id."""


# --- folding ------------------------------------------------------------------------------

_SPECIAL = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
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


# --- pattern files ------------------------------------------------------------------------


class _PatternSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    kind: CueKind
    regex: str | None = None
    phrases: list[str] | None = None
    votes: dict[str, float] = Field(default_factory=dict)
    source: SpanRule | None = None
    scope: Literal["text", "source"] = "text"
    case_sensitive: bool = False

    @field_validator("votes")
    @classmethod
    def _weights(cls, votes: dict[str, float]) -> dict[str, float]:
        for key, weight in votes.items():
            if not 0.0 < weight <= 1.0:
                raise ValueError(f"weight for {key!r} must be in (0, 1], got {weight}")
        return votes


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = Field(min_length=2, max_length=8)
    precedence: list[str] = Field(min_length=1)
    secondary_min: float = Field(default=0.5, ge=0.0, le=1.0)
    no_cue_score: float = Field(default=0.6, ge=0.0, le=1.0)
    span_max_chars: int = Field(default=160, ge=10)
    span_cut: str = r"[;:!?\"]|\.(?=\s|$)"
    span_stop: list[str] = Field(default_factory=list)
    clause_start: list[str] = Field(default_factory=list)
    span_end: list[str] = Field(default_factory=list)
    inversion_starts: list[str] = Field(default_factory=list)
    pattern: list[dict[str, object]] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Pattern:
    id: str
    kind: str
    regex: re.Pattern[str]
    votes: tuple[tuple[str, float], ...]
    source: SpanRule | None
    case_sensitive: bool


@dataclass(frozen=True, slots=True)
class PatternSet:
    language: str
    precedence: tuple[str, ...]
    secondary_min: float
    no_cue_score: float
    span_max_chars: int
    span_cut: re.Pattern[str]
    span_stop: re.Pattern[str] | None
    clause_start: re.Pattern[str] | None
    span_end: re.Pattern[str] | None
    inversion_start: re.Pattern[str] | None
    text_patterns: tuple[Pattern, ...]
    source_patterns: tuple[Pattern, ...]


def _phrase_regex(phrases: Iterable[str]) -> str:
    """Whole-word alternation of folded phrases; any run of spaces matches any whitespace."""
    parts = sorted({fold(p).strip() for p in phrases if p.strip()}, key=len, reverse=True)
    alts = (
        r"\s+".join(re.escape(w) for w in p.split()) + (r"(?!\w)" if p[-1].isalnum() else "")
        for p in parts
    )
    return r"(?<!\w)(?:" + "|".join(alts) + ")"


def _compile(path: Path, where: str, regex: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(regex, flags)
    except re.error as exc:
        raise PatternError(f"{path}: {where}: invalid regex: {exc}") from None


def load_patterns(path: Path | str) -> PatternSet:
    """Read and validate one pattern file; errors name the file and the pattern id."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PatternError(f"{path}: no such pattern file") from None
    except tomllib.TOMLDecodeError as exc:
        raise PatternError(f"{path}: not valid TOML: {exc}") from None
    try:
        spec = _FileSpec.model_validate(raw)
    except ValidationError as exc:
        raise PatternError(f"{path}: {_first_error(exc)}") from None
    known = set(spec.precedence)
    text_patterns: list[Pattern] = []
    source_patterns: list[Pattern] = []
    seen: set[str] = set()
    for index, item in enumerate(spec.pattern):
        label = f"pattern {item.get('id', f'#{index + 1}')!s}"
        try:
            p = _PatternSpec.model_validate(item)
        except ValidationError as exc:
            raise PatternError(f"{path}: {label}: {_first_error(exc)}") from None
        if p.id in seen:
            raise PatternError(f"{path}: {label}: duplicate id")
        seen.add(p.id)
        if (p.regex is None) == (p.phrases is None):
            raise PatternError(f"{path}: {label}: give exactly one of 'regex' or 'phrases'")
        unknown = sorted(set(p.votes) - known)
        if unknown:
            raise PatternError(
                f"{path}: {label}: votes for {', '.join(unknown)}, not in 'precedence'"
            )
        source = p.regex if p.regex is not None else _phrase_regex(p.phrases or [])
        if p.phrases is not None and not p.phrases:
            raise PatternError(f"{path}: {label}: 'phrases' is empty")
        compiled = _compile(path, label, source)
        if compiled.search("") is not None:
            raise PatternError(f"{path}: {label}: regex matches the empty string")
        pattern = Pattern(
            id=p.id,
            kind=p.kind,
            regex=compiled,
            votes=tuple(p.votes.items()),
            source=p.source,
            case_sensitive=p.case_sensitive,
        )
        (source_patterns if p.scope == "source" else text_patterns).append(pattern)
    stop = _phrase_regex(spec.span_stop) if spec.span_stop else None
    inv = r"\s*" + _phrase_regex(spec.inversion_starts) if spec.inversion_starts else None
    return PatternSet(
        language=spec.language,
        precedence=tuple(spec.precedence),
        secondary_min=spec.secondary_min,
        no_cue_score=spec.no_cue_score,
        span_max_chars=spec.span_max_chars,
        span_cut=_compile(path, "span_cut", spec.span_cut),
        span_stop=_compile(path, "span_stop", stop) if stop else None,
        clause_start=(
            _compile(path, "clause_start", _phrase_regex(spec.clause_start))
            if spec.clause_start
            else None
        ),
        span_end=(
            _compile(path, "span_end", _phrase_regex(spec.span_end)) if spec.span_end else None
        ),
        inversion_start=_compile(path, "inversion_starts", inv) if inv else None,
        text_patterns=tuple(text_patterns),
        source_patterns=tuple(source_patterns),
    )


def _first_error(exc: ValidationError) -> str:
    return validation_line(exc, default="file")


# --- detection ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Hit:
    pattern: Pattern
    start: int
    end: int


class CueDetector:
    """Compiled pattern sets for a few languages; build once and reuse."""

    def __init__(
        self, patterns_dir: Path | None = None, languages: Iterable[str] = ("fr", "en")
    ) -> None:
        folder = Path(patterns_dir) if patterns_dir is not None else DATA_DIR
        self.sets: dict[str, PatternSet] = {
            lang: load_patterns(folder / f"cues_{lang}.toml") for lang in languages
        }

    def detect(self, text: str, language: str) -> Suggestion:
        lang = language.split("-")[0].lower()
        ps = self.sets.get(lang)
        if ps is None:
            raise ValueError(f"no cue patterns for language {language!r}")
        folded = fold(text)
        hits = _non_overlapping(
            _Hit(p, m.start(), m.end())
            for p in ps.text_patterns
            for m in p.regex.finditer(text if p.case_sensitive else folded)
        )
        scores: dict[str, float] = {}
        origin: dict[str, tuple[int, int] | None] = {}
        cues: list[Cue] = []
        spans: list[tuple[int, int]] = []
        for hit in hits:
            cues.append(_cue(text, hit.pattern, hit.start, hit.end))
            best: tuple[float, tuple[int, int] | None, list[tuple[Pattern, int, int]]] = (
                -1.0,
                None,
                [],
            )
            if hit.pattern.source:
                for s, e in _span_candidates(ps, text, folded, hit):
                    found = []
                    for p in ps.source_patterns:
                        m = p.regex.search(text if p.case_sensitive else folded, s, e)
                        if m:
                            found.append((p, m.start(), m.end()))
                    weight = max((w for p, _, _ in found for _, w in p.votes), default=0.0)
                    if weight > best[0]:
                        best = (weight, (s, e), found)
            span = best[1]
            if span is not None:
                spans.append(span)
            _vote(scores, origin, hit.pattern.votes, span)
            for p, s, e in best[2]:
                cues.append(_cue(text, p, s, e))
                _vote(scores, origin, p.votes, span)
        unique: dict[tuple[int, int, str], Cue] = {}
        for cue in cues:
            unique.setdefault((cue.start, cue.end, cue.kind), cue)
        cues = list(unique.values())
        cues.sort(key=lambda c: (c.start, -c.end))
        return _suggest(ps, lang, text, cues, scores, origin, spans)


def _cue(text: str, pattern: Pattern, start: int, end: int) -> Cue:
    return Cue(
        kind=pattern.kind,  # type: ignore[arg-type]
        start=start,
        end=end,
        text=text[start:end],
        pattern=pattern.id,
    )


def _non_overlapping(hits: Iterable[_Hit]) -> list[_Hit]:
    """Longest match wins where matches overlap ("n'a ni confirmé ni démenti" over "démenti")."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    kept.sort(key=lambda h: h.start)
    return kept


def _vote(
    scores: dict[str, float],
    origin: dict[str, tuple[int, int] | None],
    votes: tuple[tuple[str, float], ...],
    span: tuple[int, int] | None,
) -> None:
    for key, weight in votes:
        current = scores.get(key, 0.0)
        if weight > current or (weight == current and _longer(span, origin.get(key))):
            scores[key] = weight
            if span is not None or key not in origin:
                origin[key] = span


def _longer(span: tuple[int, int] | None, than: tuple[int, int] | None) -> bool:
    """Between equal votes, the fuller span names the source better ("le porte-parole du ...")."""
    if span is None:
        return False
    return than is None or span[1] - span[0] > than[1] - than[0]


_CAPITAL = re.compile(r"\s*[A-ZÀ-Ý]")


def _span_candidates(ps: PatternSet, text: str, folded: str, hit: _Hit) -> list[tuple[int, int]]:
    """Where the source may be: after the cue, before it, or both (inverted subject)."""
    rule = hit.pattern.source
    if rule == "match":
        found: list[tuple[int, int] | None] = [(hit.start, hit.end)]
    elif rule == "after":
        found = [_span_after(ps, folded, hit.end, open_tail=False)]
    elif rule == "before":
        found = [_span_before(ps, folded, hit.start)]
    else:
        found = []
        before = folded[max(0, hit.start - 3) : hit.start].rstrip()
        if before.endswith((",", '"')) and (
            _CAPITAL.match(text, hit.end)
            or (ps.inversion_start is not None and ps.inversion_start.match(folded, hit.end))
        ):
            found.append(_span_after(ps, folded, hit.end, open_tail=True))
        found.append(_span_before(ps, folded, hit.start))
    return [span for span in found if span is not None]


def _span_after(
    ps: PatternSet, folded: str, pos: int, *, open_tail: bool
) -> tuple[int, int] | None:
    end = min(len(folded), pos + ps.span_max_chars)
    cut = ps.span_cut.search(folded, pos, end)
    if cut:
        end = cut.start()
    if ps.span_end is not None:
        stop_word = ps.span_end.search(folded, pos, end)
        if stop_word and stop_word.start() > pos + 1:
            end = stop_word.start()
    comma = folded.find(",", pos, end)
    if comma != -1:
        # keep one apposition ("X, chercheur à l'IRIS,") unless it opens a new clause
        lead = comma + 1
        while lead < end and folded[lead].isspace():
            lead += 1
        nxt = folded.find(",", lead, end)
        if ps.span_stop is not None and ps.span_stop.match(folded, lead):
            end = comma
        elif nxt != -1:
            end = nxt
        elif not open_tail:
            end = comma
    return _trim(folded, pos, end)


def _span_before(ps: PatternSet, folded: str, pos: int) -> tuple[int, int] | None:
    start = max(0, pos - ps.span_max_chars)
    for m in ps.span_cut.finditer(folded, start, pos):
        start = m.end()
    if ps.clause_start is not None:
        for m in ps.clause_start.finditer(folded, start, pos):
            start = m.end()
    return _trim(folded, start, pos)


def _trim(folded: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and not folded[start].isalnum():
        start += 1
    while end > start and not folded[end - 1].isalnum() and folded[end - 1] not in ".)":
        end -= 1
    return (start, end) if end > start else None


def _suggest(
    ps: PatternSet,
    lang: str,
    text: str,
    cues: list[Cue],
    scores: dict[str, float],
    origin: dict[str, tuple[int, int] | None],
    spans: list[tuple[int, int]],
) -> Suggestion:
    rank = {key: i for i, key in enumerate(ps.precedence)}
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], rank[kv[0]]))
    if not ordered:
        primary, score = UNATTRIBUTED, ps.no_cue_score
    else:
        primary, best = ordered[0]
        runner_up = ordered[1][1] if len(ordered) > 1 else 0.0
        score = best * (1.0 - 0.3 * runner_up / best)
    secondary = [
        (key, round(w, 3))
        for key, w in ordered[1:]
        if w >= ps.secondary_min and key not in (primary, UNATTRIBUTED)
    ]
    span = origin.get(primary) or (spans[0] if spans else None)
    source = (
        Cue(kind="source", start=span[0], end=span[1], text=text[span[0] : span[1]], pattern="span")
        if span
        else None
    )
    return Suggestion(
        language=lang,
        cues=cues,
        source_span=source,
        suggested_type=primary,
        score=round(min(1.0, max(0.0, score)), 3),
        secondary=secondary,
    )


@cache
def _default_detector() -> CueDetector:
    return CueDetector()


def detect_cues(text: str, language: str) -> Suggestion:
    """Suggest a source type for one statement with the bundled French and English patterns."""
    return _default_detector().detect(text, language)


KINDS: tuple[str, ...] = get_args(CueKind)
