"""Builders shared by the tests: labels, documents with exact offsets, imported articles.

A plain module (not a conftest, not a test file), so that tests import what they use from
one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import storage
from annotate.core.models import AnnotationInput, Role, Statement
from annotate.documents import ParsedDocument, ParsedStatement, content_hash, parse_file


def label(statement_id: int, annotator_id: int, source_type: str | None = "named_official",
          confidence: int | None = 3, **extra: object) -> AnnotationInput:  # fmt: skip
    return AnnotationInput(
        statement_id=statement_id,
        annotator_id=annotator_id,
        source_type=source_type,
        confidence=confidence,
        **extra,
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
    return ParsedDocument(source_name=name, text=text, statements=statements, **values)


def sample_project(db_file: Path, user: str, role: Role, *, k: int) -> Path:
    """The sample project (both articles, the demo labels) with one account to sign in as
    (password "correct horse battery")."""
    from annotate.accounts.passwords import hash_password
    from workflows.sample import load_sample

    db = storage.connect(db_file)
    storage.create_project(db, "Iran–Russia missiles (sample)", annotators_per_statement=k)
    load_sample(db)
    storage.add_user(db, user, role, hash_password("correct horse battery"))
    db.close()
    return db_file


def refused_import(db: storage.Database, path: Path, **options: Any) -> list[str]:
    """The problems `import-labels` lists for a file it refuses, having written nothing."""
    from annotate.interchange.labels import LabelImportError
    from workflows.label_import import import_labels_file

    before = storage.totals(db)
    try:
        import_labels_file(db, path, **options)
    except LabelImportError as exc:
        assert storage.totals(db) == before, "a refused import wrote something"
        return exc.problems
    raise AssertionError(f"{path.name} was imported")
