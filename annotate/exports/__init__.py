"""Dataset exports: long and wide shapes in CSV, Excel, JSONL and Parquet.

The domain half of exporting: column declarations, options, pseudonyms, formula
neutralisation, row building and streaming writers. `storage.exports` reads the
database in chunks and feeds them through `write_dataset`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from annotate.exports.columns import (
    LONG_COLUMNS,
    WIDE_TAIL_COLUMNS,
    Column,
    arrow_schema,
    columns_markdown,
    wide_columns,
)
from annotate.exports.options import (
    FORMATS,
    SHAPES,
    SUFFIXES,
    ExportFilters,
    ExportOptions,
    Format,
    Shape,
)
from annotate.exports.pseudonyms import Pseudonyms
from annotate.exports.rows import Columns, GlobalAggregate, WideChunk, long_rows, wide_rows
from annotate.exports.sanitize import neutralise
from annotate.exports.writers import atomic_path, open_writer, write_text_atomic

__all__ = [
    "FORMATS",
    "LONG_COLUMNS",
    "SHAPES",
    "SUFFIXES",
    "WIDE_TAIL_COLUMNS",
    "Column",
    "Columns",
    "ExportFilters",
    "ExportOptions",
    "Format",
    "GlobalAggregate",
    "Pseudonyms",
    "Shape",
    "WideChunk",
    "arrow_schema",
    "atomic_path",
    "columns_markdown",
    "long_rows",
    "neutralise",
    "open_writer",
    "wide_columns",
    "wide_rows",
    "write_dataset",
    "write_text_atomic",
]

Progress = Callable[[int], None]


def write_dataset(
    path: Path,
    fmt: Format,
    columns: tuple[Column, ...],
    chunks: Iterable[Columns],
    *,
    progress: Progress | None = None,
) -> int:
    """Write `chunks` to `path` through a temporary file; returns the number of rows.

    `progress` is called with the running row count after every chunk.
    """
    with atomic_path(Path(path)) as temp:
        writer = open_writer(fmt, temp, columns)
        try:
            for chunk in chunks:
                writer.write(chunk)
                if progress is not None:
                    progress(writer.rows)
        finally:
            writer.close()
    return writer.rows
