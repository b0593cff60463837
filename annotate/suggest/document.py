"""Suggestions for the statements of one document: rules, then context, then the project's
model when there is one. The same path serves the app, the CLI and the benchmark."""

from __future__ import annotations

from collections.abc import Sequence

from annotate.suggest.context import with_context
from annotate.suggest.cues import Reading, read_statement
from annotate.suggest.model import AdaptedModel, adapt, features
from annotate.suggest.suggestion import Suggestion

__all__ = ["read_document", "suggest_document", "training_examples"]


def read_document(texts: Sequence[str], language: str) -> tuple[list[Reading], list[Suggestion]]:
    """The rules' readings of a document's statements (in order) and their suggestions
    with document context applied."""
    readings = [read_statement(text, language) for text in texts]
    return readings, with_context(readings)


def suggest_document(
    texts: Sequence[str], language: str, model: AdaptedModel | None = None
) -> list[Suggestion]:
    readings, suggestions = read_document(texts, language)
    if model is None:
        return suggestions
    return [adapt(model, r, s) for r, s in zip(readings, suggestions, strict=True)]


def training_examples(
    texts: Sequence[str], language: str, gold: Sequence[str | None]
) -> list[tuple[dict[str, float], str, str]]:
    """``(features, rules' type, gold type)`` for the statements of a document that have a
    settled label (``None`` where they have not)."""
    readings, suggestions = read_document(texts, language)
    return [
        (features(r, s), s.suggested_type, g)
        for r, s, g in zip(readings, suggestions, gold, strict=True)
        if g is not None
    ]
