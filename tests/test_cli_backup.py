"""`sourcedesk backup` and `sourcedesk restore` from the command line."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import (
    PASSWORD,
    assert_one_line_error,
    run,
)


def test_backup_and_restore_round_trip(cli_db: Path, tmp_path: Path) -> None:
    db = str(cli_db)
    assert run("users", "add", "alice", "--password", PASSWORD, "--db", db).exit_code == 0
    copy = tmp_path / "copy.db"
    result = run("backup", str(copy), "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"backed up to {copy}: schema version")
    assert "1 users" in result.stdout

    assert_one_line_error(run("backup", str(copy), "--db", db), "already exists")
    assert_one_line_error(run("restore", str(copy), "--db", db), "--force")
    restored = run("restore", str(copy), "--db", db, "--force")
    assert restored.exit_code == 0, restored.output
    assert "1 users" in restored.stdout

    elsewhere = tmp_path / "elsewhere.db"
    assert run("restore", str(copy), "--db", str(elsewhere)).exit_code == 0
    assert run("users", "list", "--db", str(elsewhere)).stdout.splitlines() == ["alice\tannotator"]
    junk = tmp_path / "junk.db"
    junk.write_text("junk")
    assert_one_line_error(run("restore", str(junk), "--db", str(elsewhere)), "not a SourceDesk")
    assert_one_line_error(run("restore", str(tmp_path / "none.db"), "--db", db), "no such file")
