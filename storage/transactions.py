"""Write transactions that survive contention.

SQLite in WAL mode lets readers and one writer work together; writers queue on the
database lock. Every write here takes the lock up front so that a transaction never fails
half-way on a lock upgrade, and retries with back-off when another process holds it for
longer than the busy timeout.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator

from sqlite_utils import Database

from storage import dialect
from storage.errors import StorageError

WRITE_ATTEMPTS = 8


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock first and retries when it is held.

    Nested use becomes a savepoint, so library functions compose into one transaction.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    for attempt in range(WRITE_ATTEMPTS):
        try:
            db.conn.execute(dialect.BEGIN_WRITE)
            break
        except dialect.OperationalError as exc:
            if not dialect.is_lock_error(exc) or attempt == WRITE_ATTEMPTS - 1:
                raise StorageError(
                    "the database is busy with another writer; please try again"
                ) from None
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    try:
        yield db
        # A reference checked at commit (deferred) can still refuse it: the transaction
        # is then rolled back like any other failure, never left open.
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def read_snapshot(db: Database) -> Iterator[Database]:
    """Several reads that see one state of the database (a read transaction; inside a
    transaction already open, that one)."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    db.conn.execute("PRAGMA query_only = ON")  # a write in here fails instead of mixing in
    try:
        yield db
    finally:
        db.conn.execute("PRAGMA query_only = OFF")
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")


def data_version(db: Database) -> int:
    """A number that changes whenever another connection commits to the database."""
    return int(db.execute("PRAGMA data_version").fetchone()[0])
