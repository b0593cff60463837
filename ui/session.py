"""The database connection of the current rerun and the signed-in user.

Streamlit runs each rerun on a script thread, and a sqlite3 connection must not be
shared between threads, so the connection lives in thread-local storage: opened on first
use in a rerun, closed when the rerun ends. The signed-in user is kept in session state
as an id only and read back from the database on every rerun, so a role change or a
deactivation takes effect at once.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

import storage
from annotate.core.models import Role, User

_USER_KEY = "auth_user_id"
_OIDC_KEY = "auth_via_oidc"
_local = threading.local()

ROLE_RANK: dict[Role, int] = {"annotator": 0, "editor": 1, "admin": 2}


def db_path() -> Path:
    return storage.default_db_path()


def db() -> storage.Database:
    """This rerun's connection (opened on first use)."""
    database = getattr(_local, "db", None)
    if database is None:
        database = storage.connect(db_path())
        _local.db = database
    return database


def close_db() -> None:
    database = getattr(_local, "db", None)
    _local.db = None
    if database is not None:
        database.close()


def current_user() -> User | None:
    """The signed-in, still active user, or None."""
    user_id = st.session_state.get(_USER_KEY)
    if user_id is None:
        return None
    try:
        user = storage.get_user_by_id(db(), user_id)
    except storage.NotFoundError:
        user = None
    if user is None or not user.active:
        sign_out_session()
        return None
    return user


def sign_in_session(user: User, *, via_oidc: bool = False) -> None:
    st.session_state[_USER_KEY] = user.id
    st.session_state[_OIDC_KEY] = via_oidc


def sign_out_session() -> None:
    """Forget the user and everything this session kept on their behalf."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def signed_in_via_oidc() -> bool:
    return bool(st.session_state.get(_OIDC_KEY))


def has_role(user: User | None, role: Role) -> bool:
    return user is not None and ROLE_RANK[user.role] >= ROLE_RANK[role]


def require_role(role: Role) -> User:
    """Stop the page unless the signed-in user holds `role` (or a higher one).

    Pages are registered per role, so this only matters if a page is reached some other
    way; it is the check that does not depend on navigation.
    """
    user = current_user()
    if not has_role(user, role):
        st.error(f"This page is for {role}s only.")
        st.stop()
    return user  # type: ignore[return-value]
