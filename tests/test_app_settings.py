"""The Settings page: project settings, the taxonomy editor, accounts and roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_helpers import PASSWORD, button, by_label, make_project, texts
from page_helpers import page_app
from streamlit.testing.v1 import AppTest

import storage
from annotate.accounts.passwords import verify_password
from annotate.core.models import AnnotationInput


@pytest.fixture
def ids(db_file: Path) -> dict[str, int]:
    return make_project(db_file)


def settings_page(user_id: int, section: str = "Project") -> AppTest:
    at = page_app("settings", user_id)
    if section != "Project":
        section_control(at).set_value(section).run()
    return at


def section_control(at: AppTest):  # type: ignore[no-untyped-def]
    return at.button_group(key="settings_section")


def test_project_settings_are_saved(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"])
    by_label(at.selectbox, "Confidence scale").set_value("admiralty")
    by_label(at.number_input, "Annotators per statement (k)").set_value(3)
    by_label(at.toggle, "Show cue suggestions to annotators").set_value(False)
    button(at, "Save settings").click().run()
    assert "Settings saved." in texts(at)
    project = storage.get_project(storage.connect(db_file))
    assert (project.scale_preset, project.annotators_per_statement) == ("admiralty", 3)
    assert project.suggestions_enabled is False
    assert section_control(at).value == "Project"  # the page stays on the form used
    # The scale names shown everywhere follow: the Admiralty levels.
    assert "admiralty" in by_label(at.selectbox, "Confidence scale").value


def test_a_type_is_renamed_recoloured_and_rekeyed(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"], "Taxonomy")
    at.selectbox(key="tax_pick").set_value("expert").run()
    by_label(at.text_input, "Name").set_value("Expert or academic")
    by_label(at.text_input, "Shortcut key").set_value("x")
    by_label(at.color_picker, "Colour").set_value("#123456")
    button(at, "Save type").click().run()
    assert "Type expert saved." in texts(at)
    taxonomy = storage.get_taxonomy(storage.connect(db_file))
    expert = taxonomy.get("expert")
    assert (expert.name_en, expert.shortcut, expert.color) == ("Expert or academic", "x", "#123456")
    assert taxonomy.version == "2024.1+2"


def test_reserved_or_duplicate_shortcuts_are_refused(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"], "Taxonomy")
    at.selectbox(key="tax_pick").set_value("expert").run()
    by_label(at.text_input, "Shortcut key").set_value("r")
    button(at, "Save type").click().run()
    # R is the key of a confidence level: refused, naming both uses of the key.
    assert at.error[0].value == (
        "key R of Confidence level 'High' is already the key of source type 'Expert or analyst'"
    )
    by_label(at.text_input, "Shortcut key").set_value("1")
    button(at, "Save type").click().run()
    assert "shortcut(s) 1 used twice" in at.error[0].value
    assert storage.get_taxonomy(storage.connect(db_file)).version == "2024.1"


def test_types_are_added_and_reordered(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"], "Taxonomy")
    at.text_input(key="tax_new_key").set_value("witness")
    at.text_input(key="tax_new_name").set_value("Eyewitness")
    at.text_input(key="tax_new_shortcut").set_value("v")
    button(at, "Add type").click().run()
    assert "Type witness added." in texts(at)
    at.selectbox(key="tax_pick").set_value("witness").run()
    button(at, "Move up").click().run()
    keys = storage.get_taxonomy(storage.connect(db_file)).keys
    assert keys[-2:] == ["witness", "unattributed"] and len(keys) == 11


def test_a_label_in_use_can_be_retired_but_not_deleted(db_file: Path, ids: dict[str, int]) -> None:
    db = storage.connect(db_file)
    storage.save_annotation(
        db, AnnotationInput(statement_id=1, annotator_id=ids["alice"], source_type="expert")
    )
    at = settings_page(ids["root"], "Taxonomy")
    at.selectbox(key="tax_pick").set_value("expert").run()
    button(at, "Delete type").click().run()
    assert at.error[0].value == "label(s) expert are used by annotations: retire them instead"
    by_label(at.checkbox, "Retired (kept for existing labels, no longer offered)").check()
    button(at, "Save type").click().run()
    assert storage.get_taxonomy(db).get("expert").retired is True
    assert "expert" not in {t.key for t in storage.get_taxonomy(db).active}  # not offered
    at.selectbox(key="tax_pick").set_value("document").run()
    button(at, "Delete type").click().run()
    assert "document" not in storage.get_taxonomy(db).keys  # unused: really deleted


def test_users_are_added_promoted_and_deactivated(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"], "Users")
    at.text_input(key="user_new_name").set_value("dana@example.org")
    at.selectbox(key="user_new_role").set_value("editor")
    at.text_input(key="user_new_password").set_value(PASSWORD)
    at.text_input(key="user_new_again").set_value(PASSWORD)
    button(at, "Add user").click().run()
    assert "User dana@example.org added." in texts(at)
    db = storage.connect(db_file)
    dana = storage.get_user(db, "dana@example.org")
    assert dana.role == "editor" and verify_password(dana.password_hash, PASSWORD)
    at.selectbox(key="user_pick").set_value("alice").run()
    role_box(at).set_value("editor")
    button(at, "Set role").click().run()
    assert storage.get_user(db, "alice").role == "editor"
    assert "alice is now editor." in texts(at) and section_control(at).value == "Users"
    button(at, "Deactivate").click().run()
    assert storage.get_user(db, "alice").active is False


def test_the_last_admin_cannot_demote_themselves(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"], "Users")
    at.selectbox(key="user_pick").set_value("root").run()
    role_box(at).set_value("editor")
    button(at, "Set role").click().run()
    assert at.error[0].value == "cannot remove the last administrator"
    assert button(at, "Deactivate").disabled


def role_box(at: AppTest):  # type: ignore[no-untyped-def]
    """The Role box of "Change a user" (the one of "Add a user" is keyed user_new_role)."""
    return next(s for s in at.selectbox if s.label == "Role" and s.key != "user_new_role")


def test_the_role_box_follows_the_selected_user(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"], "Users")
    at.selectbox(key="user_pick").set_value("eve").run()
    assert role_box(at).value == "editor"
    role_box(at).set_value("admin").run()  # picked, not saved
    at.selectbox(key="user_pick").set_value("alice").run()
    assert role_box(at).value == "annotator"  # alice's record, not the box's last value
    at.selectbox(key="user_pick").set_value("root").run()
    assert role_box(at).value == "admin"


def test_a_duplicate_user_error_shows_beside_its_form(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"], "Users")
    at.text_input(key="user_new_name").set_value("alice")
    button(at, "Add user").click().run()
    assert section_control(at).value == "Users"
    assert len(at.error) == 1 and "alice" in at.error[0].value
    # The message sits with the "Add a user" form, not at the top of the page.
    assert at.main.children[1].type != "alert"
    assert at.text_input(key="user_new_name") is not None


def test_the_section_is_kept_after_a_save(db_file: Path, ids: dict[str, int]) -> None:
    at = settings_page(ids["root"], "Taxonomy")
    at.selectbox(key="tax_pick").set_value("expert").run()
    by_label(at.text_input, "Name").set_value("Expert")
    button(at, "Save type").click().run()
    assert section_control(at).value == "Taxonomy"
    assert [s.value for s in at.success] == ["Type expert saved."]
    assert at.selectbox(key="tax_pick").value == "expert"
