"""Bulk loading: many documents or labels per transaction, for large imports and benches.

`add_document` and `save_annotation` do one transaction per call, which is what an
interactive user needs; loading a corpus of 100,000 articles that way spends its time on
commits. These functions write a whole batch in one transaction with `executemany`, keep
the same guarantees (offsets slice exactly, a batch is all or nothing, every label has its
first revision) and refresh the derived statement columns once per batch. New statements
that come with their labels (an import that creates documents) are written once, with
those columns computed from their labels, instead of being written bare and rewritten.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from sqlite_utils import Database

from annotate.agreement.disagreement import statement_disagreement
from annotate.core.models import LABEL_CONTENT_FIELDS, utcnow
from storage import dialect
from storage.annotations import advance_frontier
from storage.errors import StorageError
from storage.project import bump_queue_generation
from storage.statement_status import open_expression
from storage.transactions import write

if TYPE_CHECKING:
    from annotate.documents import ParsedDocument

__all__ = [
    "NewLabel",
    "StoredDocuments",
    "add_inactive_users",
    "bulk_add_annotations",
    "bulk_add_documents",
    "bulk_revise_annotations",
    "refresh_statements",
]

_DOCUMENT_SQL = (
    "INSERT INTO documents (id, title, outlet, url, published, published_precision, language, "
    "text, content_hash, source_name, external_id, imported_at, deleted) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
)
_STATEMENT_SQL = (
    'INSERT INTO statements (id, document_id, position, start, "end", text, kind, '
    "label_count, disagreement, flag_count, is_open) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    f"{open_expression('?8', kind='?7', document_id='?2')})"
)
_NO_LABELS = (0, statement_disagreement([], []), 0)
"""label_count, disagreement and flag_count of a statement without labels."""
_ALWAYS = object()
_LABEL_DEFAULTS: dict[str, object] = {
    "source_type": _ALWAYS, "confidence": _ALWAYS, "who": "", "cue": "", "note": "",
    "skipped": 0, "unsure": 0, "flagged": 0, "suggestion_shown": 0, "suggested_type": None,
    "taxonomy_version": _ALWAYS, "also_cites": "[]", "extra_ratings": "{}",
}  # fmt: skip
"""Each label column, with its value in `_fields` when a label leaves it at its default,
which is the column's DEFAULT in the schema (a test holds the two together); `_ALWAYS`
marks a column every batch binds. A batch binds only the columns some of its labels set:
binding a value costs more than SQLite's filling it in."""
_LABEL_FIELDS = tuple(_LABEL_DEFAULTS)
_COLUMN_DEFAULTS = tuple(_LABEL_DEFAULTS.values())
_LABEL_COLUMNS = ", ".join(_LABEL_FIELDS)
_REVISION_SQL = (
    "INSERT INTO annotation_revisions (annotation_id, statement_id, annotator_id, revision, "
    f"deleted, {_LABEL_COLUMNS}, created_at, imported, import_source) "
    "VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_FIRST_REVISIONS_SQL = (
    "INSERT INTO annotation_revisions (annotation_id, statement_id, annotator_id, revision, "
    f"deleted, {_LABEL_COLUMNS}, created_at, imported, import_source) "
    f"SELECT id, statement_id, annotator_id, 1, 0, {_LABEL_COLUMNS}, created_at, ?, ? "
    "FROM annotations WHERE id BETWEEN ? AND ? ORDER BY id"
)
_NOT_IMPORTED = {
    "suggested_who": "''", "suggested_cue": "''", "suggestion_version": "''",
    "scale_preset": "''", "scale_version": "''", "text_version": "''",
    "lead_time_seconds": "NULL", "keys": "'[]'",
}  # fmt: skip
"""The columns of how a label was made (what was suggested, the scale and text it was made
on, its timing and keys) that no import brings, at their schema defaults: a revision an
import writes records none of them, so the label keeps none of its earlier ones."""
_REVISE_SQL = (
    "UPDATE annotations SET revision = revision + 1, deleted = 0, updated_at = ?, "
    + ", ".join(f"{c} = ?" for c in _LABEL_FIELDS)
    + "".join(f", {c} = {default}" for c, default in _NOT_IMPORTED.items())
    + " WHERE statement_id = ? AND annotator_id = ? RETURNING id, revision"
)


class LabelValues(Protocol):
    """What a bulk write reads from each label: AnnotationInput, or any object with the same
    (already validated) attributes."""

    statement_id: int
    annotator_id: int
    source_type: str | None
    also_cites: list[str]
    confidence: int | None
    extra_ratings: dict[str, int]
    who: str
    cue: str
    note: str
    skipped: bool
    unsure: bool
    flagged: bool
    suggestion_shown: bool
    suggested_type: str | None
    taxonomy_version: str


@dataclass(slots=True)
class NewLabel:
    """A label already checked by its caller (an import, a generated bench project) on its
    way to a bulk write: a plain record, so a million of them cost no model validation."""

    statement_id: int
    annotator_id: int
    source_type: str | None
    confidence: int | None
    skipped: bool = False
    also_cites: list[str] = field(default_factory=list)
    extra_ratings: dict[str, int] = field(default_factory=dict)
    who: str = ""
    cue: str = ""
    note: str = ""
    unsure: bool = False
    flagged: bool = False
    suggestion_shown: bool = False
    suggested_type: str | None = None
    taxonomy_version: str = ""


def _json(value: list | dict) -> str:
    if not value:  # most labels: skip the encoder
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, ensure_ascii=False)


def _next_id(db: Database, table: str) -> int:
    return db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]


class StoredDocuments(NamedTuple):
    """What `bulk_add_documents` stored."""

    documents: int
    statements: int
    labels: int
    statement_ids: list[list[int] | None]
    """Per document of the batch, the ids of its statements in position order; None for a
    document skipped because its text is already stored."""


LabelsOf = Callable[[list[list[int] | None]], Sequence["LabelValues"]]
"""Given `StoredDocuments.statement_ids`, the first labels of those new statements."""


def bulk_add_documents(
    db: Database,
    documents: Sequence[ParsedDocument],
    *,
    labels: LabelsOf | None = None,
    imported_from: str | None = None,
) -> StoredDocuments:
    """Store a batch of parsed documents in one transaction.

    Documents whose text is already stored (same content hash, here or earlier in the
    batch) are skipped. A statement whose offsets do not slice its text aborts the batch.

    With `labels` (and `imported_from`, as for `bulk_add_annotations`), the first labels
    of the new statements are stored in the same transaction: `labels` gets the ids the
    statements will have and returns labels on those statements only. The labels are
    written first (references are checked at commit), so that each statement is written
    once, with its label count, disagreement and open state computed from them.
    """
    now = utcnow().isoformat()
    with write(db):
        hashes = [d.content_hash for d in documents]
        sql = "SELECT content_hash FROM documents WHERE content_hash IN ({marks})"
        known = {row[0] for row in dialect.rows_in(db, sql, hashes)}
        document_id = _next_id(db, "documents")
        statement_id = first_statement = _next_id(db, "statements")
        document_rows: list[tuple] = []
        statement_rows: list[tuple] = []
        statement_ids: list[list[int] | None] = []
        for doc in documents:
            if doc.content_hash in known:
                statement_ids.append(None)
                continue
            known.add(doc.content_hash)
            if not doc.text:
                raise StorageError(f"{doc.source_name}: text: empty document")
            document_rows.append(
                (
                    document_id,
                    doc.title,
                    doc.outlet,
                    doc.url,
                    doc.published.isoformat() if doc.published else None,
                    doc.published_precision,
                    doc.language,
                    doc.text,
                    doc.content_hash,
                    doc.source_name,
                    doc.external_id,
                    now,
                )
            )
            text = doc.text
            statement_ids.append(list(range(statement_id, statement_id + len(doc.statements))))
            for position, s in enumerate(doc.statements):
                if not 0 <= s.start < s.end <= len(text) or text[s.start : s.end] != s.text:
                    raise StorageError(
                        f"{doc.source_name}: statement {position}: offsets {s.start}-{s.end} "
                        "do not match its text in the document"
                    )
                statement_rows.append(
                    (statement_id, document_id, position, s.start, s.end, s.text, s.kind)
                )
                statement_id += 1
            document_id += 1
        db.conn.executemany(_DOCUMENT_SQL, document_rows)
        stats: dict[int, tuple[int, float, int]] = {}
        values: Sequence[LabelValues] = []
        if labels is not None:
            values = labels(statement_ids)
            created = range(first_statement, statement_id)
            if any(value.statement_id not in created for value in values):
                raise StorageError("bulk labels: a label of a statement this batch does not add")
            # References are checked at commit from here on: every one a label makes is
            # checked now, so that a wrong one fails this batch, not the commit.
            _check_annotators(db, {value.annotator_id for value in values})
            db.execute(dialect.DEFER_FOREIGN_KEYS)
            _insert_labels(db, values, imported_from)
            stats = _statement_stats(db, {value.statement_id for value in values})
        db.conn.executemany(
            _STATEMENT_SQL, [(*row, *stats.get(row[0], _NO_LABELS)) for row in statement_rows]
        )
        _advance_frontiers(db, values)
        bump_queue_generation(db)
    return StoredDocuments(len(document_rows), len(statement_rows), len(values), statement_ids)


_JSON_FIELDS = frozenset(_LABEL_FIELDS[-2:])  # also_cites, extra_ratings
_ROW_VALUES = attrgetter("statement_id", "annotator_id", *_LABEL_FIELDS)
"""A label's statement, annotator and column values as it holds them (lists and dicts not
yet JSON, flags booleans: SQLite stores them as the integers 0 and 1), read in C."""


def _fields(value: LabelValues) -> tuple:
    """A label's column values in `_LABEL_FIELDS` order, lists and dicts as JSON."""
    _, _, *plain, cites, ratings = _ROW_VALUES(value)
    return (*plain, _json(cites), _json(ratings))


def bulk_add_annotations(
    db: Database, labels: Sequence[LabelValues], *, imported_from: str | None = None
) -> int:
    """Store a batch of first labels (revision 1) in one transaction; returns how many.

    Each (statement, annotator) pair may appear once and must not be labelled yet: a bulk
    load adds labels, it does not edit them (see `bulk_revise_annotations`). With
    `imported_from` (a file name) the revisions are marked as imported from it.
    """
    with write(db):
        _insert_labels(db, labels, imported_from)
        _refresh_stats(db, {value.statement_id for value in labels})
        _advance_frontiers(db, labels)
    return len(labels)


def _insert_labels(db: Database, labels: Sequence[LabelValues], imported_from: str | None) -> None:
    """The labels and their first revisions (inside the caller's transaction)."""
    now = utcnow().isoformat()
    mark = (1, imported_from) if imported_from is not None else (0, "")
    first = _next_id(db, "annotations")
    values = list(zip(*map(_ROW_VALUES, labels), strict=True)) or [()] * (len(_LABEL_FIELDS) + 2)
    statement_ids, annotator_ids, *columns = values
    names, bound = ["id", "statement_id", "annotator_id"], []
    for name, column, default in zip(_LABEL_FIELDS, columns, _COLUMN_DEFAULTS, strict=True):
        if name in _JSON_FIELDS:
            if not any(column):  # every list or object empty: the column's DEFAULT
                continue
            column = tuple(map(_json, column))
        if default is _ALWAYS or column.count(default) != len(column):
            names.append(name)
            bound.append(column)
    stamps = [now] * len(labels)
    sql = (
        f"INSERT INTO annotations (revision, deleted, created_at, updated_at, "
        f"{', '.join(names)}) VALUES (1, 0, {', '.join('?' * (len(names) + 2))})"
    )
    ids = range(first, first + len(labels))
    try:
        db.conn.executemany(
            sql, zip(stamps, stamps, ids, statement_ids, annotator_ids, *bound, strict=True)
        )
    except Exception as exc:  # sqlite3.IntegrityError: a pair labelled twice
        raise StorageError(f"bulk labels: {exc}") from None
    # Each first revision is a copy of the row just written: copied by SQLite, the
    # values are neither rebuilt nor bound a second time.
    db.execute(_FIRST_REVISIONS_SQL, [*mark, first, first + len(labels) - 1])


def _check_annotators(db: Database, annotators: set[int]) -> None:
    """Every annotator of a batch is an account (raises StorageError)."""
    wanted = sorted(annotators)
    sql = "SELECT id FROM users WHERE id IN ({marks})"
    known = {row[0] for row in dialect.rows_in(db, sql, wanted)}
    missing = [a for a in wanted if a not in known]
    if missing:
        raise StorageError(f"bulk labels: no user with id {missing[0]}")


def _advance_frontiers(db: Database, labels: Sequence[LabelValues]) -> None:
    """Each annotator's queue frontier moves past the statements they labelled."""
    by_annotator: dict[int, list[int]] = defaultdict(list)
    for value in labels:
        by_annotator[value.annotator_id].append(value.statement_id)
    for annotator, labelled in by_annotator.items():
        advance_frontier(db, annotator, labelled)


_CURRENT_SQL = (
    f"SELECT deleted, {_LABEL_COLUMNS} FROM annotations WHERE statement_id = ? AND annotator_id = ?"
)
_CONTENT = tuple(
    (i, name in _JSON_FIELDS)
    for i, name in enumerate(_LABEL_FIELDS)
    if name in LABEL_CONTENT_FIELDS
)
"""Where a label's answer (`LABEL_CONTENT_FIELDS`) is among its columns, and which are JSON."""


def _same_answer(current: Sequence[Any], fields: tuple) -> bool:
    """Whether a stored label (its `_CURRENT_SQL` row) already gives this answer."""
    if current[0]:  # deleted: the import brings it back
        return False
    stored = current[1:]
    return all(
        (json.loads(stored[i]) == json.loads(fields[i])) if as_json else stored[i] == fields[i]
        for i, as_json in _CONTENT
    )


def bulk_revise_annotations(
    db: Database, labels: Sequence[LabelValues], *, imported_from: str | None = None
) -> int:
    """Save a new revision of existing labels (an import with --overwrite), each one
    marked as imported; the earlier revisions stay in the history. A label that already
    gives the imported answer is left as it is, as a save that changes nothing is (no
    revision, and how it was made is kept). Returns how many were revised."""
    now = utcnow().isoformat()
    mark = (1, imported_from) if imported_from is not None else (0, "")
    with write(db):
        revisions = []
        for value in labels:
            fields = _fields(value)
            current = db.execute(_CURRENT_SQL, [value.statement_id, value.annotator_id]).fetchone()
            if current is not None and _same_answer(current, fields):
                continue
            row = db.execute(
                _REVISE_SQL, [now, *fields, value.statement_id, value.annotator_id]
            ).fetchone()
            if row is None:
                raise StorageError(
                    f"statement {value.statement_id}: no label by user {value.annotator_id}"
                )
            revisions.append(
                (row[0], value.statement_id, value.annotator_id, row[1], *fields, now, *mark)
            )
        db.conn.executemany(_REVISION_SQL, revisions)
        _refresh_stats(db, {row[1] for row in revisions})
    return len(revisions)


def add_inactive_users(db: Database, names: Sequence[str]) -> dict[str, int]:
    """Create annotator accounts that cannot sign in until an administrator activates them
    (no password, inactive); returns {name: id}."""
    now = utcnow().isoformat()
    with write(db):
        out = {}
        for name in names:
            cursor = db.execute(
                "INSERT INTO users (name, role, password_hash, active, created_at) "
                "VALUES (?, 'annotator', '', 0, ?)",
                [name, now],
            )
            out[name] = int(cursor.lastrowid or 0)
    return out


def refresh_statements(db: Database) -> None:
    """Recompute every statement's derived columns (after a restore) and the queue."""
    ids = [r[0] for r in db.execute("SELECT id FROM statements ORDER BY id")]
    with write(db):
        for i in range(0, len(ids), 50_000):
            _refresh_stats(db, set(ids[i : i + 50_000]))
        bump_queue_generation(db)


def _refresh_stats(db: Database, touched: set[int]) -> None:
    """Recompute label count, disagreement, flags and open state of the statements a
    batch touched."""
    stats = _statement_stats(db, touched)
    db.conn.executemany(
        "UPDATE statements SET label_count = ?1, disagreement = ?2, flag_count = ?3, "
        f"is_open = {open_expression('?1')} WHERE id = ?4",
        [(*stats[statement_id], statement_id) for statement_id in sorted(stats)],
    )


def _statement_stats(db: Database, touched: set[int]) -> dict[int, tuple[int, float, int]]:
    """{statement id: (label count, disagreement, flag count)} of these statements, from
    their live labels as stored (the statements rows themselves are not read).

    SQLite gathers each statement's live labels in one grouped pass (types and their
    confidences as text; type keys are letters, digits and underscores, so a comma
    separates them). Statements share a few hundred such combinations, so each one's
    disagreement is computed once."""
    ordered = sorted(touched)
    select = (
        "SELECT statement_id, count(source_type), coalesce(sum(flagged), 0), "
        "group_concat(source_type), "
        "group_concat(CASE WHEN source_type IS NOT NULL THEN confidence END) "
        "FROM annotations WHERE {where} AND deleted = 0 AND skipped = 0 GROUP BY statement_id"
    )
    rows: Iterable[tuple[Any, ...]]
    if ordered and ordered[-1] - ordered[0] < 2 * len(ordered):
        # Mostly consecutive ids (an import's new statements, a restore): one range scan
        # of the label index instead of a lookup per id.
        rows = db.execute(
            select.format(where="statement_id BETWEEN ? AND ?"), [ordered[0], ordered[-1]]
        )
    else:
        rows = dialect.rows_in(db, select.format(where="statement_id IN ({marks})"), ordered)
    found = {row[0]: row[1:] for row in rows if row[0] in touched}
    known: dict[tuple[str | None, str | None], float] = {}
    stats = {}
    for statement_id in ordered:
        labelled, flags, types, confidences = found.get(statement_id, (0, 0, None, None))
        key = (types, confidences)
        disagreement = known.get(key)
        if disagreement is None:
            disagreement = known[key] = statement_disagreement(
                types.split(",") if types else [],
                [int(c) for c in confidences.split(",")] if confidences else [],
            )
        stats[statement_id] = (labelled, disagreement, flags)
    return stats
