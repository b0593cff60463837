"""From attributions to one source type, with the labelling convention's precedence.

Each attribution votes for one type with a weight, from its act and its speaker's class:

* a denial or a refusal is the speaker's own act: ``official_denial`` / ``no_comment``
  whoever voices it;
* otherwise the speaker decides: released intelligence > a document or data > an anonymous
  official > a spokesperson named by title only, a written statement or an institution
  speaking as an institution (``official_statement``) > an expert > an outlet > a named
  person, with or without a role (a named spokesperson speaking in person is a
  ``named_official``);
* what a sentence relays wins over who relays it when it is a finding (intelligence, a
  document, a poll): "the official said, citing declassified intelligence" is
  ``declassified_intel``; an outlet citing unnamed sources stays the outlet's report;
* markers (a written statement, anonymity, a hedge) add their own votes.

The primary type has the highest weight; ties go to the lexicon's ``precedence``. The score
is that weight, lowered by a close runner-up; other types above ``secondary_min`` are kept
as "also cites". A statement with nothing but a hedge, or nothing at all, is unattributed.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotate.suggest.attribution import Analysis, Attribution, MarkerHit
from annotate.suggest.lexicon import Lexicon
from annotate.suggest.speakers import Speaker

__all__ = ["UNATTRIBUTED", "Vote", "speaker_vote", "weigh"]

UNATTRIBUTED = "unattributed"

# (type, weight) for a speaker class, and for a named one where it differs.
CLASS_VOTES: dict[str, tuple[str, float]] = {
    "intelligence": ("declassified_intel", 0.9),
    "document": ("document", 0.85),
    "anonymous": ("anonymous_official", 0.78),
    "spokesperson": ("official_statement", 0.74),
    "institution": ("official_statement", 0.7),
    "expert": ("expert", 0.72),
    "outlet": ("media_report", 0.74),
    "title": ("named_official", 0.62),
    "person": ("named_official", 0.58),
    "proper": ("named_official", 0.52),
    "unknown": ("named_official", 0.45),
    "pronoun": ("named_official", 0.45),
}
NAMED_VOTES: dict[str, tuple[str, float]] = {
    "spokesperson": ("named_official", 0.7),
}
ACT_VOTES: dict[str, tuple[str, float]] = {
    "deny": ("official_denial", 0.95),
    "refuse": ("no_comment", 0.93),
    "request": ("no_comment", 0.92),
}
# Acts that say what an unclassified speaker is ("X reported" is an outlet, "X shows" data).
ACT_DEFAULTS: dict[str, tuple[str, float]] = {
    "report": ("media_report", 0.6),
    "by": ("media_report", 0.6),
    "find": ("document", 0.6),
}
WEAK = 0.5


@dataclass(slots=True)
class Vote:
    type: str
    weight: float
    attribution: Attribution | None
    speaker: Speaker | None
    relayed: bool = False
    embedded: bool = False
    hit: MarkerHit | None = None
    """The marker that cast this vote, for votes of markers."""
    """In the reported clause of another predicate: shown nowhere, votes for nothing."""


def speaker_vote(act: str, speaker: Speaker | None) -> tuple[str, float]:
    if act in ACT_VOTES:
        return ACT_VOTES[act]
    kind = speaker.kind if speaker is not None else "unknown"
    if act in ACT_DEFAULTS and kind in ("proper", "unknown", "person"):
        return ACT_DEFAULTS[act]
    if speaker is not None and speaker.named and kind in NAMED_VOTES:
        return NAMED_VOTES[kind]
    return CLASS_VOTES[kind]


def weigh(lex: Lexicon, analysis: Analysis, speakers: list[Speaker | None]) -> list[Vote]:
    votes: list[Vote] = []
    main_kinds = {
        s.kind
        for a, s in zip(analysis.attributions, speakers, strict=True)
        if s is not None and a.predicate.act not in ("according", "by")
    }
    main_end: int | None = None
    for a, s in zip(analysis.attributions, speakers, strict=True):
        act = a.predicate.act
        embedded = (
            main_end is not None
            and act in ("say", "report", "find")
            and a.start >= main_end
            and (s is None or s.start >= main_end)
            and (s is None or s.kind not in ("intelligence", "document"))
        )
        if act in ("say", "report", "find", "deny", "refuse") and main_end is None:
            main_end = a.end
        if embedded:
            # "X said Y told him ...": the reported clause's own speakers are not the source
            votes.append(Vote(UNATTRIBUTED, 0.0, a, s, embedded=True))
            continue
        key, weight = speaker_vote(act, s)
        relayed = act in ("according", "by")
        if relayed and key == "anonymous_official" and "outlet" in main_kinds:
            weight = WEAK
        votes.append(Vote(key, weight, a, s, relayed))
    for hit in analysis.markers:
        for key, weight in hit.marker.votes:
            votes.append(Vote(key, weight, None, None, hit=hit))
    return votes
