"""Attribution lexicons: one TOML file per language (``data/cues_<lang>.toml``).

A lexicon names, in data a newsroom can extend without touching code:

* ``[[predicate]]`` reporting predicates (say, report, find, deny, refuse, request for
  comment, "according to", "by") and where their speaker stands (``subject`` before the verb
  or inverted after it, ``after`` the cue, the cue itself ``match``, or ``none``);
* ``[[marker]]`` phrases that vote for a type by themselves (a written statement, anonymity,
  released intelligence, a document, a hedge);
* ``[[block]]`` senses that look like a cue but are not one ("known to the intelligence
  services", "denied bail"): any predicate or marker overlapping a block is dropped;
* ``[speakers]`` one regex per speaker class (outlet, institution, spokesperson, title,
  anonymous, document, intelligence, expert, person) and the pronouns, used to classify the
  speaker phrase found for each predicate;
* ``[span]`` how speaker phrases are cut out of the sentence.

Every regex runs on the folded text (see :mod:`annotate.suggest.text`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from annotate.core.errors import SourceDeskError, validation_line
from annotate.suggest.text import fold

__all__ = [
    "ACTS",
    "DATA_DIR",
    "KINDS",
    "SPEAKER_CLASSES",
    "Act",
    "CueKind",
    "Lexicon",
    "LexiconError",
    "Marker",
    "Predicate",
    "load_lexicon",
    "phrase_regex",
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
Act = Literal["say", "report", "find", "deny", "refuse", "request", "according", "by"]
SpeakerRule = Literal["subject", "after", "match", "antecedent", "none"]
SpeakerClass = Literal[
    "anonymous",
    "intelligence",
    "document",
    "outlet",
    "expert",
    "spokesperson",
    "title",
    "institution",
    "person",
]
KINDS: tuple[str, ...] = get_args(CueKind)
ACTS: tuple[str, ...] = get_args(Act)
SPEAKER_CLASSES: tuple[str, ...] = get_args(SpeakerClass)


class LexiconError(SourceDeskError):
    """A lexicon file that cannot be used; the message names the file and the entry id."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    regex: str | None = None
    phrases: list[str] | None = None


class _PredicateSpec(_Entry):
    kind: CueKind
    act: Act
    speaker: SpeakerRule = "subject"
    not_after: list[str] = Field(default_factory=list)


class _MarkerSpec(_Entry):
    kind: CueKind
    votes: dict[str, float] = Field(min_length=1)

    @field_validator("votes")
    @classmethod
    def _weights(cls, votes: dict[str, float]) -> dict[str, float]:
        for key, weight in votes.items():
            if not 0.0 < weight <= 1.0:
                raise ValueError(f"weight for {key!r} must be in (0, 1], got {weight}")
        return votes


class _SpanSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_chars: int = Field(default=160, ge=10)
    cut: str = r"[;:!?\"]|\.(?=\s|$)"
    clause_start: list[str] = Field(default_factory=list)
    after_comma_stop: list[str] = Field(default_factory=list)
    end_words: list[str] = Field(default_factory=list)
    drop_leading: list[str] = Field(default_factory=list)
    drop_trailing: list[str] = Field(default_factory=list)
    head_end: list[str] = Field(default_factory=list)
    determiners: list[str] = Field(default_factory=list)
    incidental: list[str] = Field(default_factory=list)
    clause_words: list[str] = Field(default_factory=list)


class _SpeakersSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pronouns: list[str] = Field(min_length=1)
    head_side: Literal["first", "last"]
    name_stopwords: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    first_person: list[str] = Field(default_factory=list)
    statistics: str | None = None
    anonymous: str
    intelligence: str
    document: str
    outlet: str
    expert: str
    spokesperson: str
    title: str
    institution: str
    person: str


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = Field(min_length=2, max_length=8)
    precedence: list[str] = Field(min_length=1)
    secondary_min: float = Field(default=0.5, ge=0.0, le=1.0)
    no_cue_score: float = Field(default=0.6, ge=0.0, le=1.0)
    span: _SpanSpec = Field(default_factory=_SpanSpec)
    speakers: _SpeakersSpec
    predicate: list[dict[str, object]] = Field(min_length=1)
    marker: list[dict[str, object]] = Field(default_factory=list)
    block: list[dict[str, object]] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Predicate:
    id: str
    kind: CueKind
    act: str
    speaker: str
    regex: re.Pattern[str]
    not_after: re.Pattern[str] | None = None
    """Words that may not stand right before a match ("la note": a noun, not a verb)."""


@dataclass(frozen=True, slots=True)
class Marker:
    id: str
    kind: CueKind
    votes: tuple[tuple[str, float], ...]
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class SpanRules:
    max_chars: int
    cut: re.Pattern[str]
    clause_start: re.Pattern[str] | None
    after_comma_stop: re.Pattern[str] | None
    end_words: re.Pattern[str] | None
    drop_leading: re.Pattern[str] | None
    drop_trailing: re.Pattern[str] | None
    head_end: re.Pattern[str] | None
    determiners: re.Pattern[str] | None
    incidental: re.Pattern[str] | None
    clause_words: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class SpeakerLexicon:
    pronouns: frozenset[str]
    head_side: str
    name_stopwords: frozenset[str]
    places: frozenset[str]
    classes: tuple[tuple[str, re.Pattern[str]], ...]
    statistics: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class Lexicon:
    language: str
    precedence: tuple[str, ...]
    secondary_min: float
    no_cue_score: float
    span: SpanRules
    speakers: SpeakerLexicon
    predicates: tuple[Predicate, ...]
    markers: tuple[Marker, ...]
    blocks: tuple[re.Pattern[str], ...]
    first_person: re.Pattern[str] | None


def phrase_regex(phrases: Iterable[str]) -> str:
    """Whole-word alternation of folded phrases; any run of spaces matches any whitespace."""
    parts = sorted({fold(p).strip() for p in phrases if p.strip()}, key=len, reverse=True)
    alts = (
        r"\s+".join(re.escape(w) for w in p.split()) + (r"(?!\w)" if p[-1].isalnum() else "")
        for p in parts
    )
    return r"(?<!\w)(?:" + "|".join(alts) + ")"


_SIMPLE_GROUP = re.compile(r"\(\?:((?:[a-z0-9 '\-]|\\s\+|\\[.'\-+]|\|)+)\)")
_ATOM = re.compile(r"\\s\+|\\[.'\-+]|[a-z0-9 '\-]")


def _trie(alternatives: list[str]) -> str:
    """One regex for a set of literal alternatives, as a trie: Python's regex engine tries
    a flat alternation one branch at a time at every position, a trie one letter at a time
    (many times faster on long verb lists). Longer alternatives are preferred, as with
    greedy matching."""
    root: dict[str, dict] = {}
    for alt in alternatives:
        node = root
        for atom in _ATOM.findall(alt):
            node = node.setdefault(atom, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [atom + build(child) for atom, child in sorted(node.items()) if atom]
        if not branches:
            return ""
        body = "|".join(branches)
        if "" in node:
            return f"(?:{body})?"
        return body if len(branches) == 1 else f"(?:{body})"

    return build(root)


def optimise(regex: str) -> str:
    """Rewrite every innermost ``(?:a|b|...)`` group of plain literals as a trie."""

    def replace(m: re.Match[str]) -> str:
        alternatives = m.group(1).split("|")
        if len(alternatives) < 4 or any(not a for a in alternatives):
            return m.group(0)
        if any("".join(_ATOM.findall(a)) != a for a in alternatives):
            return m.group(0)
        trie = _trie(alternatives)
        return trie if trie.startswith("(?:") and trie.endswith(")") else f"(?:{trie})"

    return _SIMPLE_GROUP.sub(replace, regex)


def _compile(path: Path, where: str, regex: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(optimise(regex))
    except re.error as exc:
        raise LexiconError(f"{path}: {where}: invalid regex: {exc}") from None
    if compiled.search("") is not None:
        raise LexiconError(f"{path}: {where}: regex matches the empty string")
    return compiled


def _entry_regex(path: Path, label: str, entry: _Entry) -> re.Pattern[str]:
    if (entry.regex is None) == (entry.phrases is None):
        raise LexiconError(f"{path}: {label}: give exactly one of 'regex' or 'phrases'")
    if entry.phrases is not None and not any(p.strip() for p in entry.phrases):
        raise LexiconError(f"{path}: {label}: 'phrases' is empty")
    source = entry.regex if entry.regex is not None else phrase_regex(entry.phrases or [])
    return _compile(path, label, source)


def _words(path: Path, where: str, words: list[str]) -> re.Pattern[str] | None:
    return _compile(path, where, phrase_regex(words)) if words else None


def load_lexicon(path: Path | str) -> Lexicon:
    """Read and validate one lexicon file; errors name the file and the entry id."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LexiconError(f"{path}: no such lexicon file") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: not valid TOML: {exc}") from None
    try:
        spec = _FileSpec.model_validate(raw)
    except ValidationError as exc:
        raise LexiconError(f"{path}: {validation_line(exc, default='file')}") from None
    known = set(spec.precedence)
    seen: set[str] = set()

    def checked(item: dict[str, object], index: int, model: type[_Entry], what: str) -> _Entry:
        label = f"{what} {item.get('id', f'#{index + 1}')!s}"
        try:
            entry = model.model_validate(item)
        except ValidationError as exc:
            raise LexiconError(
                f"{path}: {label}: {validation_line(exc, default='entry')}"
            ) from None
        if entry.id in seen:
            raise LexiconError(f"{path}: {label}: duplicate id")
        seen.add(entry.id)
        return entry

    predicates = []
    for i, item in enumerate(spec.predicate):
        p = checked(item, i, _PredicateSpec, "predicate")
        assert isinstance(p, _PredicateSpec)
        regex = _entry_regex(path, f"predicate {p.id}", p)
        not_after = (
            _compile(path, f"predicate {p.id}: not_after", phrase_regex(p.not_after) + r"\s+$")
            if p.not_after
            else None
        )
        predicates.append(Predicate(p.id, p.kind, p.act, p.speaker, regex, not_after))
    markers = []
    for i, item in enumerate(spec.marker):
        m = checked(item, i, _MarkerSpec, "marker")
        assert isinstance(m, _MarkerSpec)
        unknown = sorted(set(m.votes) - known)
        if unknown:
            raise LexiconError(
                f"{path}: marker {m.id}: votes for {', '.join(unknown)}, not in 'precedence'"
            )
        regex = _entry_regex(path, f"marker {m.id}", m)
        markers.append(Marker(m.id, m.kind, tuple(m.votes.items()), regex))
    blocks = []
    for i, item in enumerate(spec.block):
        b = checked(item, i, _Entry, "block")
        blocks.append(_entry_regex(path, f"block {b.id}", b))
    sp = spec.span
    span = SpanRules(
        max_chars=sp.max_chars,
        cut=_compile(path, "span.cut", sp.cut),
        clause_start=_words(path, "span.clause_start", sp.clause_start),
        after_comma_stop=_words(path, "span.after_comma_stop", sp.after_comma_stop),
        end_words=_words(path, "span.end_words", sp.end_words),
        drop_leading=_words(path, "span.drop_leading", sp.drop_leading),
        drop_trailing=_words(path, "span.drop_trailing", sp.drop_trailing),
        head_end=_words(path, "span.head_end", sp.head_end),
        determiners=_words(path, "span.determiners", sp.determiners),
        incidental=_words(path, "span.incidental", sp.incidental),
        clause_words=_words(path, "span.clause_words", sp.clause_words),
    )
    ss = spec.speakers
    classes = tuple(
        (name, _compile(path, f"speakers.{name}", getattr(ss, name))) for name in SPEAKER_CLASSES
    )
    speakers = SpeakerLexicon(
        pronouns=frozenset(fold(p) for p in ss.pronouns),
        head_side=ss.head_side,
        name_stopwords=frozenset(ss.name_stopwords),
        places=frozenset(fold(p) for p in ss.places),
        classes=classes,
        statistics=(
            _compile(path, "speakers.statistics", ss.statistics) if ss.statistics else None
        ),
    )
    return Lexicon(
        language=spec.language,
        precedence=tuple(spec.precedence),
        secondary_min=spec.secondary_min,
        no_cue_score=spec.no_cue_score,
        span=span,
        speakers=speakers,
        predicates=tuple(predicates),
        markers=tuple(markers),
        blocks=tuple(blocks),
        first_person=_words(path, "speakers.first_person", ss.first_person),
    )
