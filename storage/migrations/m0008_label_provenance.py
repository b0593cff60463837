"""0008: what a label was made on and how: the suggestion in its own fields, the scale and
the statement text version, the seconds from display to save and the keys used; and the
project's choice of requiring Enter to confirm a label."""

_COLUMNS = """
    suggested_who TEXT NOT NULL DEFAULT '',
    suggested_cue TEXT NOT NULL DEFAULT '',
    scale_preset TEXT NOT NULL DEFAULT '',
    scale_version TEXT NOT NULL DEFAULT '',
    text_version TEXT NOT NULL DEFAULT '',
    lead_time_seconds REAL,
    keys TEXT NOT NULL DEFAULT '[]'
"""

# Labels saved before this step keep '' (not recorded): history is never rewritten.
SQL = (
    "".join(
        f"ALTER TABLE {table} ADD COLUMN {column.strip().rstrip(',')};\n"
        for table in ("annotations", "annotation_revisions")
        for column in _COLUMNS.strip().splitlines()
    )
    + "ALTER TABLE project ADD COLUMN require_enter INTEGER NOT NULL DEFAULT 0;\n"
)
