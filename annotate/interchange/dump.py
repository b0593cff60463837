"""The full-fidelity backup format: a whole project as JSON lines.

Line 1 is a header, then one line per database row (`{"table": ..., "row": {...}}`) in
an order that respects foreign keys, and a final `end` line with the row count of every
table, so a truncated file is recognised instead of restored half. Rows are copied
verbatim (ids included) so a restore is exact; password hashes are never written, and
restored accounts need a new password before they can sign in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, get_args

from annotate.core.errors import SourceDeskError
from annotate.core.models import (
    MAX_SUGGESTION_VERSION,
    DatePrecision,
    StatementKind,
    utcnow,
)
from annotate.core.taxonomy import Taxonomy

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
    check: RowChecker | None = None,
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Yield (line number, table, row) from a dump, checking every line (and, with
    `check`, every value); raises DumpError listing the problems (all of them, each with
    its line number) at the end if there are any. Rows stop coming after the first
    problem, so a caller never writes from a file that will be refused.

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
        table, row = str(record.get("table")), record.get("row")
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
        if check is not None and not unknown:
            problems += [f"{where}: {p}" for p in check.check(table, row)]
        if not problems:
            yield number, table, row
    if not header_seen:
        problems.insert(0, f"{source}: empty file")
    elif not end_seen:
        problems.append(f"{source}: no end line: the file is truncated")
    if problems:
        raise DumpError("\n".join(problems))


ROLE_LIMIT = "annotator"
"""The highest role a restored account may carry unless the operator vouches for the file."""
TIME_SLACK = dt.timedelta(days=1)
JSON_LISTS = {"also_cites", "keys"}
JSON_OBJECTS = {"extra_ratings"}
TAXONOMY_FIELDS = {"source_type", "suggested_type"}
BOUNDED_TEXT = {"suggestion_version": MAX_SUGGESTION_VERSION}
"""Label columns that hold one short line: a restore keeps the limits of a saved label."""
LABEL_TABLES = {"annotations", "annotation_revisions", "adjudications", "adjudication_revisions"}
DERIVED = {"failed_logins": 0, "last_failed_at": None}
"""Columns a restore resets whatever the file says (sign-in throttling state)."""


@dataclass
class RowChecker:
    """Checks each value of a dump row against the target schema and the domain.

    `types` maps each table to {column: (declared SQL type, not null)}. Taxonomy keys are
    learnt from the dump's own `project` and `taxonomy_versions` rows, which come before
    any label.
    """

    types: dict[str, dict[str, tuple[str, bool]]]
    keep_roles: bool = False
    now: dt.datetime = field(default_factory=utcnow)
    keys: set[str] = field(default_factory=set)

    def check(self, table: str, row: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        types = self.types.get(table, {})
        for name, value in row.items():
            declared, not_null = types.get(name, ("", False))
            problem = self._value(table, name, value, declared, not_null)
            if problem:
                problems.append(f"field row.{name}: {problem}")
        return problems

    def _value(self, table: str, name: str, value: Any, declared: str, not_null: bool) -> str:
        if value is None:
            return "must not be empty" if not_null else ""
        if "INT" in declared and (not isinstance(value, int) or isinstance(value, bool)):
            return f"expected an integer, got {value!r}"[:200]
        if declared == "REAL" and (not isinstance(value, int | float) or isinstance(value, bool)):
            return f"expected a number, got {value!r}"[:200]
        if declared == "TEXT" and not isinstance(value, str):
            return f"expected text, got {value!r}"[:200]
        if table == "users" and name == "password_hash" and value:
            return "a dump never holds password hashes (this file was not written by `dump`)"
        if table == "users" and name == "role":
            if value not in ("annotator", "editor", "admin"):
                return f"unknown role {value!r}"
            if value != ROLE_LIMIT and not self.keep_roles:
                return (
                    f"role {value!r}: a restore creates annotator accounts only "
                    "(load with --keep-roles if you trust this file)"
                )
        if name.endswith("_at"):
            return self._timestamp(value)
        if name == "published":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return f"{value!r} is not a date (YYYY-MM-DD)"
        if name == "published_precision" and value not in get_args(DatePrecision):
            return f"unknown precision {value!r}"
        if table == "statements" and name == "kind" and value not in get_args(StatementKind):
            return f"unknown statement kind {value!r}"
        if name == "taxonomy_json":
            try:
                self.keys.update(Taxonomy.from_json(value).keys)
            except (ValueError, TypeError) as exc:
                return f"not a taxonomy ({str(exc).splitlines()[0][:120]})"
        if table in LABEL_TABLES:
            return self._label(name, value)
        return ""

    def _timestamp(self, value: str) -> str:
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not a timestamp (ISO 8601)"
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        if stamp > self.now + TIME_SLACK:
            return f"{value!r} is in the future"
        return ""

    def _label(self, name: str, value: Any) -> str:
        if name in TAXONOMY_FIELDS and value not in self.keys:
            return f"unknown source type {value!r}"
        if name == "confidence" and not 0 <= value <= 100:
            return f"rating {value} is outside 0-100"
        if name in BOUNDED_TEXT:
            if len(value) > BOUNDED_TEXT[name]:
                return f"longer than {BOUNDED_TEXT[name]} characters"
            if not value.isprintable():
                return f"{value[:40]!r}: control characters in a version name"
        if name in JSON_LISTS or name in JSON_OBJECTS:
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                return "not valid JSON"
            if name in JSON_OBJECTS:
                return "" if isinstance(parsed, dict) else "expected a JSON object"
            if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
                return "expected a JSON list of strings"
            if name == "also_cites":
                unknown = [v for v in parsed if v not in self.keys]
                return f"unknown source type {unknown[0]!r}" if unknown else ""
        return ""
