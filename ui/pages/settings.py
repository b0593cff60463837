"""Settings (administrators): the project's settings, its taxonomy, and the accounts.

A label that annotations use can be retired but never deleted (storage refuses), and
every taxonomy edit becomes a new taxonomy version, so old labels keep the definitions
their annotators saw.

The section shown is a kept navigation choice (not tabs), so a save, an error or a rerun
never moves the administrator away from the form they used; each message appears next to
the form that caused it.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from pydantic import ValidationError

import storage
from annotate.accounts.passwords import PasswordError, hash_password
from annotate.core.models import ROLES
from annotate.core.taxonomy import SourceType, Taxonomy, TaxonomyError, scale_presets
from ui import session
from ui.components.scale_mapping import scale_mapping
from ui.markup import literal
from ui.widgets import error_message, flash, sectioned_page, show_flash
from workflows.scale import ScaleChangeError, save_taxonomy, update_project_settings

EDIT_ERRORS = (
    storage.StorageError,
    TaxonomyError,
    ValidationError,
    PasswordError,
    ScaleChangeError,
)


SECTION_KEY = "settings_section"


def render() -> None:
    admin = session.require_role("admin")
    sections = {
        "Project": _project,
        "Taxonomy": _taxonomy,
        "Users": lambda: _users(admin.name),
    }
    sectioned_page("Settings", sections, SECTION_KEY)


def _apply(action: Callable[[], object], message: str, where: str) -> None:
    """Run one change; show its error here, or flash `message` (shown by
    `show_flash(where)` next to the same form) and rerun."""
    try:
        action()
    except EDIT_ERRORS as exc:
        st.error(error_message(exc))
        return
    flash(message, where)
    st.rerun()


def _project() -> None:
    db = session.db()
    project = storage.get_project(db)
    presets = scale_presets()
    with st.form("project_settings"):
        name = st.text_input("Project name", value=project.name)
        scale = st.selectbox(
            "Confidence scale",
            list(presets),
            index=list(presets).index(project.scale_preset),
            format_func=lambda k: presets[k].name,
        )
        k = st.number_input(
            "Annotators per statement (k)",
            min_value=1,
            max_value=50,
            value=project.annotators_per_statement,
            step=1,
        )
        suggestions = st.toggle(
            "Show cue suggestions to annotators",
            value=project.suggestions_enabled,
            help="Suggestions speed labelling up but can bias annotators; every label "
            "records whether a suggestion was shown.",
        )
        require_enter = st.toggle(
            "Annotators confirm each label with Enter",
            value=storage.require_enter(db),
            help="Off: the last rating key saves the label and moves on (two keys per label).",
        )
        submitted = st.form_submit_button("Save settings", type="primary")
    show_flash("project")
    if submitted:
        _apply(
            lambda: update_project_settings(
                db,
                name=name,
                scale=scale,
                annotators_per_statement=int(k),
                suggestions_enabled=suggestions,
                require_enter=require_enter,
            ),
            "Settings saved.",
            "project",
        )
    scale_mapping(db)


def _save_taxonomy(current: Taxonomy, types: list[SourceType]) -> None:
    taxonomy = Taxonomy.model_validate(
        {"name": current.name, "version": current.version, "types": [t.model_dump() for t in types]}
    )
    save_taxonomy(session.db(), taxonomy)  # refuses keys that collide, naming both


def _taxonomy() -> None:
    current = storage.get_taxonomy(session.db())
    types = list(current.types)
    st.caption(f"{literal(current.name)}, version {literal(current.version)}")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "order": i + 1,
                    "key": t.key,
                    "name": t.name_en,
                    "name (fr)": t.name_fr,
                    "shortcut": t.shortcut,
                    "colour": t.color,
                    "retired": t.retired,
                }
                for i, t in enumerate(types)
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    keys = [t.key for t in types]
    key = st.selectbox("Edit type", keys, key="tax_pick")
    index = keys.index(key)
    chosen = types[index]
    with st.form(f"tax_edit_{key}"):
        c1, c2 = st.columns(2)
        name_en = c1.text_input("Name", value=chosen.name_en)
        name_fr = c2.text_input("Name (French)", value=chosen.name_fr)
        definition_en = c1.text_area("Definition", value=chosen.definition_en)
        definition_fr = c2.text_area("Definition (French)", value=chosen.definition_fr)
        shortcut = c1.text_input("Shortcut key", value=chosen.shortcut, max_chars=1)
        color = c2.color_picker("Colour", value=chosen.color)
        retired = st.checkbox("Retired (kept for existing labels, no longer offered)",
                              value=chosen.retired)  # fmt: skip
        save = st.form_submit_button("Save type", type="primary")
    show_flash("taxonomy_edit")
    if save:
        updated = chosen.model_copy(
            update={
                "name_en": name_en.strip(),
                "name_fr": name_fr.strip(),
                "definition_en": definition_en.strip(),
                "definition_fr": definition_fr.strip(),
                "shortcut": shortcut.strip().lower(),
                "color": color,
                "retired": retired,
            }
        )
        new = [*types[:index], updated, *types[index + 1 :]]
        _apply(lambda: _save_taxonomy(current, new), f"Type {key} saved.", "taxonomy_edit")
    c1, c2, c3 = st.columns(3)
    if c1.button("Move up", disabled=index == 0, key="tax_up"):
        new = list(types)
        new[index - 1], new[index] = new[index], new[index - 1]
        _apply(lambda: _save_taxonomy(current, new), f"Type {key} moved up.", "taxonomy_edit")
    if c2.button("Move down", disabled=index == len(types) - 1, key="tax_down"):
        new = list(types)
        new[index + 1], new[index] = new[index], new[index + 1]
        _apply(lambda: _save_taxonomy(current, new), f"Type {key} moved down.", "taxonomy_edit")
    if c3.button("Delete type", key="tax_delete"):
        new = [t for t in types if t.key != key]
        _apply(lambda: _save_taxonomy(current, new), f"Type {key} deleted.", "taxonomy_edit")

    st.subheader("Add a type")
    with st.form("tax_add", clear_on_submit=True):
        c1, c2 = st.columns(2)
        new_key = c1.text_input("Key (lower case, digits, _)", key="tax_new_key")
        new_name = c2.text_input("Name", key="tax_new_name")
        new_shortcut = c1.text_input("Shortcut key", max_chars=1, key="tax_new_shortcut")
        new_color = c2.color_picker("Colour", value="#999999", key="tax_new_color")
        add = st.form_submit_button("Add type")
    show_flash("taxonomy_add")
    if add:
        _apply(
            lambda: _save_taxonomy(
                current,
                [
                    *types,
                    SourceType(
                        key=new_key.strip(),
                        name_en=new_name.strip(),
                        shortcut=new_shortcut.strip().lower(),
                        color=new_color,
                    ),
                ],
            ),
            f"Type {new_key.strip()} added.",
            "taxonomy_add",
        )


def _users(me: str) -> None:
    db = session.db()
    users = storage.list_users(db)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "name": u.name,
                    "role": u.role,
                    "active": u.active,
                    "can sign in": bool(u.password_hash),
                    "created": u.created_at.date(),
                }
                for u in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.subheader("Add a user")
    with st.form("user_add", clear_on_submit=True):
        c1, c2 = st.columns(2)
        name = c1.text_input("Name (or email, for single sign-on)", key="user_new_name")
        role = c2.selectbox("Role", ROLES, key="user_new_role")
        password = c1.text_input("Password", type="password", key="user_new_password")
        again = c2.text_input("Password again", type="password", key="user_new_again")
        add = st.form_submit_button("Add user", type="primary")
    show_flash("user_add")
    if add:
        if password != again:
            st.error("The two passwords differ.")
        else:
            _apply(
                lambda: storage.add_user(
                    db, name, role, hash_password(password) if password else ""
                ),
                f"User {name.strip()} added.",
                "user_add",
            )
    if not users:
        return
    st.subheader("Change a user")
    names = [u.name for u in users]
    who = st.selectbox("User", names, key="user_pick")
    user = users[names.index(who)]
    # Keys carry the user and their current values, so each box shows the selected
    # user's record (and a change elsewhere) rather than what was picked for another.
    record = f"{user.id}_{user.role}_{int(user.active)}"
    show_flash("user_change")
    c1, c2, c3 = st.columns(3)
    with c1:
        new_role = st.selectbox(
            "Role", ROLES, index=ROLES.index(user.role), key=f"user_role_{record}"
        )
        if st.button("Set role", key="user_set_role"):
            _apply(
                lambda: storage.set_role(db, who, new_role),
                f"{who} is now {new_role}.",
                "user_change",
            )
    with c2:
        label = "Deactivate" if user.active else "Reactivate"
        if st.button(label, key="user_active", disabled=who == me and user.active):
            _apply(
                lambda: storage.set_active(db, who, not user.active),
                f"{who} {'deactivated' if user.active else 'reactivated'}.",
                "user_change",
            )
    with c3:
        reset = st.text_input("New password", type="password", key=f"user_reset_{user.id}")
        if st.button("Set password", key="user_set_password"):
            _apply(
                lambda: storage.set_password_hash(db, who, hash_password(reset)),
                f"Password of {who} changed.",
                "user_change",
            )
