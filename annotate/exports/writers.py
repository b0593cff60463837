"""Streaming writers: each export is written batch by batch into a temporary file that is
renamed into place only when complete.

A crash or an error therefore never leaves a half-written file under the final name, and
memory stays bounded by a few batches whatever the size of the project. Batches come in
already finished for their format (`annotate.exports.cells.finish_batch`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from annotate.exports.columns import Column
from annotate.exports.errors import ExportError
from annotate.exports.options import XLSX_MAX_ROWS, Format
from annotate.exports.sanitize import spreadsheet_text

Progress = Callable[[int], None]

BatchWriter = Callable[[Path, pa.Schema, Iterable[pa.RecordBatch]], None]


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`; renamed to `target` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> None:
    with atomic_path(target) as temp:
        temp.write_text(text, encoding="utf-8")


class _Counter:
    def __init__(self, batches: Iterable[pa.RecordBatch], progress: Progress | None) -> None:
        self.batches = batches
        self.progress = progress
        self.rows = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self.batches:
            self.rows += batch.num_rows
            yield batch
            if self.progress is not None:
                self.progress(self.rows)


def _parquet(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)


def _csv(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    """UTF-8 with BOM (Excel then reads accents right); lists as JSON arrays."""
    with path.open("wb") as fh:
        header = io.StringIO()
        csv.writer(header).writerow([spreadsheet_text(n) for n in schema.names])
        fh.write(header.getvalue().encode("utf-8-sig"))
        options = pacsv.WriteOptions(include_header=False)
        with pacsv.CSVWriter(fh, schema, write_options=options) as writer:
            for batch in batches:
                writer.write_batch(batch)


def _jsonl(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    """One JSON object per line, values unchanged (dates and times as ISO strings). The
    export workflow passes a faster writer (DuckDB's, in storage) for large exports."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    names = schema.names
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for batch in batches:
            columns = [c.to_pylist() for c in batch.columns]
            rows = zip(*columns, strict=True)
            lines = [encode(dict(zip(names, row, strict=True))) for row in rows]
            if lines:
                fh.write("\n".join(lines))
                fh.write("\n")


def _xlsx(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    """openpyxl write-only workbook; every text cell is written as an explicit string, so
    no value can become a formula whatever it starts with."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")

    def text_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet)
        cell.value = value
        cell.data_type = "s"
        return cell

    sheet.append([text_cell(spreadsheet_text(n)) for n in schema.names])
    try:
        _xlsx_rows(sheet, schema, batches, text_cell)
    except BaseException:
        _discard_sheet(sheet)
        raise
    book.save(path)


def _discard_sheet(sheet: Any) -> None:
    """A write-only sheet keeps its rows in a temporary file of its own until the workbook
    is saved, and otherwise until the process ends: an export that stops part-way (too
    many rows, a failed read) removes it now rather than leave labels behind in the
    temporary folder of a long-running server."""
    sheet.close()
    writer = getattr(sheet, "_writer", None)
    if writer is not None:
        writer.cleanup()


def _xlsx_rows(
    sheet: Any,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    text_cell: Callable[[str], WriteOnlyCell],
) -> None:
    dates = [pa.types.is_date(f.type) for f in schema]
    rows = 0
    for batch in batches:
        rows += batch.num_rows
        if rows > XLSX_MAX_ROWS:
            raise ExportError(
                f"format: an Excel sheet holds at most {XLSX_MAX_ROWS:,} rows; "
                "choose csv, jsonl or parquet, or narrow the filters"
            )
        for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
            cells: list[object] = []
            for value, is_date in zip(row, dates, strict=True):
                if isinstance(value, str):
                    cells.append(text_cell(value))
                elif is_date and isinstance(value, dt.date):
                    cells.append(value)
                else:
                    cells.append(value)
            sheet.append(cells)


WRITERS: dict[Format, BatchWriter] = {
    "csv": _csv,
    "jsonl": _jsonl,
    "parquet": _parquet,
    "xlsx": _xlsx,
}


def write_batches(
    path: Path,
    fmt: Format,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    *,
    progress: Progress | None = None,
    writers: dict[str, BatchWriter] | None = None,
) -> int:
    """Write finished `batches` to `path` through a temporary file; returns the rows.
    `writers` may replace the writer of a format."""
    counter = _Counter(batches, progress)
    writer = (writers or {}).get(fmt) or WRITERS[fmt]
    try:
        with atomic_path(Path(path)) as temp:
            writer(temp, schema, counter)
    finally:
        # A writer that fails part-way leaves the batches half read: closing them now ends
        # their reader (a process, for large exports) instead of whenever they are freed.
        close = getattr(batches, "close", None)
        if callable(close):
            close()
    return counter.rows


def column_names(columns: Sequence[Column]) -> list[str]:
    return [c.name for c in columns]
