"""Sign-in, the first administrator, throttling, and which pages each role reaches."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import PASSWORD, app_for, button, make_project, open_page, texts
from streamlit.testing.v1 import AppTest

import storage
from annotate.accounts.passwords import verify_password


def nav_titles(at: AppTest) -> list[str]:
    """Titles of the pages st.navigation registered in the last run."""
    return [info.get("page_name") for info in at._registered_pages.values()]


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="sign_in_name").set_value(name)
    at.text_input(key="sign_in_password").set_value(password)
    return button(at, "Sign in").click().run()


def test_empty_database_creates_the_project_and_first_admin(db_file: Path) -> None:
    at = app_for().run()
    assert at.title[0].value == "Welcome to SourceDesk"
    at.text_input(key="first_project").set_value("Desk")
    at.text_input(key="first_name").set_value("root")
    at.text_input(key="first_password").set_value(PASSWORD)
    at.text_input(key="first_password_again").set_value(PASSWORD)
    button(at, "Create administrator").click().run()
    assert not at.exception
    assert "Signed in as root (admin)" in texts(at)
    db = storage.connect(db_file)
    assert storage.get_project(db).name == "Desk"
    admin = storage.get_user(db, "root")
    assert admin.role == "admin" and verify_password(admin.password_hash, PASSWORD)


def test_first_admin_passwords_must_match_and_be_long_enough(db_file: Path) -> None:
    at = app_for().run()
    at.text_input(key="first_name").set_value("root")
    at.text_input(key="first_password").set_value(PASSWORD)
    at.text_input(key="first_password_again").set_value(PASSWORD + "x")
    button(at, "Create administrator").click().run()
    assert [e.value for e in at.error] == ["The two passwords differ."]
    at.text_input(key="first_password").set_value("short")
    at.text_input(key="first_password_again").set_value("short")
    button(at, "Create administrator").click().run()
    assert "at least 8 characters" in at.error[0].value
    assert storage.count_users(storage.connect(db_file)) == 0


def test_demo_users_without_passwords_still_get_the_first_admin_screen(db_file: Path) -> None:
    db = storage.connect(db_file)
    storage.create_project(db, "Sample")
    storage.add_user(db, "demo_annotator")
    at = app_for().run()
    assert at.title[0].value == "Welcome to SourceDesk"
    assert not [t for t in at.text_input if t.key == "first_project"]  # project exists


def test_sign_in_with_a_local_account_then_sign_out(db_file: Path) -> None:
    make_project(db_file)
    at = app_for().run()
    assert at.title[0].value == "Sign in to SourceDesk"
    sign_in(at, "alice", PASSWORD)
    assert "Signed in as alice (annotator)" in texts(at)
    assert at.title[0].value == "Annotate"
    button(at, "Sign out").click().run()
    assert at.title[0].value == "Sign in to SourceDesk"
    assert "auth_user_id" not in at.session_state


def test_repeated_failed_sign_ins_are_throttled(db_file: Path) -> None:
    make_project(db_file)
    at = app_for().run()
    for _ in range(3):
        sign_in(at, "alice", "wrong password")
        assert at.error[0].value == "unknown user name or wrong password"
    assert "wait 2 s" in at.warning[0].value  # the third failure imposes a wait
    sign_in(at, "alice", PASSWORD)  # even the right password must wait
    assert at.error[0].value.startswith("too many failed sign-ins: try again in")
    assert "Signed in as" not in texts(at)


def test_a_deactivated_account_cannot_sign_in(db_file: Path) -> None:
    make_project(db_file)
    storage.set_active(storage.connect(db_file), "bob", False)
    at = sign_in(app_for().run(), "bob", PASSWORD)
    assert at.error[0].value == "this account is deactivated"


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


def test_editor_pages_check_the_role_themselves(db_file: Path) -> None:
    ids = make_project(db_file)

    def script() -> None:
        from ui.pages import review

        review.render()

    at = AppTest.from_function(script, default_timeout=30)
    at.session_state["auth_user_id"] = ids["alice"]
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
