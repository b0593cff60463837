"""Widgets every page shares: the error boundary, literal text, progress bars, the
interface language, and neutralised CSV downloads."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import pandas as pd
import streamlit as st

import storage
from annotate.core.errors import USER_ERRORS, one_line
from annotate.core.models import User
from annotate.core.taxonomy import RatingScale, ScaleLevel, Taxonomy
from annotate.exports import sanitize
from storage.preferences import LANGUAGES, get_language, set_language
from ui import session
from ui.markup import highlight_html, plain, plain_html

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


def show_text(text: str, *, muted: bool = False, strong: bool = False) -> None:
    """Untrusted text (articles, notes, names), shown literally."""
    style = ("color: #6b6b6b;" if muted else "") + ("font-weight: 600;" if strong else "")
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
    """A source type's display name in the user's language; retired and unknown keys show
    as themselves."""
    if key is None:
        return "skipped"
    source_type = taxonomy.get(key)
    return plain(source_type.name(language())) if source_type else plain(key)


def scale_name(scale: RatingScale) -> str:
    """A rating scale's name in the user's language."""
    return plain(scale.name_fr if language() == "fr" and scale.name_fr else scale.name_en)


_FLASH_KEY = "flash_message"


def flash(message: str, where: str = "") -> None:
    """A success message to show after the rerun that follows a save; `where` names the
    form it belongs to, so `show_flash(where)` shows it next to that form."""
    st.session_state[_FLASH_KEY] = (where, message)


def show_flash(where: str = "") -> None:
    """Show the pending message if it belongs here (the page's top when `where` is "")."""
    pending = st.session_state.get(_FLASH_KEY)
    if not pending:
        return
    place, message = pending if isinstance(pending, tuple) else ("", str(pending))
    if place == where:
        del st.session_state[_FLASH_KEY]
        st.success(message)


def level_label(level: ScaleLevel) -> str:
    """A scale level's label, with its code when the code says more than the value
    ("A · Completely reliable", but plain "High" on a 1-5 scale)."""
    label = plain(level.label(language()))
    if level.code == str(level.value):
        return label
    return f"{plain(level.code)} · {label}"


@st.cache_data(max_entries=16, show_spinner=False)
def _titles(path: str, version: tuple[int, ...]) -> dict[int, str]:
    return {i: plain(t) or f"Document {i}" for i, t in storage.document_titles(session.db())}


def document_titles() -> dict[int, str]:
    """{id: title} of the documents, for pickers; re-read only when the data changes."""
    return _titles(str(session.db_path()), data_version())


def clear_document_titles() -> None:
    _titles.clear()


_LANGUAGE_KEY = "ui_language"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def language() -> str:
    """The signed-in user's interface language ("en" or "fr"), read once per rerun."""
    chosen = st.session_state.get(_LANGUAGE_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    user = session.current_user()
    chosen = get_language(session.db(), user.id) if user and user.id is not None else "en"
    st.session_state[_LANGUAGE_KEY] = chosen
    return chosen


def language_picker(user: User) -> None:
    """The sidebar's language choice, saved on the account (every tab and device follows)."""
    if user.id is None:
        return
    saved = get_language(session.db(), user.id)
    st.session_state[_LANGUAGE_KEY] = saved
    picked = st.segmented_control(
        "Language of labels",
        list(LANGUAGES),
        default=saved,
        format_func=LANGUAGE_NAMES.__getitem__,
        key=f"language_picker_{saved}",
        help="Names of source types and rating levels; article text is never translated.",
    )
    if picked and picked != saved:
        set_language(session.db(), user.id, picked)
        st.session_state[_LANGUAGE_KEY] = picked
        st.rerun()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as UTF-8 CSV whose text cells cannot run as spreadsheet formulas."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(sanitize.spreadsheet_text)
    safe.columns = [sanitize.spreadsheet_text(str(c)) for c in safe.columns]
    return safe.to_csv(index=False).encode("utf-8")


def csv_download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    """A download button for `frame` as neutralised CSV (`name`.csv)."""
    st.download_button(
        label,
        csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )


def section_control(sections: tuple[str, ...], key: str) -> str:
    """A kept choice of section, not tabs: a save, a rerun or an error never moves the user
    away from the section they were working in."""
    if st.session_state.get(key) not in sections:
        st.session_state[key] = sections[0]
    chosen = st.segmented_control(
        "Section", sections, key=key, required=True, label_visibility="collapsed"
    )
    return str(chosen or sections[0])


def sectioned_page(title: str, sections: dict[str, Callable[[], None]], key: str) -> None:
    """A page made of sections (Documents, Settings): its title, the message the last save
    left at its top, the kept choice of section and the chosen section's content."""
    st.title(title)
    show_flash()
    sections[section_control(tuple(sections), key)]()
