"""The command line, run through typer's CliRunner on temporary databases.

Every command documents itself, every user error is one line on stderr with a non-zero
exit (never a traceback), and passwords only ever reach the database as argon2id hashes.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import cli
import storage
from cli.common import app

# Every module of the package registers its commands on import, the way `sourcedesk` does.
for _module in pkgutil.iter_modules(cli.__path__):
    importlib.import_module(f"cli.{_module.name}")

PASSWORD = "correct horse battery"
runner = CliRunner()


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(path, command) for every command and sub-command of a (typer's own) click group."""
    found = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        found.append((path, command))
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
    return found


ROOT_COMMAND: Any = typer.main.get_command(app)
ALL_COMMANDS = _commands(ROOT_COMMAND)


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input, env=env)


def assert_one_line_error(result, *fragments: str) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    err = result.stderr.strip()
    assert "Traceback" not in result.output and "Traceback" not in err
    assert err.startswith("error: ") and "\n" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    result = run("init", "--db", str(path), "--name", "CLI test")
    assert result.exit_code == 0, result.output
    return path


def test_the_expected_commands_exist() -> None:
    names = {" ".join(path) for path, _ in ALL_COMMANDS}
    assert {"init", "import", "status", "serve", "backup", "restore", "users", "users add",
            "users list", "users set-role"} <= names  # fmt: skip


@pytest.mark.parametrize("path", [p for p, _ in ALL_COMMANDS], ids=" ".join)
def test_every_command_has_help_text(path: tuple[str, ...]) -> None:
    command = dict(ALL_COMMANDS)[path]
    summary = (command.help or "").strip()
    assert len(summary) >= 10, f"`{' '.join(path)}` has no docstring"
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert summary.splitlines()[0][:40] in " ".join(result.output.split())
    for param in command.params:
        if param.param_type_name == "option" and not param.hidden and param.name != "help":
            assert (param.help or "").strip(), f"`{' '.join(path)}` option {param.name}: no help"


def test_top_level_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in ROOT_COMMAND.commands:
        assert name in result.output


# --- Errors: one line, non-zero exit. -------------------------------------------------


def test_a_database_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = run("status", "--db", str(tmp_path / "no" / "such" / "dir" / "x.db"))
    assert_one_line_error(result, "cannot open database")


def test_a_text_file_as_database_is_one_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("these are my notes, not a database\n" * 20)
    for args in (("status",), ("users", "list"), ("backup", str(tmp_path / "b.db"))):
        result = run(*args, "--db", str(notes))
        assert_one_line_error(result, "not a SourceDesk")
    assert notes.read_text().startswith("these are my notes")


def test_a_directory_as_database_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(run("status", "--db", str(tmp_path)), "is a directory")


def test_a_database_without_a_project_says_to_run_init(tmp_path: Path) -> None:
    assert_one_line_error(run("status", "--db", str(tmp_path / "fresh.db")), "sourcedesk init")


def test_unknown_user_and_wrong_role_are_one_line(project: Path) -> None:
    db = str(project)
    assert_one_line_error(run("users", "set-role", "nobody", "editor", "--db", db), "'nobody'")
    assert run("users", "add", "alice", "--password", PASSWORD, "--db", db).exit_code == 0
    assert_one_line_error(run("users", "set-role", "alice", "wizard", "--db", db), "role")
    err = assert_one_line_error(
        run("users", "add", "bob", "--role", "wizard", "--password", PASSWORD, "--db", db), "role"
    )
    assert PASSWORD not in err
    assert_one_line_error(
        run("users", "add", "alice", "--password", PASSWORD, "--db", db), "already exists"
    )
    assert_one_line_error(
        run("users", "add", "bad<name>", "--password", PASSWORD, "--db", db), "name"
    )
    listed = run("users", "list", "--db", db)
    assert listed.stdout.splitlines() == ["alice\tannotator"]


def test_removing_the_last_admin_is_refused(project: Path) -> None:
    db = str(project)
    assert run("users", "add", "root", "--role", "admin", "--password", PASSWORD, "--db", db)
    assert_one_line_error(run("users", "set-role", "root", "editor", "--db", db), "last admin")


def test_import_errors_name_the_file(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"title,outlet\nx,y\n")
    result = run("import", str(bad), "--db", str(project))
    assert result.exit_code == 1
    assert "bad.csv, field 'text': missing column 'text'" in result.stderr
    assert "Traceback" not in result.output
    missing = run("import", str(tmp_path / "missing.txt"), "--db", str(project))
    assert missing.exit_code != 0 and "Traceback" not in missing.output


# --- Passwords. -----------------------------------------------------------------------


def _hash_of(db_path: Path, name: str) -> str:
    db = storage.connect(db_path)
    try:
        return storage.get_user(db, name).password_hash
    finally:
        db.close()


def test_passwords_are_stored_as_argon2id_hashes_and_never_echoed(project: Path) -> None:
    db = str(project)
    given = run("users", "add", "alice", "--password", PASSWORD, "--db", db)
    prompted = run("users", "add", "bob", "--db", db, input=f"{PASSWORD}\n{PASSWORD}\n")
    from_env = run("users", "add", "carol", "--db", db, env={"SOURCEDESK_PASSWORD": PASSWORD})
    for result, name in ((given, "alice"), (prompted, "bob"), (from_env, "carol")):
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output and PASSWORD not in result.stderr
        assert f"added {name} (annotator)" in result.stdout
        stored = _hash_of(project, name)
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert len({_hash_of(project, n) for n in ("alice", "bob", "carol")}) == 3  # salted
    database = storage.connect(project)
    assert storage.sign_in(database, "bob", PASSWORD).ok
    assert not storage.sign_in(database, "bob", PASSWORD + "!").ok
    raw = project.read_bytes() + Path(f"{project}-wal").read_bytes()
    assert PASSWORD.encode() not in raw
    database.close()


def test_a_short_password_is_refused_and_creates_no_user(project: Path) -> None:
    result = run("users", "add", "dave", "--password", "short", "--db", str(project))
    err = assert_one_line_error(result, "at least 8 characters")
    assert "short" not in err.replace("at least", "")
    assert run("users", "list", "--db", str(project)).stdout.strip() == ""


def test_mismatched_prompted_passwords_are_asked_again(project: Path) -> None:
    result = run(
        "users", "add", "erin", "--db", str(project),
        input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert _hash_of(project, "erin").startswith("$argon2id$")


# --- Backup and restore. -------------------------------------------------------------


def test_backup_and_restore_round_trip(project: Path, tmp_path: Path) -> None:
    db = str(project)
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
