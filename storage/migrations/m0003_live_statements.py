"""0003: the `live_statements` view, the one definition of a statement that counts."""

from storage.statement_status import LIVE_STATEMENTS_VIEW

SQL = LIVE_STATEMENTS_VIEW + ";\n"
