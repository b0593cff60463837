"""Language identification for imported documents.

The identifier is restricted to the languages newsrooms actually import, which makes
short or oddly cased texts (an all-lowercase French article) far more reliable than
the full 97-language model. Loading the model takes most of a second, so it is built
once, on first use.
"""

from __future__ import annotations

import threading
from typing import Any

LANGUAGES: tuple[str, ...] = (
    "fr",
    "en",
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "ru",
    "uk",
    "pl",
    "ar",
    "zh",
)
UNDETERMINED = "und"
MIN_LETTERS = 12
"""Below this many letters a guess is noise ("hello" scores as Finnish)."""
MIN_CONFIDENCE = 0.6
SAMPLE_CHARS = 100_000
"""Only the start of a long text is identified: its language is the document's, and the
identifier's memory grows with its input."""

_identifier: Any = None
_lock = threading.Lock()


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of `text`, or "und" when it is too short or unclear."""
    text = text[:SAMPLE_CHARS]
    if sum(1 for ch in text if ch.isalpha()) < MIN_LETTERS:
        return UNDETERMINED
    language, confidence = _get_identifier().classify(text)
    if confidence < MIN_CONFIDENCE:
        return UNDETERMINED
    return str(language)
