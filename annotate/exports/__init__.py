"""Dataset exports: long and wide shapes in CSV, Excel, JSONL and Parquet.

The domain half of exporting: column declarations, options, pseudonyms, spreadsheet
sanitising, cells per format, row building for the wide shape and streaming writers.
`workflows.export` reads the database through storage and feeds these.

The names below load on first use: the options and formats are read by every command
and page that merely offers an export, and the writers need pyarrow and openpyxl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotate.core.lazy import lazy_names

if TYPE_CHECKING:
    from annotate.exports.cells import batch_from_rows, finish_batch, output_schema
    from annotate.exports.columns import (
        LONG_COLUMNS,
        WIDE_TAIL_COLUMNS,
        Column,
        arrow_schema,
        columns_markdown,
        recorded_only,
        wide_columns,
    )
    from annotate.exports.errors import ExportError
    from annotate.exports.options import (
        ALL_FORMATS,
        FORMATS,
        INTERCHANGE,
        SHAPES,
        SUFFIXES,
        ExportFilters,
        ExportOptions,
        Format,
        Shape,
        format_for_path,
    )
    from annotate.exports.pseudonyms import Pseudonyms
    from annotate.exports.rows import Columns, GlobalAggregate, WideChunk, wide_rows
    from annotate.exports.sanitize import neutralise, spreadsheet_text, spreadsheet_text_array
    from annotate.exports.writers import atomic_path, write_batches, write_text_atomic

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            "cells": ("batch_from_rows", "finish_batch", "output_schema"),
            "columns": (
                "LONG_COLUMNS",
                "WIDE_TAIL_COLUMNS",
                "Column",
                "arrow_schema",
                "columns_markdown",
                "recorded_only",
                "wide_columns",
            ),
            "errors": ("ExportError",),
            "options": (
                "ALL_FORMATS",
                "FORMATS",
                "INTERCHANGE",
                "SHAPES",
                "SUFFIXES",
                "ExportFilters",
                "ExportOptions",
                "Format",
                "Shape",
                "format_for_path",
            ),
            "pseudonyms": ("Pseudonyms",),
            "rows": ("Columns", "GlobalAggregate", "WideChunk", "wide_rows"),
            "sanitize": ("neutralise", "spreadsheet_text", "spreadsheet_text_array"),
            "writers": ("atomic_path", "write_batches", "write_text_atomic"),
        },
    )

__all__ = [
    "ALL_FORMATS",
    "FORMATS",
    "INTERCHANGE",
    "LONG_COLUMNS",
    "SHAPES",
    "SUFFIXES",
    "WIDE_TAIL_COLUMNS",
    "Column",
    "Columns",
    "ExportError",
    "ExportFilters",
    "ExportOptions",
    "Format",
    "GlobalAggregate",
    "Pseudonyms",
    "Shape",
    "WideChunk",
    "arrow_schema",
    "atomic_path",
    "batch_from_rows",
    "columns_markdown",
    "finish_batch",
    "format_for_path",
    "neutralise",
    "output_schema",
    "recorded_only",
    "spreadsheet_text",
    "spreadsheet_text_array",
    "wide_columns",
    "wide_rows",
    "write_batches",
    "write_text_atomic",
]
