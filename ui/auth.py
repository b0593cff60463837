"""The sign-in gate: local accounts, the first administrator, and optional OIDC.

Local accounts are checked with argon2 (`annotate.accounts.passwords`); `storage.sign_in`
throttles repeated failures per account and says how long to wait.

While no account can sign in (a new database, or the sample project whose demo
annotators have no password), the gate offers to create the first administrator instead,
and creates the project too if the database has none yet.

Single sign-on: when `.streamlit/secrets.toml` has an `[auth]` section (Streamlit's OIDC
settings: `redirect_uri`, `cookie_secret`, `client_id`, `client_secret`,
`server_metadata_url`), the gate also shows "Sign in with single sign-on" (`st.login`).
The identity provider only proves who someone is; what they may do still comes from
SourceDesk: the OIDC `email` (then `name`) claim must equal the name of an existing,
active SourceDesk user, whose role applies. Anyone else is refused and signed out of
the provider session. An administrator therefore creates users named after their email
addresses (user names may contain `@` and `.`).
"""

from __future__ import annotations

import streamlit as st

import storage
from annotate.accounts.passwords import MIN_PASSWORD_LENGTH, PasswordError, hash_password
from annotate.core.models import User
from ui import session
from ui.widgets import error_message

DEFAULT_PROJECT_NAME = "SourceDesk project"


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises while parsing
        return False


def _oidc_user() -> User | None:
    """The SourceDesk user matching the provider's identity, if signed in with OIDC."""
    try:
        if not st.user.is_logged_in:
            return None
    except Exception:  # st.user is unavailable outside an OIDC-enabled server
        return None
    for claim in ("email", "name"):
        value = st.user.get(claim)
        if not value:
            continue
        try:
            user = storage.get_user(session.db(), str(value))
        except storage.NotFoundError:
            continue
        if user.active:
            return user
    st.error(
        "Your single sign-on identity does not match an active SourceDesk account. "
        "Ask an administrator to add you."
    )
    if st.button("Sign out of single sign-on"):
        st.logout()
    st.stop()
    return None  # pragma: no cover - st.stop() ends the run


def gate() -> User:
    """Return the signed-in user, or render a sign-in screen and stop the run."""
    user = session.current_user()
    if user is not None:
        return user
    if oidc_configured():
        user = _oidc_user()
        if user is not None:
            session.sign_in_session(user, via_oidc=True)
            return user
    db = session.db()
    if storage.count_sign_in_accounts(db) == 0:
        _first_admin_form(db)
    else:
        _sign_in_form(db)
    st.stop()
    raise AssertionError("unreachable")  # pragma: no cover


def _sign_in_form(db: storage.Database) -> None:
    st.title("Sign in to SourceDesk")
    with st.form("sign_in"):
        name = st.text_input("User name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        result = storage.sign_in(db, name, password)
        if result.ok:
            session.sign_in_session(result.user)  # type: ignore[arg-type]
            st.rerun()
        st.error(result.message)
        if result.wait_seconds and "try again" not in result.message:
            st.warning(f"Too many failed sign-ins: wait {result.wait_seconds:.0f} s.")
    if oidc_configured():
        st.divider()
        if st.button("Sign in with single sign-on"):
            st.login()


def _first_admin_form(db: storage.Database) -> None:
    st.title("Welcome to SourceDesk")
    st.write(
        "No account can sign in yet. Create the first administrator; they can then add "
        "editors and annotators in Settings."
    )
    needs_project = not storage.has_project(db)
    with st.form("first_admin"):
        project_name = (
            st.text_input("Project name", value=DEFAULT_PROJECT_NAME, key="first_project")
            if needs_project
            else ""
        )
        name = st.text_input("Administrator name", key="first_name")
        password = st.text_input(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
            type="password",
            key="first_password",
        )
        again = st.text_input("Password again", type="password", key="first_password_again")
        submitted = st.form_submit_button("Create administrator", type="primary")
    if not submitted:
        return
    if not name.strip():
        st.error("Administrator name: please enter a name.")
        return
    if password != again:
        st.error("The two passwords differ.")
        return
    try:
        password_hash = hash_password(password)
        if needs_project:
            storage.create_project(db, project_name.strip() or DEFAULT_PROJECT_NAME)
        user = storage.create_first_admin(db, name, password_hash)
    except (PasswordError, storage.StorageError, ValueError) as exc:
        st.error(error_message(exc))
        return
    session.sign_in_session(user)
    st.rerun()


def sign_out() -> None:
    via_oidc = session.signed_in_via_oidc()
    session.sign_out_session()
    if via_oidc:
        st.logout()
    st.rerun()
