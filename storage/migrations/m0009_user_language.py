"""0009: each account's interface language (taxonomy and scale names), English by default."""

from sqlite_utils import Database

from storage.schema import migrations, run_script


@migrations(name="0009_user_language")
def _user_language(db: Database) -> None:
    run_script(
        db,
        "ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en' "
        "CHECK (language IN ('en', 'fr'));\n",
    )
