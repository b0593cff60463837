"""Helpers for AppTest tests: a project database on a real file and a simulated session.

`open_page` selects a page the way a browser URL does (st.navigation hashes a page's
url_path), so the role tests exercise the same lookup as typing /review in the address bar.
"""

from __future__ import annotations

from pathlib import Path

from builders import lines_document
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import storage
from annotate.accounts.passwords import hash_password
from annotate.documents import ParsedDocument
from ui.session import TOKEN_KEY
from workflows import auth

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PASSWORD = "correct horse battery"
USERS = {"alice": "annotator", "bob": "annotator", "eve": "editor", "root": "admin"}
ARTICLE = [
    "Le ministre a démenti ces informations.",
    "Selon des sources proches du dossier, l'accord est prêt.",
    "Le texte sera signé lundi.",
]


def parsed(
    lines: list[str], name: str = "article.txt", title: str = "Un article"
) -> ParsedDocument:
    """A document whose statements are its lines (offsets exact)."""
    return lines_document(lines, name=name, title=title, outlet="Le Quotidien")


def make_project(path: Path, *, documents: list[list[str]] | None = None, k: int = 2,
                 suggestions: bool = True) -> dict[str, int]:  # fmt: skip
    """A project with one account per role (all with PASSWORD) and some documents."""
    db = storage.connect(path)
    storage.create_project(db, "Test", annotators_per_statement=k, suggestions_enabled=suggestions)
    password_hash = hash_password(PASSWORD)
    ids = {name: storage.add_user(db, name, role, password_hash).id for name, role in USERS.items()}
    for i, lines in enumerate(documents if documents is not None else [ARTICLE]):
        outcome = storage.add_document(db, parsed(lines, f"doc{i}.txt", f"Article {i}"))
        assert outcome.status == "added", outcome.message
    db.close()
    return ids  # type: ignore[return-value]


def session_for(user_id: int) -> str:
    """A live session of `user_id` in the database of $SOURCEDESK_DB; returns its token."""
    db = storage.connect(storage.default_db_path())
    try:
        return auth.open_session(db, storage.get_user_by_id(db, user_id))
    finally:
        db.close()


def app_for(user_id: int | None = None, *, timeout: float = 30) -> AppTest:
    """The app, signed in as `user_id` (the database comes from $SOURCEDESK_DB).

    AppTest sends no cookies, so the session token goes where a single sign-on session
    keeps it; the gate validates it against the database on every run either way.
    """
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if user_id is not None:
        at.session_state[TOKEN_KEY] = session_for(user_id)
    return at


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Select a page by its URL path, as a browser address would, and run."""
    at._page_hash = calc_hash(url_path)
    return at.run()


def texts(at: AppTest) -> str:
    """Everything the page wrote as markdown, text, captions and alerts, in one string."""
    parts = [m.value for m in at.markdown] + [t.value for t in at.text]
    parts += [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [s.value for s in at.success] + [t.value for t in at.title]
    return "\n".join(str(p) for p in parts)


def button(at: AppTest, label: str):
    """The button whose label is `label` (fails with the labels present if none)."""
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return found[0]


def by_label(widgets, label: str):
    """The widget of a list (at.selectbox, at.checkbox, ...) whose label is `label`."""
    found = [w for w in widgets if w.label == label]
    assert found, f"no widget {label!r}; labels: {[w.label for w in widgets]}"
    return found[0]
