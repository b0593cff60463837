"""0003: the `live_statements` view, the one definition of a statement that counts."""

from sqlite_utils import Database

from storage.schema import migrations, run_script
from storage.statement_status import LIVE_STATEMENTS_VIEW


@migrations(name="0003_live_statements")
def _live_statements(db: Database) -> None:
    run_script(db, LIVE_STATEMENTS_VIEW + ";\n")
