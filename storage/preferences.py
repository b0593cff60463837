"""Per-account preferences: the interface language."""

from __future__ import annotations

from typing import Literal, get_args

from sqlite_utils import Database

from storage.errors import NotFoundError, StorageError
from storage.transactions import write

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = get_args(Language)


def get_language(db: Database, user_id: int) -> Language:
    """The language a user reads taxonomy and scale names in ("en" when unset)."""
    row = db.execute("SELECT language FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no user with id {user_id}")
    return row[0] if row[0] in LANGUAGES else "en"


def set_language(db: Database, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise StorageError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    with write(db):
        cursor = db.execute("UPDATE users SET language = ? WHERE id = ?", [language, user_id])
        if cursor.rowcount == 0:
            raise NotFoundError(f"no user with id {user_id}")
