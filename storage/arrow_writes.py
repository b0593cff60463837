"""Writing JSON lines from Arrow record batches through DuckDB's JSON writer.

Several times faster than encoding rows in Python, and streaming: DuckDB pulls the batches
from a reader as it writes, under a fixed memory limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = ["write_jsonl"]

MEMORY_LIMIT = "160MB"
THREADS = 2


def write_jsonl(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    """One JSON object per line (keys in schema order, nulls as null, lists as arrays)."""
    reader = pa.RecordBatchReader.from_batches(schema, iter(batches))
    conn = duckdb.connect(
        config={
            "threads": THREADS,
            "memory_limit": MEMORY_LIMIT,
            "preserve_insertion_order": True,
        }
    )
    try:
        conn.register("export_batches", reader)
        target = str(path).replace("'", "''")
        conn.execute(
            f"COPY (SELECT * FROM export_batches) TO '{target}' (FORMAT json, USE_TMP_FILE false)"
        )
    finally:
        conn.close()
