"""The SQL of imports and restores: look-ups that match imported statements, and the
writes of a dump restore. The rules (what matches, what is refused) live in
workflows.label_import and workflows.dump.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

from storage import dialect


def documents_by_ref(db: Database, refs: Sequence[str]) -> dict[str, int]:
    """{ref: document id} for refs that name a document by external id or content hash
    (the lowest id when several do)."""
    out: dict[str, int] = {}
    sql = (
        "SELECT id, external_id, content_hash FROM documents "
        "WHERE external_id IN ({marks}) OR content_hash IN ({marks}) ORDER BY id"
    )
    # Chunk by chunk: a row may also carry a ref of another chunk, and only the query of
    # that ref's own chunk sees all of its documents in id order.
    for chunk in dialect.parameter_chunks(list(refs), repeat=2):
        wanted = set(chunk)
        for doc_id, external_id, digest in dialect.rows_in(db, sql, chunk, repeat=2):
            for ref in (external_id, digest):
                if ref in wanted and ref not in out:
                    out[ref] = doc_id
    return out


def documents_by_hash(db: Database, hashes: Sequence[str]) -> dict[str, int]:
    sql = "SELECT content_hash, id FROM documents WHERE content_hash IN ({marks})"
    return dict(dialect.rows_in(db, sql, list(hashes)))


def statements_of_documents(
    db: Database, document_ids: Sequence[int]
) -> dict[int, list[tuple[int, int, int, str]]]:
    """{document id: [(statement id, start, end, text)] in position order}."""
    out: dict[int, list[tuple[int, int, int, str]]] = {d: [] for d in document_ids}
    rows = dialect.rows_in(
        db,
        'SELECT document_id, id, start, "end", text FROM statements '
        "WHERE document_id IN ({marks}) ORDER BY document_id, position",
        list(document_ids),
    )
    for doc_id, sid, start, end, text in rows:
        out[doc_id].append((sid, start, end, text))
    return out


def statement_texts(db: Database, ids: Sequence[int]) -> dict[int, str]:
    return dict(
        dialect.rows_in(db, "SELECT id, text FROM statements WHERE id IN ({marks})", list(ids))
    )


def user_ids(db: Database) -> dict[str, int]:
    """{casefolded name: id} of every account."""
    return {name.casefold(): uid for uid, name in db.execute("SELECT id, name FROM users")}


def existing_labels(db: Database, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bool]:
    """{(statement id, user id): deleted} for the pairs that have a label row."""
    wanted = set(pairs)
    rows = dialect.rows_in(
        db,
        "SELECT statement_id, annotator_id, deleted FROM annotations "
        "WHERE statement_id IN ({marks})",
        sorted({s for s, _ in wanted}),
    )
    return {(sid, uid): bool(deleted) for sid, uid, deleted in rows if (sid, uid) in wanted}


def adjudicated_statements(db: Database, ids: Sequence[int]) -> set[int]:
    sql = "SELECT statement_id FROM adjudications WHERE deleted = 0 AND statement_id IN ({marks})"
    return {r[0] for r in dialect.rows_in(db, sql, list(ids))}


# --- dump restore ------------------------------------------------------------------------


def is_empty(db: Database, tables: Sequence[str]) -> bool:
    return all(db.execute(f"SELECT 1 FROM [{t}] LIMIT 1").fetchone() is None for t in tables)


def column_types(db: Database, tables: Sequence[str]) -> dict[str, dict[str, tuple[str, bool]]]:
    """{table: {column: (declared type, not null)}} as this database defines them."""
    return {
        t: {
            row[1]: (str(row[2]).upper(), bool(row[3]))
            for row in db.execute(f"PRAGMA table_info([{t}])").fetchall()
        }
        for t in tables
    }


def insert_rows(db: Database, table: str, rows: list[dict[str, Any]]) -> int | None:
    """Insert rows of one table (same keys each); on a constraint failure, the index of
    the first row that fails and nothing of this call is kept (inside the caller's
    transaction). Returns None when all went in."""
    if not rows:
        return None
    names = list(rows[0])
    sql = (
        f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    try:
        db.conn.executemany(sql, [tuple(r.get(n) for n in names) for r in rows])
        return None
    except dialect.IntegrityError:
        pass
    for index, row in enumerate(rows):
        try:
            db.execute("SAVEPOINT one_row")
            db.execute(sql, [row.get(n) for n in names])
            db.execute("RELEASE one_row")
        except dialect.IntegrityError:
            db.execute("ROLLBACK TO one_row")
            db.execute("RELEASE one_row")
            return index
    return None


def integrity_error(db: Database, table: str, row: dict[str, Any]) -> str:
    """Why one row cannot be inserted (the database's own words)."""
    names = list(row)
    try:
        db.execute("SAVEPOINT why")
        db.execute(
            f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) "
            f"VALUES ({', '.join('?' * len(names))})",
            [row[n] for n in names],
        )
        return "rejected by the database"
    except dialect.IntegrityError as exc:
        return str(exc)
    finally:
        db.execute("ROLLBACK TO why")
        db.execute("RELEASE why")


def defer_foreign_keys(db: Database) -> None:
    """Check references at the end of the transaction instead of row by row."""
    db.execute(dialect.DEFER_FOREIGN_KEYS)


def broken_references(db: Database) -> list[tuple[str, int, str]]:
    """(table, id, referenced table) of every row whose reference points nowhere."""
    return [
        (str(r[0]), int(r[1]), str(r[2])) for r in db.execute("PRAGMA foreign_key_check").fetchall()
    ]


def statements_off_their_text(db: Database) -> list[int]:
    """Ids of statements whose offsets do not slice their document's text to their text."""
    return [
        r[0]
        for r in db.execute(
            "SELECT s.id FROM statements s JOIN documents d ON d.id = s.document_id "
            'WHERE s.start < 0 OR s."end" > length(d.text) '
            'OR substr(d.text, s.start + 1, s."end" - s.start) != s.text'
        )
    ]


def refresh_derived(db: Database) -> None:
    """Nothing derived is trusted from a dump: statement counters are recomputed."""
    from storage.bulk import refresh_statements

    refresh_statements(db)
