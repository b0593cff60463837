"""Writing a revisioned record: the current row plus an append-only history row.

Annotations and adjudications share this: one current row per key (so a statement never
carries two current labels from one person, or two final labels), and every save or
delete appends a revision that triggers protect from change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlite_utils import Database

from annotate.core.models import utcnow
from storage.errors import ConflictError, NotFoundError


def _require_statement(db: Database, statement_id: int) -> None:
    if db.execute("SELECT 1 FROM statements WHERE id = ?", [statement_id]).fetchone() is None:
        raise NotFoundError(f"statement_id: no statement with id {statement_id}")


def save_revision(
    db: Database,
    *,
    table: str,
    key: dict[str, Any],
    fields: dict[str, Any],
    expected_revision: int | None,
    stale_message: Callable[[int], str],
    deleted: bool = False,
) -> tuple[int, int]:
    """Insert or update the current row for `key` and append its revision; call inside a
    write transaction. `expected_revision` (0 for "none yet") is the revision the user saw;
    None skips the check. Returns (row id, new revision).

    Every record is a statement's (`key` holds its `statement_id`): a missing statement is
    a NotFoundError naming it, before anything is read or written. The names follow from
    `table` (`annotations`: history `annotation_revisions`, whose `annotation_id` points
    back), so callers name the table only."""
    _require_statement(db, key["statement_id"])
    where = " AND ".join(f"{column} = :{column}" for column in key)
    current = db.execute(f"SELECT id, revision FROM {table} WHERE {where}", key).fetchone()
    seen = current[1] if current else 0
    if expected_revision is not None and expected_revision != seen:
        raise ConflictError(stale_message(seen))
    now = utcnow().isoformat()
    revision = seen + 1
    values = {**fields, "revision": revision, "deleted": int(deleted), "updated_at": now}
    if current is None:
        row_id = _insert(db, table, {**key, **values, "created_at": now})
    else:
        row_id = current[0]
        assignments = ", ".join(f'"{column}" = :{column}' for column in values)
        db.execute(f"UPDATE {table} SET {assignments} WHERE id = :_id", {**values, "_id": row_id})
    history = {f"{table[:-1]}_id": row_id, **key, **fields}
    history.update(revision=revision, deleted=int(deleted), created_at=now)
    _insert(db, f"{table[:-1]}_revisions", history)
    return row_id, revision


def _insert(db: Database, table: str, row: dict[str, Any]) -> int:
    """One plain INSERT (column names come from code, never from input); the new row id."""
    columns = ", ".join(f'"{column}"' for column in row)
    marks = ", ".join(f":{column}" for column in row)
    cursor = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", row)
    return int(cursor.lastrowid or 0)


def revision_history(
    db: Database, table: str, person: str, statement_id: int
) -> list[tuple[str, dict[str, Any]]]:
    """Every revision of a statement's records in `table`, oldest first, each with the name
    of the user its `person` column names (who saved it)."""
    rows = db.query(
        f"SELECT r.*, u.name AS person_name FROM {table[:-1]}_revisions r "
        f"JOIN users u ON u.id = r.{person} WHERE r.statement_id = ? ORDER BY r.id",
        [statement_id],
    )
    return [(row["person_name"], row) for row in rows]


T = TypeVar("T")


def saved(record: T | None) -> T:
    """The record a write has just saved, read back in the same connection."""
    if record is None:  # only if the row vanished between the write and the read
        raise NotFoundError("the record just saved could not be read back; reload")
    return record
