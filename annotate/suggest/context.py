"""Document context: a statement whose speaker is in a neighbouring statement.

A pronoun speaker ("he said", « a-t-il ajouté », « selon elle ») or a bare quote with no
attribution at all takes the speaker of the nearest attributed neighbour in the same
document (the previous statement first, then the next, up to ``MAX_DISTANCE`` away), and the
suggestion says so in ``context_note``. The statement's own act still decides when it is a
denial or a refusal ("he denied it" stays a denial, whoever "he" is).
"""

from __future__ import annotations

from collections.abc import Sequence

from annotate.suggest.cues import Reading
from annotate.suggest.mapping import ACT_VOTES, CLASS_VOTES, NAMED_VOTES, UNATTRIBUTED
from annotate.suggest.speakers import Speaker
from annotate.suggest.suggestion import Suggestion

__all__ = ["MAX_DISTANCE", "with_context"]

MAX_DISTANCE = 2


def _speaker_type(speaker: Speaker) -> str:
    if speaker.named and speaker.kind in NAMED_VOTES:
        return NAMED_VOTES[speaker.kind][0]
    return CLASS_VOTES[speaker.kind][0]


def _anchor(reading: Reading) -> tuple[str, str] | None:
    """(type, who) a neighbour lends: the type its own speaker names, if it has one (the
    speaker of its main predicate, not a source it relays or a denial it voices)."""
    for vote in sorted(reading.votes, key=lambda v: -v.weight):
        if vote.speaker is None or vote.attribution is None or vote.relayed or vote.embedded:
            continue
        if vote.speaker.kind in ("pronoun", "unknown"):
            continue
        text = reading.text[vote.speaker.start : vote.speaker.end]
        if vote.attribution.predicate.act in ACT_VOTES:
            return _speaker_type(vote.speaker), text
        return vote.type, text
    return None


def with_context(readings: Sequence[Reading]) -> list[Suggestion]:
    """The suggestions of one document's statements, in order, with context applied."""
    lent: list[tuple[str, str] | None] = [_anchor(r) for r in readings]
    out: list[Suggestion] = []
    for i, reading in enumerate(readings):
        suggestion = reading.suggestion
        if not reading.needs_context:
            out.append(suggestion)
            continue
        found: tuple[int, tuple[str, str]] | None = None
        for distance in range(1, MAX_DISTANCE + 1):
            for j in (i - distance, i + distance):
                if 0 <= j < len(readings) and lent[j] is not None:
                    anchor = lent[j]
                    assert anchor is not None
                    found = (j, anchor)
                    break
            if found:
                break
        if found is None:
            out.append(suggestion)
            continue
        j, (kind, who) = found
        vote = reading.primary
        own_act = vote.attribution.predicate.act if vote and vote.attribution else None
        new_type = suggestion.suggested_type if own_act in ACT_VOTES else kind
        lent[i] = (new_type, who) if lent[i] is None else lent[i]
        secondary = [(k, w) for k, w in suggestion.secondary if k not in (new_type, UNATTRIBUTED)]
        score = suggestion.score if own_act in ACT_VOTES else round(0.55 + 0.1 * (j < i), 3)
        out.append(
            suggestion.model_copy(
                update={
                    "suggested_type": new_type,
                    "secondary": secondary,
                    "score": score,
                    "context_note": (
                        f"speaker from the {'previous' if j < i else 'next'} statement"
                        f"{'' if abs(j - i) == 1 else f' ({abs(j - i)} away)'}: {who}"
                    ),
                }
            )
        )
    return out
