"""Reading CSV and JSONL files: one article per row, or ready-made statements per row.

A table is never held whole. Its rows are read from the file one at a time, in three
passes that mirror the order in which a whole-file read checked them, so a file with
several problems still reports the same first one:

1. shape: CSV cells against the header, JSON syntax; and the columns (the CSV header,
   or every key the JSONL lines use: a column is matched against all of them);
2. each row's text, then each row's document id; which rows make up each document;
3. the documents, handed on one at a time as they are built.

Rows grouped by a document id column make one document per id, in order of first
appearance. A group is complete at its last row (known from pass 2), so memory holds the
groups being read, not the file: one document when a document's rows are together.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TextIO

from annotate.documents import parsed
from annotate.documents.decoding import NON_SPACE
from annotate.documents.language import detect_language

__all__ = ["csv_documents", "jsonl_documents"]

# A long article in one cell is legitimate; the file-size limit bounds it instead.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

Row = tuple[int, dict[str, str]]
OpenText = Callable[[], AbstractContextManager[TextIO]]
"""A fresh pass over the file as text (universal newlines), from its start."""

_SNIFF_CHARS = 8192
_FIELDS = ("title", "outlet", "url", "published", "language", "document", "external_id")


def _blank(value: str | None) -> bool:
    """Whether `value` is empty or whitespace, without copying a long cell to find out."""
    return not value or NON_SPACE.search(value) is None


# --- CSV. -----------------------------------------------------------------------------


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(",;\t", key=first.count)


def _csv_rows(name: str, stream: TextIO, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise parsed.IngestError("file has no header row", file=name, line=1)
        header = [column.strip() for column in header]
        previous_end = reader.line_num
        for cells in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if all(_blank(cell) for cell in cells):
                continue
            if len(cells) > len(header):
                raise parsed.IngestError(
                    f"row has {len(cells)} cells but the header has {len(header)} columns",
                    file=name,
                    line=line,
                )
            yield line, dict(zip(header, cells, strict=False))
    except csv.Error as exc:
        raise parsed.IngestError(
            f"malformed CSV ({exc})", file=name, line=reader.line_num
        ) from None


def csv_documents(
    name: str, open_text: OpenText, mapping: parsed.ColumnMapping
) -> Iterator[parsed.StreamedDocument]:
    with open_text() as stream:
        delimiter = _sniff_delimiter(stream.read(_SNIFF_CHARS))

    def rows() -> Iterator[Row]:
        with open_text() as stream:
            yield from _csv_rows(name, stream, delimiter)

    count = sum(1 for _ in rows())
    with open_text() as stream:
        header = next(csv.reader(stream, delimiter=delimiter), None) or []
    columns = [column.strip() for column in header]
    yield from _table_documents(name, columns, count, rows, mapping, per_line=False)


# --- JSONL. ---------------------------------------------------------------------------


def _jsonl_rows(name: str, stream: TextIO) -> Iterator[Row]:
    for number, line in enumerate(stream, start=1):
        if _blank(line):
            continue
        if line.endswith("\n"):
            line = line[:-1]
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise parsed.IngestError(f"invalid JSON ({exc.msg} at column {exc.colno})",
                              file=name, line=number) from None  # fmt: skip
        del line
        if not isinstance(value, dict):
            raise parsed.IngestError(
                f"expected a JSON object, found {type(value).__name__}", file=name, line=number
            )
        row = {
            key: "" if item is None else item if isinstance(item, str) else json.dumps(item)
            for key, item in value.items()
        }
        del value
        yield number, row


def jsonl_documents(
    name: str, open_text: OpenText, mapping: parsed.ColumnMapping
) -> Iterator[parsed.StreamedDocument]:
    def rows() -> Iterator[Row]:
        with open_text() as stream:
            yield from _jsonl_rows(name, stream)

    keys: dict[str, None] = {}
    count = 0
    for _, row in rows():
        count += 1
        keys.update(dict.fromkeys(row))
    yield from _table_documents(name, list(keys), count, rows, mapping, per_line=True)


# --- Rows to documents. ---------------------------------------------------------------


def _column(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    folded = {column.casefold(): column for column in columns}
    return folded.get(wanted.casefold())


def _table_documents(
    name: str,
    columns: list[str],
    count: int,
    rows: Callable[[], Iterator[Row]],
    mapping: parsed.ColumnMapping,
    per_line: bool,
) -> Iterator[parsed.StreamedDocument]:
    """Passes 2 and 3, once pass 1 has read `count` well-formed rows with `columns`."""
    if not count:
        raise parsed.IngestError("file has a header but no rows", file=name)
    text_column = _column(columns, mapping.text)
    if text_column is None:
        found = ", ".join(repr(c) for c in columns) or "none"
        raise parsed.IngestError(
            f"missing column '{mapping.text}' (columns found: {found})",
            file=name,
            field=mapping.text,
        )
    cols = {field: _column(columns, getattr(mapping, field)) for field in _FIELDS}

    def cell(row: dict[str, str], field: str) -> str:
        column = cols[field]
        return (row.get(column) or "").strip() if column else ""

    def check_text(line: int, row: dict[str, str]) -> None:
        if per_line and text_column not in row:
            found = ", ".join(repr(k) for k in row) or "none"
            raise parsed.IngestError(
                f"missing key '{text_column}' (keys found: {found})",
                file=name,
                line=line,
                field=text_column,
            )
        if _blank(row.get(text_column)):
            raise parsed.IngestError("empty text", file=name, line=line, field=text_column)

    document_column = cols["document"]
    last_rows: dict[str, int] = {}  # document id -> line of its last row, in first-seen order
    empty_id: int | None = None
    for line, row in rows():
        check_text(line, row)
        if document_column is not None:
            key = cell(row, "document")
            if not key:
                empty_id = line if empty_id is None else empty_id
            else:
                last_rows[key] = line
    if empty_id is not None:
        raise parsed.IngestError(
            "empty document id", file=name, line=empty_id, field=document_column
        )

    if document_column is None:
        for line, row in rows():
            check_text(line, row)  # the file may have changed since pass 2
            yield _row_document(name, line, row, text_column, cell)
        return

    waiting = iter(last_rows)  # ids in order of first appearance
    turn = next(waiting, None)
    reading: dict[str, list[Row]] = {}
    complete: dict[str, list[Row]] = {}
    for line, row in rows():
        check_text(line, row)
        key = cell(row, "document")
        reading.setdefault(key, []).append((line, row))
        if last_rows.get(key) == line:
            complete[key] = reading.pop(key)
            while turn is not None and turn in complete:
                yield _grouped_document(name, turn, complete.pop(turn), text_column, cell)
                turn = next(waiting, None)
    if turn is not None or reading or complete:
        raise parsed.IngestError("the file changed while it was being read", file=name)


def _metadata(name: str, rows: list[Row], cell: Any) -> dict[str, Any]:
    """Title, outlet, ... from the first row that fills each field."""
    meta: dict[str, Any] = {"published": None, "published_precision": None}
    for field in ("title", "outlet", "url"):
        meta[field] = next((cell(row, field) for _, row in rows if cell(row, field)), "")
    for line, row in rows:
        if cell(row, "published"):
            meta["published"], meta["published_precision"] = parsed.checked_date(
                cell(row, "published"), name, line, "published"
            )
            break
    for line, row in rows:
        if cell(row, "language"):
            meta["language"] = parsed.checked_language(
                cell(row, "language"), name, line, "language"
            )
            break
    return meta


def _row_document(
    name: str, line: int, row: dict[str, str], text_column: str, cell: Any
) -> parsed.StreamedDocument:
    text = parsed.normalise_newlines(row[text_column]).strip()
    meta = _metadata(name, [(line, row)], cell)
    language = meta.pop("language", None) or detect_language(text)
    return parsed.StreamedDocument(
        source_name=f"{name}:line {line}",
        language=language,
        text=text,
        content_hash=parsed.content_hash(text),
        external_id=cell(row, "external_id"),
        statements=parsed.Statements(name, lambda: parsed.iter_statements(text, language)),
        **meta,
    )


def _grouped_document(
    name: str, key: str, rows: list[Row], text_column: str, cell: Any
) -> parsed.StreamedDocument:
    pieces = [parsed.normalise_newlines(row[text_column]).strip() for _, row in rows]
    spans = []
    position = 0
    for piece in pieces:
        spans.append((position, position + len(piece)))
        position += len(piece) + len(parsed.STATEMENT_SEPARATOR)
    text = parsed.STATEMENT_SEPARATOR.join(pieces)
    del pieces
    meta = _metadata(name, rows, cell)
    language = meta.pop("language", None) or detect_language(text)

    def statements() -> Iterator[parsed.ParsedStatement]:
        for start, end in spans:
            yield parsed.ParsedStatement(
                start=start, end=end, text=text[start:end], kind="statement"
            )

    return parsed.StreamedDocument(
        source_name=f"{name}:line {rows[0][0]}",
        language=language,
        text=text,
        content_hash=parsed.content_hash(text),
        external_id=key,
        statements=parsed.Statements(name, statements),
        **meta,
    )
