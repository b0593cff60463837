"""Review (editors): the statements annotators disagree on, their labels side by side,
and the final label.

The filters choose the statements the panel can show. The final-label form starts from
the domain's aggregation (`workflows.agreement.default_final_label`): the majority type,
the lower median rating; a tie has no default and the editor must choose. The final label
is saved against the revision the editor was shown, so two editors adjudicating at once
cannot overwrite each other silently: a conflict shows at the top, both versions side by
side, and the editor's own choice stays in the form.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

import storage
from annotate.core.models import Adjudication, AdjudicationInput, Annotation, Statement
from annotate.core.taxonomy import RatingScale, Taxonomy, scale_preset
from ui import session
from ui.markup import literal
from ui.widgets import (
    document_titles,
    flash,
    level_label,
    scale_name,
    show_flash,
    show_highlighted,
    show_text,
    type_name,
)
from workflows.agreement import FinalLabelDefault, default_final_label

PAGE_SIZE = 50
# Keyboard shortcuts (Streamlit reserves C and R; Enter alone would fire inside the note).
NEXT_KEY, PREVIOUS_KEY, ACCEPT_KEY, SAVE_KEY = "n", "p", "a", "Ctrl+Enter"
PICK = "rev_statement"
CONFLICT = "rev_conflict"
LANGUAGES = {"fr": "French", "en": "English", "und": "undetermined"}


def _level(scale: RatingScale, value: int | None) -> str:
    level = scale.level(value)
    if level is None:
        return "—" if value is None else str(value)
    return level_label(level)


def _keys(statement_id: int) -> dict[str, str]:
    """Session-state keys of one statement's final-label form."""
    return {
        field: f"rev_{field}_{statement_id}"
        for field in ("type", "confidence", "also", "note", "seen")
    }


def _filters(taxonomy: Taxonomy, titles: dict[int, str]) -> storage.ReviewFilters:
    users = {u.id: u.name for u in storage.list_users(session.db())}
    c = st.columns([3, 2, 2, 2, 2])
    document_id = c[0].selectbox(
        "Document",
        [None, *titles],
        format_func=lambda i: "All" if i is None else titles[i],
        key="rev_f_document",
    )
    source_type = c[1].selectbox(
        "Label chosen by someone",
        [None, *taxonomy.keys],
        format_func=lambda k: "Any" if k is None else type_name(taxonomy, k),
        key="rev_f_type",
    )
    annotator_id = c[2].selectbox(
        "Annotator",
        [None, *users],
        format_func=lambda i: "Any" if i is None else users[i],
        key="rev_f_annotator",
    )
    flagged = c[3].checkbox("Flagged only", key="rev_f_flagged")
    open_only = c[4].checkbox("Not adjudicated", value=True, key="rev_f_open")
    return storage.ReviewFilters(
        document_id=document_id,
        source_type=source_type,
        annotator_id=annotator_id,
        flagged_only=flagged,
        unadjudicated_only=open_only,
    )


def render() -> None:
    editor = session.require_role("editor")
    editor_id = _stored(editor.id)
    db = session.db()
    project = storage.get_project(db)
    taxonomy = Taxonomy.from_json(project.taxonomy_json)
    scale = scale_preset(project.scale_preset).primary
    titles = document_titles()

    st.title("Review")
    show_flash()
    conflict: dict[str, Any] | None = st.session_state.get(CONFLICT)
    if conflict is not None:
        _conflict_banner(db, editor_id, conflict, taxonomy, scale)
    filters = _filters(taxonomy, titles)
    page = st.columns(5)[0].number_input("Page", min_value=1, value=1, step=1, key="rev_page")
    items = storage.review_queue(db, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    statements = {_stored(i.statement.id): i.statement for i in items}
    if conflict is not None and conflict["statement_id"] not in statements:
        # Only a statement whose save just met a conflict stays open outside the filters.
        sid = conflict["statement_id"]
        statements = {sid: storage.get_statement(db, sid), **statements}
    if not items:
        st.info("Nothing to review with these filters.")
    if not statements:
        return
    if items:
        st.dataframe(_queue_table(items, titles), hide_index=True, width="stretch")
    ids = list(statements)
    if st.session_state.get(PICK) not in ids:
        st.session_state[PICK] = ids[0] if conflict is None else conflict["statement_id"]
    _navigation(ids)
    sid = st.selectbox(
        "Statement to review",
        ids,
        format_func=lambda i: f"#{i} · {statements[i].text[:100]}",
        key=PICK,
    )
    _statement_panel(db, editor_id, statements[sid], taxonomy, scale)


def _stored(record_id: int | None) -> int:
    """The id of a record read from the database (always set there)."""
    if record_id is None:
        raise storage.NotFoundError("a record without an id")
    return record_id


def _move(ids: list[int], step: int) -> None:
    current = st.session_state.get(PICK)
    index = ids.index(current) if current in ids else 0
    st.session_state[PICK] = ids[max(0, min(len(ids) - 1, index + step))]


def _navigation(ids: list[int]) -> None:
    current = st.session_state.get(PICK)
    index = ids.index(current) if current in ids else 0
    c = st.columns([1, 1, 4])
    c[0].button(
        "Previous disagreement",
        key="rev_previous",
        shortcut=PREVIOUS_KEY,
        disabled=index == 0,
        on_click=_move,
        args=(ids, -1),
    )
    c[1].button(
        "Next disagreement",
        key="rev_next",
        shortcut=NEXT_KEY,
        disabled=index >= len(ids) - 1,
        on_click=_move,
        args=(ids, 1),
    )
    c[2].caption(f"{index + 1} of {len(ids)} on this page, most disagreement first.")


def _queue_table(items: list[storage.ReviewItem], titles: dict[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "statement": [i.statement.id for i in items],
            "document": [titles.get(i.statement.document_id, "") for i in items],
            "labels": [i.label_count for i in items],
            "disagreement": [f"{i.disagreement:.2f}" for i in items],
            "flags": [i.flag_count for i in items],
            "adjudicated": [i.adjudicated for i in items],
            "text": [i.statement.text for i in items],
        }
    )


def _statement_panel(
    db: storage.Database,
    editor_id: int,
    statement: Statement,
    taxonomy: Taxonomy,
    scale: RatingScale,
) -> None:
    document = storage.get_document(db, statement.document_id)
    st.caption(
        f"Statement #{statement.id} · {literal(document.title or document.source_name)} · "
        f"language: {literal(LANGUAGES.get(document.language, document.language))}"
    )
    before, after = storage.statement_context(db, statement)
    for s in before:
        show_text(s.text, muted=True)
    with st.container(border=True):
        show_highlighted(statement.text, [])
    for s in after:
        show_text(s.text, muted=True)

    statement_id = _stored(statement.id)
    labels = storage.annotations_for_statement(db, statement_id)
    st.subheader("Labels")
    if labels:
        cols = st.columns(len(labels))
        for col, (name, a) in zip(cols, labels, strict=True):
            with col, st.container(border=True):
                _label_card(name, a, taxonomy, scale)

    current = storage.current_adjudication(db, statement_id)
    st.subheader("Final label")
    if current:
        show_text(
            f"Current final label (revision {current.revision}): "
            f"{type_name(taxonomy, current.source_type)}, {_level(scale, current.confidence)}",
            muted=True,
        )
    suggested = default_final_label([a for _, a in labels], scale.ordinal_values)
    _adjudication_form(editor_id, statement_id, suggested, current, taxonomy, scale)
    _history(db, statement_id, taxonomy, scale)


def _label_card(name: str, a: Annotation, taxonomy: Taxonomy, scale: RatingScale) -> None:
    show_text(type_name(taxonomy, a.source_type), strong=True)
    show_text(f"{name} · {_level(scale, a.confidence)} · revision {a.revision}", muted=True)
    marks = [m for m, on in (("unsure", a.unsure), ("flagged", a.flagged)) if on]
    if a.suggestion_shown:
        marks.append(f"suggestion shown: {type_name(taxonomy, a.suggested_type)}")
    if marks:
        show_text(", ".join(marks), muted=True)
    if a.also_cites:
        show_text("also cites: " + ", ".join(type_name(taxonomy, k) for k in a.also_cites))
    for field, value in (("who", a.who), ("cue", a.cue), ("note", a.note)):
        if value:
            show_text(f"{field}: {value}")


def _start_form(
    keys: dict[str, str],
    suggested: FinalLabelDefault,
    current: Adjudication | None,
) -> None:
    """Put the form's starting values in session state, once: the editor's edits stay
    while the statement is open (Streamlit drops a form's state when it is left)."""
    if keys["type"] in st.session_state:
        return
    st.session_state[keys["seen"]] = current.revision if current else 0
    st.session_state[keys["type"]] = current.source_type if current else suggested.source_type
    st.session_state[keys["confidence"]] = current.confidence if current else suggested.confidence
    st.session_state[keys["also"]] = list(current.also_cites) if current else []
    st.session_state[keys["note"]] = current.note if current else ""


def _forget_form(statement_id: int) -> None:
    for key in _keys(statement_id).values():
        st.session_state.pop(key, None)


def _accept_majority(keys: dict[str, str], suggested: FinalLabelDefault) -> None:
    st.session_state[keys["type"]] = suggested.source_type
    st.session_state[keys["confidence"]] = suggested.confidence


def _save(statement_id: int, editor_id: int, taxonomy_version: str, overwrite: int | None) -> None:
    """Save the form's values (a callback: it runs before the page is drawn again)."""
    keys = _keys(statement_id)
    source_type = st.session_state.get(keys["type"])
    if source_type is None:
        st.session_state["rev_form_message"] = (statement_id, "Choose the final source type.")
        return
    expected = overwrite if overwrite is not None else st.session_state.get(keys["seen"], 0)
    value = AdjudicationInput(
        statement_id=statement_id,
        editor_id=editor_id,
        source_type=source_type,
        also_cites=[k for k in st.session_state.get(keys["also"], []) if k != source_type],
        confidence=st.session_state.get(keys["confidence"]),
        note=str(st.session_state.get(keys["note"], "")).strip(),
        taxonomy_version=taxonomy_version,
    )
    db = session.db()
    try:
        saved = storage.adjudicate(db, value, expected_revision=expected)
    except storage.ConflictError as exc:
        st.session_state[CONFLICT] = {
            "statement_id": statement_id,
            "message": str(exc),
            "mine": value.model_dump(),
        }
        return
    st.session_state.pop(CONFLICT, None)
    st.session_state[keys["seen"]] = saved.revision
    flash(f"Final label saved (revision {saved.revision}).")


def _adjudication_form(
    editor_id: int,
    statement_id: int,
    suggested: FinalLabelDefault,
    current: Adjudication | None,
    taxonomy: Taxonomy,
    scale: RatingScale,
) -> None:
    keys = _keys(statement_id)
    _start_form(keys, suggested, current)
    if current is None:
        _explain_default(suggested, taxonomy, scale)
    type_options = [t.key for t in taxonomy.active]
    for extra in (st.session_state[keys["type"]], suggested.source_type, *suggested.tied):
        if extra and extra not in type_options:
            type_options.append(extra)
    levels = [lv.value for lv in scale.levels]
    with st.form(f"adjudicate_{statement_id}"):
        st.selectbox(
            "Final source type",
            type_options,
            format_func=lambda k: type_name(taxonomy, k),
            placeholder="Choose: the annotators are tied" if suggested.tied else "Choose",
            key=keys["type"],
        )
        st.selectbox(
            f"Final {scale_name(scale).lower()}",
            levels,
            format_func=lambda v: _level(scale, v),
            key=keys["confidence"],
        )
        st.multiselect(
            "Also cites",
            [t.key for t in taxonomy.active],
            format_func=lambda k: type_name(taxonomy, k),
            key=keys["also"],
        )
        st.text_area("Editor's note", key=keys["note"])
        st.form_submit_button(
            "Save final label",
            type="primary",
            shortcut=SAVE_KEY,
            on_click=_save,
            args=(statement_id, editor_id, taxonomy.version, None),
        )
    message = st.session_state.get("rev_form_message")
    if message and message[0] == statement_id:
        st.warning(message[1])
        st.session_state.pop("rev_form_message", None)
    c = st.columns(2)
    c[0].button(
        "Accept the majority",
        key=f"rev_accept_{statement_id}",
        shortcut=ACCEPT_KEY,
        disabled=suggested.source_type is None,
        help="The majority type and the lower median rating."
        if suggested.source_type
        else "No majority: the annotators are tied.",
        on_click=_accept_majority,
        args=(keys, suggested),
    )
    if c[1].button("Reload the latest final label", key=f"rev_reload_{statement_id}"):
        _forget_form(statement_id)
        st.session_state.pop(CONFLICT, None)
        st.rerun()


def _explain_default(suggested: FinalLabelDefault, taxonomy: Taxonomy, scale: RatingScale) -> None:
    if suggested.tied:
        tied = " and ".join(type_name(taxonomy, t) for t in suggested.tied)
        show_text(
            f"Tie: {tied} have {suggested.votes} vote(s) each out of {suggested.n_votes}. "
            "There is no default: choose the final source type."
        )
    elif suggested.source_type:
        show_text(
            f"Default: the majority, {type_name(taxonomy, suggested.source_type)} "
            f"({suggested.votes} of {suggested.n_votes} votes).",
            muted=True,
        )
    if suggested.confidence_split:
        low, high = suggested.confidence_split
        show_text(
            f"The middle ratings are split between {_level(scale, low)} and "
            f"{_level(scale, high)}; the default is the lower one.",
            muted=True,
        )


def _conflict_banner(
    db: storage.Database,
    editor_id: int,
    conflict: dict[str, Any],
    taxonomy: Taxonomy,
    scale: RatingScale,
) -> None:
    """At the top: what the editor tried to save beside what is saved now."""
    statement_id = conflict["statement_id"]
    current = storage.current_adjudication(db, statement_id)
    mine = conflict["mine"]
    with st.container(border=True):
        st.error(f"Not saved: {conflict['message']}")
        left, right = st.columns(2)
        with left:
            show_text("Your choice (not saved)", strong=True)
            _version(mine["source_type"], mine["confidence"], mine["note"], taxonomy, scale)
        with right:
            if current is None:
                show_text("Saved now", strong=True)
                show_text("No final label (it was removed).", muted=True)
            else:
                show_text(f"Saved now (revision {current.revision})", strong=True)
                _version(current.source_type, current.confidence, current.note, taxonomy, scale)
        c = st.columns(2)
        c[0].button(
            "Save mine over it",
            key="rev_conflict_mine",
            type="primary",
            on_click=_save,
            args=(statement_id, editor_id, taxonomy.version, current.revision if current else 0),
        )
        if c[1].button("Keep the saved one", key="rev_conflict_theirs"):
            _forget_form(statement_id)
            st.session_state.pop(CONFLICT, None)
            st.rerun()


def _version(
    source_type: str | None, confidence: int | None, note: str, taxonomy: Taxonomy,
    scale: RatingScale,
) -> None:  # fmt: skip
    show_text(f"{type_name(taxonomy, source_type)}, {_level(scale, confidence)}")
    if note:
        show_text(f"note: {note}", muted=True)


def _history(
    db: storage.Database, statement_id: int, taxonomy: Taxonomy, scale: RatingScale
) -> None:
    with st.expander("History"):
        rows = [
            {
                "who": name,
                "kind": "label",
                "revision": a.revision,
                "source type": "deleted" if a.deleted else type_name(taxonomy, a.source_type),
                "confidence": _level(scale, a.confidence),
                "note": a.note,
                "saved": a.created_at.isoformat(sep=" "),
            }
            for name, a in storage.annotation_history(db, statement_id)
        ]
        rows += [
            {
                "who": name,
                "kind": "final label",
                "revision": j.revision,
                "source type": type_name(taxonomy, j.source_type),
                "confidence": _level(scale, j.confidence),
                "note": j.note,
                "saved": j.created_at.isoformat(sep=" "),
            }
            for name, j in storage.adjudication_history(db, statement_id)
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
