"""Restore trusts nothing in the file's schema; copies are private and never left behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from builders import lines_document

import storage
from storage.backup import TEMP_SUFFIX, backup, inspect_backup, restore
from storage.bulk import bulk_add_documents

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def good_backup(tmp_path: Path) -> Path:
    db = storage.connect(tmp_path / "live.db")
    storage.create_project(db, "Restore test")
    bulk_add_documents(db, [lines_document(["Le ministre a parlé.", "Il a dit oui."])])
    storage.add_user(db, "alice")
    db.close()
    out = tmp_path / "good.backup"
    backup(tmp_path / "live.db", out)
    return out


def _tamper(source: Path, target: Path, *sql: str) -> Path:
    target.write_bytes(source.read_bytes())
    conn = sqlite3.connect(target)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return target


def test_a_good_backup_matches_the_schema_this_version_creates(
    good_backup: Path, tmp_path: Path
) -> None:
    info = restore(good_backup, tmp_path / "restored.db")
    assert info.counts["documents"] == 1
    db = storage.connect(tmp_path / "restored.db")
    assert storage.get_project(db).name == "Restore test"
    db.close()


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        (  # rewrites every later label
            "CREATE TRIGGER rewrite AFTER INSERT ON annotations BEGIN "
            "UPDATE annotations SET source_type = 'unattributed' WHERE id = NEW.id; END",
            "unexpected trigger 'rewrite'",
        ),
        (  # grants admin on a failed sign-in
            "CREATE TRIGGER grant_admin AFTER UPDATE OF failed_logins ON users BEGIN "
            "UPDATE users SET role = 'admin' WHERE id = NEW.id; END",
            "unexpected trigger 'grant_admin'",
        ),
        ("DROP TRIGGER annotation_revisions_no_update", "missing trigger"),
        ("CREATE INDEX sneaky ON users(password_hash)", "unexpected index 'sneaky'"),
        ("CREATE TABLE extra (x)", "unexpected table 'extra'"),
        ("ALTER TABLE users ADD COLUMN backdoor TEXT", "changed table 'users'"),
        ("DROP TABLE queue_positions", "missing table 'queue_positions'"),
        (
            "DROP VIEW live_statements",
            "missing view 'live_statements'",
        ),
    ],
)
def test_restore_refuses_any_schema_difference(
    good_backup: Path, tmp_path: Path, sql: str, problem: str
) -> None:
    hostile = _tamper(good_backup, tmp_path / "hostile.backup", sql)
    target = tmp_path / "target.db"
    with pytest.raises(storage.StorageError, match="schema is not the one") as caught:
        restore(hostile, target)
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_view_over_an_endless_recursive_query_cannot_hang_restore(
    good_backup: Path, tmp_path: Path
) -> None:
    """`documents` replaced by a view that never ends: counting it used to hang forever."""
    endless = (
        "CREATE VIEW documents AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
        "SELECT i + 1 FROM n) SELECT i AS id FROM n"
    )
    hostile = _tamper(
        good_backup,
        tmp_path / "endless.backup",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA legacy_alter_table = ON",
        "ALTER TABLE documents RENAME TO documents_old",
        endless,
    )
    started = time.monotonic()
    with pytest.raises(storage.StorageError, match="view 'documents'"):
        restore(hostile, tmp_path / "target.db", seconds=5)
    assert time.monotonic() - started < 5
    assert not (tmp_path / "target.db").exists()


def test_checks_that_run_out_of_time_are_interrupted(good_backup: Path, tmp_path: Path) -> None:
    """The time limit holds even for a check that is slow on a schema that matches."""
    with pytest.raises(storage.StorageError, match="took longer than 0 s"):
        inspect_backup(good_backup, seconds=0)


def test_schema_steps_must_be_this_versions_steps_in_order(
    good_backup: Path, tmp_path: Path
) -> None:
    hostile = _tamper(
        good_backup,
        tmp_path / "steps.backup",
        "DELETE FROM _sqlite_migrations WHERE name = '0001_initial'",
    )
    with pytest.raises(storage.StorageError, match="not the ones this SourceDesk applies"):
        restore(hostile, tmp_path / "target.db")


def test_restored_and_new_databases_and_their_side_files_are_private(
    good_backup: Path, tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        db = storage.connect(tmp_path / "new.db")
        db.execute("CREATE TABLE scratch (x)")
        for suffix in ("", "-wal", "-shm"):
            assert os.stat(f"{tmp_path / 'new.db'}{suffix}").st_mode & 0o777 == 0o600
        db.close()
        restore(good_backup, tmp_path / "restored.db")
        assert (tmp_path / "restored.db").stat().st_mode & 0o777 == 0o600
        legacy = tmp_path / "legacy.db"  # made world-readable by an older version
        legacy.write_bytes(good_backup.read_bytes())
        legacy.chmod(0o644)
        storage.connect(legacy).close()
        assert legacy.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


_HOLD_TEMP = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from storage.backup import temp_beside

    with temp_beside(Path(sys.argv[1])) as temp:
        temp.write_bytes(b"a full copy of the database" * 1000)
        print(temp, flush=True)
        time.sleep(120)
    """
)


def _holder(target: Path) -> tuple[subprocess.Popen[str], Path]:
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLD_TEMP, str(target)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, Path(child.stdout.readline().strip())


def test_a_killed_backup_leaves_a_copy_that_the_next_one_removes(
    good_backup: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    killed, stale = _holder(folder / "monday.db")
    alive, busy = _holder(folder / "tuesday.db")
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        assert stale.exists() and stale.name.endswith(TEMP_SUFFIX)
        assert stale.stat().st_mode & 0o777 == 0o600
        backup(tmp_path / "live.db", folder / "wednesday.db")
        assert not stale.exists()  # its writer is dead: removed
        assert busy.exists()  # another backup still writing: kept
    finally:
        alive.kill()
        alive.wait(timeout=30)
    restore(good_backup, folder / "restored.db")
    assert sorted(p.name for p in folder.iterdir()) == ["restored.db", "wednesday.db"]
