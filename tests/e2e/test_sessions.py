"""Sessions as a team uses them, in real Chromium: a reload, a second tab and a shared link
stay signed in on the page asked for; signing out in one tab signs the other out at its
next action; the cookie is HttpOnly and SameSite=Strict; idle sessions expire; a password
reset ends every session of that user.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from apptest_helpers import PASSWORD
from playwright.sync_api import expect

import storage
from annotate.accounts.passwords import hash_password

pytestmark = pytest.mark.e2e

WAIT_MS = 20_000


def _project(db_file: Path) -> None:
    db = storage.connect(db_file)
    storage.create_project(db, "Sessions")
    for name, role in (("eve", "editor"), ("alice", "annotator")):
        storage.add_user(db, name, role, hash_password(PASSWORD))
    db.close()


def _heading(page: Any, title: str) -> None:
    page.locator("h1", has_text=title).first.wait_for(timeout=WAIT_MS)


def _signed_in_as(page: Any, name: str) -> None:
    page.get_by_text(f"Signed in as {name}").wait_for(timeout=WAIT_MS)


def _sign_in(page: Any, name: str) -> None:
    _heading(page, "Sign in to SourceDesk")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _signed_in_as(page, name)


def _next_action(page: Any, title: str) -> None:
    """Something a user does without reloading: follow a sidebar link."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()


def test_reload_new_tab_deep_link_and_sign_out_everywhere(
    app_server: Callable[..., str], browser: Any, tmp_path: Path
) -> None:
    db_file = tmp_path / "sessions.db"
    _project(db_file)
    url = app_server(db_file)
    context = browser.new_context()
    page = context.new_page()

    # A shared link opens the sign-in form, then the page it named.
    page.goto(f"{url}/agreement")
    _sign_in(page, "eve")
    assert page.url.rstrip("/").endswith("/agreement")
    _heading(page, "Agreement")

    cookie = next(c for c in context.cookies() if c["name"] == "sourcedesk_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert len(cookie["value"]) >= 43  # 32 random bytes, URL-safe base64
    assert "sourcedesk_session" not in page.evaluate("document.cookie")

    page.reload()
    _heading(page, "Agreement")
    _signed_in_as(page, "eve")

    second = context.new_page()
    second.goto(f"{url}/documents")
    _heading(second, "Documents")
    _signed_in_as(second, "eve")

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    _heading(page, "Sign in to SourceDesk")
    _next_action(second, "Export")
    _heading(second, "Sign in to SourceDesk")
    expect(second.get_by_text("Signed in as eve")).to_have_count(0)
    context.close()


def test_an_idle_session_expires(
    app_server: Callable[..., str], browser: Any, tmp_path: Path
) -> None:
    db_file = tmp_path / "idle.db"
    _project(db_file)
    # Three seconds of idleness end a session on this server.
    url = app_server(db_file, {"SOURCEDESK_SESSION_IDLE_HOURS": str(3 / 3600)})
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    _sign_in(page, "alice")
    page.wait_for_timeout(4_000)
    page.reload()
    _heading(page, "Sign in to SourceDesk")
    context.close()


def test_a_password_reset_ends_open_sessions(
    app_server: Callable[..., str], browser: Any, tmp_path: Path
) -> None:
    db_file = tmp_path / "reset.db"
    _project(db_file)
    url = app_server(db_file)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/review")
    _sign_in(page, "eve")
    _heading(page, "Review")

    db = storage.connect(db_file)
    storage.set_password_hash(db, "eve", hash_password("another long password"))
    db.close()

    _next_action(page, "Agreement")
    _heading(page, "Sign in to SourceDesk")
    context.close()
