"""Editors' final labels (adjudications) and the review queue that leads to them."""

from __future__ import annotations

import datetime as dt
import json

from pydantic import BaseModel
from sqlite_utils import Database

from annotate.core.models import Adjudication, AdjudicationInput, Statement
from storage.documents import to_statement
from storage.revisions import revision_history, save_revision, saved
from storage.rows import to_model
from storage.transactions import write

_FIELDS = ("source_type", "also_cites", "confidence", "note", "taxonomy_version")


def _to_adjudication(row: dict) -> Adjudication:
    return Adjudication(
        id=row.get("adjudication_id", row["id"]),
        statement_id=row["statement_id"],
        editor_id=row["editor_id"],
        source_type=row["source_type"],
        also_cites=json.loads(row["also_cites"]),
        confidence=row["confidence"],
        note=row["note"],
        taxonomy_version=row["taxonomy_version"],
        revision=row["revision"],
        deleted=bool(row["deleted"]),
        created_at=dt.datetime.fromisoformat(row.get("updated_at") or row["created_at"]),
    )


def current_adjudication(db: Database, statement_id: int) -> Adjudication | None:
    rows = list(
        db.query(
            "SELECT * FROM adjudications WHERE statement_id = ? AND deleted = 0", [statement_id]
        )
    )
    return _to_adjudication(rows[0]) if rows else None


def adjudicate(
    db: Database, value: AdjudicationInput, *, expected_revision: int | None
) -> Adjudication:
    """Set the final label. `expected_revision` is the revision the editor saw (0 or None
    for none): if another editor saved in between, ConflictError and nothing is written."""
    value = AdjudicationInput.model_validate(value.model_dump())
    data = value.model_dump(include=set(_FIELDS))
    data["also_cites"] = json.dumps(data["also_cites"], ensure_ascii=False)
    with write(db):
        save_revision(
            db,
            table="adjudications",
            key={"statement_id": value.statement_id},
            fields={**data, "editor_id": value.editor_id},
            expected_revision=expected_revision,
            stale_message=lambda now: (
                "another editor changed this statement's final label while you were "
                f"reviewing it (now revision {now}); reload to see it"
            ),
        )
    return saved(current_adjudication(db, value.statement_id))


def adjudication_history(db: Database, statement_id: int) -> list[tuple[str, Adjudication]]:
    rows = revision_history(db, "adjudications", "editor_id", statement_id)
    return [(name, _to_adjudication(row)) for name, row in rows]


class ReviewFilters(BaseModel):
    document_id: int | None = None
    source_type: str | None = None  # any annotator chose it
    annotator_id: int | None = None  # this annotator labelled it
    flagged_only: bool = False
    unadjudicated_only: bool = False
    min_disagreement: float = 0.0


class ReviewItem(BaseModel):
    statement: Statement
    label_count: int
    disagreement: float
    flag_count: int
    adjudicated: bool


def review_queue(
    db: Database, filters: ReviewFilters | None = None, *, limit: int = 50, offset: int = 0
) -> list[ReviewItem]:
    """Statements with at least two labels, most disagreement first (partial index scan)."""
    f = filters or ReviewFilters()
    where = ["s.label_count >= 2", "s.disagreement >= :min_d"]
    params: dict[str, object] = {"min_d": f.min_disagreement, "limit": limit, "offset": offset}
    if f.document_id is not None:
        where.append("s.document_id = :doc")
        params["doc"] = f.document_id
    if f.flagged_only:  # a flag asks for an editor even on a statement with one label
        where[0] = "s.flag_count > 0"
    if f.unadjudicated_only:
        where.append(
            "NOT EXISTS (SELECT 1 FROM adjudications j WHERE j.statement_id = s.id "
            "AND j.deleted = 0)"
        )
    if f.source_type:
        where.append(
            "EXISTS (SELECT 1 FROM annotations a WHERE a.statement_id = s.id "
            "AND a.deleted = 0 AND a.source_type = :type)"
        )
        params["type"] = f.source_type
    if f.annotator_id is not None:
        where.append(
            "EXISTS (SELECT 1 FROM annotations a WHERE a.statement_id = s.id "
            "AND a.deleted = 0 AND a.annotator_id = :ann)"
        )
        params["ann"] = f.annotator_id
    rows = db.query(
        f"""SELECT s.*, EXISTS (SELECT 1 FROM adjudications j WHERE j.statement_id = s.id
                                 AND j.deleted = 0) AS adjudicated
            FROM statements s WHERE {" AND ".join(where)}
            ORDER BY s.disagreement DESC, s.id LIMIT :limit OFFSET :offset""",
        params,
    )
    return [to_model(ReviewItem, r, statement=to_statement(r)) for r in rows]
