"""Backups taken while the app writes, and restores that refuse anything doubtful."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from builders import label, lines_document

import storage
from annotate.documents import ParsedDocument
from storage.backup import backup, inspect_backup, restore
from storage.bulk import bulk_add_documents
from storage.schema import latest_version

ROOT = Path(__file__).resolve().parent.parent


def _docs(n: int, per_document: int = 10) -> list[ParsedDocument]:
    return [
        lines_document(
            [f"Le fonctionnaire {d} a déclaré la chose numéro {i}." for i in range(per_document)],
            name=f"d{d}.txt",
            content_hash=f"{d:064x}",
        )
        for d in range(n)
    ]


def _project(path: Path, n_docs: int = 20) -> tuple[storage.Database, dict[str, int]]:
    db = storage.connect(path)
    storage.create_project(db, "Backup test")
    bulk_add_documents(db, _docs(n_docs))
    users = {name: storage.add_user(db, name).id for name in ("alice", "bob")}
    return db, users  # type: ignore[return-value]


def _counts(path: Path) -> dict[str, int]:
    db = storage.connect(path)
    try:
        return storage.totals(db)
    finally:
        db.close()


def test_backup_copies_everything_and_is_a_single_checked_file(tmp_path: Path) -> None:
    db, users = _project(tmp_path / "live.db")
    ids = [r[0] for r in db.execute("SELECT id FROM statements ORDER BY id LIMIT 30")]
    for sid in ids:
        storage.save_annotation(db, label(sid, users["alice"]))
    storage.save_annotation(db, label(ids[0], users["alice"], "expert"), expected_revision=1)
    out = tmp_path / "backups" / "copy.db"
    info = backup(tmp_path / "live.db", out, step_pages=2)
    assert info.counts == {
        "documents": 20,
        "statements": 200,
        "annotations": 30,
        "annotation_revisions": 31,
        "users": 2,
    }
    assert info.schema_version == latest_version()
    assert out.exists() and not Path(f"{out}-wal").exists()
    assert out.stat().st_mode & 0o077 == 0  # password hashes inside: owner only
    assert [p.name for p in out.parent.iterdir()] == ["copy.db"]  # no temp file left
    with open(out, "rb") as fh:
        header = fh.read(20)
    assert header[18:20] == b"\x01\x01"  # rollback journal, not WAL: one self-contained file
    assert _counts(out) == storage.totals(db)
    db.close()


def test_backup_refuses_to_overwrite_or_to_copy_a_non_database(tmp_path: Path) -> None:
    db, _ = _project(tmp_path / "live.db")
    db.close()
    (tmp_path / "taken.db").write_text("keep me")
    with pytest.raises(storage.StorageError, match="already exists"):
        backup(tmp_path / "live.db", tmp_path / "taken.db")
    assert (tmp_path / "taken.db").read_text() == "keep me"
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(storage.StorageError, match="is not a SourceDesk"):
        backup(tmp_path / "notes.txt", tmp_path / "out.db")
    with pytest.raises(storage.StorageError, match="no such file"):
        backup(tmp_path / "missing.db", tmp_path / "out.db")
    with pytest.raises(storage.StorageError, match="is the database itself"):
        backup(tmp_path / "live.db", tmp_path / "live.db", overwrite=True)


_WRITER = textwrap.dedent(
    """
    import sys
    import storage
    from annotate.core.models import AnnotationInput

    db = storage.connect(sys.argv[1])
    users = [u.id for u in storage.list_users(db)]
    ids = [r[0] for r in db.execute("SELECT id FROM statements ORDER BY id")]
    print("ready", flush=True)
    n = 0
    for sid in ids:
        for user in users:
            saved = storage.save_annotation(
                db, AnnotationInput(statement_id=sid, annotator_id=user,
                                    source_type="named_official", confidence=3))
            if sid % 3 == 0:
                storage.save_annotation(
                    db, AnnotationInput(statement_id=sid, annotator_id=user,
                                        source_type="expert", confidence=4),
                    expected_revision=saved.revision)
            n += 1
    print(n, flush=True)
    """
)


@pytest.mark.slow
def test_backup_while_another_process_writes_restores_a_consistent_database(
    tmp_path: Path,
) -> None:
    live = tmp_path / "live.db"
    db, _ = _project(live, n_docs=600)  # 6,000 statements, a few hundred pages
    db.close()
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(live)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    copies = []
    try:
        for n in range(3):  # small steps: the writer restarts the copy again and again
            copies.append(backup(live, tmp_path / f"copy{n}.db", step_pages=4))
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0
    assert int(writer.stdout.readline()) == 12_000

    for n, info in enumerate(copies):
        restored = tmp_path / f"restored{n}.db"
        restore(info.path, restored)
        db = storage.connect(restored)
        assert storage.integrity_check(db) == "ok"

        def q(sql: str, db: storage.Database = db) -> int:
            return db.execute(sql).fetchone()[0]

        # Every revision in the copy has its annotation, and every annotation its history.
        assert (
            q(
                "SELECT count(*) FROM annotation_revisions r "
                "WHERE r.annotation_id NOT IN (SELECT id FROM annotations)"
            )
            == 0
        )
        assert (
            q(
                "SELECT count(*) FROM annotations a WHERE a.revision != "
                "(SELECT count(*) FROM annotation_revisions r WHERE r.annotation_id = a.id)"
            )
            == 0
        )
        assert (
            q(
                "SELECT count(*) FROM statements s WHERE s.label_count != (SELECT count(*) "
                "FROM annotations a WHERE a.statement_id = s.id AND a.deleted = 0)"
            )
            == 0
        )
        assert q("SELECT count(*) FROM statements") == 6_000
        assert info.counts["annotations"] == q("SELECT count(*) FROM annotations")
        db.close()
    # The copies were taken while labels were being added: later copies hold at least as many.
    labels = [c.counts["annotation_revisions"] for c in copies]
    assert labels == sorted(labels)
    assert copies[0].counts["annotations"] < 12_000  # taken mid-write, not after
    final = tmp_path / "final.db"
    backup(live, final)
    assert inspect_backup(final).counts["annotations"] == 12_000


def test_restore_refuses_to_replace_a_project_unless_forced(tmp_path: Path) -> None:
    db, users = _project(tmp_path / "a.db")
    sid = db.execute("SELECT min(id) FROM statements").fetchone()[0]
    storage.save_annotation(db, label(sid, users["alice"]))
    db.close()
    backup(tmp_path / "a.db", tmp_path / "a.backup")

    other = storage.connect(tmp_path / "b.db")
    storage.create_project(other, "Another project")
    other.close()
    with pytest.raises(storage.StorageError, match="pass --force"):
        restore(tmp_path / "a.backup", tmp_path / "b.db")
    other = storage.connect(tmp_path / "b.db")
    assert storage.get_project(other).name == "Another project"
    other.close()

    restore(tmp_path / "a.backup", tmp_path / "b.db", force=True)
    restored = storage.connect(tmp_path / "b.db")
    assert storage.get_project(restored).name == "Backup test"
    assert storage.totals(restored)["annotations"] == 1
    restored.close()


def test_restore_into_a_fresh_or_empty_database_needs_no_force(tmp_path: Path) -> None:
    db, _ = _project(tmp_path / "a.db")
    db.close()
    backup(tmp_path / "a.db", tmp_path / "a.backup")
    restore(tmp_path / "a.backup", tmp_path / "new" / "fresh.db")
    assert _counts(tmp_path / "new" / "fresh.db")["statements"] == 200
    storage.connect(tmp_path / "empty.db").close()  # schema, but no project or data
    restore(tmp_path / "a.backup", tmp_path / "empty.db")
    assert _counts(tmp_path / "empty.db")["documents"] == 20


def test_restore_discards_the_old_write_ahead_log(tmp_path: Path) -> None:
    """A stale -wal beside the restored file would be replayed onto it and corrupt it."""
    db, _ = _project(tmp_path / "a.db")
    db.close()
    backup(tmp_path / "a.db", tmp_path / "a.backup")
    live = sqlite3.connect(tmp_path / "b.db")
    live.execute("PRAGMA journal_mode = WAL")
    live.execute("PRAGMA wal_autocheckpoint = 0")
    live.execute("CREATE TABLE junk (x)")
    live.executemany("INSERT INTO junk VALUES (?)", [(b"x" * 3000,)] * 50)
    live.commit()
    live.close()  # the last connection's close checkpoints; recreate a WAL to be stale
    crashed = sqlite3.connect(tmp_path / "b.db")
    crashed.execute("PRAGMA wal_autocheckpoint = 0")
    crashed.execute("INSERT INTO junk VALUES ('after')")
    crashed.commit()
    assert Path(f"{tmp_path / 'b.db'}-wal").stat().st_size > 0
    crashed.close()
    restore(tmp_path / "a.backup", tmp_path / "b.db", force=True)
    assert not Path(f"{tmp_path / 'b.db'}-wal").exists()
    db = storage.connect(tmp_path / "b.db")
    assert storage.integrity_check(db) == "ok"
    assert "junk" not in db.table_names()
    assert storage.totals(db)["statements"] == 200
    db.close()


def test_restore_refuses_while_another_connection_reads(tmp_path: Path) -> None:
    db, _ = _project(tmp_path / "a.db")
    db.close()
    backup(tmp_path / "a.db", tmp_path / "a.backup")
    app_db = storage.connect(tmp_path / "a.db")
    app_db.execute("BEGIN")
    app_db.execute("SELECT count(*) FROM statements").fetchone()  # an open read snapshot
    try:
        with pytest.raises(storage.StorageError, match="in use by another process"):
            restore(tmp_path / "a.backup", tmp_path / "a.db", force=True)
    finally:
        app_db.execute("COMMIT")
        app_db.close()


def test_restore_rejects_files_that_are_not_sourcedesk_backups(tmp_path: Path) -> None:
    target = tmp_path / "target.db"
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    with pytest.raises(storage.StorageError, match="is not a SourceDesk"):
        restore(text, target)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(storage.StorageError, match="is not a SourceDesk"):
        restore(empty, target)
    with pytest.raises(storage.StorageError, match="no such file"):
        restore(tmp_path / "missing.db", target)
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(storage.StorageError, match="not a SourceDesk backup"):
        restore(foreign, target)
    assert not target.exists()


def test_restore_rejects_a_damaged_backup(tmp_path: Path) -> None:
    db, _ = _project(tmp_path / "a.db", n_docs=200)
    db.close()
    backup(tmp_path / "a.db", tmp_path / "a.backup")
    data = bytearray((tmp_path / "a.backup").read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for page in range(2, len(data) // page_size - 1, 3):  # scribble over b-tree pages
        start = page * page_size
        data[start : start + 64] = b"\xa5" * 64
    (tmp_path / "a.backup").write_bytes(bytes(data))
    with pytest.raises(storage.StorageError, match=r"damaged|unreadable"):
        restore(tmp_path / "a.backup", tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()


def test_restore_rejects_a_backup_from_a_newer_schema(tmp_path: Path) -> None:
    db, _ = _project(tmp_path / "a.db")
    db.close()
    backup(tmp_path / "a.db", tmp_path / "a.backup")
    conn = sqlite3.connect(tmp_path / "a.backup")
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('sourcedesk', '0099_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(storage.StorageError, match=r"newer SourceDesk.*0099_from_the_future"):
        restore(tmp_path / "a.backup", tmp_path / "b.db")
    conn = sqlite3.connect(tmp_path / "a.backup")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0099_from_the_future'")
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(storage.StorageError, match="newer than this SourceDesk"):
        restore(tmp_path / "a.backup", tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()
