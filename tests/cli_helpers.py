"""What the CLI tests share: the runner, the one-line error check, the command list."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

import cli
from cli.common import app

# Every module of the package registers its commands on import, the way `sourcedesk` does.
for _module in pkgutil.iter_modules(cli.__path__):
    importlib.import_module(f"cli.{_module.name}")

PASSWORD = "correct horse battery"
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
SEED_1 = SAMPLE / "000_7ff1cdb65df24172.txt"
SEED_2 = SAMPLE / "003_f122783fec769f10.txt"


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


def run(*args: str | Path, input: str | None = None, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], input=input, env=env)


def assert_one_line_error(result: Any, *fragments: str) -> str:
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
