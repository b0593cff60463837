"""Dataset exports: long and wide shapes in CSV, Excel, JSONL and Parquet.

The domain half of exporting: column declarations, options, pseudonyms, spreadsheet
sanitising, cells per format, row building for the wide shape and streaming writers.
`workflows.export` reads the database through storage and feeds these.

The names below load on first use: the options and formats are read by every command
and page that merely offers an export, and the writers need pyarrow and openpyxl.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

_HOMES = {
    "batch_from_rows": "cells",
    "finish_batch": "cells",
    "output_schema": "cells",
    "LONG_COLUMNS": "columns",
    "WIDE_TAIL_COLUMNS": "columns",
    "Column": "columns",
    "arrow_schema": "columns",
    "columns_markdown": "columns",
    "recorded_only": "columns",
    "wide_columns": "columns",
    "ExportError": "errors",
    "ALL_FORMATS": "options",
    "FORMATS": "options",
    "INTERCHANGE": "options",
    "SHAPES": "options",
    "SUFFIXES": "options",
    "ExportFilters": "options",
    "ExportOptions": "options",
    "Format": "options",
    "Shape": "options",
    "format_for_path": "options",
    "Pseudonyms": "pseudonyms",
    "Columns": "rows",
    "GlobalAggregate": "rows",
    "WideChunk": "rows",
    "wide_rows": "rows",
    "neutralise": "sanitize",
    "spreadsheet_text": "sanitize",
    "spreadsheet_text_array": "sanitize",
    "atomic_path": "writers",
    "write_batches": "writers",
    "write_text_atomic": "writers",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
