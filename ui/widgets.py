"""Widgets every page shares: the error boundary, literal text, progress bars."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import streamlit as st

import storage
from annotate.core.errors import USER_ERRORS, one_line
from annotate.core.taxonomy import ScaleLevel, Taxonomy
from ui import session
from ui.markup import highlight_html, plain_html

log = logging.getLogger("sourcedesk.ui")

def error_message(exc: Exception) -> str:
    if isinstance(exc, USER_ERRORS):
        return one_line(exc)
    return (
        "Something went wrong on this page and nothing was changed. The error was logged; "
        "reload the page, and tell an administrator if it happens again."
    )


def guarded(render: Callable[[], None], name: str) -> Callable[[], None]:
    """Run a page so that no traceback reaches the user: errors become one st.error.

    Streamlit's own control flow (st.rerun, st.stop, st.switch_page) derives from
    BaseException and passes through untouched.
    """

    @functools.wraps(render)
    def page() -> None:
        try:
            render()
        except Exception as exc:
            if isinstance(exc, USER_ERRORS):
                log.info("%s page: %s", name, exc)
            else:
                log.exception("%s page failed", name)
            st.error(error_message(exc))

    return page


def show_text(text: str, *, muted: bool = False) -> None:
    """Untrusted text (articles, notes, names), shown literally."""
    style = "color: #6b6b6b;" if muted else ""
    st.markdown(f'<div style="{style}">{plain_html(text)}</div>', unsafe_allow_html=True)


def show_highlighted(text: str, spans: list[tuple[int, int, str]]) -> None:
    body = highlight_html(text, spans)
    st.markdown(
        f'<div style="font-size: 1.25rem; line-height: 1.6;">{body}</div>',
        unsafe_allow_html=True,
    )


def progress(label: str, done: int, total: int) -> None:
    fraction = done / total if total else 1.0
    st.progress(min(1.0, fraction), text=f"{label}: {done} / {total}")


def data_version() -> tuple[int, ...]:
    """A cheap signature of the data, to key cached frames on."""
    return storage.data_version(session.db())


def type_name(taxonomy: Taxonomy, key: str | None) -> str:
    """A source type's display name; retired and unknown keys show as themselves."""
    if key is None:
        return "skipped"
    source_type = taxonomy.get(key)
    return source_type.name() if source_type else key


_FLASH_KEY = "flash_message"


def flash(message: str) -> None:
    """A success message to show after the rerun that follows a save."""
    st.session_state[_FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(_FLASH_KEY, None)
    if message:
        st.success(message)


def level_label(level: ScaleLevel) -> str:
    """A scale level's label, with its code when the code says more than the value
    ("A · Completely reliable", but plain "High" on a 1-5 scale)."""
    if level.code == str(level.value):
        return level.label_en
    return f"{level.code} · {level.label_en}"


@st.cache_data(max_entries=16, show_spinner=False)
def _titles(path: str, version: tuple[int, ...]) -> dict[int, str]:
    return {i: t or f"Document {i}" for i, t in storage.document_titles(session.db())}


def document_titles() -> dict[int, str]:
    """{id: title} of the documents, for pickers; re-read only when the data changes."""
    return _titles(str(session.db_path()), data_version())


def clear_document_titles() -> None:
    _titles.clear()
