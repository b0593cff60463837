"""The Annotate page: three keystrokes per label, edits as revisions, blind labelling."""

from __future__ import annotations

import html
import re
from pathlib import Path

from apptest_helpers import ARTICLE, app_for, button, make_project, texts
from streamlit.testing.v1 import AppTest

import storage
from annotate.core.models import AnnotationInput


def statement_html(at: AppTest) -> str:
    """The highlighted statement block (the one with the large font)."""
    return next(m.value for m in at.markdown if "font-size: 1.25rem" in m.value)


def statement_text(at: AppTest) -> str:
    """The statement as the reader sees it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", statement_html(at)))


def label(at: AppTest, source_type: str, confidence: int) -> AppTest:
    """Type key, confidence key, Enter: the three keystrokes, as button clicks."""
    at.button(key=f"ann_type_{source_type}").click().run()
    at.button(key=f"ann_scale_confidence_{confidence}").click().run()
    return button(at, "Save and next").click().run()


def test_buttons_carry_the_taxonomy_and_scale_shortcuts(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    shortcuts = {b.key: b.proto.shortcut for b in at.button if b.key}
    assert shortcuts["ann_type_declassified_intel"] == "1"
    assert shortcuts["ann_type_unattributed"] == "0"
    # q w e r t, but Streamlit reserves R: the fourth level gets the first free fallback key.
    assert [shortcuts[f"ann_scale_confidence_{v}"] for v in range(1, 6)] == list("qweyt")
    assert button(at, "Save and next").proto.shortcut == "enter"
    assert button(at, "Previous").proto.shortcut == "backspace"


def test_labelling_a_statement_saves_revision_1_with_its_provenance(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    assert ARTICLE[0] == "Le ministre a démenti ces informations."
    assert statement_html(at).endswith(
        '<mark title="source">Le ministre</mark> <mark title="denial">a démenti</mark> '
        "ces informations&#46;</div>"
    )
    assert "Official denial ✦" in [b.label for b in at.button]  # the suggestion is marked
    label(at, "official_denial", 4)
    assert not at.exception and not at.error
    db = storage.connect(db_file)
    first = storage.statements_of(db, 1)[0]
    saved = storage.current_annotation(db, first.id, ids["alice"])
    assert saved is not None
    assert (saved.revision, saved.source_type, saved.confidence) == (1, "official_denial", 4)
    assert saved.suggestion_shown is True
    assert saved.suggested_type == "official_denial"
    assert saved.taxonomy_version == "2024.1"
    assert saved.who == "Le ministre" and saved.cue == "a démenti"  # prefilled from the cues
    # The page moved on to the next statement, with fresh selections.
    assert "Selon des sources proches du dossier" in statement_text(at)
    assert all(
        b.proto.type != "primary" for b in at.button if (b.key or "").startswith("ann_type_")
    )
    assert "My labels: 1 / 3" in [p.proto.text for p in at.get("progress")]


def test_suggested_cues_are_highlighted_only_when_suggestions_are_on(db_file: Path) -> None:
    ids = make_project(db_file, suggestions=False)
    at = app_for(ids["alice"]).run()
    assert "<mark" not in statement_html(at)
    assert "Official denial" in [b.label for b in at.button]
    label(at, "official_denial", 2)
    db = storage.connect(db_file)
    saved = storage.current_annotation(db, 1, ids["alice"])
    assert saved is not None and saved.suggestion_shown is False and saved.suggested_type is None
    assert saved.who == ""


def test_previous_reopens_my_last_label_and_saving_makes_revision_2(db_file: Path) -> None:
    ids = make_project(db_file)
    at = label(app_for(ids["alice"]).run(), "official_denial", 4)
    button(at, "Previous").click().run()
    assert "You are editing your label (revision 1)." in texts(at)
    assert at.button(key="ann_type_official_denial").proto.type == "primary"
    at.text_area(key="ann_note_1").set_value("denial relayed by the minister")
    at.button(key="ann_type_named_official").click().run()
    button(at, "Save and next").click().run()
    db = storage.connect(db_file)
    history = storage.annotation_history(db, 1)
    assert [(a.revision, a.source_type, a.confidence) for _, a in history] == [
        (1, "official_denial", 4),
        (2, "named_official", 4),
    ]
    assert history[-1][1].note == "denial relayed by the minister"


def test_an_edit_made_elsewhere_meanwhile_is_a_conflict(db_file: Path) -> None:
    ids = make_project(db_file)
    at = label(app_for(ids["alice"]).run(), "official_denial", 4)
    button(at, "Previous").click().run()
    db = storage.connect(db_file)
    storage.save_annotation(  # revision 2, saved from another tab
        db, AnnotationInput(statement_id=1, annotator_id=ids["alice"], source_type="document")
    )
    at.button(key="ann_type_expert").click().run()
    button(at, "Save and next").click().run()
    assert at.error[0].value.startswith("Not saved: this label was changed elsewhere")
    kept = storage.current_annotation(db, 1, ids["alice"])
    assert (kept.revision, kept.source_type) == (2, "document")  # the other tab's edit stands
    at.run()  # the page now shows the label as the other tab left it
    assert "You are editing your label (revision 2)." in texts(at)
    assert at.button(key="ann_type_document").proto.type == "primary"


def test_saving_without_a_type_or_confidence_asks_for_it(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    button(at, "Save and next").click().run()
    assert "Choose a source type first" in at.warning[0].value
    at.button(key="ann_type_expert").click().run()
    button(at, "Save and next").click().run()
    assert at.warning[0].value == "Choose a level of confidence first."
    assert storage.totals(storage.connect(db_file))["annotations"] == 0


def test_skip_records_a_skip_and_moves_on(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    button(at, "Skip").click().run()
    saved = storage.current_annotation(storage.connect(db_file), 1, ids["alice"])
    assert saved is not None and saved.skipped and saved.source_type is None
    assert "Selon des sources" in statement_text(at)


def test_flag_and_unsure_are_saved(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    at.checkbox(key="ann_flag_1").check()
    at.checkbox(key="ann_unsure_1").check()
    at.multiselect(key="ann_cites_1").select("media_report")
    label(at, "official_denial", 3)
    saved = storage.current_annotation(storage.connect(db_file), 1, ids["alice"])
    assert saved.flagged and saved.unsure and saved.also_cites == ["media_report"]


def test_labelling_is_blind(db_file: Path) -> None:
    ids = make_project(db_file)
    alice = app_for(ids["alice"]).run()
    alice.text_area(key="ann_note_1").set_value("ALICE-PRIVATE-NOTE")
    alice.text_input(key="ann_who_1").set_value("ALICE-WHO")
    label(alice, "expert", 5)
    bob = app_for(ids["bob"]).run()
    # Bob still gets statement 1 (k = 2) and nothing of Alice's label.
    assert "Le ministre" in statement_text(bob)
    page = texts(bob) + " ".join(str(w.value) for w in bob.text_input)
    page += " ".join(str(w.value) for w in bob.text_area)
    assert "ALICE" not in page and "alice" not in page
    assert all(
        b.proto.type != "primary" for b in bob.button if (b.key or "").startswith("ann_type")
    )
    assert "My labels: 0 / 3" in [p.proto.text for p in bob.get("progress")]


def test_article_text_is_shown_literally(db_file: Path) -> None:
    hostile = "<script>alert('x')</script> [cliquez](https://evil.example) **gras** $x$"
    ids = make_project(db_file, documents=[[hostile, "Fin."]])
    at = app_for(ids["alice"]).run()
    block = statement_html(at)
    assert "<script>" not in block and "[cliquez](" not in block and "**" not in block
    assert "&lt;script&gt;" in block
    assert statement_text(at) == hostile


def test_an_empty_queue_says_so_and_offers_my_last_label(db_file: Path) -> None:
    ids = make_project(db_file, documents=[["Une seule phrase, a déclaré le ministre."]])
    at = label(app_for(ids["alice"]).run(), "named_official", 3)
    assert "Your queue is empty" in at.success[0].value
    button(at, "Reopen my last label").click().run()
    assert "You are editing your label (revision 1)." in texts(at)
