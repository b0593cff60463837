"""The sign-in gate: local accounts, the first administrator, and optional single sign-on.

The forms are plain HTML forms that post to the app's HTTP routes (ui/auth_routes.py),
which check the password, open a server-side session and set an HttpOnly, SameSite=Strict
cookie; a reload, a second tab or a shared link then stays signed in and opens the page
asked for. The routes redirect back with `auth_error` in the query on failure; the gate
shows a fixed message for it (nothing from the URL is echoed except the first-admin
validation line, shown as literal text).

The first administrator can be created only in a database with no account at all (or
with `sourcedesk users add`); a database whose accounts have no password (after `load`,
or single sign-on only) shows the sign-in form, never the first-admin form.

Single sign-on: when `.streamlit/secrets.toml` has an `[auth]` section (Streamlit's OIDC
settings), the gate also offers "Sign in with single sign-on" (`st.login`). The provider
proves an identity; `workflows.auth.sso_user` decides which account it may use (the
provider's subject bound to an account, or a verified e-mail an administrator set on the
account; never a display name). See SECURITY.md.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode, urlsplit

import streamlit as st

from annotate.accounts.passwords import MIN_PASSWORD_LENGTH
from annotate.core.models import User
from ui import session
from ui.markup import literal
from workflows import auth

_STYLE = """
<style>
.sd-auth form { display: flex; flex-direction: column; gap: .6rem; max-width: 24rem; }
.sd-auth label { display: flex; flex-direction: column; gap: .2rem; font-size: .9rem; }
.sd-auth input { padding: .45rem .6rem; border: 1px solid #bbb; border-radius: .4rem;
  font-size: 1rem; }
.sd-auth button { padding: .5rem .9rem; border: 0; border-radius: .4rem; background: #ff4b4b;
  color: white; font-size: 1rem; cursor: pointer; align-self: flex-start; }
.sd-signout button { padding: .35rem .7rem; border: 1px solid #bbb; border-radius: .4rem;
  background: transparent; cursor: pointer; }
</style>
"""


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises while parsing
        return False


def _next_path() -> str:
    """The page the browser asked for, without our own auth_* query parameters."""
    url = st.context.url or "/"
    parts = urlsplit(url)
    params = [(k, v) for k, v in st.query_params.items() if not k.startswith("auth_")]
    query = urlencode(params)
    return (parts.path or "/") + (f"?{query}" if query else "")


def _field(label: str, name: str, kind: str = "text", extra: str = "") -> str:
    # Field names carry a prefix: the HTML sanitiser drops `name` attributes that could
    # shadow DOM properties (name="name", name="password").
    return (
        f'<label>{html.escape(label)}<input name="sd_{name}" type="{kind}" {extra} '
        f'id="sd-{name}"></label>'
    )


def _form(action: str, fields: list[str], submit: str) -> str:
    hidden = f'<input type="hidden" name="sd_next" value="{html.escape(_next_path(), quote=True)}">'
    body = "".join(fields)
    return (
        f'{_STYLE}<div class="sd-auth"><form method="post" action="{action}">'
        f'{hidden}{body}<button type="submit" id="sd-submit">{html.escape(submit)}</button>'
        "</form></div>"
    )


def _show_route_error() -> None:
    error = st.query_params.get("auth_error")
    if error == "signin":
        wait = st.query_params.get("auth_wait", "")
        if wait.isdigit():
            st.error(f"Too many attempts: wait {int(wait)} s, then try again.")
        else:
            st.error("Unknown user name or wrong password.")
    elif error == "first_admin":
        st.error(literal(st.query_params.get("auth_detail", "The administrator was not created.")))
    elif error == "unavailable":
        st.error("Signing in is unavailable right now; try again in a moment.")


def _sso_user() -> User | None:
    """The account of a single sign-on identity, if the provider has signed someone in."""
    try:
        if not st.user.is_logged_in:
            return None
        claims = st.user.to_dict()
    except Exception:  # st.user is unavailable outside an OIDC-enabled server
        return None
    db = session.db()
    try:
        user = auth.sso_user(db, claims)
    except auth.SsoRefused as exc:
        st.error(str(exc))
        if st.button("Sign out of single sign-on"):
            st.logout()
        st.stop()
        raise AssertionError("unreachable") from None  # pragma: no cover
    session.keep_sso_session(auth.open_session(db, user, via="sso"))
    return user


def gate() -> User:
    """Return the signed-in user, or render a sign-in screen and stop the run."""
    user = session.current_user()
    if user is not None:
        return user
    if oidc_configured():
        user = _sso_user()
        if user is not None:
            return user
    db = session.db()
    if auth.first_admin_allowed(db):
        _first_admin_form()
    else:
        _sign_in_form()
    st.stop()
    raise AssertionError("unreachable")  # pragma: no cover


def _sign_in_form() -> None:
    st.title("Sign in to SourceDesk")
    _show_route_error()
    st.html(
        _form(
            "/auth/sign-in",
            [
                _field("User name", "name", extra='autocomplete="username" required'),
                _field(
                    "Password", "password", "password", 'autocomplete="current-password" required'
                ),
            ],
            "Sign in",
        )
    )
    if oidc_configured():
        st.divider()
        if st.button("Sign in with single sign-on"):
            st.login()


def _first_admin_form() -> None:
    st.title("Welcome to SourceDesk")
    st.write(
        "This project has no account yet. Create the first administrator; they can then add "
        "editors and annotators in Settings."
    )
    _show_route_error()
    needs_project = not session.db_has_project()
    fields = []
    if needs_project:
        fields.append(_field("Project name", "project", extra='value="SourceDesk project"'))
    fields += [
        _field("Administrator name", "name", extra='autocomplete="username" required'),
        _field(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
            "password",
            "password",
            'autocomplete="new-password" required',
        ),
        _field("Password again", "again", "password", 'autocomplete="new-password" required'),
    ]
    st.html(_form("/auth/first-admin", fields, "Create administrator"))


def sign_out_control() -> None:
    """The sidebar's sign-out: a form that posts to the route (which clears the cookie);
    a single sign-on session ends here and at the provider."""
    if session.signed_in_via_oidc():
        if st.button("Sign out", icon=":material/logout:"):
            auth.end_session(session.db(), session.session_token())
            session.sign_out_session()
            st.logout()
        return
    st.html(
        f'{_STYLE}<div class="sd-signout"><form method="post" action="/auth/sign-out">'
        '<button type="submit" id="sd-sign-out">Sign out</button></form></div>'
    )
