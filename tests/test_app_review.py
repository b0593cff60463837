"""The Review page: labels side by side, the final label, conflicts and history."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import app_for, button, by_label, make_project, open_page, texts

import storage
from annotate.core.models import AdjudicationInput, AnnotationInput


@pytest.fixture
def ids(db_file: Path) -> dict[str, int]:
    ids = make_project(db_file)
    db = storage.connect(db_file)
    for name, source_type, confidence, note in [
        ("alice", "official_denial", 4, "<b>the minister</b> denies"),
        ("bob", "named_official", 2, "named, on record"),
    ]:
        storage.save_annotation(
            db,
            AnnotationInput(
                statement_id=1,
                annotator_id=ids[name],
                source_type=source_type,
                confidence=confidence,
                note=note,
                flagged=name == "bob",
            ),
        )
    return ids


def test_the_queue_shows_every_label_side_by_side(db_file: Path, ids: dict[str, int]) -> None:
    at = open_page(app_for(ids["eve"]).run(), "review")
    assert at.title[0].value == "Review"
    queue = at.dataframe[0].value
    assert list(queue["statement"]) == [1]
    assert list(queue["labels"]) == [2] and list(queue["flags"]) == [1]
    page = texts(at)
    assert "**Official denial**" in page and "**Named official on record**" in page
    assert "alice · High · revision 1" in page and "bob · Low · revision 1" in page
    assert "note&#58; &lt;b&gt;the minister&lt;&#47;b&gt; denies" in page  # literal, not bold
    assert "<b>" not in page


def test_adjudicating_saves_the_final_label(db_file: Path, ids: dict[str, int]) -> None:
    at = open_page(app_for(ids["eve"]).run(), "review")
    by_label(at.selectbox, "Final source type").set_value("official_denial")
    by_label(at.selectbox, "Final confidence").set_value(5)
    by_label(at.text_area, "Editor's note").set_value("the denial is the news")
    button(at, "Save final label").click().run()
    assert "Final label saved (revision 1)." in texts(at)
    final = storage.current_adjudication(storage.connect(db_file), 1)
    assert final is not None
    assert (final.source_type, final.confidence, final.editor_id) == (
        "official_denial",
        5,
        ids["eve"],
    )
    assert final.note == "the denial is the news" and final.taxonomy_version == "2024.1"
    # Adjudicated statements leave the default (not yet adjudicated) queue.
    assert "Nothing to review with these filters." in texts(at)
    by_label(at.checkbox, "Not adjudicated").uncheck().run()
    history = at.dataframe[-1].value
    assert list(history["kind"]) == ["label", "label", "final label"]
    assert list(history["who"]) == ["alice", "bob", "eve"]


def test_a_concurrent_final_label_is_a_conflict(db_file: Path, ids: dict[str, int]) -> None:
    at = open_page(app_for(ids["eve"]).run(), "review")
    db = storage.connect(db_file)
    storage.adjudicate(  # another editor, meanwhile
        db,
        AdjudicationInput(statement_id=1, editor_id=ids["root"], source_type="named_official"),
        expected_revision=0,
    )
    by_label(at.selectbox, "Final source type").set_value("official_denial")
    button(at, "Save final label").click().run()
    assert at.error[0].value.startswith("Not saved: another editor changed")
    assert storage.current_adjudication(db, 1).source_type == "named_official"


def test_filters_narrow_the_queue(db_file: Path, ids: dict[str, int]) -> None:
    at = open_page(app_for(ids["eve"]).run(), "review")
    by_label(at.selectbox, "Label chosen by someone").set_value("expert").run()
    assert "Nothing to review with these filters." in texts(at)
    by_label(at.selectbox, "Label chosen by someone").set_value("named_official").run()
    by_label(at.selectbox, "Annotator").set_value(ids["alice"]).run()
    assert list(at.dataframe[0].value["statement"]) == [1]
