"""Large reads go to the reader process (storage/arrow_child.py): ADBC's own copy of SQLite
must never share a process with the app's connections. Its results equal the read on the
caller's own connection, it fails in one line, and a read during writes from another
thread of the same process neither crashes nor mixes two states of the database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from builders import label, lines_document

import storage
import storage.arrow_reads as arrow_reads
from storage.arrow_reads import LabelQuery, label_batches
from storage.errors import StorageError
from storage.frames import labels_frame

ROOT = Path(__file__).resolve().parents[1]


def project(path: Path) -> storage.Database:
    """Labels, skips, a deleted label, a heading's label and a deleted document."""
    db = storage.connect(path)
    storage.create_project(db, "Reader", annotators_per_statement=2)
    users = [storage.add_user(db, name, "annotator").id for name in ("ann", "bea", "cyd")]
    documents = [
        storage.add_document(
            db, lines_document([f"Doc {d} line {j}." for j in range(8)], name=f"d{d}.txt")
        ).document_id
        for d in range(3)
    ]
    statements = [s.id for d in documents for s in storage.statements_of(db, d)]
    for k, sid in enumerate(statements):
        for u, uid in enumerate(users[: 1 + k % 3]):
            value = label(sid, uid, ["named_official", "media_report", None][(k + u) % 3])
            storage.save_annotation(db, value)
    with storage.write(db):
        db.execute("UPDATE statements SET kind = 'heading' WHERE id = ?", [statements[0]])
        db.execute("UPDATE annotations SET deleted = 1 WHERE statement_id = ?", [statements[5]])
    storage.delete_document(db, documents[1])
    return db


@pytest.fixture
def db(tmp_path: Path) -> storage.Database:
    return project(tmp_path / "reader.db")


def test_the_reader_process_reads_what_the_own_connection_reads(
    db: storage.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = labels_frame(db)
    query = LabelQuery([("statement_id", "int"), ("annotator", "int"), ("note", "string"),
                        ("skipped", "bool"), ("labelled_at", "timestamp")])  # fmt: skip
    own_export = pa.Table.from_batches(list(label_batches(db, query, batch_rows=7)))
    monkeypatch.setattr(arrow_reads, "OWN_CONNECTION_ROWS", 0)
    child = labels_frame(db)
    child_export = pa.Table.from_batches(list(label_batches(db, query, batch_rows=7)))
    pd.testing.assert_frame_equal(own, child)
    assert child_export.equals(own_export)
    # The reads left out the heading, the deleted label and the deleted document's labels.
    assert 0 < len(child) < len(child_export)
    assert {len(b) for b in label_batches(db, query, batch_rows=7)} <= {7, len(child_export) % 7}


def test_the_report_reads_statements_and_documents_from_covering_indexes(
    db: storage.Database,
) -> None:
    """Not from the tables, whose pages hold every statement's and article's text: about
    40% of a database, against some 15 MB for what the report reads."""
    for sql in (arrow_reads._STATEMENTS_SQL, arrow_reads._DOCUMENTS_SQL):
        plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()]
        scans = [step for step in plan if step.startswith("SCAN ") and "CONSTANT" not in step]
        assert scans, plan
        assert all("COVERING INDEX" in step or "statements_not_statement" in step for step in scans)


@pytest.mark.parametrize("reader_process", [False, True])
def test_the_labels_frame_can_be_changed_in_place(
    db: storage.Database, monkeypatch: pytest.MonkeyPatch, reader_process: bool
) -> None:
    """The frame is converted from Arrow without holding both copies, but its columns are
    pandas' own: a caller may set values in place (Arrow's memory, shared without a copy,
    is read-only and would refuse)."""
    if reader_process:
        monkeypatch.setattr(arrow_reads, "OWN_CONNECTION_ROWS", 0)
    frame = labels_frame(db)
    first = frame.index[:1]
    for column, value in (("statement_id", 0), ("document_id", 0), ("suggestion_shown", True),
                          ("confidence", 1), ("source_type", "x"), ("annotator", "y")):  # fmt: skip
        frame.loc[first, column] = value
        assert frame.loc[first[0], column] == value


@pytest.mark.parametrize("reader_process", [False, True])
def test_labels_come_in_statement_order_whatever_order_they_were_saved_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader_process: bool
) -> None:
    db = storage.connect(tmp_path / "order.db")
    storage.create_project(db, "Order", annotators_per_statement=3)
    users = {name: storage.add_user(db, name, "annotator").id for name in ("zed", "amy")}
    document = storage.add_document(db, lines_document([f"Line {j}." for j in range(6)]))
    statements = [s.id for s in storage.statements_of(db, document.document_id)]
    # Saved as annotators work: late statements first, the later account first.
    saves = [(5, "amy"), (2, "amy"), (5, "zed"), (0, "zed"), (2, "zed"), (0, "amy")]
    for position, name in saves:
        storage.save_annotation(db, label(statements[position], users[name], "media_report"))
    if reader_process:
        monkeypatch.setattr(arrow_reads, "OWN_CONNECTION_ROWS", 0)
    frame = labels_frame(db)
    expected = [(statements[p], n) for p in (0, 2, 5) for n in ("zed", "amy")]
    # user ids: zed was created first, so zed comes before amy within a statement
    assert list(zip(frame["statement_id"], frame["annotator"], strict=True)) == expected


def test_a_failed_read_is_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-database.db"
    bogus.write_text("this is not SQLite")
    with pytest.raises(StorageError) as caught:
        list(arrow_reads.arrow_batches(bogus, "SELECT 0 AS x UNION ALL SELECT 1"))
    assert str(caught.value).startswith(f"{bogus}: cannot read the database")
    assert "\n" not in str(caught.value)


def test_a_commit_between_the_parallel_reads_is_read_again(
    db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction adds labels at both ends of the statements while the two label
    ranges are read: the report input holds both or neither, never one."""
    monkeypatch.setattr(arrow_reads, "OWN_CONNECTION_ROWS", 0)
    path = tmp_path / "reader.db"
    ids = [r[0] for r in db.execute("SELECT id FROM statements ORDER BY id")]
    late = storage.add_user(db, "late", "annotator").id
    real = arrow_reads.arrow_tables
    calls = []

    def commit_during_first_read(p: Path, queries: list) -> list[pa.Table]:  # type: ignore[type-arg]
        calls.append(1)
        if len(calls) == 1:
            writer = sqlite3.connect(path)
            with writer:
                for sid in (ids[1], ids[-1]):
                    writer.execute(
                        "INSERT INTO annotations (statement_id, annotator_id, revision, "
                        "source_type, confidence, skipped, deleted, suggestion_shown, "
                        "created_at, updated_at) VALUES (?, ?, 1, 'media_report', 2, 0, 0, 0, "
                        "'2026-01-01', '2026-01-01')",
                        [sid, late],
                    )
            writer.close()
        return real(p, queries)

    monkeypatch.setattr(arrow_reads, "arrow_tables", commit_during_first_read)
    frame = labels_frame(db)
    assert len(calls) > 2  # the first pair of reads saw the commit and was repeated
    assert sorted(frame[frame["annotator"] == "late"]["statement_id"]) == [ids[1], ids[-1]]


STRESS = """
import sys, threading
import storage, storage.arrow_reads as arrow_reads
from builders import label
from storage.frames import labels_frame
from test_reader_process import project

arrow_reads.OWN_CONNECTION_ROWS = 0
path = sys.argv[1]
db = project(path)
statements = [r[0] for r in db.execute("SELECT id FROM statements WHERE kind = 'statement'")]
users = [r[0] for r in db.execute("SELECT id FROM users")]
stop = False

def save():
    writer = storage.connect(path)
    k = 0
    while not stop:
        value = label(statements[k % len(statements)], users[k % len(users)], confidence=1 + k % 5)
        try:
            storage.save_annotation(writer, value)
        except storage.SourceDeskError:
            pass  # a conflict with its own earlier label: not what is tested
        k += 1
    writer.close()

thread = threading.Thread(target=save)
thread.start()
for _ in range(12):
    frame = labels_frame(db)
    assert frame.groupby(["statement_id", "annotator"]).size().max() == 1
    assert frame["statement_id"].is_monotonic_increasing
stop = True
thread.join()
print(db.execute("PRAGMA integrity_check").fetchone()[0])
"""


@pytest.mark.slow
def test_reading_while_another_thread_saves_neither_crashes_nor_damages(tmp_path: Path) -> None:
    """With ADBC in the app's process this crashed (SIGBUS) within a few reads."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(STRESS), str(tmp_path / "stress.db")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "ok"


def test_a_reader_process_that_dies_mid_frame_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dying = tmp_path / "dying.py"
    dying.write_text(
        "import sys, struct\n"
        "sys.stdin.buffer.read()\n"
        "sys.stdout.buffer.write(struct.pack('<cIQ', b'B', 0, 100) + b'0123456789')\n"
    )
    monkeypatch.setattr(arrow_reads, "CHILD_SCRIPT", dying)
    with pytest.raises(StorageError) as caught:
        list(arrow_reads.arrow_batches(tmp_path / "x.db", "SELECT 0 AS x"))
    assert "the reader process stopped" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_read_snapshot_refuses_writes(db: storage.Database) -> None:
    from storage.transactions import read_snapshot

    with pytest.raises(sqlite3.OperationalError), read_snapshot(db):
        db.execute("UPDATE users SET name = 'x' WHERE id = 1")
    assert db.execute("SELECT name FROM users WHERE id = 1").fetchone()[0] == "ann"
    db.execute("UPDATE users SET name = 'ann2' WHERE id = 1")  # writable again afterwards


def test_labels_in_many_batches_come_out_in_order_as_one_copy() -> None:
    """The readers send hundreds of record batches: the ordered labels are one contiguous
    copy whether they needed sorting or not (later takes read it without finding batches)."""
    batches = [
        pa.record_batch({"statement_id": [5, 2], "annotator_id": [1, 2], "t": ["e", "b"]}),
        pa.record_batch({"statement_id": [2, 9], "annotator_id": [1, 1], "t": ["a", "f"]}),
        pa.record_batch({"statement_id": [3], "annotator_id": [7], "t": ["c"]}),
    ]
    ordered = arrow_reads._in_statement_order(pa.Table.from_batches(batches))
    assert ordered["t"].to_pylist() == ["a", "b", "c", "e", "f"]
    assert {ordered[name].num_chunks for name in ordered.column_names} == {1}
    in_order = pa.Table.from_batches([batches[0].slice(1), batches[1].slice(1)])
    assert arrow_reads._in_statement_order(in_order)["t"].to_pylist() == ["b", "f"]
    assert arrow_reads._in_statement_order(in_order)["t"].num_chunks == 1


def test_ids_too_large_for_one_key_are_still_put_in_order() -> None:
    table = pa.table({"statement_id": [7, 3, 3, 1 << 40], "annotator_id": [1, 1 << 30, 2, 5]})
    ordered = arrow_reads._in_statement_order(table)
    assert ordered["statement_id"].to_pylist() == [3, 3, 7, 1 << 40]
    assert ordered["annotator_id"].to_pylist() == [2, 1 << 30, 1, 5]


def test_negative_ids_from_a_loaded_dump_are_still_put_in_order() -> None:
    table = pa.table({"statement_id": [2, 1, 1, 2], "annotator_id": [-2, 3, -2, 3]})
    ordered = arrow_reads._in_statement_order(table)
    assert list(zip(ordered["statement_id"].to_pylist(), ordered["annotator_id"].to_pylist(),
                    strict=True)) == [(1, -2), (1, 3), (2, -2), (2, 3)]  # fmt: skip


@pytest.mark.parametrize(
    "table_ids",
    [
        [4, 1, 9, 2],  # small ids: the lookup array
        [4, 1, 1 << 40, 2],  # one huge id: Arrow's hash lookup
        [4, -1, 9, 2],  # a negative id from a loaded dump: Arrow's hash lookup
    ],
)
def test_the_row_of_each_id_is_what_arrow_index_in_gives(table_ids: list[int]) -> None:
    """Every label's statement row, absent ones null, whichever way it is found."""
    import pyarrow.compute as pc

    ids = pa.chunked_array([[9, 2, 3, 4], [1, 9, 0, 11, 4]])
    table = pa.chunked_array([table_ids[:2], table_ids[2:]])
    rows = arrow_reads._row_of(ids, table)
    expected = pc.index_in(ids, value_set=table)
    assert rows.to_pylist() == expected.to_pylist()
    assert rows.to_pylist()[:3] == [table_ids.index(9) if 9 in table_ids else None, 3, None]
