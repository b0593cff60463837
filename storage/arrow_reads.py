"""Reading labels as Arrow record batches, for exports and the agreement report.

The SQLite ADBC driver reads a query straight into Arrow columns, several times faster
than fetching Python tuples. It guesses each column's type from the first batch of rows
(a column that is NULL there becomes int64, and a later string is an error), so every
query starts with one typing row of literal values of the right types, dropped on read.

Column names follow the export column spec (annotate.exports.columns): statement and
document columns and the computed long-shape columns have an SQL expression here; every
other name is a column of the label table, read if the database has it, so a label
column added by a migration is exported by adding one line to the spec.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc
import pyarrow as pa
import pyarrow.compute as pc
from sqlite_utils import Database

from storage.dialect import BUSY_TIMEOUT_MS
from storage.errors import StorageError

__all__ = [
    "LabelQuery",
    "available_columns",
    "database_path",
    "label_batches",
    "labels_table",
]

BATCH_ROWS = 16_384

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


def database_path(db: Database) -> Path:
    """The file behind a connection (exports read it through a second, read-only one)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    raise StorageError("export: the database has no file (an in-memory database)")


def is_file_backed(db: Database) -> bool:
    """Whether a second connection would see what `db` sees: a file, no open transaction."""
    if db.conn.in_transaction:
        return False
    return any(
        name == "main" and file for _, name, file in db.execute("PRAGMA database_list").fetchall()
    )


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


@contextmanager
def _read_cursor(path: Path) -> Iterator[Any]:
    """A cursor on a new read-only ADBC connection to `path`, closed afterwards."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    try:
        conn = adbc.connect(uri)
    except adbc.Error as exc:
        raise StorageError(f"{path}: cannot open database for reading ({exc})") from None
    try:
        cursor = conn.cursor()
        try:
            # Read-only connections opened at once may find the WAL index being set up:
            # they wait for it as every other connection does, instead of failing.
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.fetchall()
            yield cursor
        finally:
            cursor.close()
    finally:
        conn.close()


def arrow_batches(
    path: Path, sql: str, params: Sequence[Any] = (), *, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """Run a typed query (first row: types only) on a read-only connection to `path` and
    yield its record batches without the typing row."""
    with _read_cursor(path) as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cursor.execute(sql, list(params) if params else None)
        yield from _rebatch(cursor.fetch_record_batch(), batch_rows)


def arrow_table(path: Path, sql: str, params: Sequence[Any] = ()) -> pa.Table:
    """A typed query's whole result as one table (for reads that are kept whole)."""
    with _read_cursor(path) as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "65536"})
        cursor.execute(sql, list(params) if params else None)
        table: pa.Table = cursor.fetch_arrow_table()
    return table.slice(1)


def _rebatch(reader: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """The batches without the typing row, `size` rows each (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    first = True
    for batch in reader:
        if first:
            batch, first = batch.slice(1), False
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


def label_batches(
    db: Database, query: LabelQuery, *, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """The labels of `query` as record batches, in save order, with DB-level values
    (0/1 integers, JSON text, ISO date and time strings, annotator as user id)."""
    yield from arrow_batches(
        database_path(db), query.typed_sql(), query.params, batch_rows=batch_rows
    )


# The labels that count for agreement: current, not deleted, not skipped, on a statement
# (not a heading or caption), in statement order (the annotations' unique index gives it
# without a sort). The labels are read from their own table only, in statement-id ranges
# on parallel read-only connections (the SQLite scan is the report's longest step and the
# driver releases the interpreter while it reads); statements, names and documents are
# read apart and attached by Arrow, several times faster than SQLite joining them to each
# of millions of labels. Each statement's labels come from one read, so a save made during
# the read shows whole or not at all for that statement.
_LABELS_SQL = """
SELECT 0 AS statement_id, 0 AS annotator_id, '' AS source_type, 0 AS confidence,
       0 AS suggestion_shown
UNION ALL SELECT * FROM (
    SELECT statement_id, annotator_id, source_type, confidence, suggestion_shown
    FROM annotations
    WHERE deleted = 0 AND skipped = 0 AND statement_id >= ? AND statement_id < ?
    ORDER BY statement_id, annotator_id)"""
_STATEMENTS_SQL = """
SELECT 0 AS id, 0 AS document_id
UNION ALL SELECT * FROM (SELECT id, document_id FROM statements WHERE kind = 'statement')"""
_USERS_SQL = "SELECT 0 AS id, '' AS name UNION ALL SELECT * FROM (SELECT id, name FROM users)"
_DOCUMENTS_SQL = """
SELECT 0 AS id, '' AS outlet, '' AS published
UNION ALL SELECT * FROM (SELECT id, outlet, published FROM documents WHERE deleted = 0)"""
READ_THREADS = 2
"""Connections reading the labels at once (this machine class has two cores)."""


def labels_table(db: Database) -> pa.Table:
    """The current labels (the agreement report's input) as one Arrow table: statement,
    annotator name, source type, confidence, suggestion shown, document, outlet, published
    (labels on deleted documents and on headings left out)."""
    low, high = db.execute(
        "SELECT min(statement_id), max(statement_id) FROM annotations"
    ).fetchone()
    low, high = (low or 0), (high or 0) + 1
    parallel = is_file_backed(db)
    parts = READ_THREADS if parallel else 1
    edges = [low + (high - low) * k // parts for k in range(parts)] + [high]
    reads: list[tuple[str, Sequence[Any]]] = [
        (_LABELS_SQL, (edges[k], edges[k + 1])) for k in range(parts)
    ] + [(_STATEMENTS_SQL, ()), (_USERS_SQL, ()), (_DOCUMENTS_SQL, ())]
    if parallel:
        path = database_path(db)
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            tables = list(pool.map(lambda read: arrow_table(path, *read), reads))
    else:
        tables = [_own_connection_table(db, *read) for read in reads]
    *label_parts, statements, users, documents = tables
    labels = pa.concat_tables(label_parts)
    statement = pc.index_in(labels["statement_id"], value_set=statements["id"])
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


def _own_connection_table(db: Database, typed_sql: str, params: Sequence[Any] = ()) -> pa.Table:
    """A typed query (first row: types only) as one Arrow table read on `db`'s own
    connection: for an in-memory database or inside a transaction, where a second
    connection would not see the same data."""
    cursor = db.execute(typed_sql, list(params))
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    types = [pa.array([value]).type for value in (rows[0] if rows else [None] * len(names))]
    return pa.table(
        {n: pa.array(list(c[1:]), type=t) for n, c, t in zip(names, columns, types, strict=True)}
    )
