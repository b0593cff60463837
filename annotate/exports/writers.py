"""Streaming writers: each export is written chunk by chunk into a temporary file that is
renamed into place only when complete.

A crash or an error therefore never leaves a half-written file under the final name, and
memory stays bounded by one chunk whatever the size of the project.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from annotate.exports.columns import ARROW_TYPES, Column
from annotate.exports.options import XLSX_MAX_ROWS, Format
from annotate.exports.sanitize import neutralise

Columns = dict[str, list[Any]]


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


class Writer:
    """Base class: `write(chunk)` for each chunk, then `close()`."""

    def __init__(self, path: Path, columns: tuple[Column, ...]) -> None:
        self.path = path
        self.columns = columns
        self.names = [c.name for c in columns]
        self.rows = 0

    def write(self, chunk: Columns) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _csv_cell(column: Column) -> Callable[[Any], Any]:
    if column.type == "bool":
        return lambda v: "" if v is None else ("true" if v else "false")
    if column.type == "list":
        return lambda v: "" if v is None else json.dumps(v, ensure_ascii=False)
    if column.type == "string":
        return lambda v: "" if v is None else neutralise(v)
    return lambda v: "" if v is None else v


class CsvWriter(Writer):
    """UTF-8 with BOM (Excel then reads accents right); lists as JSON arrays."""

    def __init__(self, path: Path, columns: tuple[Column, ...]) -> None:
        super().__init__(path, columns)
        self._fh: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._fh)
        self._csv.writerow([neutralise(n) for n in self.names])
        self._cells = [_csv_cell(c) for c in columns]

    def write(self, chunk: Columns) -> None:
        cols = [map(cell, chunk[n]) for cell, n in zip(self._cells, self.names, strict=True)]
        rows = list(zip(*cols, strict=True))
        self._csv.writerows(rows)
        self.rows += len(rows)

    def close(self) -> None:
        self._fh.close()


class JsonlWriter(Writer):
    """One JSON object per line, values unchanged (dates and times as ISO strings)."""

    def __init__(self, path: Path, columns: tuple[Column, ...]) -> None:
        super().__init__(path, columns)
        self._fh: IO[str] = path.open("w", encoding="utf-8", newline="\n")

    def write(self, chunk: Columns) -> None:
        names = self.names
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        lines = [
            dumps(dict(zip(names, values, strict=True)))
            for values in zip(*(chunk[n] for n in names), strict=True)
        ]
        if lines:
            self._fh.write("\n".join(lines))
            self._fh.write("\n")
        self.rows += len(lines)

    def close(self) -> None:
        self._fh.close()


class ParquetWriter(Writer):
    """Typed columns: date32 dates, UTC timestamps, nullable int64, bool, list<string>."""

    def __init__(self, path: Path, columns: tuple[Column, ...]) -> None:
        super().__init__(path, columns)
        self.schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in columns])
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def _array(self, column: Column, values: list[Any]) -> pa.Array:
        if column.type in ("date", "timestamp"):
            return pa.array(values, pa.string()).cast(ARROW_TYPES[column.type])
        return pa.array(values, ARROW_TYPES[column.type])

    def write(self, chunk: Columns) -> None:
        arrays = [self._array(c, chunk[c.name]) for c in self.columns]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


def _xlsx_cell(column: Column) -> Callable[[Any], Any]:
    def text(v: Any) -> Any:
        return None if v is None else ILLEGAL_CHARACTERS_RE.sub("", neutralise(v))

    if column.type == "list":
        return lambda v: None if v is None else text(json.dumps(v, ensure_ascii=False))
    if column.type == "string":
        return text
    if column.type == "date":
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    if column.type == "timestamp":
        return text
    return lambda v: v


class XlsxWriter(Writer):
    """openpyxl write-only workbook: rows go to disk as they come."""

    def __init__(self, path: Path, columns: tuple[Column, ...]) -> None:
        super().__init__(path, columns)
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("data")
        self._sheet.append([neutralise(n) for n in self.names])
        self._cells = [_xlsx_cell(c) for c in columns]

    def write(self, chunk: Columns) -> None:
        n = len(chunk[self.names[0]]) if self.names else 0
        if self.rows + n > XLSX_MAX_ROWS:
            raise ValueError(
                f"format: an Excel sheet holds at most {XLSX_MAX_ROWS:,} rows; "
                "choose csv, jsonl or parquet, or narrow the filters"
            )
        cols = [map(cell, chunk[n]) for cell, n in zip(self._cells, self.names, strict=True)]
        for row in zip(*cols, strict=True):
            self._sheet.append(row)
        self.rows += n

    def close(self) -> None:
        self._book.save(self.path)


WRITERS: dict[Format, type[Writer]] = {
    "csv": CsvWriter,
    "jsonl": JsonlWriter,
    "parquet": ParquetWriter,
    "xlsx": XlsxWriter,
}


def open_writer(fmt: Format, path: Path, columns: tuple[Column, ...]) -> Writer:
    return WRITERS[fmt](path, columns)
