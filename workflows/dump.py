"""The project dump: write the whole project as JSON lines, and load one into an empty
database.

Loading trusts nothing in the file. A first pass checks every line and every value (types
against the schema, timestamps, dates, enumerations, taxonomy keys, no password hash, no
role above annotator unless the operator vouches for the file); a second pass writes the
rows in one transaction and lets the database check what spans rows (references,
uniqueness, statement offsets against their document's text). Any problem, at any stage,
is listed with its line and nothing is written. Derived counters are recomputed, not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotate import interchange
from annotate.core.models import utcnow
from annotate.exports import atomic_path
from storage.bulk import refresh_statements
from storage.connection import Database
from storage.errors import StorageError
from storage.exports import table_rows
from storage.project import get_project
from storage.restore import (
    broken_references,
    column_types,
    defer_foreign_keys,
    insert_rows,
    integrity_error,
    is_empty,
    statements_off_their_text,
)
from storage.schema import schema_version
from storage.transactions import write

__all__ = ["MAX_DUMP_BYTES", "dump_project", "load_dump"]

MAX_DUMP_BYTES = 20_000_000_000
INSERT_BATCH = 1_000


def dump_project(db: Database, out: Path, *, chunk_size: int = 5_000) -> dict[str, int]:
    """Write the whole project as a JSONL dump (see annotate.interchange.dump); returns
    the rows per table."""
    get_project(db)
    counts: dict[str, int] = {}
    with atomic_path(Path(out)) as temp, temp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(interchange.header_line(schema_version(db), utcnow().isoformat()))
        for table in interchange.TABLES:
            counts[table] = 0
            for row in table_rows(db, table, chunk_size):
                fh.write(interchange.row_line(table, row))
                counts[table] += 1
        fh.write(interchange.end_line(counts))
    return counts


def load_dump(
    db: Database, path: Path, *, keep_roles: bool = False, max_bytes: int = MAX_DUMP_BYTES
) -> dict[str, int]:
    """Restore a dump into an empty database in one transaction; returns rows per table.
    Raises DumpError listing every problem (with its line) and writes nothing."""
    path = Path(path)
    if not is_empty(db, interchange.TABLES):
        raise StorageError(f"{path}: a dump can only be loaded into an empty database")
    types = column_types(db, interchange.TABLES)
    columns = {t: set(c) for t, c in types.items()}
    version = schema_version(db)

    def rows() -> Iterator[tuple[int, str, dict[str, Any]]]:
        checker = interchange.RowChecker(types=types, keep_roles=keep_roles)
        yield from interchange.parse_dump(
            interchange.lines_limited(path, max_bytes),
            columns,
            schema_version=version,
            source=path.name,
            check=checker,
        )

    try:
        for _ in rows():  # validation pass: nothing is written unless every line is good
            pass
    except UnicodeDecodeError as exc:
        raise interchange.DumpError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    counts = dict.fromkeys(interchange.TABLES, 0)
    lines: dict[str, dict[int, int]] = {t: {} for t in interchange.TABLES}
    with write(db):
        defer_foreign_keys(db)
        batch: list[dict[str, Any]] = []
        numbers: list[int] = []
        current = ""

        def flush() -> None:
            failed = insert_rows(db, current, batch)
            if failed is not None:
                reason = integrity_error(db, current, batch[failed])
                raise interchange.DumpError(
                    f"{path.name}: line {numbers[failed]}: {current}: {reason}"
                )

        for number, table, row in rows():
            if table != current and batch:
                flush()
                batch, numbers = [], []
            current = table
            if table == "users":
                row = {**row, "password_hash": "", **interchange.DERIVED}
            counts[table] += 1
            key = row.get("id", counts[table])
            if isinstance(key, int):
                lines[table][key] = number
            batch.append(row)
            numbers.append(number)
            if len(batch) >= INSERT_BATCH:
                flush()
                batch, numbers = [], []
        if batch:
            flush()
        problems = [
            f"{path.name}: line {lines.get(table, {}).get(rowid, '?')}: {table}: a reference "
            f"to {parent} points to no row"
            for table, rowid, parent in broken_references(db)
        ]
        problems += [
            f"{path.name}: line {lines['statements'].get(sid, '?')}: field row.start: the "
            "statement's offsets do not slice its document's text to its text"
            for sid in statements_off_their_text(db)
        ]
        if problems:
            raise interchange.DumpError("\n".join(problems))
        refresh_statements(db)
    return counts
