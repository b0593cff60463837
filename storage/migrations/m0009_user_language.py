"""0009: each account's interface language (taxonomy and scale names), English by default."""

SQL = (
    "ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en' "
    "CHECK (language IN ('en', 'fr'));\n"
)
