"""The database connection of the current rerun and the signed-in user.

Streamlit runs each rerun on a script thread, and a sqlite3 connection must not be
shared between threads, so the connection lives in thread-local storage: opened on first
use in a rerun, closed when the rerun ends. The web app never creates a database: a
missing file is an error.

The signed-in user comes from a server-side session (workflows/auth.py) named by the
HttpOnly cookie the sign-in route set, or, for single sign-on, by a token kept in this
Streamlit session's state. The session row is read again on every rerun, so a sign-out in
another tab, a role change or a deactivation takes effect at the next action.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

import storage
from annotate.core.models import Role, User
from workflows import auth

TOKEN_KEY = "auth_session_token"
_OIDC_KEY = "auth_via_oidc"
_local = threading.local()

ROLE_RANK: dict[Role, int] = {"annotator": 0, "editor": 1, "admin": 2}


def db_path() -> Path:
    return storage.default_db_path()


def db() -> storage.Database:
    """This rerun's connection (opened on first use)."""
    database = getattr(_local, "db", None)
    if database is None:
        database = storage.connect(db_path(), create=False)
        _local.db = database
    return database


def db_has_project() -> bool:
    return storage.has_project(db())


def close_db() -> None:
    database = getattr(_local, "db", None)
    _local.db = None
    if database is not None:
        database.close()


def session_token() -> str | None:
    """The token of this browser's session: the cookie, else the SSO token kept here."""
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    if isinstance(token, str) and token:
        return token
    kept = st.session_state.get(TOKEN_KEY)
    return kept if isinstance(kept, str) else None


def current_user() -> User | None:
    """The signed-in, still active user, or None."""
    user = auth.session_user(db(), session_token())
    if user is None and st.session_state.get(TOKEN_KEY):
        sign_out_session()
    return user


def keep_sso_session(token: str) -> None:
    st.session_state[TOKEN_KEY] = token
    st.session_state[_OIDC_KEY] = True


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
    if user is None or not has_role(user, role):
        st.error(f"This page is for {role}s only.")
        st.stop()
        raise AssertionError("unreachable")  # st.stop() ends the run
    return user
