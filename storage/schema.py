"""The schema, as named forward migrations recorded in the database.

Migration steps are never edited once released: a change to the schema is a new step.
`PRAGMA user_version` mirrors the number of applied steps so that outside tools can read
the schema version without knowing the migrations table.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.transactions import write

migrations = Migrations("sourcedesk")

_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: history is never changed'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: history is never deleted'); END;
"""

_LABEL_COLUMNS = """
    source_type TEXT,
    also_cites TEXT NOT NULL DEFAULT '[]',
    confidence INTEGER,
    note TEXT NOT NULL DEFAULT '',
    taxonomy_version TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
"""

_ANNOTATION_COLUMNS = (
    _LABEL_COLUMNS
    + """
    extra_ratings TEXT NOT NULL DEFAULT '{}',
    who TEXT NOT NULL DEFAULT '',
    cue TEXT NOT NULL DEFAULT '',
    skipped INTEGER NOT NULL DEFAULT 0,
    unsure INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    suggestion_shown INTEGER NOT NULL DEFAULT 0,
    suggested_type TEXT,
"""
)


def _history_table(record: str, person: str, columns: str) -> str:
    """The history of a revisioned record (an annotation, an adjudication): a copy of the
    record's columns at each save or delete, found by statement. Both records keep their
    history the same way (storage.revisions), so one text declares both tables. It is part
    of the released first step: the SQL it returns must never change."""
    return f"""CREATE TABLE {record}_revisions (
            id INTEGER PRIMARY KEY,
            {record}_id INTEGER NOT NULL REFERENCES {record}s(id),
            statement_id INTEGER NOT NULL REFERENCES statements(id),
            {person} INTEGER NOT NULL REFERENCES users(id),
            revision INTEGER NOT NULL,
            {columns}
            created_at TEXT NOT NULL,
            UNIQUE ({record}_id, revision)
        );
        CREATE INDEX {record}_revisions_statement ON {record}_revisions(statement_id);"""


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    run_script(
        db,
        f"""
        CREATE TABLE project (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            taxonomy_json TEXT NOT NULL,
            taxonomy_version TEXT NOT NULL,
            scale_preset TEXT NOT NULL,
            annotators_per_statement INTEGER NOT NULL CHECK (annotators_per_statement >= 1),
            suggestions_enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE taxonomy_versions (
            version TEXT PRIMARY KEY,
            taxonomy_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('annotator', 'editor', 'admin')),
            password_hash TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            last_failed_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            outlet TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            published TEXT,
            published_precision TEXT,
            language TEXT NOT NULL,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL UNIQUE,
            source_name TEXT NOT NULL DEFAULT '',
            external_id TEXT NOT NULL DEFAULT '',
            imported_at TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE statements (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id),
            position INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'statement',
            label_count INTEGER NOT NULL DEFAULT 0,
            is_open INTEGER NOT NULL DEFAULT 0,
            disagreement REAL NOT NULL DEFAULT 0,
            flag_count INTEGER NOT NULL DEFAULT 0,
            UNIQUE (document_id, position),
            CHECK ("end" > start)
        );
        -- The annotator's queue: open statements in document order.
        CREATE INDEX statements_open ON statements(document_id, position) WHERE is_open = 1;
        -- The editors' queue: labelled statements, most disagreement first.
        CREATE INDEX statements_review ON statements(disagreement DESC, id)
            WHERE label_count >= 2;
        CREATE INDEX statements_flagged ON statements(id) WHERE flag_count > 0;
        CREATE TABLE assignments (
            document_id INTEGER NOT NULL REFERENCES documents(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            assigned_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            PRIMARY KEY (document_id, user_id)
        );
        CREATE INDEX assignments_user ON assignments(user_id, document_id);
        CREATE TABLE annotations (
            id INTEGER PRIMARY KEY,
            statement_id INTEGER NOT NULL REFERENCES statements(id),
            annotator_id INTEGER NOT NULL REFERENCES users(id),
            revision INTEGER NOT NULL,
            {_ANNOTATION_COLUMNS}
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (statement_id, annotator_id)
        );
        CREATE INDEX annotations_annotator ON annotations(annotator_id, updated_at);
        {_history_table("annotation", "annotator_id", _ANNOTATION_COLUMNS)}
        CREATE TABLE adjudications (
            id INTEGER PRIMARY KEY,
            statement_id INTEGER NOT NULL UNIQUE REFERENCES statements(id),
            editor_id INTEGER NOT NULL REFERENCES users(id),
            revision INTEGER NOT NULL,
            {_LABEL_COLUMNS}
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        {_history_table("adjudication", "editor_id", _LABEL_COLUMNS)}
        """
        + _APPEND_ONLY.format(table="annotation_revisions")
        + _APPEND_ONLY.format(table="adjudication_revisions"),
    )


@migrations(name="0002_queue_positions")
def _queue_positions(db: Database) -> None:
    # Each annotator's frontier in document order: the queue scan starts there. Without a
    # row the scan starts at the beginning, so existing projects need no backfill.
    #
    # `queue_state.generation` grows whenever anyone's queue can grow: a statement opens
    # (an import, a raised k, a label withdrawn), a label is deleted, an assignment changes.
    # An annotator whose queue was found empty at generation g is not rescanned until it
    # moves, so "nothing left to label" costs one lookup instead of a scan of every open
    # statement. Withdrawn labels and assignments bump it by trigger (rare, row by row);
    # statements that open are counted by the functions that recompute `is_open`
    # (`storage.project.bump_queue_generation`), once per operation, so a bulk import does
    # not pay a trigger per statement.
    bump = "UPDATE queue_state SET generation = generation + 1 WHERE id = 1;"
    run_script(
        db,
        f"""
        CREATE TABLE queue_positions (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            document_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            exhausted_generation INTEGER
        );
        CREATE TABLE queue_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL
        );
        INSERT INTO queue_state (id, generation) VALUES (1, 0);
        CREATE TRIGGER annotations_withdrawn AFTER UPDATE OF deleted ON annotations
        WHEN NEW.deleted = 1 AND OLD.deleted = 0 BEGIN {bump} END;
        CREATE TRIGGER assignments_added AFTER INSERT ON assignments BEGIN {bump} END;
        CREATE TRIGGER assignments_removed AFTER DELETE ON assignments BEGIN {bump} END;
        """,
    )


def run_script(db: Database, script: str) -> None:
    """Run statements one by one: executescript() would commit the migration's transaction."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            db.execute(pending)
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending[:80]!r}")


def migrate(db: Database) -> int:
    """Apply pending steps; returns the schema version (number of steps applied)."""
    if migrations.pending(db):
        with write(db):
            # Re-check under the write lock: another process may have migrated meanwhile.
            if migrations.pending(db):
                migrations.apply(db)
                db.execute(f"PRAGMA user_version = {len(migrations.applied(db))}")
    return schema_version(db)


def schema_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def latest_version() -> int:
    return len(migrations._migrations)


def _register_later_steps() -> None:
    """Steps after 0002 live one per module in storage/migrations/ (`mNNNN_name.py`, each
    with its `SQL`), applied in name order as step `NNNN_name`."""
    import importlib
    import pkgutil

    import storage.migrations as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        sql = importlib.import_module(f"{package.__name__}.{info.name}").SQL

        def step(db: Database, sql: str = sql) -> None:
            run_script(db, sql)

        migrations(name=info.name.removeprefix("m"))(step)


_register_later_steps()
