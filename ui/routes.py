"""Which pages each role may open. A page that is not registered for a role has no URL
for that role, and each page checks the role again itself."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import streamlit as st

from annotate.core.models import Role
from ui.pages import agreement, annotate, documents, export, review, settings
from ui.session import ROLE_RANK
from ui.widgets import guarded

# (title, url path, icon, lowest role, render function)
PAGES: tuple[tuple[str, str, str, Role, Callable[[], None]], ...] = (
    ("Annotate", "annotate", ":material/edit_note:", "annotator", annotate.render),
    ("Review", "review", ":material/gavel:", "editor", review.render),
    ("Agreement", "agreement", ":material/insights:", "editor", agreement.render),
    ("Documents", "documents", ":material/description:", "editor", documents.render),
    ("Export", "export", ":material/download:", "editor", export.render),
    ("Settings", "settings", ":material/settings:", "admin", settings.render),
)


def pages_for(role: Role) -> list[st.Page]:
    rank = ROLE_RANK[role]
    return [
        st.Page(guarded(render, title), title=title, url_path=url, icon=icon, default=i == 0)
        for i, (title, url, icon, lowest, render) in enumerate(PAGES)
        if ROLE_RANK[lowest] <= rank
    ]


def refused_page(role: Role, url: str | None) -> str | None:
    """Why the page a link named is not open to `role` (it then opens Annotate), or None."""
    path = urlsplit(url or "/").path.strip("/").split("/")[-1]
    for title, url_path, _, lowest, _ in PAGES:
        if url_path == path and ROLE_RANK[role] < ROLE_RANK[lowest]:
            return f"The {title} page is for {lowest}s: you are on Annotate instead."
    return None
