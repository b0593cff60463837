"""The process that runs every ADBC read, streaming Arrow back to its parent.

ADBC's SQLite driver carries its own copy of the SQLite library. Two copies of SQLite in one
process do not see each other's POSIX locks: closing a file in one copy drops the locks the
other holds, and one copy can truncate the WAL index that the other has mapped. In the app,
where annotators save through Python's sqlite3 while a report or an export reads, that is a
crash (SIGBUS) or a damaged database. Run as its own process, the driver is one more reader
of the file, which SQLite fully supports.

Run as a script (`python storage/arrow_child.py`), not as a module of the package: it
imports only pyarrow and the driver's low-level API, so it starts in a fraction of a second.

Request (stdin, JSON): {"path": ..., "queries": [[sql, [params...]], ...], "batch_rows": n}.
Each query starts with one typing row of literal values (see storage.arrow_reads), which is
dropped here. Reply (stdout): frames of tag (1 byte), query index (4 bytes), length (8 bytes)
and payload: S = the query's schema, B = one record batch, D = the query is done, E = an
error message (UTF-8), after which the process exits.
"""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

HEADER = struct.Struct("<cIQ")
BUSY_TIMEOUT_MS = 5_000
SEND_ROWS = 8_192
PRAGMAS = (
    # Another reader may be setting up the WAL index: wait as every connection does
    # instead of failing at once.
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    # Sorting and grouping spill to a temporary file rather than grow this process.
    "PRAGMA temp_store = FILE",
)


def literal(value: Any) -> str:
    """A parameter as an SQL literal: the low-level driver API binds Arrow arrays only, and
    the reads' parameters are integers and ISO dates."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"unsupported parameter {value!r}")
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def bind(sql: str, params: Sequence[Any]) -> str:
    """`sql` with each `?` replaced by its parameter (the queries hold no `?` in text)."""
    parts = sql.split("?")
    if len(parts) != len(params) + 1:
        raise ValueError(f"{len(parts) - 1} placeholders for {len(params)} parameters")
    out = [parts[0]]
    for value, part in zip(params, parts[1:], strict=True):
        out += [literal(value), part]
    return "".join(out)


@contextmanager
def read_connection(path: str) -> Iterator[Any]:
    """A read-only connection whose queries all see one state of the database (the driver
    opens a transaction when autocommit is off; it is rolled back at the end)."""
    import adbc_driver_manager
    import adbc_driver_sqlite

    database = adbc_driver_sqlite.connect(f"{Path(path).resolve().as_uri()}?mode=ro")
    try:
        connection = adbc_driver_manager.AdbcConnection(database)
        try:
            for pragma in PRAGMAS:  # before the transaction: busy_timeout must apply to it
                list(batches(connection, pragma, 1))
            connection.set_autocommit(False)
            try:
                yield connection
            finally:
                connection.rollback()
        finally:
            connection.close()
    finally:
        database.close()


def batches(connection: Any, sql: str, batch_rows: int) -> Iterator[Any]:
    """The record batches of `sql` (typing row included)."""
    import adbc_driver_manager
    import pyarrow as pa

    statement = adbc_driver_manager.AdbcStatement(connection)
    try:
        statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        statement.set_sql_query(sql)
        handle, _ = statement.execute_query()
        yield from pa.RecordBatchReader._import_from_c(handle.address)
    finally:
        statement.close()


def send(out: BinaryIO, tag: bytes, index: int, payload: Any) -> None:
    """One frame; `payload` is bytes or an Arrow buffer (written without a copy)."""
    out.write(HEADER.pack(tag, index, len(memoryview(payload))))
    out.write(payload)


def serve(request: dict[str, Any], out: BinaryIO) -> None:
    """Every query of the request, in order, on one connection: one state of the database."""
    with read_connection(request["path"]) as connection:
        for index, (sql, params) in enumerate(request["queries"]):
            serve_query(out, connection, index, bind(sql, params), int(request["batch_rows"]))


def serve_query(out: BinaryIO, connection: Any, index: int, sql: str, batch_rows: int) -> None:
    import pyarrow as pa

    first = True
    # Small batches keep this process's memory low; the parent joins them to its size.
    for batch in batches(connection, sql, min(batch_rows, SEND_ROWS)):
        if first:
            send(out, b"S", index, batch.schema.serialize())
            batch, first = batch.slice(1), False
        if batch.num_rows:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            send(out, b"B", index, sink.getvalue())
    send(out, b"D", index, b"")
    out.flush()


def main() -> int:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames reaches the parent's pipe
    try:
        serve(json.loads(sys.stdin.buffer.read()), out)
    except Exception as exc:  # the parent turns it into a one-line storage error
        first_line = (str(exc).strip().splitlines() or [""])[0]  # not the query that follows
        send(out, b"E", 0, f"{type(exc).__name__}: {first_line}".encode())
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
