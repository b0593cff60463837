"""The Export page: editors get the form and a download; annotators are stopped."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_export_data import populate

import storage

SCRIPT = """
from ui.pages.export import render
render()
"""


def page(db_path, monkeypatch, user_id: int) -> AppTest:
    monkeypatch.setenv(storage.DB_ENV_VAR, str(db_path))
    app = AppTest.from_string(SCRIPT, default_timeout=60)
    app.session_state["auth_user_id"] = user_id
    return app.run()


def test_editor_prepares_a_download(project_db, users, db_path, monkeypatch) -> None:
    populate(project_db, users)
    app = page(db_path, monkeypatch, users["eve"])
    assert not app.exception
    app.selectbox[0].set_value("parquet").run()
    app.button[0].click().run()
    assert not app.exception
    assert not app.error


def test_annotator_is_stopped(project_db, users, db_path, monkeypatch) -> None:
    app = page(db_path, monkeypatch, users["alice"])
    assert app.error[0].value == "This page is for editors only."
    assert not app.button
