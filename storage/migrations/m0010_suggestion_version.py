"""0010: which suggester made the suggestion a label was made with: the version of the
project's adapted model, or the rules alone; a stored label says what machine output its
annotator saw."""

# Labels saved before this step keep '' (not recorded): history is never rewritten.
SQL = "".join(
    f"ALTER TABLE {table} ADD COLUMN suggestion_version TEXT NOT NULL DEFAULT '';\n"
    for table in ("annotations", "annotation_revisions")
)
