"""The full-fidelity backup format: a whole project as JSON lines.

Line 1 is a header, then one line per database row (`{"table": ..., "row": {...}}`) in
an order that respects foreign keys, and a final `end` line with the row count of every
table, so a truncated file is recognised instead of restored half. Rows are copied
verbatim (ids included) so a restore is exact; password hashes are never written, and
restored accounts need a new password before they can sign in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from annotate.core.errors import SourceDeskError

DUMP_KIND = "sourcedesk-dump"
DUMP_FORMAT_VERSION = 1

TABLES: tuple[str, ...] = (
    "project",
    "taxonomy_versions",
    "users",
    "documents",
    "statements",
    "assignments",
    "annotations",
    "annotation_revisions",
    "adjudications",
    "adjudication_revisions",
)
"""Restore order: every table comes after the tables it references."""

OMITTED: dict[str, frozenset[str]] = {"users": frozenset({"password_hash"})}
"""Columns never written to a dump."""


class DumpError(SourceDeskError):
    """A dump that cannot be restored; the message names the line and the field."""


def header_line(schema_version: int, exported_at: str) -> str:
    return _line(
        {
            "kind": DUMP_KIND,
            "format_version": DUMP_FORMAT_VERSION,
            "schema_version": schema_version,
            "exported_at": exported_at,
        }
    )


def row_line(table: str, row: dict[str, Any]) -> str:
    omitted = OMITTED.get(table, frozenset())
    return _line({"table": table, "row": {k: v for k, v in row.items() if k not in omitted}})


def end_line(counts: dict[str, int]) -> str:
    return _line({"kind": "end", "counts": counts})


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def parse_dump(
    lines: Iterable[str],
    columns: dict[str, set[str]],
    *,
    schema_version: int,
    source: str = "dump",
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (table, row) from a dump, checking every line; raises DumpError listing the
    problems (all of them, each with its line number) at the end if there are any.

    `columns` maps each table to the columns the target database has.
    """
    problems: list[str] = []
    counts = dict.fromkeys(TABLES, 0)
    order = {t: i for i, t in enumerate(TABLES)}
    last_table = -1
    header_seen = end_seen = False
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{source}: line {number}"
        if end_seen:
            problems.append(f"{where}: content after the end line")
            break
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(f"{where}: expected a JSON object")
            continue
        if not header_seen:
            header_seen = True
            if record.get("kind") != DUMP_KIND:
                raise DumpError(f"{where}: field kind: not a SourceDesk dump")
            if record.get("format_version") != DUMP_FORMAT_VERSION:
                raise DumpError(
                    f"{where}: field format_version: {record.get('format_version')!r} "
                    f"is not supported (expected {DUMP_FORMAT_VERSION})"
                )
            if record.get("schema_version") != schema_version:
                raise DumpError(
                    f"{where}: field schema_version: dump has {record.get('schema_version')}, "
                    f"this database has {schema_version}"
                )
            continue
        if record.get("kind") == "end":
            end_seen = True
            expected = record.get("counts")
            if not isinstance(expected, dict):
                problems.append(f"{where}: field counts: expected an object")
            else:
                for table in TABLES:
                    if expected.get(table, 0) != counts[table]:
                        problems.append(
                            f"{where}: field counts.{table}: end line says "
                            f"{expected.get(table, 0)}, file holds {counts[table]}"
                        )
            continue
        table, row = record.get("table"), record.get("row")
        if table not in order:
            problems.append(f"{where}: field table: unknown table {table!r}")
            continue
        if not isinstance(row, dict):
            problems.append(f"{where}: field row: expected an object")
            continue
        if order[table] < last_table:
            problems.append(
                f"{where}: field table: {table} rows must come before {TABLES[last_table]} rows"
            )
        last_table = max(last_table, order[table])
        allowed = columns[table] - OMITTED.get(table, frozenset())
        unknown = sorted(set(row) - columns[table])
        missing = sorted(allowed - set(row))
        if unknown:
            problems.append(f"{where}: field row.{unknown[0]}: unknown column of {table}")
        if missing:
            problems.append(f"{where}: field row.{missing[0]}: missing column of {table}")
        counts[table] += 1
        if not problems:
            yield table, row
    if not header_seen:
        problems.insert(0, f"{source}: empty file")
    elif not end_seen:
        problems.append(f"{source}: no end line: the file is truncated")
    if problems:
        raise DumpError("\n".join(problems))
