"""The house's import direction and the one home of SQL, checked on the source itself.

annotate/ (the domain) imports no database, no Streamlit and none of the layers above it;
storage/ imports no workflow, page or command; workflows/ imports no page or command; only
storage/ writes SQL.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "annotate": {"storage", "workflows", "ui", "cli", "streamlit", "sqlite3", "sqlite_utils",
                 "adbc_driver_sqlite", "adbc_driver_manager", "duckdb"},
    "storage": {"workflows", "ui", "cli", "streamlit"},
    "workflows": {"ui", "cli", "streamlit", "sqlite3", "sqlite_utils"},
    "cli": {"ui", "streamlit", "sqlite3", "sqlite_utils"},
}  # fmt: skip
SQL = re.compile(
    r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+"
    r"(TABLE|INDEX|VIEW|TRIGGER))\b"
)  # SQL is written in capitals here; prose ("select the documents from") is not SQL


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_follow_the_layers(package: str) -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & FORBIDDEN[package])
        for path in _sources(package)
    }
    assert {k: v for k, v in offending.items() if v} == {}


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@pytest.mark.parametrize("package", ["annotate", "workflows", "ui", "cli"])
def test_sql_lives_only_in_storage(package: str) -> None:
    found = {
        str(path.relative_to(ROOT)): text[:60]
        for path in _sources(package)
        for text in _string_constants(path)
        if SQL.search(text)
    }
    assert found == {}


def test_the_sql_check_would_see_sql() -> None:
    assert SQL.search("SELECT id FROM users")
    assert SQL.search("INSERT INTO t VALUES (1)")
    assert not SQL.search("select the documents from the list")
