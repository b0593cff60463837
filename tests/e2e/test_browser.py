"""The whole workflow in a real browser: first administrator, import, accounts, blind
keyboard labelling by two annotators, adjudication by an editor, and untrusted text shown
literally. AppTest covers each page's logic; only a browser proves that the shortcuts,
the upload widget and the HTML escaping work where users meet them.

Set SOURCEDESK_SCREENSHOTS=1 to write the README screenshots to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from apptest_helpers import PASSWORD
from builders import sample_project
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

import storage

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "sample_data" / "000_7ff1cdb65df24172.txt"
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
WAIT_MS = 20_000
ALICE_NOTE = "alice-private-note-4d1c"
HOSTILE = (
    "Un article piégé\n\n"
    "Le ministre a déclaré que <script>window.__pwned=1</script> était un "
    "[lien](https://example.com/x) dans le texte. Selon un expert, rien ne change.\n"
)
# (key pressed, source type, key pressed, confidence): alice's three labels.
ALICE_KEYS = [("1", "declassified_intel", "q", 1), ("2", "anonymous_official", "w", 2),
              ("3", "official_denial", "e", 3)]  # fmt: skip
TYPE_NAMES = {
    "declassified_intel": "Declassified intelligence",
    "anonymous_official": "Anonymous official(s)",
    "official_denial": "Official denial",
    "named_official": "Named official on record",
}


# --- small helpers over Playwright's page -------------------------------------------------


def settled(page: Any) -> None:
    """Wait until the script run has finished (call after waiting for what it shows)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=WAIT_MS
    )


def heading(page: Any, title: str) -> None:
    page.locator("h1", has_text=title).first.wait_for(timeout=WAIT_MS)


def open_page(page: Any, title: str) -> None:
    """Follow a sidebar link (a new URL would start a new, signed-out session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    heading(page, title)


def sign_in(page: Any, name: str) -> None:
    heading(page, "Sign in to SourceDesk")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {name}").wait_for(timeout=WAIT_MS)


def sign_out(page: Any) -> None:
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    heading(page, "Sign in to SourceDesk")


def section(page: Any, name: str) -> None:
    """Open a section of a page's section control (Settings, Documents)."""
    settled(page)
    page.get_by_label("Section").get_by_role("radio", name=name, exact=True).click()
    settled(page)


def choose(page: Any, label: str, option: str | re.Pattern[str]) -> None:
    """Pick `option` in the visible selectbox labelled `label`."""
    settled(page)
    box = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_text(label, exact=True)
    ).locator("visible=true").first  # fmt: skip
    combobox = box.get_by_role("combobox")
    combobox.click()
    wanted = page.get_by_role("option", name=option).first
    try:
        wanted.wait_for(timeout=3_000)
    except PlaywrightTimeout:  # focused but closed: the arrow key opens the list
        combobox.press("ArrowDown")
    wanted.click()
    settled(page)


def wait_for_statement(page: Any, text: str, *, changed: bool = False) -> None:
    """Wait until the statement shown is `text` (or, with changed=True, is no longer it)."""
    page.wait_for_function(
        """([text, changed]) => {
            const blocks = document.querySelectorAll('div[style*="font-size: 1.25rem"]');
            const last = blocks[blocks.length - 1];
            if (!last) return false;
            const shown = last.innerText.split(/\\s+/).join(" ").trim();
            return changed ? shown !== text : shown === text;
        }""",
        arg=[" ".join(text.split()), changed],
        timeout=WAIT_MS,
    )
    settled(page)


def wait_for_widget_statement(page: Any, text: str) -> None:
    """Wait until the labelling widget shows `text` (the Annotate page's statement)."""
    expect(page.locator('[data-testid="sd-statement"]')).to_have_text(
        " ".join(text.split()), timeout=WAIT_MS
    )


def wait_for_saved(db_file: Path, name: str, count: int) -> None:
    """Labels are saved while the annotator types on: wait until `count` have arrived."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        db = storage.connect(db_file)
        try:
            user = storage.get_user(db, name)
            if len(storage.my_recent(db, user.id, limit=count)) >= count:  # type: ignore[arg-type]
                return
        finally:
            db.close()
        time.sleep(0.2)
    raise AssertionError(f"{name}: fewer than {count} labels saved")


def screenshot_dir(tmp_path: Path) -> Path:
    if os.environ.get("SOURCEDESK_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        return SCREENSHOT_DIR
    return tmp_path


# --- the workflow ---------------------------------------------------------------------------


def test_first_admin_import_blind_labelling_and_adjudication(
    app_server: Callable[[Path], str], browser: Any, tmp_path: Path
) -> None:
    db_file = tmp_path / "e2e.db"
    storage.connect(db_file).close()  # the web app opens a database, it never creates one
    url = app_server(db_file)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(WAIT_MS)
    page.goto(url)

    # The first screen of an empty database creates the administrator (and the project).
    heading(page, "Welcome to SourceDesk")
    page.get_by_label("Administrator name").fill("root")
    page.get_by_label(re.compile(r"^Password \(at least")).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator").click()
    page.get_by_text("Signed in as root (admin)").wait_for()

    # Import the seed article through the upload widget: preview, then commit.
    open_page(page, "Documents")
    page.locator('input[type="file"]').set_input_files(str(SEED))
    page.get_by_role("heading", name="Preview").wait_for()
    page.get_by_role("button", name="Import 1 document(s)").click()
    page.get_by_text("Import finished: 1 added, 0 duplicate(s) skipped, 0 error(s).").wait_for()
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    uploader = page.locator('input[type="file"]')
    expect(uploader).to_have_count(1)  # the previous upload widget is gone once the rerun ends
    uploader.set_input_files(str(hostile))
    page.get_by_role("button", name="Import 1 document(s)").click()
    page.get_by_text("Import finished: 1 added").wait_for()

    # Untrusted article text is shown literally: no script runs, no link is made.
    section(page, "Segmentation")
    choose(page, "Document", re.compile(r"Un article piégé"))
    choose(page, "Segment", re.compile(r"^1 · Le ministre"))
    shown = page.get_by_test_id("stMarkdownContainer").filter(has_text="<script>")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text("que <script>window.__pwned=1</script> était un")
    expect(shown).to_contain_text("[lien](https://example.com/x) dans le texte.")
    assert page.evaluate("window.__pwned") is None
    assert page.locator('a[href="https://example.com/x"]').count() == 0

    db = storage.connect(db_file)
    try:
        documents = storage.list_documents(db)
        assert [p.document.source_name for p in documents] == [SEED.name, "hostile.txt"]
        seed_id = documents[0].document.id
        statements = storage.statements_of(db, seed_id, only_statements=True)
        assert statements[0].text.startswith("Les négociations russes")
    finally:
        db.close()

    # Accounts, created in Settings.
    open_page(page, "Settings")
    section(page, "Users")  # kept after each save: no need to choose it again
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("eve", "editor")):
        page.get_by_label("Name (or email, for single sign-on)").fill(name)
        if role != "annotator":
            choose(page, "Role", role)
        page.get_by_label("Password", exact=True).first.fill(PASSWORD)
        page.get_by_label("Password again").fill(PASSWORD)
        page.get_by_role("button", name="Add user").click()
        page.get_by_text(f"User {name} added.").wait_for()
    sign_out(page)

    # Alice labels three statements with the keyboard only (one note typed first).
    sign_in(page, "alice")
    heading(page, "Annotate")
    wait_for_widget_statement(page, statements[0].text)
    page.keyboard.press("/")  # who, cue and note
    page.get_by_label("Note").fill(ALICE_NOTE)
    page.keyboard.press("Escape")  # out of the field: keys label again
    for statement, (type_key, _, level_key, _) in zip(statements[:3], ALICE_KEYS, strict=True):
        wait_for_widget_statement(page, statement.text)
        page.keyboard.press(type_key)  # source type, then confidence: saved, next
        page.keyboard.press(level_key)
    wait_for_widget_statement(page, statements[3].text)
    wait_for_saved(db_file, "alice", 3)

    db = storage.connect(db_file)
    try:
        alice = storage.get_user(db, "alice")
        saved = [storage.current_annotation(db, s.id, alice.id) for s in statements[:3]]  # type: ignore[arg-type]
        assert [(a.source_type, a.confidence, a.revision) for a in saved if a] == [
            (t, c, 1) for _, t, _, c in ALICE_KEYS
        ]
        assert saved[0] is not None and saved[0].note == ALICE_NOTE
    finally:
        db.close()
    sign_out(page)

    # Bob labels blind: his queue starts at the first statement and shows nothing of alice's.
    sign_in(page, "bob")
    heading(page, "Annotate")
    wait_for_widget_statement(page, statements[0].text)
    widget = page.locator('[data-role="card"]').inner_text() + page.content()
    assert ALICE_NOTE not in widget
    assert "alice" not in widget.lower()
    expect(page.locator('[data-role="progress"]')).to_have_text(re.compile(r"^My labels: 0 · "))
    assert page.locator("button.sd-on").count() == 0  # nothing of alice's is selected
    page.keyboard.press("4")
    page.keyboard.press("t")
    wait_for_widget_statement(page, statements[1].text)
    wait_for_saved(db_file, "bob", 1)
    sign_out(page)

    # Eve adjudicates the statement alice and bob disagree on.
    sign_in(page, "eve")
    open_page(page, "Review")
    page.get_by_role("heading", name="Labels").wait_for()
    wait_for_statement(page, statements[0].text)
    page.get_by_text("alice · Very low · revision 1").wait_for()
    page.get_by_text("bob · Very high · revision 1").wait_for()
    choose(page, "Final source type", TYPE_NAMES["anonymous_official"])
    page.get_by_label("Editor's note").fill("Un fonctionnaire anonyme relaie le renseignement.")
    page.get_by_role("button", name="Save final label").click()
    page.get_by_text("Final label saved (revision 1).").wait_for()

    db = storage.connect(db_file)
    try:
        final = storage.current_adjudication(db, statements[0].id)  # type: ignore[arg-type]
        bob = storage.get_user(db, "bob")
        bob_label = storage.current_annotation(db, statements[0].id, bob.id)  # type: ignore[arg-type]
    finally:
        db.close()
    assert bob_label is not None
    assert (bob_label.source_type, bob_label.confidence) == ("named_official", 5)
    assert final is not None
    assert final.source_type == "anonymous_official"
    assert final.note == "Un fonctionnaire anonyme relaie le renseignement."
    assert final.revision == 1
    page.close()


# --- screenshots of a living project ---------------------------------------------------------


def test_screenshots_of_the_sample_project(
    app_server: Callable[[Path], str], browser: Any, tmp_path: Path
) -> None:
    db_file = sample_project(tmp_path / "sample.db", "maria", "admin", k=3)
    out = screenshot_dir(tmp_path)

    url = app_server(db_file)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(WAIT_MS)
    page.goto(url)

    # Review: the statement with the most disagreement, its three labels side by side.
    sign_in(page, "maria")
    open_page(page, "Review")
    page.get_by_role("heading", name="Labels").wait_for()
    expect(page.get_by_text(re.compile(r"^annotator_[abc] · "))).to_have_count(3)
    settled(page)
    page.get_by_text("Statement to review").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(out / "review.png"))

    open_page(page, "Agreement")
    settled(page)
    page.screenshot(path=str(out / "agreement.png"))

    # Annotate: with k raised to 4 the first article is open again for a fourth reader, who
    # starts at its first statement (an official citing declassified intelligence).
    db = storage.connect(db_file)
    storage.update_settings(db, annotators_per_statement=4)
    db.close()
    open_page(page, "Annotate")
    page.get_by_text("Les négociations russes").first.wait_for()
    page.locator('[data-testid="sd-statement"] mark').first.wait_for()
    page.get_by_text("✦ suggested from the highlighted cues").wait_for()
    settled(page)
    page.screenshot(path=str(out / "annotate.png"))

    for name in ("annotate.png", "review.png", "agreement.png"):
        assert (out / name).stat().st_size > 10_000
    page.close()
