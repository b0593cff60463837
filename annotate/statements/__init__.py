"""Splitting an article into statements with exact character offsets (French and English
punctuation, abbreviations, headings, bylines and captions marked as non-statements)."""

from __future__ import annotations

from annotate.statements.segment import Segment, iter_segments, segment_text

__all__ = [
    "Segment",
    "iter_segments",
    "segment_text",
]
