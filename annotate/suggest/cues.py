"""Attribution cues: who a statement is attributed to, and the suggested source type.

The rules-only path, one statement at a time: attribution analysis (reporting predicates and
their speakers, :mod:`~annotate.suggest.attribution`), speaker classification
(:mod:`~annotate.suggest.speakers`) and the type mapping with the labelling convention's
precedence (:mod:`~annotate.suggest.mapping`), all driven by the per-language lexicons
``data/cues_<lang>.toml`` (:mod:`~annotate.suggest.lexicon`). Document context and the
project's adapted model are added by :mod:`~annotate.suggest.context` and
:mod:`~annotate.suggest.model`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from annotate.suggest.attribution import Analysis, analyse
from annotate.suggest.lexicon import (
    DATA_DIR,
    KINDS,
    CueKind,
    Lexicon,
    LexiconError,
    load_lexicon,
)
from annotate.suggest.mapping import UNATTRIBUTED, Vote, weigh
from annotate.suggest.speakers import Speaker, classify
from annotate.suggest.suggestion import Cue, Suggestion
from annotate.suggest.text import fold, trim

__all__ = [
    "DATA_DIR",
    "KINDS",
    "Cue",
    "CueDetector",
    "CueKind",
    "LexiconError",
    "Reading",
    "Suggestion",
    "detect_cues",
    "fold",
    "load_lexicon",
    "read_statement",
]

SPEAKER_CUE_KIND: dict[str, CueKind] = {
    "anonymous": "anonymity",
    "intelligence": "intelligence",
    "document": "document",
    "outlet": "media_citation",
    "expert": "expert",
    "spokesperson": "communique",
    "title": "official_title",
    "institution": "official_title",
}


@dataclass(frozen=True, slots=True)
class Reading:
    """The rules' reading of one statement: the suggestion and what it was made from."""

    text: str
    suggestion: Suggestion
    analysis: Analysis
    speakers: tuple[Speaker | None, ...]
    votes: tuple[Vote, ...]
    primary: Vote | None
    needs_context: bool
    """The speaker is a pronoun, or the statement is a bare quote with no attribution."""


class CueDetector:
    """Compiled lexicons for a few languages; build once and reuse."""

    def __init__(
        self, lexicon_dir: Path | None = None, languages: Iterable[str] = ("fr", "en")
    ) -> None:
        folder = Path(lexicon_dir) if lexicon_dir is not None else DATA_DIR
        self.lexicons: dict[str, Lexicon] = {
            lang: load_lexicon(folder / f"cues_{lang}.toml") for lang in languages
        }

    def lexicon(self, language: str) -> Lexicon:
        lang = language.split("-")[0].lower()
        lex = self.lexicons.get(lang)
        if lex is None:
            raise ValueError(f"no cue patterns for language {language!r}")
        return lex

    def detect(self, text: str, language: str) -> Suggestion:
        return self.read(text, language).suggestion

    def read(self, text: str, language: str) -> Reading:
        lex = self.lexicon(language)
        folded = fold(text)
        analysis = analyse(lex, text, folded)
        speakers = tuple(
            classify(lex, text, folded, a.speaker) if a.speaker is not None else None
            for a in analysis.attributions
        )
        votes = weigh(lex, analysis, list(speakers))
        return _reading(lex, text, folded, analysis, speakers, votes)


_BARE_QUOTE = re.compile(r'^\s*["\'-]')


def _reading(
    lex: Lexicon,
    text: str,
    folded: str,
    analysis: Analysis,
    speakers: tuple[Speaker | None, ...],
    votes: list[Vote],
) -> Reading:
    rank = {key: i for i, key in enumerate(lex.precedence)}
    best: dict[str, Vote] = {}
    for v in votes:
        if v.embedded:
            continue
        cur = best.get(v.type)
        if (
            cur is None
            or v.weight > cur.weight
            or (v.weight == cur.weight and cur.speaker is None and v.speaker is not None)
        ):
            best[v.type] = v
    ordered = sorted(best.values(), key=lambda v: (-v.weight, rank.get(v.type, 99)))
    if not ordered:
        primary_vote = None
        primary, score = UNATTRIBUTED, lex.no_cue_score
    else:
        primary_vote = ordered[0]
        primary = primary_vote.type
        runner_up = ordered[1].weight if len(ordered) > 1 else 0.0
        score = primary_vote.weight * (1.0 - 0.3 * runner_up / primary_vote.weight)
    secondary = [
        (v.type, round(v.weight, 3))
        for v in ordered[1:]
        if v.weight >= lex.secondary_min and v.type not in (primary, UNATTRIBUTED)
    ]
    speaker = primary_vote.speaker if primary_vote is not None else None
    span: tuple[int, int] | None = (speaker.start, speaker.end) if speaker is not None else None
    relayed = _relayed_phrase(lex, folded, primary_vote)
    if speaker is None and relayed is not None and not any(v.speaker for v in votes):
        # released intelligence or a document named only by a marker is the source itself
        span = relayed
    elif speaker is None:
        # a marker ("in a statement") decided: the speaker is that of the same type's
        # predicate if there is one, else of the strongest predicate
        with_speaker = sorted(
            (v for v in votes if v.speaker is not None and not v.embedded),
            key=lambda v: (v.type != primary, -v.weight),
        )
        speaker = with_speaker[0].speaker if with_speaker else None
        span = (speaker.start, speaker.end) if speaker is not None else None
    cues: dict[tuple[int, int, str], Cue] = {}

    def add(kind: CueKind, start: int, end: int, pattern: str) -> None:
        # one cue per phrase and kind: the first reading of it stands
        cues.setdefault((start, end, kind), _cue(text, kind, start, end, pattern))

    embedded = {id(v.attribution) for v in votes if v.embedded}
    for a, s in zip(analysis.attributions, speakers, strict=True):
        if id(a) in embedded:
            continue
        add(a.predicate.kind, a.start, a.end, a.predicate.id)
        if s is not None and s.cue is not None and s.kind in SPEAKER_CUE_KIND:
            add(SPEAKER_CUE_KIND[s.kind], *s.cue, f"{lex.language}.speaker.{s.kind}")
    for hit in analysis.markers:
        add(hit.marker.kind, hit.start, hit.end, hit.marker.id)
    ordered_cues = sorted(cues.values(), key=lambda c: (c.start, -c.end))
    source = _cue(text, "source", *span, "span") if span is not None else None
    pronoun = (
        primary_vote is not None
        and primary_vote.speaker is not None
        and primary_vote.speaker.kind == "pronoun"
    )
    first_person = lex.first_person is not None and lex.first_person.search(folded) is not None
    bare = not analysis.attributions and (_BARE_QUOTE.match(folded) is not None or first_person)
    suggestion = Suggestion(
        language=lex.language,
        cues=ordered_cues,
        source_span=source,
        suggested_type=primary,
        score=round(min(1.0, max(0.0, score)), 3),
        secondary=secondary,
    )
    return Reading(
        text=text,
        suggestion=suggestion,
        analysis=analysis,
        speakers=speakers,
        votes=tuple(votes),
        primary=primary_vote,
        needs_context=pronoun or (bare and primary == UNATTRIBUTED),
    )


def _cue(text: str, kind: CueKind | Literal["source"], start: int, end: int, pattern: str) -> Cue:
    """The cue over `text[start:end]`. Built without validation: its offsets and kind come
    from the lexicon's own matches, never from input."""
    return Cue.model_construct(
        kind=kind, start=start, end=end, text=text[start:end], pattern=pattern
    )


def _relayed_phrase(lex: Lexicon, folded: str, vote: Vote | None) -> tuple[int, int] | None:
    """The phrase of an intelligence or document marker, with the determiner before it."""
    if vote is None or vote.hit is None or vote.hit.marker.kind not in ("intelligence", "document"):
        return None
    start, end = vote.hit.start, vote.hit.end
    dets = lex.span.determiners
    if dets is not None:
        for m in dets.finditer(folded, max(0, start - 12), start):
            if folded[m.end() : start].strip() == "":
                start = m.start()
    return trim(folded, start, end)


@cache
def default_detector() -> CueDetector:
    return CueDetector()


def read_statement(text: str, language: str) -> Reading:
    """The rules' full reading of one statement with the bundled lexicons."""
    return default_detector().read(text, language)


def detect_cues(text: str, language: str) -> Suggestion:
    """Suggest a source type for one statement with the bundled French and English lexicons
    (rules only: no document context, no project model)."""
    return default_detector().detect(text, language)
