"""Reading labels as Arrow record batches, for exports and the agreement report.

The SQLite ADBC driver reads a query straight into Arrow columns, several times faster
than fetching Python tuples. It carries its own copy of SQLite, so it runs in a reader
process of its own (storage/arrow_child.py says why) and streams Arrow IPC back; small
reads run on the caller's own connection instead, which answers sooner than starting that
process. The driver guesses each column's type from the first batch of rows (a column that
is NULL there becomes int64, and a later string is an error), so every query starts with
one typing row of literal values of the right types, dropped on read; the own-connection
read takes its column types from the same row.

Column names follow the export column spec (annotate.exports.columns): statement and
document columns and the computed long-shape columns have an SQL expression here; every
other name is a column of the label table, read if the database has it, so a label
column added by a migration is exported by adding one line to the spec.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlite_utils import Database

from storage.arrow_child import HEADER
from storage.errors import StorageError
from storage.transactions import data_version, read_snapshot

__all__ = [
    "LabelQuery",
    "available_columns",
    "database_path",
    "label_batches",
    "labels_table",
]

BATCH_ROWS = 16_384

# Arrow's memory comes from the C library's allocator, which numpy and Python use too.
# Arrow's bundled allocator keeps what it frees for Arrow alone: the agreement report's
# statistics (numpy) then took fresh memory from the system while hundreds of megabytes
# of the read lay idle in it, and fresh memory is slow to get on a virtual machine
# (bench/memory_touch.py). With one allocator the statistics reuse what the read let go
# of: a report over 3M labels in a fresh process took 5.0 to 5.5 s against 5.7 to 7.2 s.
pa.set_memory_pool(pa.system_memory_pool())

STATEMENT_SQL: dict[str, str] = {
    "statement_id": "s.id",
    "document_id": "s.document_id",
    "position": "s.position",
    "start": "s.start",
    "end": 's."end"',
    "text": "s.text",
    "title": "d.title",
    "outlet": "d.outlet",
    "url": "d.url",
    "published": "d.published",
    "published_precision": "d.published_precision",
    "language": "d.language",
}
"""Statement and document columns."""

COMPUTED_SQL: dict[str, str] = {
    "annotator": "{t}.annotator_id",
    "labelled_at": "{t}.{stamp}",
    "adjudicated_source_type": "j.source_type",
    "statement_agreement": "g.share",
}
"""Columns that are not a label-table column of the same name. `annotator` is read as the
user id: the caller names (or pseudonymises) it."""

_AGREEMENT_JOIN = """
LEFT JOIN adjudications j ON j.statement_id = s.id AND j.deleted = 0
LEFT JOIN (
    SELECT statement_id, CAST(max(n) AS REAL) / sum(n) AS share FROM (
        SELECT statement_id, source_type, count(*) AS n FROM annotations
        WHERE deleted = 0 AND skipped = 0 AND source_type IS NOT NULL
        GROUP BY statement_id, source_type)
    GROUP BY statement_id) g ON g.statement_id = s.id"""

_TYPING_VALUES: dict[str, str] = {
    "int": "0",
    "bool": "0",
    "float": "0.5",
    "string": "''",
    "list": "''",
    "date": "''",
    "timestamp": "''",
}


def _main_file(db: Database) -> str:
    """The file behind a connection's main database ('' for an in-memory one)."""
    rows = db.execute("PRAGMA database_list").fetchall()
    return next((file for _, name, file in rows if name == "main" and file), "")


def database_path(db: Database) -> Path:
    """The file behind a connection (exports read it through a second, read-only one)."""
    if file := _main_file(db):
        return Path(file)
    raise StorageError("export: the database has no file (an in-memory database)")


def is_file_backed(db: Database) -> bool:
    """Whether a second connection would see what `db` sees: a file, no open transaction."""
    return not db.conn.in_transaction and bool(_main_file(db))


def label_table_columns(db: Database, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info([{table}])").fetchall()}


def available_columns(db: Database, names: Sequence[str], *, all_revisions: bool) -> list[str]:
    """The names this database can fill: spec columns whose label column exists."""
    table = "annotation_revisions" if all_revisions else "annotations"
    have = label_table_columns(db, table)
    return [n for n in names if n in STATEMENT_SQL or n in COMPUTED_SQL or n in have]


class LabelQuery:
    """One SELECT of labels with their statements and documents, filtered."""

    def __init__(
        self,
        columns: Sequence[tuple[str, str]],
        *,
        all_revisions: bool = False,
        document_ids: Sequence[int] = (),
        annotator_ids: Sequence[int] = (),
        labelled_from: dt.date | None = None,
        labelled_to: dt.date | None = None,
    ) -> None:
        """`columns`: (name, type) pairs in output order, types as in the column spec."""
        self.columns = list(columns)
        self.table, self.t = (
            ("annotation_revisions", "r") if all_revisions else ("annotations", "a")
        )
        self.stamp = "created_at" if all_revisions else "updated_at"
        t = self.t
        where = ["d.deleted = 0"]
        params: list[Any] = []
        if not all_revisions:
            where.append(f"{t}.deleted = 0")
        if document_ids:
            where.append(f"s.document_id IN ({', '.join('?' * len(document_ids))})")
            params += list(document_ids)
        if annotator_ids:
            where.append(f"{t}.annotator_id IN ({', '.join('?' * len(annotator_ids))})")
            params += list(annotator_ids)
        if labelled_from:
            where.append(f"substr({t}.{self.stamp}, 1, 10) >= ?")
            params.append(labelled_from.isoformat())
        if labelled_to:
            where.append(f"substr({t}.{self.stamp}, 1, 10) <= ?")
            params.append(labelled_to.isoformat())
        self.where = " AND ".join(where)
        self.params = params

    def expression(self, name: str) -> str:
        if name in STATEMENT_SQL:
            return STATEMENT_SQL[name]
        if name in COMPUTED_SQL:
            return COMPUTED_SQL[name].format(t=self.t, stamp=self.stamp)
        return f"{self.t}.[{name}]"

    def sql(self) -> str:
        selected = ", ".join(f"{self.expression(n)} AS [{n}]" for n, _ in self.columns)
        joins = ""
        if any(n in ("adjudicated_source_type", "statement_agreement") for n, _ in self.columns):
            joins = _AGREEMENT_JOIN
        return (
            f"SELECT {selected} FROM {self.table} {self.t} "
            f"JOIN statements s ON s.id = {self.t}.statement_id "
            f"JOIN documents d ON d.id = s.document_id{joins} "
            f"WHERE {self.where} ORDER BY {self.t}.id"
        )

    def typed_sql(self) -> str:
        """The query behind one typing row (see the module docstring)."""
        typing = ", ".join(
            f"{'0' if n == 'annotator' else _TYPING_VALUES.get(kind, 'NULL')} AS [{n}]"
            for n, kind in self.columns
        )
        return f"SELECT {typing} UNION ALL SELECT * FROM ({self.sql()})"


CHILD_SCRIPT = Path(__file__).with_name("arrow_child.py")
OWN_CONNECTION_ROWS = 100_000
"""Below about this many labels a read runs on the caller's own connection (Python's
sqlite3), which answers sooner than starting the reader process."""


def _child_frames(
    path: Path, queries: Sequence[tuple[str, Sequence[Any]]], batch_rows: int
) -> Iterator[tuple[bytes, int, bytes]]:
    """Run typed queries in the reader process (storage/arrow_child.py, which says why) and
    yield its frames: (tag, query index, payload). The process is ended when the caller
    stops reading."""
    request = {
        "path": str(path),
        "queries": [[sql, list(params)] for sql, params in queries],
        "batch_rows": batch_rows,
    }
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, str(CHILD_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert child.stdin is not None and child.stdout is not None  # both are pipes
        done = 0
        try:
            child.stdin.write(json.dumps(request).encode())
            child.stdin.close()
            while header := child.stdout.read(HEADER.size):
                if len(header) < HEADER.size:
                    break  # the process died mid-frame: reported below
                tag, index, length = HEADER.unpack(header)
                payload = child.stdout.read(length)
                if len(payload) < length:
                    break
                if tag == b"E":
                    raise StorageError(
                        f"{path}: cannot read the database ({payload.decode(errors='replace')})"
                    )
                done += tag == b"D"
                yield tag, index, payload
        finally:
            child.stdout.close()
            if child.poll() is None:
                child.kill()
            child.wait()
        if done != len(queries):
            errors.seek(0)
            last = (errors.read().decode(errors="replace").strip().splitlines() or [""])[-1]
            raise StorageError(
                f"{path}: the reader process stopped (exit {child.returncode}) {last}".strip()
            )


def _batch(payload: bytes) -> pa.RecordBatch:
    return pa.ipc.open_stream(payload).read_next_batch()


def arrow_batches(
    path: Path, sql: str, params: Sequence[Any] = (), *, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """A typed query (first row: types only) read by the reader process, as record batches
    of `batch_rows` rows without the typing row."""
    frames = _child_frames(path, [(sql, params)], batch_rows)
    yield from _rebatch((_batch(p) for tag, _, p in frames if tag == b"B"), batch_rows)


def arrow_tables(path: Path, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[pa.Table]:
    """Typed queries' whole results, one table each, read by one reader process."""
    schemas: dict[int, pa.Schema] = {}
    parts: dict[int, list[pa.RecordBatch]] = defaultdict(list)
    for tag, index, payload in _child_frames(path, queries, 65_536):
        if tag == b"S":
            schemas[index] = pa.ipc.read_schema(pa.py_buffer(payload))
        elif tag == b"B":
            parts[index].append(_batch(payload))
    return [pa.Table.from_batches(parts[i], schema=schemas[i]) for i in range(len(queries))]


def _rebatch(reader: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """The batches `size` rows each (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        while batch.num_rows:
            take = min(size - count, batch.num_rows)
            pending.append(batch.slice(0, take))
            count += take
            batch = batch.slice(take)
            if count == size:
                yield _joined(pending)
                pending, count = [], 0
    if count:
        yield _joined(pending)


def _joined(parts: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(parts) == 1:
        return parts[0]
    return pa.Table.from_batches(parts).combine_chunks().to_batches()[0]


def _large_id_range(db: Database, table: str) -> tuple[int, int] | None:
    """The lowest and highest id of `table` when a read of it goes to the reader process:
    the database is a file this connection sees as a second one would, and the table is
    large (two index look-ups, no scan). None: read on the caller's own connection."""
    if not is_file_backed(db):
        return None
    low, high = db.execute(
        f"SELECT (SELECT min(id) FROM {table}), (SELECT max(id) FROM {table})"
    ).fetchone()
    if low is None or high - low + 1 < OWN_CONNECTION_ROWS:
        return None
    return int(low), int(high)


def label_batches(
    db: Database, query: LabelQuery, *, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """The labels of `query` as record batches, in save order, with DB-level values
    (0/1 integers, JSON text, ISO date and time strings, annotator as user id). One query:
    one state of the database, however long the export takes."""
    if _large_id_range(db, query.table) is not None:
        yield from arrow_batches(
            database_path(db), query.typed_sql(), query.params, batch_rows=batch_rows
        )
    else:
        _, batches = _own_connection_reader(db, query.typed_sql(), query.params, batch_rows)
        yield from batches


# The labels that count for agreement: current, not deleted, not skipped, on a statement
# (not a heading or caption). The labels are read from their own table only, in the
# table's own order (a scan of its pages, twice as fast as following the statement index
# to each row) and in two halves of its row ids by two reader processes at once (the
# SQLite scan is the report's longest step); Arrow then puts them in statement order.
# Statements, names and documents are read apart and attached by Arrow, several times
# faster than SQLite joining them to each of millions of labels.
_LABELS_SQL = """
SELECT 0 AS statement_id, 0 AS annotator_id, '' AS source_type, 0 AS confidence,
       0 AS suggestion_shown
UNION ALL SELECT * FROM (
    SELECT statement_id, annotator_id, source_type, confidence, suggestion_shown
    FROM annotations
    WHERE deleted = 0 AND skipped = 0 AND {range})"""
# Statements and documents are read from indexes that cover the columns read (the
# statements' (document, position) index, the few headings and captions, the live
# documents: storage/migrations/m0011_report_read_indexes.py), not from the tables with
# their texts.
_STATEMENTS_SQL = """
SELECT 0 AS id, 0 AS document_id
UNION ALL SELECT * FROM (
    SELECT id, document_id FROM statements
    WHERE id NOT IN (SELECT id FROM statements WHERE kind != 'statement'))"""
_USERS_SQL = "SELECT 0 AS id, '' AS name UNION ALL SELECT * FROM (SELECT id, name FROM users)"
_DOCUMENTS_SQL = """
SELECT 0 AS id, '' AS outlet, '' AS published
UNION ALL SELECT * FROM (SELECT id, outlet, published FROM documents WHERE deleted = 0)"""
_WHOLE_READ = (
    (_LABELS_SQL.format(range="1"), ()),
    (_STATEMENTS_SQL, ()),
    (_USERS_SQL, ()),
    (_DOCUMENTS_SQL, ()),
)
"""The agreement report's input in one read: labels, statements, users, documents."""


def labels_table(db: Database) -> pa.Table:
    """The current labels (the agreement report's input) as one Arrow table: statement,
    annotator name, source type, confidence, suggestion shown, document, outlet, published
    (labels on deleted documents and on headings left out).

    Each read sees one state of the database: a reader process runs its queries in one
    transaction, and the two processes read in parallel are checked against commits made
    meanwhile (then one process reads everything again, in one transaction)."""
    ids = _large_id_range(db, "annotations")
    if ids is None:
        with read_snapshot(db):
            tables = [_own_connection_table(db, sql) for sql, _ in _WHOLE_READ]
    else:
        tables = _parallel_reads(db, ids) or arrow_tables(database_path(db), _WHOLE_READ)
    statements, users, documents = tables[-3:]
    received = pa.concat_tables(tables[:-3])
    del tables
    labels = _in_statement_order(received)
    del received  # the readers' record batches: the ordered copy replaces them
    statement = _row_of(labels["statement_id"], statements["id"])
    document_id = pc.take(statements["document_id"], statement)
    document = pc.index_in(document_id, value_set=documents["id"])
    live = pc.is_valid(document)
    if not pc.all(live).as_py():
        labels, document_id, document = (
            labels.filter(live),
            document_id.filter(live),
            document.filter(live),
        )
    user = pc.index_in(labels["annotator_id"], value_set=users["id"])
    return pa.table(
        {
            "statement_id": labels["statement_id"],
            "annotator": pc.take(users["name"], user),
            "source_type": labels["source_type"],
            "confidence": labels["confidence"],
            "suggestion_shown": labels["suggestion_shown"],
            "document_id": document_id,
            "outlet": pc.take(documents["outlet"], document),
            "published": pc.take(documents["published"], document),
        }
    )


def _in_statement_order(labels: pa.Table) -> pa.Table:
    """The labels by statement, then annotator. Both ids fit one 64-bit key when neither is
    negative (a loaded dump may hold any integer), statement ids are below 2**39 and user
    ids below 2**24: numpy's stable sort of one integer key is then several times faster
    than Arrow's sort on two columns, which takes every other case.

    The result is one contiguous copy, made once: the take that orders the labels writes
    it straight from the readers' hundreds of record batches (joining them first would
    write every label twice), and labels already in order are joined."""
    statement = labels["statement_id"].to_numpy()
    annotator = labels["annotator_id"].to_numpy()
    if len(statement) and (
        min(statement.min(), annotator.min()) < 0
        or statement.max() >= 1 << 39
        or annotator.max() >= 1 << 24
    ):
        return labels.sort_by([("statement_id", "ascending"), ("annotator_id", "ascending")])
    key = (statement.astype(np.int64) << 24) | annotator
    if np.all(key[1:] > key[:-1]):
        return labels.combine_chunks()
    return labels.take(pa.array(np.argsort(key, kind="stable")))


def _row_of(ids: pa.ChunkedArray, table_ids: pa.ChunkedArray) -> pa.Array:
    """The row of each id in `table_ids` (null where it has none), as `pc.index_in` gives
    it. Row ids of a table are mostly dense: when they are small non-negative integers, a
    lookup array indexed by id answers millions of ids at once, where `index_in` hashes
    each one (the statement of every label: 0.3 s for 3M labels, against 0.03 s)."""
    table = table_ids.to_numpy()
    values = ids.to_numpy()
    if not len(table) or not len(values) or table.min() < 0 or values.min() < 0:
        return pc.index_in(ids, value_set=table_ids)
    largest = max(int(table.max()), int(values.max()))
    if largest >= 4 * (len(table) + len(values)):
        return pc.index_in(ids, value_set=table_ids)
    rows = np.full(largest + 1, -1, dtype=np.int64)
    rows[table] = np.arange(len(table))  # table ids are its primary key: each is one row
    found = rows[values]
    return pa.array(found, mask=found < 0, type=pa.int32())


def _parallel_reads(db: Database, ids: tuple[int, int]) -> list[pa.Table] | None:
    """[labels below the middle of the label ids `ids`, labels from it, statements, users,
    documents] read by two reader processes at once; None if another connection committed
    meanwhile (the two processes may then have seen two states of the database). Any
    middle splits the labels exactly, so `ids` may be older than the reads."""
    before = data_version(db)
    middle = (ids[0] + ids[1]) // 2
    groups: list[list[tuple[str, Sequence[Any]]]] = [
        [(_LABELS_SQL.format(range="id < ?"), (middle,)), (_USERS_SQL, ())],
        [
            (_LABELS_SQL.format(range="id >= ?"), (middle,)),
            (_STATEMENTS_SQL, ()),
            (_DOCUMENTS_SQL, ()),
        ],
    ]
    path = database_path(db)
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        first, second = pool.map(lambda group: arrow_tables(path, group), groups)
    if data_version(db) != before:
        return None
    return [first[0], second[0], second[1], first[1], second[2]]


def _own_connection_reader(
    db: Database, typed_sql: str, params: Sequence[Any], batch_rows: int
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """A typed query (first row: types only) read on `db`'s own connection: its schema
    and its record batches. For small reads, an in-memory database, or inside a
    transaction (where a second connection would not see the same data)."""
    cursor = db.execute(typed_sql, list(params))
    names = [d[0] for d in cursor.description]
    typing = cursor.fetchone()
    schema = pa.schema([(n, pa.array([v]).type) for n, v in zip(names, typing, strict=True)])

    def batches() -> Iterator[pa.RecordBatch]:
        while rows := cursor.fetchmany(batch_rows):
            columns = zip(*rows, strict=True)
            yield pa.record_batch(
                [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
                schema=schema,
            )

    return schema, batches()


def _own_connection_table(db: Database, typed_sql: str) -> pa.Table:
    schema, batches = _own_connection_reader(db, typed_sql, (), 65_536)
    return pa.Table.from_batches(list(batches), schema=schema)
