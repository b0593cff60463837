"""Each account reads taxonomy and scale names in its own language (English or French)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from apptest_helpers import app_for, by_label, make_project, open_page, texts
from page_helpers import page_app

import storage
from annotate.core.models import AnnotationInput
from storage.preferences import get_language, set_language


@pytest.fixture
def ids(db_file: Path) -> dict[str, int]:
    ids = make_project(db_file)
    db = storage.connect(db_file)
    for name, source_type, confidence in [("alice", "official_denial", 4),
                                          ("bob", "named_official", 2)]:  # fmt: skip
        storage.save_annotation(
            db,
            AnnotationInput(statement_id=1, annotator_id=ids[name], source_type=source_type,
                            confidence=confidence),
        )  # fmt: skip
    db.close()
    return ids


def test_the_language_is_stored_per_account(db_file: Path, ids: dict[str, int]) -> None:
    db = storage.connect(db_file)
    assert get_language(db, ids["eve"]) == "en"  # the default of migration 0009
    set_language(db, ids["eve"], "fr")
    assert (get_language(db, ids["eve"]), get_language(db, ids["root"])) == ("fr", "en")
    with pytest.raises(storage.StorageError, match="'de' is not one of en, fr"):
        set_language(db, ids["eve"], "de")
    with pytest.raises(storage.NotFoundError):
        set_language(db, 999, "fr")
    # The column refuses other values even from raw SQL.
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE users SET language = 'xx' WHERE id = ?", [ids["eve"]])


def test_review_shows_french_names_after_choosing_french(
    db_file: Path, ids: dict[str, int]
) -> None:
    at = open_page(app_for(ids["eve"]).run(), "review")
    page = texts(at)
    assert "Official denial" in page and "alice · High · revision 1" in page
    picker = at.sidebar.button_group[0]
    assert picker.label == "Language of labels" and picker.value == "en"
    picker.set_value("fr").run()
    assert get_language(storage.connect(db_file), ids["eve"]) == "fr"
    page = texts(at)
    assert "Démenti officiel" in page and "alice · Élevée · revision 1" in page
    assert "Official denial" not in page
    assert by_label(at.selectbox, "Final confiance") is not None  # the scale's French name
    # Another session of the same account (a new tab) reads French at once.
    again = page_app("review", ids["eve"])
    assert "Démenti officiel" in texts(again)
    # The article's own language is shown, not translated.
    assert "language: French" in texts(again)
