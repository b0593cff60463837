"""Annotations: revisioned saves, soft deletes, history, and the annotator's queue.

`annotations` holds each annotator's current label per statement (one row, so a
statement can never carry two current labels from one person); `annotation_revisions`
keeps every version ever saved and refuses updates and deletes (triggers in the schema).
"""

from __future__ import annotations

import datetime as dt
import json

from pydantic import BaseModel
from sqlite_utils import Database

from annotate.agreement.disagreement import statement_disagreement
from annotate.core.models import LABEL_CONTENT_FIELDS, Annotation, AnnotationInput, Statement
from storage import dialect
from storage.documents import to_statement
from storage.errors import NotFoundError
from storage.project import bump_queue_generation
from storage.revisions import revision_history, save_revision, saved
from storage.statement_status import open_expression
from storage.transactions import write

_FIELDS = (
    *LABEL_CONTENT_FIELDS,
    "suggestion_shown",
    "suggested_type",
    "suggested_who",
    "suggested_cue",
    "suggestion_version",
    "taxonomy_version",
    "scale_preset",
    "scale_version",
    "text_version",
    "lead_time_seconds",
    "keys",
)
_JSON_FIELDS = {"also_cites", "extra_ratings", "keys"}
_BOOL_FIELDS = {"skipped", "unsure", "flagged", "suggestion_shown", "deleted"}


def _to_row(value: AnnotationInput) -> dict:
    data = value.model_dump(include=set(_FIELDS))
    for name in _JSON_FIELDS:
        data[name] = json.dumps(data[name], ensure_ascii=False)
    for name in _BOOL_FIELDS & data.keys():
        data[name] = int(data[name])
    return data


def _to_annotation(row: dict) -> Annotation:
    data = {name: row[name] for name in _FIELDS if name in row}
    for name in _JSON_FIELDS & data.keys():
        data[name] = json.loads(data[name])
    return Annotation(
        id=row.get("annotation_id", row["id"]),
        statement_id=row["statement_id"],
        annotator_id=row["annotator_id"],
        revision=row["revision"],
        deleted=bool(row["deleted"]),
        created_at=dt.datetime.fromisoformat(row.get("updated_at") or row["created_at"]),
        first_created_at=dt.datetime.fromisoformat(row["first_created_at"])
        if row.get("first_created_at")
        else None,
        **data,
    )


def refresh_statement_stats(db: Database, statement_id: int) -> None:
    """Recompute a statement's label count, disagreement and flags from its current labels.

    A statement has a handful of labels, so recomputing is cheap and cannot drift the way
    incremental counters can.
    """
    rows = db.execute(
        "SELECT source_type, confidence, flagged FROM annotations "
        "WHERE statement_id = ? AND deleted = 0 AND skipped = 0",
        [statement_id],
    ).fetchall()
    labelled = [r for r in rows if r[0] is not None]
    is_open = "SELECT is_open FROM statements WHERE id = ?"
    (was_open,) = db.execute(is_open, [statement_id]).fetchone()
    db.execute(
        f"""UPDATE statements SET label_count = :n, disagreement = :d, flag_count = :f,
             is_open = {open_expression(":n")}
           WHERE id = :s""",
        {
            "n": len(labelled),
            "d": statement_disagreement([r[0] for r in labelled], [r[1] for r in labelled]),
            "f": sum(r[2] for r in rows),
            "s": statement_id,
        },
    )
    if not was_open:
        (now_open,) = db.execute(is_open, [statement_id]).fetchone()
        if now_open:
            bump_queue_generation(db)


def save_annotation(
    db: Database, value: AnnotationInput, *, expected_revision: int | None = None
) -> Annotation:
    """Save a label: the first save is revision 1, each edit adds a revision.

    With `expected_revision`, the save fails with ConflictError if the label changed
    since that revision was read (another tab or device).
    """
    value = AnnotationInput.model_validate(value.model_dump())
    with write(db):
        save_revision(
            db,
            table="annotations",
            key={"statement_id": value.statement_id, "annotator_id": value.annotator_id},
            fields=_to_row(value),
            expected_revision=expected_revision,
            stale_message=lambda now: (
                f"this label was changed elsewhere (now revision {now}, you edited revision "
                f"{expected_revision}); reload it"
                if now
                else "this label was deleted or never saved; reload the statement"
            ),
        )
        refresh_statement_stats(db, value.statement_id)
        advance_frontier(db, value.annotator_id, [value.statement_id])
    return saved(current_annotation(db, value.statement_id, value.annotator_id))


def delete_annotation(
    db: Database, statement_id: int, annotator_id: int, *, expected_revision: int | None = None
) -> Annotation:
    """Soft delete: a new revision marked deleted; the history keeps every earlier one."""
    with write(db):
        rows = list(
            db.query(
                "SELECT * FROM annotations WHERE statement_id = ? AND annotator_id = ?",
                [statement_id, annotator_id],
            )
        )
        if not rows or rows[0]["deleted"]:
            raise NotFoundError("there is no label to delete")
        save_revision(
            db,
            table="annotations",
            key={"statement_id": statement_id, "annotator_id": annotator_id},
            fields={name: rows[0][name] for name in _FIELDS},
            expected_revision=expected_revision,
            stale_message=lambda now: "this label was changed elsewhere; reload it",
            deleted=True,
        )
        refresh_statement_stats(db, statement_id)
    return saved(current_annotation(db, statement_id, annotator_id, include_deleted=True))


def current_annotation(
    db: Database, statement_id: int, annotator_id: int, *, include_deleted: bool = False
) -> Annotation | None:
    rows = list(
        db.query(
            "SELECT *, created_at AS first_created_at FROM annotations "
            "WHERE statement_id = ? AND annotator_id = ?",
            [statement_id, annotator_id],
        )
    )
    if not rows or (rows[0]["deleted"] and not include_deleted):
        return None
    return _to_annotation(rows[0])


def annotations_for_statement(db: Database, statement_id: int) -> list[tuple[str, Annotation]]:
    """Every annotator's current label on a statement, with the annotator's name (editors only)."""
    rows = db.query(
        "SELECT a.*, a.created_at AS first_created_at, u.name AS annotator_name "
        "FROM annotations a JOIN users u ON u.id = a.annotator_id "
        "WHERE a.statement_id = ? AND a.deleted = 0 ORDER BY u.name",
        [statement_id],
    )
    return [(r["annotator_name"], _to_annotation(r)) for r in rows]


def annotation_history(db: Database, statement_id: int) -> list[tuple[str, Annotation]]:
    """All revisions of all labels on a statement, oldest first."""
    rows = revision_history(db, "annotations", "annotator_id", statement_id)
    return [(name, _to_annotation(row)) for name, row in rows]


def next_statements(db: Database, annotator_id: int, limit: int = 1) -> list[Statement]:
    """The annotator's queue: open statements they have not labelled, in document order.

    The scan starts at the annotator's frontier (the furthest statement they labelled), so
    an annotator far ahead of the others does not re-walk thousands of statements that
    are still open but already theirs; statements behind the frontier (a deleted label, a
    raised k) come after, wrapping around. If an editor assigned documents to this
    annotator, only those documents are queued.
    """
    generation = db.execute("SELECT generation FROM queue_state WHERE id = 1").fetchone()[0]
    row = db.execute(
        "SELECT document_id, position, exhausted_generation FROM queue_positions WHERE user_id = ?",
        [annotator_id],
    ).fetchone()
    if row is not None and row[2] == generation:
        return []  # found empty, and no queue has grown since
    frontier = (row[0], row[1]) if row else (0, 0)
    found: list[Statement] = []
    for direction in (">=", "<"):
        rows = db.query(
            f"""
            SELECT s.* FROM statements s
            WHERE s.is_open = 1 AND (s.document_id, s.position) {direction} (:doc, :pos)
              AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.statement_id = s.id
                              AND a.annotator_id = :me AND a.deleted = 0)
              AND (NOT EXISTS (SELECT 1 FROM assignments WHERE user_id = :me)
                   OR s.document_id IN (SELECT document_id FROM assignments WHERE user_id = :me))
            ORDER BY s.document_id, s.position
            LIMIT :limit
            """,
            {
                "me": annotator_id,
                "doc": frontier[0],
                "pos": frontier[1],
                "limit": limit - len(found),
            },
        )
        found += [to_statement(r) for r in rows]
        if len(found) >= limit or frontier == (0, 0):
            break
    if not found:
        with write(db):
            # `generation` was read before the scan: a change made meanwhile moved it on,
            # so the mark is stale at once and the next call scans again.
            db.execute(
                """INSERT INTO queue_positions (user_id, document_id, position,
                                                exhausted_generation)
                   VALUES (?, 0, 0, ?)
                   ON CONFLICT (user_id) DO UPDATE
                     SET exhausted_generation = excluded.exhausted_generation""",
                [annotator_id, generation],
            )
    return found


def advance_frontier(db: Database, annotator_id: int, statement_ids: list[int]) -> None:
    """Move the annotator's frontier to the furthest of these statements, never backwards."""
    # MAX_PARAMETERS ids and the annotator's: still under SQLite's limit of 999.
    for chunk in dialect.parameter_chunks(statement_ids):
        marks = ",".join("?" * len(chunk))
        db.execute(
            f"""INSERT INTO queue_positions (user_id, document_id, position)
                SELECT ?, document_id, position FROM statements WHERE id IN ({marks})
                ORDER BY document_id DESC, position DESC LIMIT 1
                ON CONFLICT (user_id) DO UPDATE
                  SET document_id = excluded.document_id, position = excluded.position
                  WHERE (excluded.document_id, excluded.position)
                        > (queue_positions.document_id, queue_positions.position)""",
            [annotator_id, *chunk],
        )


def my_recent(
    db: Database, annotator_id: int, limit: int = 20, offset: int = 0
) -> list[tuple[Statement, Annotation]]:
    """The annotator's own labels, most recently saved first (to reopen and edit)."""
    rows = db.query(
        """
        SELECT a.*, a.created_at AS first_created_at,
               s.id AS s_id, s.document_id, s.position, s.start, s."end", s.text, s.kind
        FROM annotations a JOIN statements s ON s.id = a.statement_id
        WHERE a.annotator_id = ? AND a.deleted = 0
        ORDER BY a.updated_at DESC, a.id DESC LIMIT ? OFFSET ?
        """,
        [annotator_id, limit, offset],
    )
    out = []
    for r in rows:
        statement = to_statement({**r, "id": r["s_id"]})
        out.append((statement, _to_annotation(r)))
    return out


class Progress(BaseModel):
    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def my_progress(db: Database, annotator_id: int) -> Progress:
    """Statements this annotator has labelled, against what they could label."""
    done = db.execute(
        "SELECT count(*) FROM annotations WHERE annotator_id = ? AND deleted = 0", [annotator_id]
    ).fetchone()[0]
    remaining_open = db.execute(
        """SELECT count(*) FROM statements s WHERE s.is_open = 1
           AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.statement_id = s.id
                           AND a.annotator_id = ? AND a.deleted = 0)""",
        [annotator_id],
    ).fetchone()[0]
    return Progress(done=done, total=done + remaining_open)


def document_progress(db: Database, document_id: int) -> Progress:
    row = db.execute(
        "SELECT count(*), sum(complete) FROM live_statements WHERE document_id = ?",
        [document_id],
    ).fetchone()
    return Progress(done=row[1] or 0, total=row[0])


def project_progress(db: Database) -> Progress:
    row = db.execute("SELECT count(*), sum(complete) FROM live_statements").fetchone()
    return Progress(done=row[1] or 0, total=row[0])


def queue_size(db: Database, annotator_id: int) -> int:
    """How many statements are left in the annotator's queue (same rule as next_statements)."""
    return int(
        db.execute(
            """SELECT count(*) FROM statements s WHERE s.is_open = 1
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.statement_id = s.id
                               AND a.annotator_id = :me AND a.deleted = 0)
               AND (NOT EXISTS (SELECT 1 FROM assignments WHERE user_id = :me)
                    OR s.document_id IN (SELECT document_id FROM assignments
                                         WHERE user_id = :me))""",
            {"me": annotator_id},
        ).fetchone()[0]
    )


def my_label_count(db: Database, annotator_id: int) -> int:
    """The annotator's own current labels (skips included): a count no one else moves."""
    return int(
        db.execute(
            "SELECT count(*) FROM annotations WHERE annotator_id = ? AND deleted = 0",
            [annotator_id],
        ).fetchone()[0]
    )


def count_rated_labels(db: Database) -> int:
    """Current labels that carry a rating on the project's scale."""
    return int(
        db.execute(
            "SELECT count(*) FROM annotations WHERE deleted = 0 "
            "AND (confidence IS NOT NULL OR extra_ratings != '{}')"
        ).fetchone()[0]
    )


def rated_labels(db: Database) -> list[Annotation]:
    """Every current label that carries a rating (to map it onto another scale)."""
    rows = db.query(
        "SELECT *, created_at AS first_created_at FROM annotations WHERE deleted = 0 "
        "AND (confidence IS NOT NULL OR extra_ratings != '{}') ORDER BY id"
    )
    return [_to_annotation(r) for r in rows]


def lead_times(db: Database) -> dict[str, list[float]]:
    """Seconds from display to save of each annotator's current labels, by annotator name
    (labels saved before lead times were recorded are left out)."""
    out: dict[str, list[float]] = {}
    rows = db.execute(
        "SELECT u.name, a.lead_time_seconds FROM annotations a JOIN users u "
        "ON u.id = a.annotator_id WHERE a.deleted = 0 AND a.lead_time_seconds IS NOT NULL "
        "ORDER BY u.name"
    )
    for name, seconds in rows:
        out.setdefault(name, []).append(float(seconds))
    return out


def require_enter(db: Database) -> bool:
    """Whether the project asks annotators to confirm each label with Enter."""
    row = db.execute("SELECT require_enter FROM project WHERE id = 1").fetchone()
    return bool(row and row[0])


def set_require_enter(db: Database, value: bool) -> None:
    with write(db):
        db.execute("UPDATE project SET require_enter = ? WHERE id = 1", [int(value)])
