"""The full-fidelity dump: restored into an empty database, every table is equal."""

from __future__ import annotations

import json

import pytest
from test_export_data import populate
from typer.testing import CliRunner

import storage
from annotate.core.errors import SourceDeskError
from annotate.interchange.dump import TABLES
from workflows.dump import dump_project, load_dump


def table_rows(db, table: str) -> list[dict]:
    rows = [dict(r) for r in db.query(f"SELECT * FROM [{table}] ORDER BY rowid")]
    for row in rows:
        row.pop("password_hash", None)
    return rows


@pytest.fixture
def source(project_db, users):
    populate(project_db, users)
    storage.set_password_hash(project_db, "alice", "$argon2id$secret-hash")
    first = storage.list_documents(project_db)[0].document.id
    storage.assign_document(project_db, first, [users["alice"], users["bob"]], by=users["eve"])
    return project_db


def test_dump_then_load_gives_equal_tables(source, tmp_path) -> None:
    dump = tmp_path / "backup.jsonl"
    counts = dump_project(source, dump)
    assert counts["annotation_revisions"] == 13 and counts["assignments"] == 2
    assert "secret-hash" not in dump.read_text()
    target = storage.connect(tmp_path / "restored.db")
    assert load_dump(target, dump, keep_roles=True) == counts
    for table in TABLES:
        assert table_rows(target, table) == table_rows(source, table), table
    assert {u.name: u.password_hash for u in storage.list_users(target)}["alice"] == ""
    # the restored project works: its history is still append-only
    assert storage.annotation_history(target, 1) == storage.annotation_history(source, 1)


def test_load_refuses_a_database_that_is_not_empty(source, tmp_path) -> None:
    dump = tmp_path / "backup.jsonl"
    dump_project(source, dump)
    with pytest.raises(storage.StorageError, match="empty database"):
        load_dump(source, dump)


def test_bad_dump_lists_every_problem_and_writes_nothing(source, tmp_path) -> None:
    dump = tmp_path / "backup.jsonl"
    dump_project(source, dump)
    lines = dump.read_text().splitlines()
    broken = json.loads(lines[3])
    broken["row"]["colour"] = "red"
    lines[3] = json.dumps(broken)
    lines[5] = "{not json"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines[:-1]) + "\n")  # and the end line is missing
    target = storage.connect(tmp_path / "restored.db")
    with pytest.raises(SourceDeskError) as info:
        load_dump(target, bad, keep_roles=True)
    message = str(info.value)
    assert "line 4: field row.colour: unknown column" in message
    assert "line 6: not valid JSON" in message
    assert "no end line: the file is truncated" in message
    assert all(table_rows(target, t) == [] for t in TABLES)


def test_cli_dump_and_load(source, db_path, tmp_path) -> None:
    import cli.export  # noqa: F401
    from cli.common import app

    out = tmp_path / "b.jsonl"
    assert CliRunner().invoke(app, ["dump", str(out), "--db", str(db_path)]).exit_code == 0
    fresh = tmp_path / "fresh.db"
    run = CliRunner().invoke(app, ["load", str(out), "--db", str(fresh), "--keep-roles"])
    assert run.exit_code == 0, run.output
    assert storage.totals(storage.connect(fresh)) == storage.totals(source)


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_forged_dump_is_refused_with_every_problem_by_line(source, tmp_path) -> None:
    dump = tmp_path / "backup.jsonl"
    dump_project(source, dump)
    records = _rows(dump)
    where = {}
    for number, record in enumerate(records, start=1):
        row = record.get("row", {})
        table = record.get("table")
        if table == "users" and row["name"] == "alice":
            row["password_hash"] = "$argon2id$v=19$m=65536,t=3,p=4$known$hash"
            where["hash"] = number
        if table == "users" and row["name"] == "root":
            where["admin"] = number
        if table == "documents" and "published" not in where:
            row["published"] = "yesterday"
            where["published"] = number
        if table == "statements" and "offsets" not in where:
            row["text"] = "Une phrase que le document ne contient pas."
            where["offsets"] = number
        if table == "annotations" and "type" not in where:
            row["source_type"] = "rumour"
            row["updated_at"] = "2999-01-01T00:00:00+00:00"
            where["type"] = number
        if table == "annotation_revisions" and "stamp" not in where:
            row["created_at"] = "yesterday"
            where["stamp"] = number
    forged = tmp_path / "forged.jsonl"
    _write(forged, records)
    target = storage.connect(tmp_path / "restored.db")
    with pytest.raises(SourceDeskError) as info:
        load_dump(target, forged)
    message = str(info.value)
    expected = [
        f"line {where['hash']}: field row.password_hash: a dump never holds password hashes",
        f"line {where['admin']}: field row.role: role 'admin'",
        f"line {where['published']}: field row.published: 'yesterday' is not a date",
        f"line {where['type']}: field row.source_type: unknown source type 'rumour'",
        f"line {where['type']}: field row.updated_at: '2999-01-01T00:00:00+00:00' is in the future",
        f"line {where['stamp']}: field row.created_at: 'yesterday' is not a timestamp",
    ]
    for fragment in expected:
        assert fragment in message
    assert all(table_rows(target, t) == [] for t in TABLES)


def test_statement_that_does_not_slice_its_document_is_refused(source, tmp_path) -> None:
    dump = tmp_path / "backup.jsonl"
    dump_project(source, dump)
    records = _rows(dump)
    number = next(i for i, r in enumerate(records, start=1) if r.get("table") == "statements")
    records[number - 1]["row"]["text"] = "Une phrase que le document ne contient pas."
    forged = tmp_path / "forged.jsonl"
    _write(forged, records)
    target = storage.connect(tmp_path / "restored.db")
    with pytest.raises(SourceDeskError, match=f"line {number}: field row.start: the statement"):
        load_dump(target, forged, keep_roles=True)
    assert all(table_rows(target, t) == [] for t in TABLES)


def test_load_refuses_files_that_are_not_regular_or_too_large(source, tmp_path) -> None:
    import os

    dump = tmp_path / "backup.jsonl"
    dump_project(source, dump)
    target = storage.connect(tmp_path / "restored.db")
    with pytest.raises(SourceDeskError, match="larger than the limit of 100 bytes"):
        load_dump(target, dump, keep_roles=True, max_bytes=100)
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(SourceDeskError, match="not a regular file"):
        load_dump(target, fifo)
    assert all(table_rows(target, t) == [] for t in TABLES)
