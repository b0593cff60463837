"""0008: what a label was made on and how: the suggestion in its own fields, the scale and
the statement text version, the seconds from display to save and the keys used; and the
project's choice of requiring Enter to confirm a label."""

from sqlite_utils import Database

from storage.schema import migrations, run_script

_COLUMNS = """
    suggested_who TEXT NOT NULL DEFAULT '',
    suggested_cue TEXT NOT NULL DEFAULT '',
    scale_preset TEXT NOT NULL DEFAULT '',
    scale_version TEXT NOT NULL DEFAULT '',
    text_version TEXT NOT NULL DEFAULT '',
    lead_time_seconds REAL,
    keys TEXT NOT NULL DEFAULT '[]'
"""


@migrations(name="0008_label_provenance")
def _label_provenance(db: Database) -> None:
    columns = [c.strip().rstrip(",") for c in _COLUMNS.strip().splitlines()]
    script = "".join(
        f"ALTER TABLE {table} ADD COLUMN {column};\n"
        for table in ("annotations", "annotation_revisions")
        for column in columns
    )
    # Labels saved before this step keep '' (not recorded): history is never rewritten.
    script += "ALTER TABLE project ADD COLUMN require_enter INTEGER NOT NULL DEFAULT 0;\n"
    run_script(db, script)
