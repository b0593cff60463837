"""0006: label revisions remember whether they came from an import, and from which file."""

# Revisions saved before this step were made in the app (imports wrote none marked).
SQL = (
    "ALTER TABLE annotation_revisions ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE annotation_revisions ADD COLUMN import_source TEXT NOT NULL DEFAULT '';\n"
)
