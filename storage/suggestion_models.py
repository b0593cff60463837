"""What suggestions read from a project: document neighbours, the labels a model may learn
from, and the stored versions of the project's adapted model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlite_utils import Database

from annotate.core.models import Statement, utcnow
from storage.documents import to_statement
from storage.transactions import write

__all__ = [
    "LabelledStatement",
    "StoredModel",
    "database_key",
    "document_windows",
    "label_revision_mark",
    "latest_suggestion_model",
    "latest_suggestion_model_version",
    "save_suggestion_model",
    "statements_by_documents",
    "suggestion_model",
    "suggestion_models",
    "training_label_count",
    "training_labels",
]


class LabelledStatement(NamedTuple):
    """A training row: a statement and the source type its labels settled on."""

    statement_id: int
    document_id: int
    source_type: str


@dataclass(frozen=True, slots=True)
class StoredModel:
    version: str
    n_labels: int
    alpha: float
    cv_macro_f1: float
    rules_cv_macro_f1: float
    model_json: str
    created_at: str


def document_windows(
    db: Database, statements: Iterable[Statement], reach: int
) -> dict[int, tuple[str, list[Statement]]]:
    """For each document among ``statements``: its language and its statements (not
    headings or boilerplate) from ``reach`` positions before the first to ``reach`` after
    the last of those asked, in order."""
    spans: dict[int, tuple[int, int]] = {}
    for s in statements:
        lo, hi = spans.get(s.document_id, (s.position, s.position))
        spans[s.document_id] = (min(lo, s.position), max(hi, s.position))
    out: dict[int, tuple[str, list[Statement]]] = {}
    for document_id, (lo, hi) in spans.items():
        rows = list(
            db.query(
                "SELECT s.*, d.language AS document_language FROM statements s "
                "JOIN documents d ON d.id = s.document_id "
                "WHERE s.document_id = ? AND s.kind = 'statement' "
                "AND s.position BETWEEN ? AND ? ORDER BY s.position",
                [document_id, lo - reach, hi + reach],
            )
        )
        language = rows[0]["document_language"] if rows else ""
        if not rows:
            lang_rows = list(db.query("SELECT language FROM documents WHERE id = ?", [document_id]))
            language = lang_rows[0]["language"] if lang_rows else ""
        out[document_id] = (language, [to_statement(r) for r in rows])
    return out


_AGREED = """
SELECT s.id AS statement_id, s.document_id, MIN(an.source_type) AS source_type
FROM statements s
JOIN documents d ON d.id = s.document_id AND d.deleted = 0
JOIN annotations an ON an.statement_id = s.id AND an.deleted = 0
WHERE s.kind = 'statement'
  AND NOT EXISTS (
    SELECT 1 FROM adjudications a
    WHERE a.statement_id = s.id AND a.deleted = 0 AND a.source_type IS NOT NULL)
GROUP BY s.id
HAVING COUNT(*) >= (SELECT annotators_per_statement FROM project WHERE id = 1)
   AND SUM(an.source_type IS NULL OR an.skipped = 1) = 0
   AND COUNT(DISTINCT an.source_type) = 1
"""
_ADJUDICATED = """
SELECT s.id AS statement_id, s.document_id, a.source_type
FROM adjudications a
JOIN statements s ON s.id = a.statement_id AND s.kind = 'statement'
JOIN documents d ON d.id = s.document_id AND d.deleted = 0
WHERE a.deleted = 0 AND a.source_type IS NOT NULL
"""


def label_revision_mark(db: Database) -> int:
    """A number that grows by at least one with every label saved, edited, withdrawn or
    adjudicated (the largest revision ids), read from the primary keys only."""
    row = db.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM annotation_revisions)"
        " + (SELECT coalesce(max(id), 0) FROM adjudication_revisions)"
    ).fetchone()
    return int(row[0])


def database_key(db: Database) -> str:
    """The file behind a connection, to tell projects apart in a process-wide cache."""
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row[2] or id(db))


def training_labels(db: Database) -> list[LabelledStatement]:
    """The project's settled labels: the editor's adjudication where there is one, else the
    type every annotator of the statement chose (at least the project's k of them)."""
    rows = db.query(f"{_ADJUDICATED} UNION ALL {_AGREED} ORDER BY statement_id")
    return [LabelledStatement(r["statement_id"], r["document_id"], r["source_type"]) for r in rows]


def training_label_count(db: Database) -> int:
    row = next(db.query(f"SELECT COUNT(*) AS n FROM ({_ADJUDICATED} UNION ALL {_AGREED})"))
    return int(row["n"])


def statements_by_documents(
    db: Database, document_ids: Sequence[int]
) -> dict[int, tuple[str, list[Statement]]]:
    """Whole documents (statements only, in order) with their language."""
    out: dict[int, tuple[str, list[Statement]]] = {}
    for document_id in sorted(set(document_ids)):
        rows = list(
            db.query(
                "SELECT s.*, d.language AS document_language FROM statements s "
                "JOIN documents d ON d.id = s.document_id "
                "WHERE s.document_id = ? AND s.kind = 'statement' ORDER BY s.position",
                [document_id],
            )
        )
        if rows:
            out[document_id] = (rows[0]["document_language"], [to_statement(r) for r in rows])
    return out


def _to_model(row: dict) -> StoredModel:
    return StoredModel(**{name: row[name] for name in StoredModel.__dataclass_fields__})


def save_suggestion_model(
    db: Database,
    *,
    version: str,
    n_labels: int,
    alpha: float,
    cv_macro_f1: float,
    rules_cv_macro_f1: float,
    model_json: str,
) -> StoredModel:
    """Store a new model version (an existing version is kept as it is)."""
    with write(db):
        existing = list(db.query("SELECT * FROM suggestion_models WHERE version = ?", [version]))
        if existing:
            return _to_model(existing[0])
        db.execute(
            "INSERT INTO suggestion_models (version, n_labels, alpha, cv_macro_f1, "
            "rules_cv_macro_f1, model_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                version,
                n_labels,
                alpha,
                cv_macro_f1,
                rules_cv_macro_f1,
                model_json,
                utcnow().isoformat(),
            ],
        )
    return _to_model(next(db.query("SELECT * FROM suggestion_models WHERE version = ?", [version])))


def latest_suggestion_model(db: Database) -> StoredModel | None:
    rows = list(db.query("SELECT * FROM suggestion_models ORDER BY id DESC LIMIT 1"))
    return _to_model(rows[0]) if rows else None


def latest_suggestion_model_version(db: Database) -> str | None:
    rows = list(db.query("SELECT version FROM suggestion_models ORDER BY id DESC LIMIT 1"))
    return rows[0]["version"] if rows else None


def suggestion_model(db: Database, version: str) -> StoredModel | None:
    rows = list(db.query("SELECT * FROM suggestion_models WHERE version = ?", [version]))
    return _to_model(rows[0]) if rows else None


def suggestion_models(db: Database) -> list[StoredModel]:
    """Every stored version, newest first (without the weights, which stay in the row)."""
    return [_to_model(r) for r in db.query("SELECT * FROM suggestion_models ORDER BY id DESC")]
