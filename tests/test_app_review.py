"""The Review page: labels side by side, the final label, ties, filters, conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import button, by_label, make_project, texts
from page_helpers import page_app
from streamlit.testing.v1 import AppTest

import storage
from annotate.core.models import AdjudicationInput, AnnotationInput

ARTICLE_B = ["Une deuxième phrase citée.", "Un porte-parole a confirmé."]


def label(db: storage.Database, statement_id: int, annotator_id: int, source_type: str,
          confidence: int | None = None, **extra: object) -> None:  # fmt: skip
    storage.save_annotation(
        db,
        AnnotationInput(
            statement_id=statement_id,
            annotator_id=annotator_id,
            source_type=source_type,
            confidence=confidence,
            **extra,  # type: ignore[arg-type]  # AnnotationInput fields
        ),
    )


@pytest.fixture
def ids(db_file: Path) -> dict[str, int]:
    """Statement 1: a tie between alice and bob. Statement 4 (second document): a
    two-to-one majority with ratings 2, 3, 4."""
    ids = make_project(db_file, documents=[
        ["Le ministre a démenti ces informations.", "Selon des sources, c'est prêt.",
         "Le texte sera signé lundi."],
        ARTICLE_B,
    ])  # fmt: skip
    db = storage.connect(db_file)
    storage.add_user(db, "carl", "annotator", "")
    carl = storage.get_user(db, "carl").id
    label(db, 1, ids["alice"], "official_denial", 4, note="<b>the minister</b> denies")
    label(db, 1, ids["bob"], "named_official", 2, note="named, on record", flagged=True)
    label(db, 4, ids["alice"], "anonymous_official", 2)
    label(db, 4, ids["bob"], "anonymous_official", 3)
    label(db, 4, carl, "expert", 4)  # type: ignore[arg-type]
    db.close()
    return ids


def review(ids: dict[str, int]) -> AppTest:
    return page_app("review", ids["eve"])


def test_labels_side_by_side_with_the_language(db_file: Path, ids: dict[str, int]) -> None:
    at = review(ids)
    assert at.title[0].value == "Review"
    queue = at.dataframe[0].value
    assert list(queue["statement"]) == [4, 1] or list(queue["statement"]) == [1, 4]
    at.selectbox(key="rev_statement").set_value(1).run()
    page = texts(at)
    assert "Official denial" in page and "Named official on record" in page
    assert "alice · High · revision 1" in page and "bob · Low · revision 1" in page
    assert "note&#58; &lt;b&gt;the minister&lt;&#47;b&gt; denies" in page  # literal, not bold
    assert "<b>" not in page
    assert "language: French" in page


def test_a_tie_has_no_default_and_is_shown(db_file: Path, ids: dict[str, int]) -> None:
    at = review(ids)
    at.selectbox(key="rev_statement").set_value(1).run()
    assert by_label(at.selectbox, "Final source type").value is None
    assert "Tie&#58; Named official on record and Official denial have 1 vote" in texts(at)
    assert button(at, "Accept the majority").disabled
    # Ratings 2 and 4: the lower median, 2 (Low), as the domain's aggregation says.
    assert by_label(at.selectbox, "Final confidence").value == 2
    button(at, "Save final label").click().run()
    assert "Choose the final source type." in [w.value for w in at.warning]
    assert storage.current_adjudication(storage.connect(db_file), 1) is None


def test_the_default_is_the_majority_and_the_lower_median(
    db_file: Path, ids: dict[str, int]
) -> None:
    at = review(ids)
    at.selectbox(key="rev_statement").set_value(4).run()
    assert by_label(at.selectbox, "Final source type").value == "anonymous_official"
    assert by_label(at.selectbox, "Final confidence").value == 3  # median of 2, 3, 4
    by_label(at.selectbox, "Final source type").set_value("expert").run()
    button(at, "Accept the majority").click().run()
    assert by_label(at.selectbox, "Final source type").value == "anonymous_official"


def test_adjudicating_saves_the_final_label(db_file: Path, ids: dict[str, int]) -> None:
    at = review(ids)
    at.selectbox(key="rev_statement").set_value(1).run()
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
    # Adjudicated statements leave the default (not yet adjudicated) queue and the panel.
    assert list(at.dataframe[0].value["statement"]) == [4]
    assert at.selectbox(key="rev_statement").options == ["#4 · Une deuxième phrase citée."]
    by_label(at.checkbox, "Not adjudicated").uncheck().run()
    at.selectbox(key="rev_statement").set_value(1).run()
    history = at.dataframe[-1].value
    assert list(history["kind"]) == ["label", "label", "final label"]
    assert list(history["who"]) == ["alice", "bob", "eve"]


def test_a_conflict_shows_both_versions_and_keeps_mine(db_file: Path, ids: dict[str, int]) -> None:
    at = review(ids)
    at.selectbox(key="rev_statement").set_value(1).run()
    db = storage.connect(db_file)
    storage.adjudicate(  # another editor, meanwhile
        db,
        AdjudicationInput(statement_id=1, editor_id=ids["root"], source_type="named_official",
                          confidence=2, note="theirs"),
        expected_revision=0,
    )  # fmt: skip
    by_label(at.selectbox, "Final source type").set_value("official_denial")
    by_label(at.text_area, "Editor's note").set_value("mine")
    button(at, "Save final label").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Not saved: another editor changed")
    # At the top, right under the title: the error and both versions side by side.
    top = at.main.children[1]
    assert top.error[0].value == at.error[0].value
    banner = "\n".join(m.value for m in top.markdown)
    assert "Your choice &#40;not saved&#41;" in banner
    assert "Saved now &#40;revision 1&#41;" in banner
    assert "note&#58; mine" in banner and "note&#58; theirs" in banner
    # The form keeps the editor's own choice, not the other editor's values.
    assert by_label(at.selectbox, "Final source type").value == "official_denial"
    assert by_label(at.text_area, "Editor's note").value == "mine"
    assert storage.current_adjudication(db, 1).source_type == "named_official"
    button(at, "Save mine over it").click().run()
    final = storage.current_adjudication(db, 1)
    assert (final.source_type, final.note, final.revision) == ("official_denial", "mine", 2)
    assert not at.error


def test_filters_apply_to_the_panel(db_file: Path, ids: dict[str, int]) -> None:
    at = review(ids)
    at.selectbox(key="rev_statement").set_value(1).run()
    by_label(at.selectbox, "Label chosen by someone").set_value("expert").run()
    # Only statement 4 has an expert label: the panel follows, statement 1 is gone.
    assert list(at.dataframe[0].value["statement"]) == [4]
    assert at.selectbox(key="rev_statement").value == 4
    assert "Le ministre a démenti" not in texts(at)
    by_label(at.selectbox, "Label chosen by someone").set_value("media_report").run()
    assert "Nothing to review with these filters." in texts(at)
    assert not [s for s in at.selectbox if s.key == "rev_statement"]
    by_label(at.selectbox, "Label chosen by someone").set_value(None).run()
    by_label(at.selectbox, "Annotator").set_value(storage.get_user(
        storage.connect(db_file), "carl").id).run()  # fmt: skip
    assert list(at.dataframe[0].value["statement"]) == [4]


def test_shortcuts_move_between_disagreements(db_file: Path, ids: dict[str, int]) -> None:
    at = review(ids)
    first, second = list(at.dataframe[0].value["statement"])
    assert at.selectbox(key="rev_statement").value == first
    assert button(at, "Previous disagreement").disabled
    button(at, "Next disagreement").click().run()
    assert at.selectbox(key="rev_statement").value == second
    button(at, "Previous disagreement").click().run()
    assert at.selectbox(key="rev_statement").value == first
    shortcuts = {b.label: b.proto.shortcut for b in at.button}
    assert shortcuts["Next disagreement"] == "n" and shortcuts["Previous disagreement"] == "p"
    assert shortcuts["Accept the majority"] == "a"
    assert shortcuts["Save final label"] == "ctrl+enter"
    assert not {"c", "r"} & set(shortcuts.values())  # Streamlit reserves them
