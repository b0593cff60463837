"""The full-fidelity dump: restored into an empty database, every table is equal."""

from __future__ import annotations

import json

import pytest
from test_export_data import populate
from typer.testing import CliRunner

import storage
from annotate.interchange.dump import TABLES
from storage.exports import dump_project
from storage.restore import load_dump


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
    assert load_dump(target, dump) == counts
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
    with pytest.raises(storage.StorageError) as info:
        load_dump(target, bad)
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
    run = CliRunner().invoke(app, ["load", str(out), "--db", str(fresh)])
    assert run.exit_code == 0, run.output
    assert storage.totals(storage.connect(fresh)) == storage.totals(source)
