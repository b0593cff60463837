"""Running one page on its own under AppTest, signed in through a real session row.

`page_app("review", user_id)` runs `ui.pages.review.render` inside the same error boundary
(`ui.widgets.guarded`) the app uses, without app.py's navigation, so a page's test reads
only that page. The database comes from $SOURCEDESK_DB (the `db_file` fixture).
"""

from __future__ import annotations

from apptest_helpers import session_for
from streamlit.testing.v1 import AppTest

from ui.session import TOKEN_KEY

SCRIPT = """
from ui import session
from ui.pages.{page} import render
from ui.widgets import guarded

try:
    guarded(render, "{page}")()
finally:
    session.close_db()
"""


def page_app(page: str, user_id: int, *, timeout: float = 60) -> AppTest:
    """The page, signed in as `user_id`, after its first run."""
    at = AppTest.from_string(SCRIPT.format(page=page), default_timeout=timeout)
    at.session_state[TOKEN_KEY] = session_for(user_id)
    return at.run()
