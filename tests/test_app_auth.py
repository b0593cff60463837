"""Sign-in, sessions, the first administrator, single sign-on, and which pages each role
reaches.

The HTTP routes are exercised through Starlette's test client (real requests, real
cookies, a real database file); the gate and the pages in AppTest with a session token.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from apptest_helpers import PASSWORD, app_for, make_project, open_page, session_for, texts
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

import storage
from annotate.accounts.passwords import hash_password, verify_password
from ui.auth_routes import ROUTES, safe_next
from ui.session import TOKEN_KEY
from workflows import auth

HOST = "http://sourcedesk.test"


def client() -> TestClient:
    return TestClient(Starlette(routes=ROUTES), base_url=HOST, follow_redirects=False)


def post(c: TestClient, path: str, data: dict[str, str], origin: str = HOST):  # type: ignore[no-untyped-def]
    return c.post(path, data=data, headers={"Origin": origin})


def nav_titles(at: AppTest) -> list[str]:
    """Titles of the pages st.navigation registered in the last run."""
    return [info.get("page_name") for info in at._registered_pages.values()]


# --- the routes ---------------------------------------------------------------------------


def test_sign_in_sets_an_httponly_strict_cookie_and_returns_to_the_page_asked_for(
    db_file: Path,
) -> None:
    make_project(db_file)
    c = client()
    response = post(
        c, "/auth/sign-in", {"sd_name": "eve", "sd_password": PASSWORD, "sd_next": "/agreement"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/agreement"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    token = response.cookies[auth.SESSION_COOKIE]
    assert len(token) >= 43  # 256 random bits
    db = storage.connect(db_file)
    assert auth.session_user(db, token).name == "eve"  # type: ignore[union-attr]
    # The database keeps only a hash of the token.
    stored = db.execute("SELECT token_hash FROM sessions").fetchone()[0]
    assert token not in stored and len(stored) == 64


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(db_file: Path) -> None:
    make_project(db_file)
    c = client()
    wrong = post(c, "/auth/sign-in", {"sd_name": "eve", "sd_password": "nope", "sd_next": "/"})
    unknown = post(c, "/auth/sign-in", {"sd_name": "mallory", "sd_password": "x", "sd_next": "/"})
    assert wrong.status_code == unknown.status_code == 303
    assert wrong.headers["location"] == unknown.headers["location"] == "/?auth_error=signin"
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


def test_cross_site_posts_are_refused(db_file: Path) -> None:
    make_project(db_file)
    c = client()
    form = {"sd_name": "eve", "sd_password": PASSWORD}
    assert post(c, "/auth/sign-in", form, origin="https://evil.example").status_code == 403
    assert c.post("/auth/sign-in", data=form).status_code == 403  # no Origin nor Referer
    assert post(c, "/auth/sign-out", {}, origin="https://evil.example").status_code == 403


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/agreement", "/agreement"),
        ("/review?doc=3", "/review?doc=3"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
    ],
)
def test_only_same_site_paths_are_followed_after_sign_in(asked: str, goes_to: str) -> None:
    assert safe_next(asked) == goes_to


def test_sign_out_ends_the_session_and_clears_the_cookie(db_file: Path) -> None:
    make_project(db_file)
    c = client()
    signed = post(c, "/auth/sign-in", {"sd_name": "eve", "sd_password": PASSWORD})
    token = signed.cookies[auth.SESSION_COOKIE]
    c.cookies.set(auth.SESSION_COOKIE, token)
    out = post(c, "/auth/sign-out", {})
    assert out.status_code == 303
    assert f'{auth.SESSION_COOKIE}=""' in out.headers["set-cookie"]
    assert "Max-Age=0" in out.headers["set-cookie"]
    assert auth.session_user(storage.connect(db_file), token) is None


def test_first_admin_only_on_a_database_without_accounts(db_file: Path) -> None:
    storage.connect(db_file).close()
    c = client()
    form = {"sd_name": "root", "sd_password": PASSWORD, "sd_again": PASSWORD, "sd_project": "Desk"}
    created = post(c, "/auth/first-admin", {**form, "sd_next": "/settings"})
    assert created.status_code == 303 and created.headers["location"] == "/settings"
    db = storage.connect(db_file)
    assert storage.get_project(db).name == "Desk"
    admin = storage.get_user(db, "root")
    assert admin.role == "admin" and verify_password(admin.password_hash, PASSWORD)
    again = post(c, "/auth/first-admin", {**form, "sd_name": "mallory"})
    assert "auth_error=first_admin" in again.headers["location"]
    assert "set-cookie" not in again.headers
    with pytest.raises(storage.NotFoundError):
        storage.get_user(db, "mallory")


def test_accounts_without_passwords_do_not_open_the_first_admin_form(db_file: Path) -> None:
    """After `load` or in a single-sign-on project no account has a local password; that
    must not let a stranger make themselves administrator."""
    db = storage.connect(db_file)
    storage.create_project(db, "Restored")
    storage.add_user(db, "admin_from_dump", "admin")
    db.close()
    form = {"sd_name": "x", "sd_password": PASSWORD, "sd_again": PASSWORD}
    refused = post(client(), "/auth/first-admin", form)
    assert "auth_error=first_admin" in refused.headers["location"]
    at = app_for().run()
    assert at.title[0].value == "Sign in to SourceDesk"
    assert storage.count_users(storage.connect(db_file)) == 1


def test_first_admin_passwords_must_match_and_be_long_enough(db_file: Path) -> None:
    storage.connect(db_file).close()
    c = client()
    differ = post(
        c, "/auth/first-admin", {"sd_name": "r", "sd_password": PASSWORD, "sd_again": "x" * 12}
    )
    assert "the+two+passwords+differ" in differ.headers["location"]
    short = post(
        c, "/auth/first-admin", {"sd_name": "r", "sd_password": "short", "sd_again": "short"}
    )
    assert "at+least+8+characters" in short.headers["location"]
    assert storage.count_users(storage.connect(db_file)) == 0


# --- sessions -----------------------------------------------------------------------------


def test_sessions_expire_when_idle_and_at_their_absolute_limit(db_file: Path) -> None:
    make_project(db_file)
    db = storage.connect(db_file)
    eve = storage.get_user(db, "eve")
    policy = auth.SessionPolicy(idle=dt.timedelta(hours=1), absolute=dt.timedelta(days=2))
    token = auth.open_session(db, eve, policy=policy)
    assert auth.session_user(db, token, policy=policy) is not None
    hours_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    db.execute("UPDATE sessions SET last_seen_at = ?", [hours_ago])
    db.conn.commit()
    assert auth.session_user(db, token, policy=policy) is None  # idle for 2 h > 1 h
    token = auth.open_session(db, eve, policy=policy)
    db.execute("UPDATE sessions SET expires_at = ? WHERE ended_at IS NULL", [hours_ago])
    db.conn.commit()
    assert auth.session_user(db, token, policy=policy) is None  # past its absolute expiry


@pytest.mark.parametrize("change", ["password", "role", "deactivate"])
def test_a_password_reset_role_change_or_deactivation_ends_every_session(
    db_file: Path, change: str
) -> None:
    make_project(db_file)
    db = storage.connect(db_file)
    eve = storage.get_user(db, "eve")
    tokens = [auth.open_session(db, eve) for _ in range(3)]
    alice_token = auth.open_session(db, storage.get_user(db, "alice"))
    if change == "password":
        storage.set_password_hash(db, "eve", hash_password("a new long password"))
    elif change == "role":
        storage.set_role(db, "eve", "annotator")
    else:
        storage.set_active(db, "eve", False)
    assert all(auth.session_user(db, t) is None for t in tokens)
    assert auth.session_user(db, alice_token) is not None  # other users keep theirs


def test_the_gate_signs_out_a_tab_whose_session_ended_elsewhere(db_file: Path) -> None:
    ids = make_project(db_file)
    at = app_for(ids["eve"]).run()
    assert "Signed in as eve (editor)" in texts(at)
    db = storage.connect(db_file)
    auth.end_session(db, at.session_state[TOKEN_KEY])
    at.run()
    assert at.title[0].value == "Sign in to SourceDesk"
    assert TOKEN_KEY not in at.session_state


def test_a_route_error_shows_a_fixed_message(db_file: Path) -> None:
    make_project(db_file)
    at = app_for()
    at.query_params["auth_error"] = "signin"
    at.run()
    assert [e.value for e in at.error] == ["Unknown user name or wrong password."]
    at.query_params["auth_wait"] = "8"
    at.run()
    assert [e.value for e in at.error] == ["Too many attempts: wait 8 s, then try again."]


def test_the_web_app_never_creates_a_database(db_file: Path) -> None:
    at = app_for().run()
    assert not db_file.exists()
    assert at.error[0].value.startswith("SourceDesk cannot open its database:")
    assert "no such database" in at.error[0].value


# --- single sign-on -----------------------------------------------------------------------


def _sso_project(db_file: Path) -> storage.Database:
    make_project(db_file)
    db = storage.connect(db_file)
    storage.sessions.set_user_email(db, storage.get_user(db, "root").id, "root@desk.example")
    storage.sessions.set_user_email(db, storage.get_user(db, "eve").id, "eve@desk.example")
    return db


def test_sso_binds_a_verified_email_once_then_follows_the_subject(db_file: Path) -> None:
    db = _sso_project(db_file)
    claims = {"iss": "https://idp", "sub": "s-1", "email": "ROOT@desk.example",
              "email_verified": True}  # fmt: skip
    assert auth.sso_user(db, claims).name == "root"
    # Bound: the subject alone now identifies the account, whatever the e-mail says.
    assert auth.sso_user(db, {"iss": "https://idp", "sub": "s-1"}).name == "root"
    # Another subject with the same verified e-mail cannot take the bound account.
    with pytest.raises(auth.SsoRefused):
        auth.sso_user(db, {**claims, "sub": "s-2"})


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://idp", "sub": "s-9", "name": "root"},  # a display name never counts
        {"iss": "https://idp", "sub": "s-9", "email": "root@desk.example"},  # unverified
        {"iss": "https://idp", "sub": "s-9", "email": "root@desk.example",
         "email_verified": "true"},  # a string is not a verified flag
        {"iss": "https://idp", "sub": "s-9", "email": "root", "email_verified": True},
        {"sub": "s-9", "email": "root@desk.example", "email_verified": True},  # no issuer
    ],
)  # fmt: skip
def test_sso_refuses_names_unverified_emails_and_incomplete_identities(
    db_file: Path, claims: dict[str, object]
) -> None:
    db = _sso_project(db_file)
    with pytest.raises(auth.SsoRefused):
        auth.sso_user(db, claims)


def test_sso_refuses_a_deactivated_account(db_file: Path) -> None:
    db = _sso_project(db_file)
    claims = {"iss": "https://idp", "sub": "s-1", "email": "eve@desk.example",
              "email_verified": True}  # fmt: skip
    assert auth.sso_user(db, claims).name == "eve"
    storage.set_active(db, "eve", False)
    with pytest.raises(auth.SsoRefused):
        auth.sso_user(db, claims)


# --- pages by role ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "pages"),
    [
        ("alice", ["Annotate"]),
        ("eve", ["Annotate", "Review", "Agreement", "Documents", "Export"]),
        ("root", ["Annotate", "Review", "Agreement", "Documents", "Export", "Settings"]),
    ],
)
def test_each_role_gets_its_pages(db_file: Path, user: str, pages: list[str]) -> None:
    ids = make_project(db_file)
    at = app_for(ids[user]).run()
    assert nav_titles(at) == pages


@pytest.mark.parametrize("url", ["review", "settings", "documents", "export", "agreement"])
def test_an_annotator_cannot_open_editor_pages_by_url(db_file: Path, url: str) -> None:
    ids = make_project(db_file)
    at = app_for(ids["alice"]).run()
    open_page(at, url)
    assert at.title[0].value == "Annotate"  # the unknown URL falls back to the default page
    assert not at.exception


@pytest.mark.parametrize(
    ("role", "url", "told"),
    [
        ("annotator", "http://desk/review", "The Review page is for editors: you are on Annotate"),
        ("editor", "http://desk/settings", "The Settings page is for admins: you are on Annotate"),
        ("admin", "http://desk/settings", None),
        ("editor", "http://desk/", None),
    ],
)
def test_a_link_to_a_page_of_a_higher_role_says_why_it_opened_annotate(
    role: str, url: str, told: str | None
) -> None:
    from ui.routes import refused_page

    message = refused_page(role, url)  # type: ignore[arg-type]
    assert (message or None) == (f"{told} instead." if told else None)


def test_editor_pages_check_the_role_themselves(db_file: Path) -> None:
    ids = make_project(db_file)

    def script() -> None:
        from ui.pages import review

        review.render()

    at = AppTest.from_function(script, default_timeout=30)
    at.session_state[TOKEN_KEY] = session_for(ids["alice"])
    at.run()
    assert [e.value for e in at.error] == ["This page is for editors only."]
    assert not at.dataframe


def test_an_editor_cannot_open_settings_by_url(db_file: Path) -> None:
    ids = make_project(db_file)
    at = open_page(app_for(ids["eve"]).run(), "settings")
    assert at.title[0].value == "Annotate"
    at = open_page(app_for(ids["root"]).run(), "settings")
    assert at.title[0].value == "Settings"


def test_a_failing_page_shows_one_message_and_no_traceback(db_file: Path) -> None:
    storage.connect(db_file).close()

    def script() -> None:
        from storage import NotFoundError
        from ui.widgets import guarded

        def broken() -> None:
            raise KeyError("internal detail")

        def missing() -> None:
            raise NotFoundError("no document with id 7")

        guarded(broken, "Broken")()
        guarded(missing, "Missing")()

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert at.error[0].value.startswith("Something went wrong on this page and nothing was")
    assert "internal detail" not in at.error[0].value
    assert at.error[1].value == "no document with id 7"
