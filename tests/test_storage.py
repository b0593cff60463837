"""Storage on real SQLite files: schema, revisions, soft deletes, queue, atomic imports."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from builders import label, lines_document

import storage
from annotate.core.models import AdjudicationInput, AnnotationInput
from storage.errors import StorageError
from storage.schema import latest_version


def parsed(text: str, name: str = "doc.txt", *, title: str = "", bad_at: int | None = None):
    """A document whose statements are its lines; `bad_at` pushes one end past the text."""
    document = lines_document(text.split("\n"), name=name, title=title, language="en")
    if bad_at is not None:
        bad = document.statements[bad_at]
        document.statements[bad_at] = bad.model_copy(update={"end": bad.end + 5})
    return document


@pytest.fixture
def doc_id(project_db: storage.Database) -> int:
    outcome = storage.add_document(project_db, parsed("First claim.\nSecond claim.\nThird claim."))
    assert outcome.status == "added"
    return outcome.document_id  # type: ignore[return-value]


def test_new_file_gets_wal_foreign_keys_and_latest_schema(db_path: Path) -> None:
    db = storage.connect(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert storage.schema_version(db) == latest_version() >= 1
    tables = set(db.table_names())
    assert {"documents", "statements", "annotations", "annotation_revisions", "adjudications",
            "adjudication_revisions", "users", "project", "assignments"} <= tables  # fmt: skip
    indexes = {i.name for i in db["statements"].indexes}
    assert {"statements_open", "statements_review"} <= indexes
    db.close()
    # Opening again applies nothing new.
    again = storage.connect(db_path)
    assert storage.schema_version(again) == latest_version()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("hello, not sqlite")
    with pytest.raises(storage.StorageError, match="not a SourceDesk"):
        storage.connect(path)


def test_edit_twice_keeps_all_three_revisions(project_db, users, doc_id) -> None:
    sid = storage.statements_of(project_db, doc_id)[0].id
    a1 = storage.save_annotation(project_db, label(sid, users["alice"], "named_official", 2))
    a2 = storage.save_annotation(
        project_db, label(sid, users["alice"], "anonymous_official", 3), expected_revision=1
    )
    a3 = storage.save_annotation(
        project_db, label(sid, users["alice"], "declassified_intel", 5, note="cites CIA")
    )
    assert (a1.revision, a2.revision, a3.revision) == (1, 2, 3)
    history = storage.annotation_history(project_db, sid)
    assert [(n, a.revision, a.source_type, a.confidence) for n, a in history] == [
        ("alice", 1, "named_official", 2),
        ("alice", 2, "anonymous_official", 3),
        ("alice", 3, "declassified_intel", 5),
    ]
    current = storage.current_annotation(project_db, sid, users["alice"])
    assert current is not None and current.source_type == "declassified_intel"
    assert current.note == "cites CIA"


def test_history_rows_cannot_be_changed_or_deleted(project_db, users, doc_id) -> None:
    sid = storage.statements_of(project_db, doc_id)[0].id
    storage.save_annotation(project_db, label(sid, users["alice"]))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        project_db.execute("UPDATE annotation_revisions SET source_type = 'expert'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        project_db.execute("DELETE FROM annotation_revisions")


def test_stale_revision_is_a_conflict_and_writes_nothing(project_db, users, doc_id) -> None:
    sid = storage.statements_of(project_db, doc_id)[0].id
    storage.save_annotation(project_db, label(sid, users["alice"]))
    storage.save_annotation(project_db, label(sid, users["alice"], "expert"), expected_revision=1)
    with pytest.raises(storage.ConflictError, match="revision 2"):
        storage.save_annotation(
            project_db, label(sid, users["alice"], "document"), expected_revision=1
        )
    assert len(storage.annotation_history(project_db, sid)) == 2


def test_soft_delete_keeps_history_and_requeues(project_db, users, doc_id) -> None:
    first = storage.statements_of(project_db, doc_id)[0]
    storage.save_annotation(project_db, label(first.id, users["alice"]))
    assert storage.next_statements(project_db, users["alice"])[0].id != first.id
    deleted = storage.delete_annotation(project_db, first.id, users["alice"])
    assert deleted.deleted and deleted.revision == 2
    assert storage.current_annotation(project_db, first.id, users["alice"]) is None
    assert [a.deleted for _, a in storage.annotation_history(project_db, first.id)] == [False, True]
    assert storage.next_statements(project_db, users["alice"])[0].id == first.id


def test_queue_skips_my_labels_and_statements_with_k_labels(project_db, users, doc_id) -> None:
    s1, s2, s3 = storage.statements_of(project_db, doc_id)
    storage.save_annotation(project_db, label(s1.id, users["alice"]))
    storage.save_annotation(project_db, label(s1.id, users["bob"]))  # s1 now has k = 2
    storage.save_annotation(project_db, label(s2.id, users["alice"]))
    assert [s.id for s in storage.next_statements(project_db, users["alice"], 5)] == [s3.id]
    assert [s.id for s in storage.next_statements(project_db, users["bob"], 5)] == [s2.id, s3.id]
    assert [s.id for s in storage.next_statements(project_db, users["carol"], 5)] == [s2.id, s3.id]
    # A skip removes the statement from my queue without counting as a label.
    storage.save_annotation(project_db, label(s3.id, users["carol"], None, None, skipped=True))
    assert [s.id for s in storage.next_statements(project_db, users["carol"], 5)] == [s2.id]
    assert storage.project_progress(project_db).done == 1


def test_raising_k_reopens_statements(project_db, users, doc_id) -> None:
    s1 = storage.statements_of(project_db, doc_id)[0]
    for name in ("alice", "bob"):
        storage.save_annotation(project_db, label(s1.id, users[name]))
    assert s1.id not in [s.id for s in storage.next_statements(project_db, users["carol"], 5)]
    storage.update_settings(project_db, annotators_per_statement=3)
    assert storage.next_statements(project_db, users["carol"], 1)[0].id == s1.id


def test_assignments_restrict_the_queue(project_db, users, doc_id) -> None:
    other = storage.add_document(project_db, parsed("Other claim.", "other.txt")).document_id
    storage.assign_document(project_db, other, [users["alice"]], by=users["eve"])
    queue = storage.next_statements(project_db, users["alice"], 10)
    assert {s.document_id for s in queue} == {other}
    assert {s.document_id for s in storage.next_statements(project_db, users["bob"], 10)} == {
        doc_id,
        other,
    }


def test_duplicate_document_is_reported_not_stored(project_db) -> None:
    first = storage.add_document(project_db, parsed("Same text.", "a.txt"))
    second = storage.add_document(project_db, parsed("Same text.", "b.txt"))
    assert second.status == "duplicate" and second.document_id == first.document_id
    assert "same text as document" in second.message
    assert storage.totals(project_db)["documents"] == 1


def test_error_in_third_document_keeps_first_two_and_nothing_of_third(project_db) -> None:
    batch = [
        parsed("One.\nTwo.", "1.txt"),
        parsed("Three.\nFour.", "2.txt"),
        parsed("Five.\nSix.\nSeven.", "3.txt", bad_at=2),
    ]
    outcomes = storage.add_documents(project_db, batch)
    assert [o.status for o in outcomes] == ["added", "added", "error"]
    assert "offsets" in outcomes[2].message
    assert project_db.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    assert project_db.execute("SELECT count(*) FROM statements").fetchone()[0] == 4
    texts = [r[0] for r in project_db.execute("SELECT text FROM statements")]
    assert "Five." not in texts


def test_merge_and_split_rewrite_offsets(project_db, users, doc_id) -> None:
    merged = storage.merge_statements(project_db, doc_id, 0)
    assert [s.text for s in merged] == ["First claim.\nSecond claim.", "Third claim."]
    split = storage.split_statement(project_db, doc_id, 0, len("First claim."))
    assert [s.text for s in split] == ["First claim.", "Second claim.", "Third claim."]
    document = storage.get_document(project_db, doc_id)
    assert all(document.text[s.start : s.end] == s.text for s in split)
    storage.save_annotation(project_db, label(split[0].id, users["alice"]))
    with pytest.raises(storage.StorageError, match="already has annotations"):
        storage.merge_statements(project_db, doc_id, 0)


def test_adjudication_is_revisioned_and_detects_concurrent_editors(project_db, users, doc_id):
    sid = storage.statements_of(project_db, doc_id)[0].id
    final = AdjudicationInput(statement_id=sid, editor_id=users["eve"], source_type="expert")
    first = storage.adjudicate(project_db, final, expected_revision=0)
    assert first.revision == 1
    # A second editor who also opened the statement at revision 0 is told it changed.
    other = final.model_copy(update={"editor_id": users["root"], "source_type": "document"})
    with pytest.raises(storage.ConflictError, match="another editor"):
        storage.adjudicate(project_db, other, expected_revision=0)
    second = storage.adjudicate(project_db, other, expected_revision=1)
    assert second.revision == 2 and second.source_type == "document"
    history = storage.adjudication_history(project_db, sid)
    assert [(n, a.source_type) for n, a in history] == [("eve", "expert"), ("root", "document")]


def test_review_queue_orders_by_disagreement(project_db, users, doc_id) -> None:
    s1, s2, s3 = storage.statements_of(project_db, doc_id)
    storage.update_settings(project_db, annotators_per_statement=3)
    for name in ("alice", "bob", "carol"):
        storage.save_annotation(project_db, label(s1.id, users[name], "expert", 3))
    for name, kind in (("alice", "expert"), ("bob", "document"), ("carol", "media_report")):
        storage.save_annotation(project_db, label(s2.id, users[name], kind, 3))
    for name, kind in (("alice", "expert"), ("bob", "expert"), ("carol", "document")):
        storage.save_annotation(project_db, label(s3.id, users[name], kind, 3, flagged=True))
    queue = storage.review_queue(project_db)
    assert [(i.statement.id, i.disagreement) for i in queue] == [
        (s2.id, 1.0),
        (s3.id, pytest.approx(2 / 3, abs=1e-6)),
        (s1.id, 0.0),
    ]
    flagged = storage.review_queue(project_db, storage.ReviewFilters(flagged_only=True))
    assert [i.statement.id for i in flagged] == [s3.id]


def test_sign_in_throttles_repeated_failures(project_db) -> None:
    from annotate.accounts.passwords import hash_password

    storage.add_user(project_db, "dana", "annotator", hash_password("correct horse"))
    assert storage.sign_in(project_db, "dana", "correct horse").ok
    results = [storage.sign_in(project_db, "dana", "wrong") for _ in range(3)]
    assert not any(r.ok for r in results)
    assert results[-1].wait_seconds == 2.0
    blocked = storage.sign_in(project_db, "dana", "correct horse")
    assert not blocked.ok and "too many failed sign-ins" in blocked.message


def test_validation_errors_name_the_field(project_db, users, doc_id) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="confidence"):
        label(1, users["alice"], confidence=-3)
    with pytest.raises(storage.NotFoundError, match="statement_id"):
        storage.save_annotation(project_db, label(99999, users["alice"]))


def test_taxonomy_edit_bumps_version_and_protects_used_labels(project_db, users, doc_id):
    sid = storage.statements_of(project_db, doc_id)[0].id
    storage.save_annotation(project_db, label(sid, users["alice"], "expert"))
    taxonomy = storage.get_taxonomy(project_db)
    without_expert = taxonomy.model_copy(
        update={"types": [t for t in taxonomy.types if t.key != "expert"]}
    )
    with pytest.raises(storage.InUseError, match="expert"):
        storage.update_taxonomy(project_db, without_expert)
    retired = taxonomy.model_copy(
        update={
            "types": [
                t.model_copy(update={"retired": True}) if t.key == "expert" else t
                for t in taxonomy.types
            ]
        }
    )
    updated = storage.update_taxonomy(project_db, retired)
    assert updated.version == f"{taxonomy.version}+2"
    assert set(storage.taxonomy_versions(project_db)) == {taxonomy.version, updated.version}


def test_queue_continues_from_my_frontier_then_wraps_around(project_db, users, doc_id) -> None:
    s1, s2, s3 = storage.statements_of(project_db, doc_id)
    later = storage.add_document(project_db, parsed("Fourth.\nFifth.", "later.txt")).document_id
    s4, s5 = storage.statements_of(project_db, later)  # type: ignore[arg-type]
    storage.save_annotation(project_db, label(s3.id, users["alice"]))
    # After s3, the queue goes on from there and comes back for s1 and s2 last.
    assert [s.id for s in storage.next_statements(project_db, users["alice"], 10)] == [
        s4.id,
        s5.id,
        s1.id,
        s2.id,
    ]
    # Going back to label s1 does not move the frontier backwards.
    storage.save_annotation(project_db, label(s1.id, users["alice"]))
    assert storage.next_statements(project_db, users["alice"])[0].id == s4.id


def test_bulk_labels_move_the_frontier_too(project_db, users, doc_id) -> None:
    from storage.bulk import bulk_add_annotations

    s1, s2, s3 = storage.statements_of(project_db, doc_id)
    later = storage.add_document(project_db, parsed("Fourth.", "later.txt")).document_id
    (s4,) = storage.statements_of(project_db, later)  # type: ignore[arg-type]
    bulk_add_annotations(project_db, [label(s2.id, users["alice"]), label(s3.id, users["alice"])])
    # The scan resumes after s3 (the furthest bulk label), then wraps around to s1.
    assert [s.id for s in storage.next_statements(project_db, users["alice"], 5)] == [s4.id, s1.id]


def test_statements_stored_with_their_labels_are_written_with_their_counts(
    project_db, users
) -> None:
    """New statements that come with their first labels are written once: their count,
    disagreement, flags and open state (k = 2) must be what recomputing them from the
    stored labels gives, and the labellers' queues move past them."""
    from storage.bulk import bulk_add_documents, refresh_statements

    alice, bob = users["alice"], users["bob"]
    documents = [
        lines_document(["Le ministre a parlé.", "Il a dit oui.", "Rien."], name="a.txt"),
        lines_document(["Un autre texte.", "Encore."], name="b.txt"),
    ]

    def labels(ids: list[list[int] | None]) -> list[AnnotationInput]:
        (a1, a2, _), (_, b2) = ids  # type: ignore[misc]
        return [
            label(a1, alice),
            label(a1, bob, "anonymous_official", 2, flagged=True),
            label(a2, alice, None, None, skipped=True),
            label(b2, bob),
        ]

    stored = bulk_add_documents(project_db, documents, labels=labels, imported_from="x.json")
    assert (stored.documents, stored.statements, stored.labels) == (2, 5, 4)
    _, a2, a3, b1, b2 = (i for ids in stored.statement_ids for i in ids or [])
    columns = "SELECT label_count, flag_count, is_open, disagreement > 0 FROM statements"
    written = project_db.execute(f"{columns} ORDER BY id").fetchall()
    assert written == [(2, 1, 0, 1), (0, 0, 1, 0), (0, 0, 1, 0), (0, 0, 1, 0), (1, 0, 1, 0)]
    exact = "SELECT id, label_count, disagreement, flag_count, is_open FROM statements"
    before = project_db.execute(exact).fetchall()
    refresh_statements(project_db)
    assert project_db.execute(exact).fetchall() == before
    assert [s.id for s in storage.next_statements(project_db, alice, 5)] == [a3, b1, b2]
    assert [s.id for s in storage.next_statements(project_db, bob, 5)] == [a2, a3, b1]
    imported = project_db.execute(
        "SELECT DISTINCT imported, import_source FROM annotation_revisions"
    )
    assert imported.fetchall() == [(1, "x.json")]


def test_labels_a_document_batch_does_not_add_abort_it(project_db, users, doc_id) -> None:
    from storage.bulk import bulk_add_documents

    (first, *_) = storage.statements_of(project_db, doc_id)
    counts = "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM annotations)"
    before = project_db.execute(counts).fetchone()
    with pytest.raises(StorageError, match="a label of a statement this batch does not add"):
        bulk_add_documents(
            project_db,
            [lines_document(["Nouveau texte."], name="new.txt")],
            labels=lambda ids: [label(first.id, users["alice"])],
        )
    assert project_db.execute(counts).fetchone() == before


def test_a_label_by_no_account_fails_its_document_batch_not_the_commit(project_db, users) -> None:
    """References of labels stored with new statements are checked at commit: a wrong
    annotator must still fail the batch itself, as one StorageError, with nothing
    written and no transaction left open."""
    from storage.bulk import bulk_add_documents

    counts = "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM annotations)"
    before = project_db.execute(counts).fetchone()
    with pytest.raises(StorageError, match="no user with id 999"):
        bulk_add_documents(
            project_db,
            [lines_document(["Un.", "Deux."], name="new.txt")],
            labels=lambda ids: [label(ids[0][0], users["alice"]), label(ids[0][1], 999)],  # type: ignore[index]
        )
    assert not project_db.conn.in_transaction
    assert project_db.execute(counts).fetchone() == before


def test_a_commit_refused_by_a_deferred_reference_is_rolled_back(project_db, doc_id) -> None:
    from storage import dialect
    from storage.transactions import write

    first = storage.statements_of(project_db, doc_id)[0]
    with pytest.raises(dialect.IntegrityError), write(project_db):
        project_db.execute(dialect.DEFER_FOREIGN_KEYS)
        project_db.execute(
            "INSERT INTO annotations (statement_id, annotator_id, revision, created_at, "
            "updated_at) VALUES (?, 999, 1, 'now', 'now')",
            [first.id],
        )
    assert not project_db.conn.in_transaction
    assert project_db.execute("SELECT count(*) FROM annotations").fetchone() == (0,)


def test_a_bulk_batch_keeps_every_value_a_single_label_sets(project_db, users, doc_id) -> None:
    """A batch binds only the columns some label sets: one label's note, flag or other
    types among plain ones is stored, and the plain ones keep the defaults."""
    from storage.bulk import bulk_add_annotations

    s1, s2, s3 = storage.statements_of(project_db, doc_id)
    alice, bob = users["alice"], users["bob"]
    plain = label(s1.id, alice)
    rich = label(
        s2.id, alice, "anonymous_official", 4, also_cites=["named_official"], who="a minister",
        cue="said", note="second hand", unsure=True, flagged=True, suggestion_shown=True,
        suggested_type="named_official", extra_ratings={"relevance": 2},
    )  # fmt: skip
    skipped = label(s3.id, bob, None, None, skipped=True)
    assert bulk_add_annotations(project_db, [plain, rich, skipped], imported_from="f.json") == 3
    stored = {
        (a.statement_id, a.annotator_id): a
        for s in (s1, s2, s3)
        for _, a in storage.annotations_for_statement(project_db, s.id)
    }
    first, second, third = stored[s1.id, alice], stored[s2.id, alice], stored[s3.id, bob]
    assert (first.source_type, first.confidence, first.note, first.who, first.also_cites) == (
        "named_official", 3, "", "", [],
    )  # fmt: skip
    assert (first.unsure, first.flagged, first.skipped, first.extra_ratings) == (
        False, False, False, {},
    )  # fmt: skip
    assert (second.source_type, second.confidence, second.also_cites) == (
        "anonymous_official", 4, ["named_official"],
    )  # fmt: skip
    assert (second.who, second.cue, second.note) == ("a minister", "said", "second hand")
    assert (second.unsure, second.flagged, second.suggestion_shown) == (True, True, True)
    assert (second.suggested_type, second.extra_ratings) == ("named_official", {"relevance": 2})
    assert (third.skipped, third.source_type, third.confidence) == (True, None, None)
    history = storage.annotation_history(project_db, s2.id)
    assert [a.note for _, a in history] == ["second hand"]
    stored_flags = project_db.execute(
        "SELECT DISTINCT typeof(skipped), typeof(unsure), skipped + unsure + flagged "
        "FROM annotations WHERE statement_id = ?",
        [s2.id],
    ).fetchall()
    assert stored_flags == [("integer", "integer", 2)]  # flags are the integers 0 and 1


def test_bulk_label_defaults_are_the_schemas(project_db) -> None:
    """A column a batch leaves out is filled by its DEFAULT: it must be the value the
    batch would have bound."""
    from storage.bulk import _ALWAYS, _COLUMN_DEFAULTS, _LABEL_FIELDS

    declared = {row[1]: row[4] for row in project_db.execute("PRAGMA table_info(annotations)")}
    for name, default in zip(_LABEL_FIELDS, _COLUMN_DEFAULTS, strict=True):
        if default is _ALWAYS:
            continue
        (value,) = project_db.execute(f"SELECT {declared[name] or 'NULL'}").fetchone()
        assert value == default and type(value) is type(default), name


def test_an_empty_queue_is_remembered_until_any_queue_can_grow(project_db, users, doc_id):
    s1, s2, s3 = storage.statements_of(project_db, doc_id)
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    for who in (bob, carol):  # s1 reaches k = 2 without alice
        storage.save_annotation(project_db, label(s1.id, who))
    for statement in (s2, s3):
        storage.save_annotation(project_db, label(statement.id, alice))

    def queue() -> list[int]:
        return [s.id for s in storage.next_statements(project_db, alice, 5)]

    def marked() -> bool:
        row = project_db.execute(
            "SELECT exhausted_generation = (SELECT generation FROM queue_state) "
            "FROM queue_positions WHERE user_id = ?",
            [alice],
        ).fetchone()
        return bool(row and row[0])

    assert queue() == [] and marked()
    # Bob withdraws his label: s1 opens again, so alice has work.
    storage.delete_annotation(project_db, s1.id, bob)
    assert not marked() and queue() == [s1.id]
    storage.save_annotation(project_db, label(s1.id, alice))
    assert queue() == [] and marked()
    # Alice withdraws her own label on a statement that stays open.
    storage.delete_annotation(project_db, s2.id, alice)
    assert queue() == [s2.id]
    storage.save_annotation(project_db, label(s2.id, alice))
    assert queue() == []
    # A newly imported document, a raised k, a changed assignment: each reopens the scan.
    new = storage.add_document(project_db, parsed("Fresh claim.", "fresh.txt")).document_id
    (fresh,) = storage.statements_of(project_db, new)  # type: ignore[arg-type]
    assert queue() == [fresh.id]
    storage.save_annotation(project_db, label(fresh.id, alice))
    storage.assign_document(project_db, new, [alice], by=users["eve"])
    assert queue() == []
    storage.save_annotation(project_db, label(s1.id, carol, "expert"))  # an edit, not a withdrawal
    assert queue() == [] and marked()
    storage.assign_document(project_db, new, [], by=users["eve"])
    storage.update_settings(project_db, annotators_per_statement=4)
    assert not marked() and queue() == []  # alice has labelled everything that is open


def test_what_an_import_resets_is_the_schemas_default(project_db) -> None:
    from storage.bulk import _NOT_IMPORTED

    declared = {row[1]: row[4] for row in project_db.execute("PRAGMA table_info(annotations)")}
    for name, default in _NOT_IMPORTED.items():
        assert (declared[name] or "NULL") == default, name
