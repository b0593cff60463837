"""Fixtures: every test gets its own real SQLite file, never a mock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import storage
from annotate.core.models import AnnotationInput, Statement
from annotate.documents.ingest import ParsedDocument, ParsedStatement, content_hash, parse_file

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


def label(statement_id: int, annotator_id: int, source_type: str | None = "named_official",
          confidence: int | None = 3, **extra: object) -> AnnotationInput:  # fmt: skip
    return AnnotationInput(
        statement_id=statement_id,
        annotator_id=annotator_id,
        source_type=source_type,
        confidence=confidence,
        **extra,  # type: ignore[arg-type]
    )


def import_text(db: storage.Database, text: str, name: str = "doc.txt") -> list[Statement]:
    """Import one article through the real parser; returns its statements."""
    (document,) = parse_file(name, text.encode("utf-8"))
    outcome = storage.add_document(db, document)
    assert outcome.status == "added", outcome.message
    return storage.statements_of(db, outcome.document_id, only_statements=True)  # type: ignore[arg-type]


def lines_document(lines: list[str], *, name: str = "doc.txt", **fields: object) -> ParsedDocument:
    """A parsed document whose statements are exactly its lines (offsets exact, no parser)."""
    text = "\n".join(lines)
    statements, start = [], 0
    for line in lines:
        if line:
            statements.append(
                ParsedStatement(start=start, end=start + len(line), text=line, kind="statement")
            )
        start += len(line) + 1
    values: dict[str, object] = {"language": "fr", "content_hash": content_hash(text), **fields}
    return ParsedDocument(source_name=name, text=text, statements=statements, **values)  # type: ignore[arg-type]
