"""What a suggestion is: the pre-filled type, score, "also cites", speaker span and cues."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from annotate.suggest.lexicon import CueKind

__all__ = ["Cue", "Suggestion"]


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
    model_version: str | None = None
    """Version of the project's adapted model that made this suggestion (None: rules only)."""
    context_note: str | None = None
    """Set when the speaker was read in a neighbouring statement of the same document."""

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
