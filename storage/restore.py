"""Writes for imports and restores: validate everything first, then one transaction.

A restore or an import with any problem writes nothing; the error lists every problem
with its line (or task) and field.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from sqlite_utils import Database

from annotate.core.models import AnnotationInput
from annotate.documents.ingest import (
    STATEMENT_SEPARATOR,
    ParsedDocument,
    ParsedStatement,
    content_hash,
)
from annotate.interchange.dump import TABLES, DumpError, parse_dump
from annotate.interchange.labels import (
    ImportedDocument,
    ImportedStatement,
    ImportPlan,
    LabelImportError,
    check_plan,
)
from storage.annotations import save_annotation
from storage.documents import add_document, statements_of
from storage.errors import StorageError
from storage.project import get_taxonomy
from storage.schema import schema_version
from storage.transactions import write
from storage.users import find_or_create_user, list_users

INSERT_BATCH = 1_000


def _is_empty(db: Database) -> bool:
    return all(db.execute(f"SELECT 1 FROM [{t}] LIMIT 1").fetchone() is None for t in TABLES)


def load_dump(db: Database, path: Path) -> dict[str, int]:
    """Restore a dump into an empty database in one transaction; returns rows per table."""
    path = Path(path)
    if not _is_empty(db):
        raise StorageError(f"{path}: a dump can only be loaded into an empty database")
    columns = {t: set(db[t].columns_dict) for t in TABLES}
    version = schema_version(db)

    def rows() -> object:
        with path.open(encoding="utf-8") as fh:
            yield from parse_dump(fh, columns, schema_version=version, source=str(path))

    try:
        for _ in rows():  # validation pass: nothing is written unless all lines are good
            pass
    except (DumpError, UnicodeDecodeError) as exc:
        raise StorageError(str(exc)) from None
    counts = dict.fromkeys(TABLES, 0)
    with write(db):
        batch: list[dict] = []
        current = ""
        for table, row in rows():  # type: ignore[attr-defined]
            if table != current and batch:
                db[current].insert_all(batch, batch_size=INSERT_BATCH)
                batch = []
            current = table
            if table == "users":
                row = {"password_hash": "", **row}
            batch.append(row)
            counts[table] += 1
        if batch:
            db[current].insert_all(batch, batch_size=INSERT_BATCH)
    return counts


class ImportSummary(BaseModel):
    documents_created: int = 0
    statements_created: int = 0
    statements_matched: int = 0
    labels: int = 0
    users_created: list[str] = Field(default_factory=list)


def _find_document(db: Database, ref: str) -> int | None:
    row = db.execute(
        "SELECT id FROM documents WHERE external_id = ? OR content_hash = ? ORDER BY id LIMIT 1",
        [ref, ref],
    ).fetchone()
    return row[0] if row else None


def _match_statement(db: Database, document_id: int, item: ImportedStatement) -> int | None:
    if item.start is not None and item.end is not None:
        row = db.execute(
            'SELECT id, text FROM statements WHERE document_id = ? AND start = ? AND "end" = ?',
            [document_id, item.start, item.end],
        ).fetchone()
    else:
        row = db.execute(
            "SELECT id, text FROM statements WHERE document_id = ? AND text = ? "
            "ORDER BY position LIMIT 1",
            [document_id, item.text],
        ).fetchone()
    return row[0] if row and row[1] == item.text else None


def _rebuild_document(
    ref: str, items: list[ImportedStatement], source: str
) -> tuple[ParsedDocument | None, list[str]]:
    """A document for statements whose document is not in the database: statements at
    their offsets with spaces in between (or joined by blank lines if offsets are absent)."""
    doc = items[0].document or ImportedDocument()
    problems: list[str] = []
    if all(i.start is not None and i.end is not None for i in items):
        items = sorted(items, key=lambda i: (i.start, i.position or 0))
        chars: list[str] = []
        spans = []
        for item in items:
            start, end = item.start or 0, item.end or 0
            if end - start != len(item.text) or start < len(chars):
                problems.append(
                    f"{item.where}: field data.meta.start: offsets {start}-{end} do not fit "
                    "the text or overlap another statement"
                )
                continue
            chars.extend(" " * (start - len(chars)))
            chars.extend(item.text)
            spans.append(ParsedStatement(start=start, end=end, text=item.text, kind="statement"))
        text = "".join(chars)
    else:
        text, spans, offset = "", [], 0
        for item in items:
            if text:
                text += STATEMENT_SEPARATOR
            offset = len(text)
            text += item.text
            spans.append(
                ParsedStatement(start=offset, end=len(text), text=item.text, kind="statement")
            )
    if problems or not text.strip():
        return None, problems or [f"{items[0].where}: field text: empty statement"]
    parsed = ParsedDocument(
        source_name=source,
        title=doc.title,
        outlet=doc.outlet,
        url=doc.url,
        published=doc.published,
        published_precision="day" if doc.published else None,
        language=doc.language,
        text=text,
        content_hash=content_hash(text),
        external_id=ref,
        statements=spans,
    )
    return parsed, []


def import_labels(db: Database, plan: ImportPlan, *, with_labels: bool = True) -> ImportSummary:
    """Add the statements of an import plan (creating their documents when unknown) and,
    with `with_labels`, their labels by the named users; all or nothing."""
    taxonomy = get_taxonomy(db)
    version = taxonomy.version
    problems = list(plan.problems) + check_plan(plan, taxonomy)
    matched: dict[int, int] = {}  # plan index -> statement id
    new_docs: dict[str, list[tuple[int, ImportedStatement]]] = {}
    for index, item in enumerate(plan.statements):
        ref = item.document.ref if item.document and item.document.ref else ""
        existing = _find_document(db, ref) if ref else None
        if existing is not None:
            sid = _match_statement(db, existing, item)
            if sid is None:
                problems.append(
                    f"{item.where}: field data.text: unknown statement: document {ref!r} "
                    "has no statement with this text at these offsets"
                )
            else:
                matched[index] = sid
        elif item.statement_id is not None and not ref:
            row = db.execute(
                "SELECT text FROM statements WHERE id = ?", [item.statement_id]
            ).fetchone()
            if row is None or row[0] != item.text:
                problems.append(
                    f"{item.where}: field statement_id: unknown statement {item.statement_id}"
                    + (" (its text differs)" if row else "")
                )
            else:
                matched[index] = item.statement_id
        else:
            new_docs.setdefault(ref or f"{plan.source}#{index}", []).append((index, item))
    rebuilt: list[tuple[ParsedDocument, list[int]]] = []
    for ref, entries in new_docs.items():
        parsed, trouble = _rebuild_document(ref, [e[1] for e in entries], plan.source)
        problems += trouble
        if parsed is not None:
            if not ref.startswith(f"{plan.source}#"):
                parsed.external_id = ref
            else:
                parsed.external_id = ""
            order = sorted(entries, key=lambda e: (e[1].start or 0, e[1].position or 0))
            if all(e[1].start is None for e in entries):
                order = entries
            rebuilt.append((parsed, [e[0] for e in order]))
    if problems:
        raise LabelImportError(problems)
    summary = ImportSummary(statements_matched=len(matched))
    with write(db):
        for parsed, indexes in rebuilt:
            outcome = add_document(db, parsed)
            if outcome.status == "duplicate":
                document_id = outcome.document_id
            elif outcome.status == "added":
                summary.documents_created += 1
                document_id = outcome.document_id
            else:
                raise LabelImportError([f"{plan.source}: {outcome.message}"])
            ids = [s.id for s in statements_of(db, document_id)]  # type: ignore[arg-type]
            if len(ids) != len(indexes):
                raise LabelImportError(
                    [
                        f"{plan.source}: document {parsed.external_id!r}: statements do not "
                        "match an existing document with the same text"
                    ]
                )
            summary.statements_created += len(ids) if outcome.status == "added" else 0
            matched.update(zip(indexes, ids, strict=True))
        if with_labels:
            known = {u.name.casefold() for u in list_users(db)}
            for index, item in enumerate(plan.statements):
                for label in item.labels:
                    if label.annotator.casefold() not in known:
                        summary.users_created.append(label.annotator)
                        known.add(label.annotator.casefold())
                    user = find_or_create_user(db, label.annotator)
                    save_annotation(
                        db,
                        AnnotationInput(
                            statement_id=matched[index],
                            annotator_id=user.id,  # type: ignore[arg-type]
                            source_type=None if label.skipped else label.source_type,
                            also_cites=label.also_cites,
                            confidence=label.confidence,
                            note=label.note,
                            skipped=label.skipped,
                            suggested_type=label.suggested_type,
                            taxonomy_version=version,
                        ),
                    )
                    summary.labels += 1
    return summary
