"""The Export page: one Prepare gives the whole bundle; buttons stay until options change;
no temporary file is left behind; annotators are stopped."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from apptest_helpers import by_label, session_for
from streamlit.testing.v1 import AppTest
from test_export_data import populate

import storage
from ui.pages.export import BUNDLE_KEY
from ui.session import TOKEN_KEY

SCRIPT = """
from ui.pages.export import render
render()
"""


def page(db_path: Path, monkeypatch: pytest.MonkeyPatch, user_id: int) -> AppTest:
    monkeypatch.setenv(storage.DB_ENV_VAR, str(db_path))
    app = AppTest.from_string(SCRIPT, default_timeout=60)
    app.session_state[TOKEN_KEY] = session_for(user_id)
    return app.run()


def download_labels(app: AppTest) -> list[str]:
    return [d.proto.label for d in app.get("download_button")]


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the page's temporary directories go, to check none is left behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_one_prepare_gives_the_whole_bundle(
    project_db, users, db_path, monkeypatch, temp_root: Path
) -> None:  # type: ignore[no-untyped-def]
    populate(project_db, users)
    app = page(db_path, monkeypatch, users["eve"])
    by_label(app.selectbox, "Format").set_value("csv").run()
    assert by_label(app.selectbox, "License (the dataset card's)").value == "unknown"
    by_label(app.selectbox, "License (the dataset card's)").set_value("cc-by-4.0").run()
    app.button(key="exp_prepare").click().run()
    assert not app.exception and not app.error
    labels = download_labels(app)
    assert labels[0].startswith("Download everything (") and labels[0].endswith(".zip)")
    names = [label.removeprefix("Download ") for label in labels[1:]]
    assert names[0].endswith(".csv")
    # The card is README.md: the unzipped folder is a Hugging Face dataset as it is.
    assert "README.md" in names[1:]
    assert any(n.endswith(".card.json") for n in names[1:])
    # The zip holds exactly those files, with the same bytes.
    bundle = app.session_state[BUNDLE_KEY]
    with zipfile.ZipFile(io.BytesIO(bundle.zip_bytes)) as archive:
        assert archive.namelist() == names
        card = json.loads(archive.read(next(n for n in names if n.endswith(".card.json"))))
        assert archive.read(names[0]) == bundle.files[names[0]]
    assert card["rows"] > 0
    assert 'license: "cc-by-4.0"' in bundle.files["README.md"].decode()
    # The preview: the card's Markdown, then its YAML header as YAML.
    (header,) = [c for c in app.code if c.language == "yaml"]
    assert header.value.startswith("language:") and 'license: "cc-by-4.0"' in header.value
    assert by_label(app.selectbox, "Aggregated label (wide shape)").disabled  # long shape
    # Nothing was left in the temporary directory.
    assert list(temp_root.iterdir()) == []
    # Another rerun (a download, any other widget) keeps every button.
    app.run()
    assert download_labels(app) == labels
    by_label(app.checkbox, "Only labels saved between two dates").check().run()
    assert download_labels(app) == []  # the options changed: prepare again
    assert BUNDLE_KEY not in app.session_state


def test_label_studio_bundle_has_its_config(
    project_db, users, db_path, monkeypatch, temp_root: Path
) -> None:  # type: ignore[no-untyped-def]
    populate(project_db, users)
    app = page(db_path, monkeypatch, users["eve"])
    by_label(app.selectbox, "Format").set_value("labelstudio").run()
    app.button(key="exp_prepare").click().run()
    assert not app.exception and not app.error
    names = [label.removeprefix("Download ") for label in download_labels(app)[1:]]
    assert names[0].endswith(".json") and any(n.endswith(".xml") for n in names)
    assert list(temp_root.iterdir()) == []


def test_annotator_is_stopped(project_db, users, db_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = page(db_path, monkeypatch, users["alice"])
    assert app.error[0].value == "This page is for editors only."
    assert not app.button
