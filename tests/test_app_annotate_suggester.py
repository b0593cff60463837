"""The Annotate page stores, with each label, what made the suggestion shown: the
project model's version, the rules alone, or nothing when no suggestion was shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apptest_helpers import app_for, make_project
from test_app_annotate import data, label, send

import storage
from annotate.core.models import RULES_SUGGESTION
from annotate.suggest.model import AdaptedModel
from workflows.suggest import store_model

MODEL = AdaptedModel(
    version="m40-feedface",
    classes=("anonymous_official", "official_denial"),
    intercept=(0.0, 0.0),
    weights={},
    alpha=0.3,
    n_labels=40,
    cv_macro_f1=0.5,
    rules_cv_macro_f1=0.4,
)


def label_first_suggested(db_file: Path, user: int) -> tuple[dict[str, Any], Any]:
    """Label the first queued statement that came with a suggestion (or the first one)."""
    at = app_for(user).run()
    queue = data(at)["queue"]
    statement = next((s for s in queue if s["suggestion"] is not None), queue[0])
    send(at, [label(statement, 1, "anonymous_official", 3)])
    assert not at.exception and data(at)["results"][0]["ok"]
    db = storage.connect(db_file)
    saved = storage.current_annotation(db, statement["id"], user)
    db.close()
    return statement, saved


def test_a_suggestion_of_the_rules_is_stored_as_such(db_file: Path) -> None:
    ids = make_project(db_file)
    statement, saved = label_first_suggested(db_file, ids["alice"])
    assert statement["suggestion"] is not None
    assert saved.suggestion_shown and saved.suggestion_version == RULES_SUGGESTION
    db = storage.connect(db_file)
    history = storage.annotation_history(db, statement["id"])
    db.close()
    assert [a.suggestion_version for _, a in history] == [RULES_SUGGESTION]


def test_a_suggestion_of_the_project_model_names_its_version(db_file: Path) -> None:
    ids = make_project(db_file)
    db = storage.connect(db_file)
    store_model(db, MODEL)
    db.close()
    statement, saved = label_first_suggested(db_file, ids["alice"])
    assert statement["suggestion"] is not None
    assert saved.suggestion_shown and saved.suggestion_version == MODEL.version


def test_no_suggestion_shown_records_no_version(db_file: Path) -> None:
    ids = make_project(db_file, suggestions=False)
    statement, saved = label_first_suggested(db_file, ids["alice"])
    assert statement["suggestion"] is None
    assert (saved.suggestion_shown, saved.suggestion_version) == (False, "")
