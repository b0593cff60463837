"""The command line as a whole: every command exists and has help; bad database paths
are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import (
    ALL_COMMANDS,
    ROOT_COMMAND,
    assert_one_line_error,
    run,
)


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


def test_a_database_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = run("status", "--db", str(tmp_path / "no" / "such" / "dir" / "x.db"))
    assert_one_line_error(result, "no such database")
    assert not (tmp_path / "no").exists()


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
