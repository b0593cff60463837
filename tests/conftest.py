"""Fixtures: every test gets its own real SQLite file, never a mock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import storage

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """AppTest installs the app script as `__main__` and leaves it there; a process started
    later with multiprocessing's spawn would re-run that script instead of the worker."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database path that the app under AppTest finds through $SOURCEDESK_DB."""
    path = tmp_path / "app.db"
    monkeypatch.setenv(storage.DB_ENV_VAR, str(path))
    return path


@pytest.fixture
def db(db_path: Path) -> Iterator[storage.Database]:
    database = storage.connect(db_path)
    yield database
    database.close()


@pytest.fixture
def project_db(db: storage.Database) -> storage.Database:
    storage.create_project(db, "Test project", annotators_per_statement=2)
    return db


@pytest.fixture
def users(project_db: storage.Database) -> dict[str, int]:
    ids = {}
    for name, role in [("alice", "annotator"), ("bob", "annotator"), ("carol", "annotator"),
                       ("eve", "editor"), ("root", "admin")]:  # fmt: skip
        ids[name] = storage.add_user(project_db, name, role).id  # type: ignore[arg-type]
    return ids


@pytest.fixture
def cli_db(tmp_path: Path) -> Path:
    """A database file created by `sourcedesk init`, as a user would."""
    from cli_helpers import run

    path = tmp_path / "cli.db"
    result = run("init", "--db", path, "--name", "CLI test")
    assert result.exit_code == 0, result.output
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark browser tests `e2e` and Streamlit AppTest modules `apptest` (page tests in other
    modules carry the mark themselves), so that `make test-fast` can leave them out with the
    multi-process `slow` tests (`-m "not e2e and not apptest and not slow"`)."""
    for item in items:
        path = Path(str(item.fspath))
        if "e2e" in path.parts:
            item.add_marker(pytest.mark.e2e)
        elif path.name.startswith("test_app_") or path.name.endswith("_page.py"):
            item.add_marker(pytest.mark.apptest)
