"""Reading CSV and JSONL files: one article per row, or ready-made statements per row."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

from annotate.documents.language import detect_language
from annotate.documents.parsed import (
    STATEMENT_SEPARATOR,
    ColumnMapping,
    IngestError,
    ParsedDocument,
    ParsedStatement,
    checked_date,
    checked_language,
    content_hash,
    normalise_newlines,
    split_statements,
)

# A long article in one cell is legitimate; the file-size limit bounds it instead.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

# --- Tables: CSV and JSONL. -----------------------------------------------------------

Row = tuple[int, dict[str, str]]


def _sniff_delimiter(text: str) -> str:
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(",;\t", key=first.count)


def csv_rows(name: str, text: str) -> tuple[list[str], list[Row]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        header = next(reader, None)
        if header is None:
            raise IngestError("file has no header row", file=name, line=1)
        header = [column.strip() for column in header]
        rows: list[Row] = []
        previous_end = reader.line_num
        for cells in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                raise IngestError(
                    f"row has {len(cells)} cells but the header has {len(header)} columns",
                    file=name,
                    line=line,
                )
            rows.append((line, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        raise IngestError(f"malformed CSV ({exc})", file=name, line=reader.line_num) from None
    return header, rows


def jsonl_rows(name: str, text: str) -> tuple[list[str], list[Row]]:
    rows: list[Row] = []
    keys: dict[str, None] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"invalid JSON ({exc.msg} at column {exc.colno})",
                              file=name, line=number) from None  # fmt: skip
        if not isinstance(value, dict):
            raise IngestError(
                f"expected a JSON object, found {type(value).__name__}", file=name, line=number
            )
        row = {}
        for key, item in value.items():
            keys.setdefault(key, None)
            row[key] = "" if item is None else item if isinstance(item, str) else json.dumps(item)
        rows.append((number, row))
    return list(keys), rows


def _column(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    folded = {column.casefold(): column for column in columns}
    return folded.get(wanted.casefold())


def table_documents(
    name: str, columns: list[str], rows: list[Row], mapping: ColumnMapping, per_line: bool
) -> list[ParsedDocument]:
    if not rows:
        raise IngestError("file has a header but no rows", file=name)
    text_column = _column(columns, mapping.text)
    if text_column is None:
        found = ", ".join(repr(c) for c in columns) or "none"
        raise IngestError(
            f"missing column '{mapping.text}' (columns found: {found})",
            file=name,
            field=mapping.text,
        )
    cols = {
        field: _column(columns, getattr(mapping, field))
        for field in ("title", "outlet", "url", "published", "language", "document", "external_id")
    }

    def cell(row: dict[str, str], field: str) -> str:
        column = cols[field]
        return (row.get(column) or "").strip() if column else ""

    for line, row in rows:
        if per_line and text_column not in row:
            found = ", ".join(repr(k) for k in row) or "none"
            raise IngestError(
                f"missing key '{text_column}' (keys found: {found})",
                file=name,
                line=line,
                field=text_column,
            )
        if not (row.get(text_column) or "").strip():
            raise IngestError("empty text", file=name, line=line, field=text_column)

    if cols["document"] is None:
        return [_row_document(name, line, row, text_column, cell) for line, row in rows]

    groups: dict[str, list[Row]] = {}
    for line, row in rows:
        key = cell(row, "document")
        if not key:
            raise IngestError("empty document id", file=name, line=line, field=cols["document"])
        groups.setdefault(key, []).append((line, row))
    return [_grouped_document(name, key, group, text_column, cell) for key, group in groups.items()]


def _metadata(name: str, rows: list[Row], cell: Any) -> dict[str, Any]:
    """Title, outlet, ... from the first row that fills each field."""
    meta: dict[str, Any] = {"published": None, "published_precision": None}
    for field in ("title", "outlet", "url"):
        meta[field] = next((cell(row, field) for _, row in rows if cell(row, field)), "")
    for line, row in rows:
        if cell(row, "published"):
            meta["published"], meta["published_precision"] = checked_date(
                cell(row, "published"), name, line, "published"
            )
            break
    for line, row in rows:
        if cell(row, "language"):
            meta["language"] = checked_language(cell(row, "language"), name, line, "language")
            break
    return meta


def _row_document(
    name: str, line: int, row: dict[str, str], text_column: str, cell: Any
) -> ParsedDocument:
    text = normalise_newlines(row[text_column]).strip()
    meta = _metadata(name, [(line, row)], cell)
    language = meta.pop("language", None) or detect_language(text)
    statements = split_statements(text, language)
    return ParsedDocument(
        source_name=f"{name}:line {line}",
        language=language,
        text=text,
        content_hash=content_hash(text),
        external_id=cell(row, "external_id"),
        statements=statements,
        **meta,
    )


def _grouped_document(
    name: str, key: str, rows: list[Row], text_column: str, cell: Any
) -> ParsedDocument:
    pieces = [normalise_newlines(row[text_column]).strip() for _, row in rows]
    statements = []
    position = 0
    for piece in pieces:
        statements.append(
            ParsedStatement(start=position, end=position + len(piece), text=piece, kind="statement")
        )
        position += len(piece) + len(STATEMENT_SEPARATOR)
    text = STATEMENT_SEPARATOR.join(pieces)
    meta = _metadata(name, rows, cell)
    language = meta.pop("language", None) or detect_language(text)
    return ParsedDocument(
        source_name=f"{name}:line {rows[0][0]}",
        language=language,
        text=text,
        content_hash=content_hash(text),
        external_id=key,
        statements=statements,
        **meta,
    )
