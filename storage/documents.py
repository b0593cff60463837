"""Documents and their statements: import, browse, assign, merge and split.

A document and all of its statements are written in one transaction, so a failure
leaves either the whole document or nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from sqlite_utils import Database

from annotate.core.models import Document, Statement, utcnow
from storage import dialect
from storage.errors import NotFoundError, StorageError
from storage.project import refresh_open_statements
from storage.rows import to_model
from storage.transactions import write

if TYPE_CHECKING:
    from annotate.documents import ParsedDocument
    from annotate.documents.parsed import StreamedDocument


class ImportOutcome(BaseModel):
    source_name: str
    status: str  # "added" | "duplicate" | "error"
    message: str = ""
    document_id: int | None = None
    statements: int = 0


class DocumentProgress(BaseModel):
    document: Document
    statements: int
    labelled: int  # statements with at least k labels
    labels: int
    assigned_to: list[str]


def _to_document(row: dict) -> Document:
    return to_model(Document, row)


def to_statement(row: dict) -> Statement:
    return to_model(Statement, row)


def find_duplicate(db: Database, content_hash: str) -> int | None:
    row = db.execute("SELECT id FROM documents WHERE content_hash = ?", [content_hash]).fetchone()
    return row[0] if row else None


def add_document(db: Database, parsed: ParsedDocument | StreamedDocument) -> ImportOutcome:
    """Store one parsed document with its statements, all or nothing.

    The statements are read once, as they are inserted a batch at a time: a streamed
    document produces them only then, so a long article's statements are never all in
    memory. Inside a caller's transaction the document is a savepoint: a document that
    fails is rolled back alone, and the caller decides about the rest.
    """
    existing = find_duplicate(db, parsed.content_hash)
    if existing is not None:
        return ImportOutcome(
            source_name=parsed.source_name,
            status="duplicate",
            message=f"same text as document {existing}; skipped",
            document_id=existing,
        )
    counted = 0
    try:
        document = Document(
            title=parsed.title,
            outlet=parsed.outlet,
            url=parsed.url,
            published=parsed.published,
            published_precision=parsed.published_precision,
            language=parsed.language,
            # Validated by its first character: checking the whole text's length, pydantic
            # would make a UTF-8 copy of it that lives as long as the text does.
            text=parsed.text[:1],
            content_hash=parsed.content_hash,
            source_name=parsed.source_name,
            external_id=parsed.external_id,
        ).model_copy(update={"text": parsed.text})
        with write(db):
            document_id = _insert_document(db, document)

            def rows() -> Iterator[dict[str, Any]]:  # one batch at a time, not all at once
                nonlocal counted
                for position, seg in enumerate(parsed.statements):
                    statement = Statement(
                        document_id=document_id,
                        position=position,
                        start=seg.start,
                        end=seg.end,
                        text=seg.text,
                        kind=seg.kind,
                    )
                    if (
                        statement.end > len(document.text)
                        or document.text[statement.start : statement.end] != statement.text
                    ):
                        raise StorageError(
                            f"statement {position}: offsets {statement.start}-{statement.end} "
                            "do not match its text in the document"
                        )
                    counted += statement.kind == "statement"
                    yield statement.model_dump(exclude={"id"})

            db.table("statements").insert_all(rows())
            refresh_open_statements(db, document_id)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        return ImportOutcome(
            source_name=parsed.source_name, status="error", message=f"{field}: {first['msg']}"
        )
    except StorageError as exc:
        return ImportOutcome(source_name=parsed.source_name, status="error", message=str(exc))
    return ImportOutcome(
        source_name=parsed.source_name,
        status="added",
        document_id=document_id,
        statements=counted,
    )


def _insert_document(db: Database, document: Document) -> int:
    """Insert the document row; its text, which may be tens of megabytes, is written in
    chunks (`dialect.insert_with_text`) rather than bound whole."""
    data: dict[str, Any] = document.model_dump(exclude={"id", "text"})
    data["published"] = document.published.isoformat() if document.published else None
    data["imported_at"] = document.imported_at.isoformat()
    return dialect.insert_with_text(db.conn, "documents", data, "text", document.text)


def add_documents(db: Database, parsed: Iterable[ParsedDocument]) -> list[ImportOutcome]:
    return [add_document(db, p) for p in parsed]


def get_document(db: Database, document_id: int) -> Document:
    rows = list(db.query("SELECT * FROM documents WHERE id = ?", [document_id]))
    if not rows:
        raise NotFoundError(f"no document with id {document_id}")
    return _to_document(rows[0])


def list_documents(db: Database) -> list[DocumentProgress]:
    """Documents with statement counts and labelling progress (one grouped query)."""
    rows = db.query(
        """
        SELECT d.*,
          (SELECT count(*) FROM live_statements s WHERE s.document_id = d.id) AS statements,
          (SELECT count(*) FROM live_statements s WHERE s.document_id = d.id AND s.complete)
            AS labelled,
          (SELECT coalesce(sum(s.label_count), 0) FROM statements s
            WHERE s.document_id = d.id) AS labels,
          (SELECT group_concat(u.name, ', ') FROM assignments a JOIN users u ON u.id = a.user_id
            WHERE a.document_id = d.id) AS assignees
        FROM documents d WHERE d.deleted = 0 ORDER BY d.id
        """
    )
    return [
        to_model(
            DocumentProgress,
            r,
            document=_to_document(r),
            assigned_to=r["assignees"].split(", ") if r["assignees"] else [],
        )
        for r in rows
    ]


def statements_of(
    db: Database, document_id: int, *, only_statements: bool = False
) -> list[Statement]:
    kind = "AND kind = 'statement'" if only_statements else ""
    return [
        to_statement(r)
        for r in db.query(
            f"SELECT * FROM statements WHERE document_id = ? {kind} ORDER BY position",
            [document_id],
        )
    ]


def get_statement(db: Database, statement_id: int) -> Statement:
    rows = list(db.query("SELECT * FROM statements WHERE id = ?", [statement_id]))
    if not rows:
        raise NotFoundError(f"no statement with id {statement_id}")
    return to_statement(rows[0])


def statement_context(
    db: Database, statement: Statement, before: int = 2, after: int = 2
) -> tuple[list[Statement], list[Statement]]:
    """The statements around one, by position, read through the (document, position) index."""
    rows_before = db.query(
        "SELECT * FROM statements WHERE document_id = ? AND position < ? "
        "ORDER BY position DESC LIMIT ?",
        [statement.document_id, statement.position, before],
    )
    rows_after = db.query(
        "SELECT * FROM statements WHERE document_id = ? AND position > ? ORDER BY position LIMIT ?",
        [statement.document_id, statement.position, after],
    )
    return (
        [to_statement(r) for r in reversed(list(rows_before))],
        [to_statement(r) for r in rows_after],
    )


def _document_has_annotations(db: Database, document_id: int) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM annotation_revisions r JOIN statements s ON s.id = r.statement_id "
            "WHERE s.document_id = ? LIMIT 1",
            [document_id],
        ).fetchone()
        is not None
    )


def _replace_segmentation(
    db: Database, document_id: int, spans: Sequence[tuple[int, int, str]]
) -> list[Statement]:
    """Rewrite a document's statements from (start, end, kind) spans; ids change."""
    document = get_document(db, document_id)
    if _document_has_annotations(db, document_id):
        raise StorageError(
            "this document already has annotations: its statements can no longer be merged or split"
        )
    db.execute("DELETE FROM statements WHERE document_id = ?", [document_id])
    rows = []
    for position, (start, end, kind) in enumerate(spans):
        text = document.text[start:end]
        statement = Statement(
            document_id=document_id, position=position, start=start, end=end, text=text, kind=kind
        )
        rows.append(statement.model_dump(exclude={"id"}))
    db.table("statements").insert_all(rows)
    refresh_open_statements(db, document_id)
    return statements_of(db, document_id)


def merge_statements(db: Database, document_id: int, first_position: int) -> list[Statement]:
    """Merge the statement at `first_position` with the next one."""
    with write(db):
        current = statements_of(db, document_id)
        if not 0 <= first_position < len(current) - 1:
            raise StorageError(f"position {first_position}: no following statement to merge with")
        a, b = current[first_position], current[first_position + 1]
        spans = [(s.start, s.end, s.kind) for s in current]
        spans[first_position : first_position + 2] = [(a.start, b.end, "statement")]
        return _replace_segmentation(db, document_id, spans)


def split_statement(db: Database, document_id: int, position: int, offset: int) -> list[Statement]:
    """Split a statement at `offset` characters into its text (whitespace is trimmed)."""
    with write(db):
        current = statements_of(db, document_id)
        if not 0 <= position < len(current):
            raise StorageError(f"position {position}: no such statement")
        s = current[position]
        left = s.text[:offset].rstrip()
        right = s.text[offset:].lstrip()
        if not left or not right:
            raise StorageError(f"offset {offset}: both parts of a split must contain text")
        right_start = s.start + offset + (len(s.text[offset:]) - len(right))
        spans = [(x.start, x.end, x.kind) for x in current]
        spans[position : position + 1] = [
            (s.start, s.start + len(left), s.kind),
            (right_start, s.end, s.kind),
        ]
        return _replace_segmentation(db, document_id, spans)


def set_statement_kind(db: Database, statement_id: int, kind: str) -> Statement:
    """Mark a segment as a statement or as a non-statement (heading, caption, ...)."""
    with write(db):
        statement = get_statement(db, statement_id)
        updated = Statement.model_validate({**statement.model_dump(), "kind": kind})
        db.execute("UPDATE statements SET kind = ? WHERE id = ?", [kind, statement_id])
        refresh_open_statements(db, statement.document_id)
    return updated


def assign_document(db: Database, document_id: int, user_ids: Sequence[int], by: int) -> None:
    """Replace the set of annotators a document is assigned to (empty: open to everyone)."""
    with write(db):
        get_document(db, document_id)
        db.execute("DELETE FROM assignments WHERE document_id = ?", [document_id])
        now = utcnow().isoformat()
        db.table("assignments").insert_all(
            {"document_id": document_id, "user_id": uid, "assigned_by": by, "created_at": now}
            for uid in user_ids
        )


def delete_document(db: Database, document_id: int) -> None:
    """Soft delete: the document leaves queues and lists; its annotations stay."""
    with write(db):
        get_document(db, document_id)
        db.execute("UPDATE documents SET deleted = 1 WHERE id = ?", [document_id])
        refresh_open_statements(db, document_id)


def document_titles(db: Database) -> list[tuple[int, str]]:
    """(id, title) of every document, without loading their text (for pickers)."""
    return [
        (r[0], r[1])
        for r in db.execute("SELECT id, title FROM documents WHERE deleted = 0 ORDER BY id")
    ]
