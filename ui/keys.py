"""Keyboard shortcuts for the annotation screen.

Streamlit reserves the keys C and R (with or without modifiers) and accepts single
letters, digits, function keys and a few named keys. Taxonomy and scale files may ask
for a key Streamlit refuses ("r" is the fourth key of the q-w-e-r-t row), or two parts
of the screen may ask for the same key; such a request gets the first free key of a
fallback row instead; Streamlit shows the bound key on the button itself.
"""

from __future__ import annotations

from collections.abc import Iterable

RESERVED = frozenset({"c", "r"})
FALLBACK = "yuiopghjklzxvnm"
SAVE_KEY = "Enter"
BACK_KEY = "Backspace"
NAMED_KEYS = frozenset({SAVE_KEY.lower(), BACK_KEY.lower()})


def usable(key: str) -> bool:
    """Whether Streamlit accepts `key` as a single-key button shortcut."""
    key = key.strip().lower()
    return len(key) == 1 and key.isascii() and key.isalnum() and key not in RESERVED


class KeyAllocator:
    """Hands out distinct shortcut keys in the order the screen asks for them."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken: set[str] = {k.lower() for k in taken} | NAMED_KEYS

    def take(self, wanted: str) -> str | None:
        """`wanted` if usable and free, else the first free fallback key (None if none)."""
        wanted = wanted.strip().lower()
        if wanted and usable(wanted) and wanted not in self.taken:
            self.taken.add(wanted)
            return wanted
        for key in FALLBACK:
            if key not in self.taken:
                self.taken.add(key)
                return key
        return None
