"""The Documents page: import with a preview, progress, assignment, segmentation fixes."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import ARTICLE, button, by_label, make_project, parsed, texts
from page_helpers import page_app
from streamlit.testing.v1 import AppTest

import storage
from annotate.core.models import AnnotationInput

ARTICLE_TXT = (
    "Un accord en vue\n\n"
    "Le ministre a démenti ces informations. Selon des sources proches du dossier, "
    "l'accord est prêt.\n\nPhoto : AFP\n"
).encode()


def documents_page(user_id: int, section: str = "Import") -> AppTest:
    at = page_app("documents", user_id)
    if section != "Import":
        section_control(at).set_value(section).run()
    return at


def section_control(at: AppTest):  # type: ignore[no-untyped-def]
    return at.button_group(key="documents_section")


def test_upload_shows_the_segmentation_then_imports(db_file: Path) -> None:
    ids = make_project(db_file, documents=[])
    at = documents_page(ids["eve"])
    at.file_uploader[0].set_value(
        [("accord.txt", ARTICLE_TXT, "text/plain"), ("bad.csv", b"foo,bar\n1,2\n", "text/csv")]
    ).run()
    # A table was uploaded, so the column mapping comes first, then one preview per document.
    assert [e.label for e in at.expander] == [
        "Columns of CSV / JSONL files",
        "Un accord en vue · 2 statements, 2 other segments · fr",
    ]
    preview = at.dataframe[0].value
    assert list(preview["kind"]) == ["heading", "statement", "statement", "caption"]
    assert "1 file(s) cannot be imported:" in texts(at)
    assert "missing column 'text'" in at.dataframe[1].value["message"][0]
    assert storage.totals(storage.connect(db_file))["documents"] == 0  # nothing yet
    button(at, "Import 1 document(s)").click().run()
    assert not at.exception
    assert at.warning[0].value == "Import finished: 1 added, 0 duplicate(s) skipped, 1 error(s)."
    db = storage.connect(db_file)
    assert storage.totals(db)["documents"] == 1
    assert [s.text for s in storage.statements_of(db, 1, only_statements=True)] == [
        "Le ministre a démenti ces informations.",
        "Selon des sources proches du dossier, l'accord est prêt.",
    ]
    # The uploader was cleared; the same file again is flagged before anything is imported.
    at.file_uploader[0].set_value(("copie.txt", ARTICLE_TXT, "text/plain")).run()
    assert [e.label for e in at.expander] == [
        "Un accord en vue · 2 statements, 2 other segments · fr · already in the project, "
        "will be skipped"
    ]
    assert at.info[0].value == "Every document of this upload is a duplicate: nothing to import."
    assert not [b for b in at.button if b.label.startswith("Import")]
    # With a new article beside it (twice), only the new one is counted.
    other = ARTICLE_TXT.replace(b"accord", b"contrat")
    at.file_uploader[0].set_value(
        [
            ("copie.txt", ARTICLE_TXT, "text/plain"),
            ("autre.txt", other, "text/plain"),
            ("autre-copie.txt", other, "text/plain"),
        ]
    ).run()
    assert [e.label.split(" · ")[-1] for e in at.expander] == [
        "already in the project, will be skipped",
        "fr",
        "the same text as another document of this upload, will be skipped",
    ]
    button(at, "Import 1 document(s) (skip 2 duplicate(s))").click().run()
    assert at.success[0].value == "Import finished: 1 added, 2 duplicate(s) skipped, 0 error(s)."
    assert "same text as document 1; skipped" in at.dataframe[0].value["message"][0]
    assert storage.totals(db)["documents"] == 2


def test_documents_are_listed_with_progress_and_can_be_assigned(db_file: Path) -> None:
    ids = make_project(db_file)
    db = storage.connect(db_file)
    for name in ("alice", "bob"):
        storage.save_annotation(
            db, AnnotationInput(statement_id=1, annotator_id=ids[name], source_type="expert")
        )
    at = documents_page(ids["eve"], "Documents")
    listing = at.dataframe[0].value
    assert list(listing["statements"]) == [3] and list(listing["complete"]) == [1]
    assert list(listing["labels"]) == [2] and listing["progress"][0] == pytest.approx(1 / 3)
    assert list(listing["assigned to"]) == [""]
    by_label(at.multiselect, "Assign to").set_value(["bob"])
    button(at, "Save assignment").click().run()
    assert "Document 1 assigned to bob." in texts(at)
    assert section_control(at).value == "Documents"  # still here, the message beside the form
    assert list(at.dataframe[0].value["assigned to"]) == ["bob"]
    assert by_label(at.multiselect, "Assign to").value == ["bob"]  # the record's values
    other = storage.add_document(db, parsed(["Une autre phrase."], "other.txt"))
    assert [s.document_id for s in storage.next_statements(db, ids["bob"], 5)] == [1, 1]
    assert other.document_id in {
        s.document_id for s in storage.next_statements(db, ids["alice"], 5)
    }


def test_merge_split_and_kind_changes_before_labelling(db_file: Path) -> None:
    ids = make_project(db_file)
    at = documents_page(ids["eve"], "Segmentation")
    at.selectbox(key="seg_position_1").set_value(0).run()
    button(at, "Merge with the next segment").click().run()
    assert "Segments merged." in texts(at)
    db = storage.connect(db_file)
    merged = storage.statements_of(db, 1)
    assert [s.text for s in merged] == [f"{ARTICLE[0]}\n{ARTICLE[1]}", ARTICLE[2]]
    assert section_control(at).value == "Segmentation"
    at.selectbox(key="seg_position_1").set_value(0).run()
    at.text_input(key="seg_split_words").set_value("Selon")
    button(at, "Split").click().run()
    assert [s.text for s in storage.statements_of(db, 1)] == ARTICLE
    at.selectbox(key="seg_position_1").set_value(2).run()
    by_label(at.selectbox, "Kind").set_value("caption")
    button(at, "Change kind").click().run()
    assert [s.kind for s in storage.statements_of(db, 1)] == ["statement", "statement", "caption"]
    assert "Segment 2 is now a caption." in texts(at)
    # The Kind box follows the selected segment.
    at.selectbox(key="seg_position_1").set_value(0).run()
    assert by_label(at.selectbox, "Kind").value == "statement"
    at.selectbox(key="seg_position_1").set_value(2).run()
    assert by_label(at.selectbox, "Kind").value == "caption"


def test_segmentation_is_frozen_once_labelled(db_file: Path) -> None:
    ids = make_project(db_file)
    storage.save_annotation(
        storage.connect(db_file),
        AnnotationInput(statement_id=1, annotator_id=ids["alice"], source_type="expert"),
    )
    at = documents_page(ids["eve"], "Segmentation")
    button(at, "Merge with the next segment").click().run()
    assert "already has annotations" in at.error[0].value
    assert section_control(at).value == "Segmentation"
    assert len(storage.statements_of(storage.connect(db_file), 1)) == 3
    assert by_label(at.selectbox, "Kind").value == "statement"


def test_a_table_with_other_column_names_is_mapped_before_import(db_file: Path) -> None:
    ids = make_project(db_file, documents=[])
    at = documents_page(ids["eve"])
    table = b'body,article_id\n"Le ministre a d\xc3\xa9clar\xc3\xa9 que tout va bien.",A1\n'
    at.file_uploader[0].set_value([("rows.csv", table, "text/csv")]).run()
    assert "column 'text'" in at.dataframe[0].value["message"][0]
    at.text_input(key="map_text").set_value("body").run()
    at.text_input(key="map_document").set_value("article_id").run()
    assert [e.label for e in at.expander][1].endswith("1 statements, 0 other segments · fr")


def test_the_assignment_form_shows_the_selected_documents_assignees(db_file: Path) -> None:
    ids = make_project(db_file, documents=[ARTICLE, ["Une autre phrase."]])
    db = storage.connect(db_file)
    storage.assign_document(db, 2, [ids["alice"]], ids["eve"])
    at = documents_page(ids["eve"], "Documents")
    assert by_label(at.multiselect, "Assign to").value == []
    at.selectbox(key="doc_assign_pick").set_value(2).run()
    assert by_label(at.multiselect, "Assign to").value == ["alice"]
    at.selectbox(key="doc_assign_pick").set_value(1).run()
    assert by_label(at.multiselect, "Assign to").value == []
