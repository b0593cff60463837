"""Turning record batches as read from the database into the cells of each format.

Batches arrive with database-level values: flags as 0/1 integers, lists as JSON text,
dates and times as ISO strings, the annotator as a user id (or with Python values when a
batch was built from rows, as the wide shape does). `finish_batch` converts a whole batch
at once, column by column, for one output format:

- parquet: the typed schema of the column spec (date32, UTC timestamps, list<string>...);
- jsonl: the same, except dates and times stay ISO strings;
- csv and xlsx: lists as JSON text, and every text cell through `spreadsheet_text_array`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from annotate.exports.columns import ARROW_TYPES, Column
from annotate.exports.options import Format
from annotate.exports.sanitize import spreadsheet_text_array

TEXT_FORMATS: tuple[str, ...] = ("csv", "xlsx")


def output_type(column: Column, fmt: str) -> pa.DataType:
    if fmt in TEXT_FORMATS and column.type == "list":
        return pa.string()
    if fmt != "parquet" and column.type in ("date", "timestamp"):
        return pa.string()
    return ARROW_TYPES[column.type]


def output_schema(columns: Sequence[Column], fmt: str) -> pa.Schema:
    return pa.schema([pa.field(c.name, output_type(c, fmt)) for c in columns])


SIMPLE_LIST = r'^\[\]$|^\["[^"\\]*"(, "[^"\\]*")*\]$'
"""A JSON array of plain strings as `json.dumps` writes it (no escapes inside)."""


def json_lists(values: pa.Array) -> pa.Array:
    """JSON array text (most often `[]`) to list<string>; in bulk when every value is a
    plain array as SourceDesk writes them, else value by value."""
    if values.null_count == 0 and pc.all(pc.match_substring_regex(values, SIMPLE_LIST)).as_py():
        empty = pc.equal(values, "[]")
        inner = pc.utf8_slice_codeunits(values, 2, -2)
        split = pc.split_pattern(inner, '", "')
        lengths = pc.if_else(empty, 0, pc.list_value_length(split))
        bounds = pa.concat_arrays(
            [pa.array([0], pa.int32()), pc.cumulative_sum(lengths.cast(pa.int32()))]
        )
        items = pc.list_flatten(pc.filter(split, pc.invert(empty)))
        return pa.ListArray.from_arrays(bounds, items.cast(pa.string()))
    offsets = [0]
    flat: list[str] = []
    mask: list[bool] = []
    for text in values.to_pylist():
        if text is None:
            mask.append(True)
        else:
            mask.append(False)
            if text and text != "[]":
                flat.extend(str(v) for v in json.loads(text))
        offsets.append(len(flat))
    return pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()),
        pa.array(flat, pa.string()),
        mask=pa.array(mask, pa.bool_()) if any(mask) else None,
    )


def list_texts(values: pa.Array) -> pa.Array:
    """list<string> to JSON array text."""
    return pa.array(
        [None if v is None else json.dumps(v, ensure_ascii=False) for v in values.to_pylist()],
        pa.string(),
    )


def names_for_ids(ids: pa.Array, names: Mapping[int, str]) -> pa.Array:
    """User ids to names (or pseudonyms), in bulk."""
    keys = pa.array(list(names), pa.int64())
    values = pa.array(list(names.values()), pa.string())
    return pc.take(values, pc.index_in(ids, value_set=keys))


def finish_column(
    column: Column, values: Any, fmt: str, names: Mapping[int, str] | None = None
) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    target = output_type(column, fmt)
    kind = column.type
    if column.name == "annotator" and names is not None and pa.types.is_integer(values.type):
        values = names_for_ids(values, names)
    if pa.types.is_null(values.type):
        values = pa.nulls(len(values), target)
    if kind == "bool" and not pa.types.is_boolean(values.type):
        values = pc.not_equal(values, 0)
    elif kind == "list":
        if pa.types.is_string(values.type) and target != pa.string():
            values = json_lists(values)
        elif pa.types.is_list(values.type) and target == pa.string():
            values = list_texts(values)
    elif kind in ("date", "timestamp") and target != pa.string():
        values = pc.cast(values, pa.string()).cast(target)
    if values.type != target:
        values = values.cast(target)
    if fmt in TEXT_FORMATS and pa.types.is_string(target):
        values = spreadsheet_text_array(values)
    return values


def finish_batch(
    batch: pa.RecordBatch,
    columns: Sequence[Column],
    fmt: Format,
    names: Mapping[int, str] | None = None,
) -> pa.RecordBatch:
    """`batch` (columns named as in `columns`) in the cells of format `fmt`."""
    arrays = [finish_column(c, batch.column(c.name), fmt, names) for c in columns]
    return pa.RecordBatch.from_arrays(arrays, schema=output_schema(columns, fmt))


def batch_from_rows(columns: Sequence[Column], values: Mapping[str, list[Any]]) -> pa.RecordBatch:
    """A batch from Python column lists (lists as lists, dates and times as ISO text)."""
    arrays = []
    for c in columns:
        kind = ARROW_TYPES[c.type] if c.type not in ("date", "timestamp") else pa.string()
        arrays.append(pa.array(values[c.name], kind))
    return pa.RecordBatch.from_arrays(arrays, names=[c.name for c in columns])
