"""Annotate: one statement at a time, in its context, three keystrokes per label.

A digit picks the source type, a letter the confidence, Enter saves and moves on;
Backspace reopens the previous label. Annotators label blind: nothing here reads
another annotator's labels, notes or counts. Each rerun runs a handful of indexed
queries (the queue head, the context, my current label, the progress counts).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import storage
from annotate.core.models import AnnotationInput, Statement, User
from annotate.core.taxonomy import RatingScale, Taxonomy, scale_preset
from annotate.suggest.cues import detect_cues
from ui import session
from ui.keys import BACK_KEY, SAVE_KEY, KeyAllocator
from ui.markup import plain_html
from ui.widgets import level_label, progress, show_highlighted, show_text, type_name

TYPE_COLUMNS = 5


@st.cache_data(max_entries=256, show_spinner=False)
def _document_header(path: str, document_id: int) -> dict[str, str]:
    """Title, outlet, date and language of a document (they never change once imported)."""
    doc = storage.get_document(session.db(), document_id)
    published = ""
    if doc.published:
        fmt = {"year": "%Y", "month": "%Y-%m"}.get(doc.published_precision or "", "%Y-%m-%d")
        published = doc.published.strftime(fmt)
    return {
        "title": doc.title or doc.source_name or f"Document {doc.id}",
        "outlet": doc.outlet,
        "published": published,
        "language": doc.language,
    }


@st.cache_data(max_entries=1024, show_spinner=False)
def _suggestion(text: str, language: str) -> dict[str, Any] | None:
    """The cue detector's suggestion as plain data, or None when it cannot run."""
    try:
        s = detect_cues(text, language)
    except Exception:  # a missing or broken pattern file must not block annotation
        return None
    spans = [(c.start, c.end, c.kind.replace("_", " ")) for c in s.cues]
    if s.source_span is not None:
        spans.append((s.source_span.start, s.source_span.end, "source"))
    return {
        "type": s.suggested_type,
        "who": s.who,
        "cue": s.cue_text,
        "spans": spans,
        "secondary": [key for key, _ in s.secondary],
    }


def _choose(state_key: str, value: object) -> None:
    st.session_state[state_key] = value


def _choose_extra(scale_key: str, value: int) -> None:
    st.session_state.setdefault("ann_extra", {})[scale_key] = value


def _reset_for(statement: Statement, existing: Any) -> None:
    """Start the selections of a statement from my current label (or from nothing)."""
    if st.session_state.get("ann_for") == statement.id:
        return
    st.session_state["ann_for"] = statement.id
    st.session_state["ann_rev"] = existing.revision if existing else 0  # what the user saw
    st.session_state["ann_type"] = existing.source_type if existing else None
    st.session_state["ann_conf"] = existing.confidence if existing else None
    st.session_state["ann_extra"] = dict(existing.extra_ratings) if existing else {}


def _to_queue() -> None:
    for key in ("ann_sid", "ann_back", "ann_for"):
        st.session_state.pop(key, None)


def _current(db: storage.Database, user: User) -> tuple[Statement | None, Any]:
    sid = st.session_state.get("ann_sid")
    if sid is not None:
        try:
            statement = storage.get_statement(db, sid)
        except storage.NotFoundError:
            _to_queue()
        else:
            return statement, storage.current_annotation(db, sid, user.id)  # type: ignore[arg-type]
    queue = storage.next_statements(db, user.id, 1)  # type: ignore[arg-type]
    return (queue[0], None) if queue else (None, None)


def _go_back(db: storage.Database, user: User) -> None:
    offset = st.session_state.get("ann_back", -1) + 1
    recent = storage.my_recent(db, user.id, limit=1, offset=offset)  # type: ignore[arg-type]
    if not recent:
        st.toast("There is no earlier label to reopen.")
        return
    st.session_state["ann_sid"] = recent[0][0].id
    st.session_state["ann_back"] = offset
    st.rerun()


def _progress_row(db: storage.Database, user: User, document_id: int | None) -> None:
    cols = st.columns(3)
    mine = storage.my_progress(db, user.id)  # type: ignore[arg-type]
    with cols[0]:
        progress("My labels", mine.done, mine.total)
    if document_id is not None:
        doc = storage.document_progress(db, document_id)
        with cols[1]:
            progress("This document, statements complete", doc.done, doc.total)
    project = storage.project_progress(db)
    with cols[2]:
        progress("Project, statements complete", project.done, project.total)


def _type_buttons(taxonomy: Taxonomy, keys: KeyAllocator, suggested: str | None) -> None:
    st.markdown("**Source type**")
    active = taxonomy.active
    cols = st.columns(TYPE_COLUMNS)
    for i, source_type in enumerate(active):
        label = source_type.name()
        if source_type.key == suggested:
            label += " ✦"
        selected = st.session_state.get("ann_type") == source_type.key
        with cols[i % TYPE_COLUMNS]:
            st.button(
                label,
                key=f"ann_type_{source_type.key}",
                type="primary" if selected else "secondary",
                shortcut=keys.take(source_type.shortcut),
                help=source_type.definition_en or None,
                on_click=_choose,
                args=("ann_type", source_type.key),
                width="stretch",
                wrap=True,
            )
    if suggested:
        name = type_name(taxonomy, suggested)
        st.caption(f"✦ suggested from the cues highlighted above: {name}")


def _scale_buttons(scale: RatingScale, keys: KeyAllocator, primary: bool) -> None:
    st.markdown(f"**{scale.name_en}**")
    current = (
        st.session_state.get("ann_conf")
        if primary
        else st.session_state.get("ann_extra", {}).get(scale.key)
    )
    cols = st.columns(len(scale.levels))
    for col, level in zip(cols, scale.levels, strict=True):
        label = level_label(level)
        with col:
            st.button(
                label,
                key=f"ann_scale_{scale.key}_{level.value}",
                type="primary" if current == level.value else "secondary",
                shortcut=keys.take(level.key),
                on_click=_choose if primary else _choose_extra,
                args=("ann_conf", level.value) if primary else (scale.key, level.value),
                width="stretch",
            )


def render() -> None:
    user = session.require_role("annotator")
    db = session.db()
    project = storage.get_project(db)
    taxonomy = Taxonomy.from_json(project.taxonomy_json)
    preset = scale_preset(project.scale_preset)
    statement, existing = _current(db, user)

    st.title("Annotate")
    _progress_row(db, user, statement.document_id if statement else None)

    if statement is None:
        st.success("Your queue is empty: every statement open to you has your label.")
        if st.button("Reopen my last label", shortcut=BACK_KEY):
            _go_back(db, user)
        _recent_labels(db, user, taxonomy)
        return

    _reset_for(statement, existing)
    header = _document_header(str(session.db_path()), statement.document_id)
    suggestion = (
        _suggestion(statement.text, header["language"]) if project.suggestions_enabled else None
    )

    st.markdown(f"**{plain_html(header['title'])}**", unsafe_allow_html=True)
    meta = " · ".join(v for v in (header["outlet"], header["published"]) if v)
    if meta:
        show_text(meta, muted=True)
    before, after = storage.statement_context(db, statement)
    for s in before:
        show_text(s.text, muted=True)
    with st.container(border=True):
        show_highlighted(statement.text, suggestion["spans"] if suggestion else [])
    for s in after:
        show_text(s.text, muted=True)

    if existing is not None:
        st.info(f"You are editing your label (revision {existing.revision}).")

    keys = KeyAllocator()
    _type_buttons(taxonomy, keys, suggestion["type"] if suggestion else None)
    for i, scale in enumerate(preset.scales):
        _scale_buttons(scale, keys, primary=i == 0)

    details = _details(statement, existing, taxonomy, suggestion)

    cols = st.columns([2, 1, 1, 1])
    save = cols[0].button("Save and next", type="primary", shortcut=SAVE_KEY, width="stretch")
    skip = cols[1].button("Skip", shortcut=keys.take("s"), width="stretch")
    back = cols[2].button("Previous", shortcut=BACK_KEY, width="stretch")
    queue = cols[3].button(
        "Back to queue", disabled="ann_sid" not in st.session_state, width="stretch"
    )

    if back:
        _go_back(db, user)
    if queue:
        _to_queue()
        st.rerun()
    if save or skip:
        _save(db, user, statement, taxonomy, preset.scales, suggestion, details, skip)
    _recent_labels(db, user, taxonomy)


def _details(
    statement: Statement, existing: Any, taxonomy: Taxonomy, suggestion: dict[str, Any] | None
) -> dict[str, Any]:
    """The optional fields, keyed per statement so each statement starts afresh."""
    sid = statement.id
    who = existing.who if existing else (suggestion["who"] if suggestion else "")
    cue = existing.cue if existing else (suggestion["cue"] if suggestion else "")
    options = [t.key for t in taxonomy.active]
    cites_default = [k for k in (existing.also_cites if existing else []) if k in options]
    with st.expander("Details: who, cue, also cites, note, flags", expanded=existing is not None):
        c1, c2 = st.columns(2)
        out = {
            "who": c1.text_input("Who (source span)", value=who, key=f"ann_who_{sid}"),
            "cue": c2.text_input("Cue (reporting phrase)", value=cue, key=f"ann_cue_{sid}"),
            "also_cites": st.multiselect(
                "Also cites",
                options,
                default=cites_default,
                format_func=lambda k: type_name(taxonomy, k),
                key=f"ann_cites_{sid}",
            ),
            "note": st.text_area(
                "Note", value=existing.note if existing else "", key=f"ann_note_{sid}"
            ),
        }
        c3, c4 = st.columns(2)
        out["unsure"] = c3.checkbox(
            "Unsure", value=bool(existing and existing.unsure), key=f"ann_unsure_{sid}"
        )
        out["flagged"] = c4.checkbox(
            "Flag for discussion", value=bool(existing and existing.flagged), key=f"ann_flag_{sid}"
        )
    return out


def _save(
    db: storage.Database,
    user: User,
    statement: Statement,
    taxonomy: Taxonomy,
    scales: list[RatingScale],
    suggestion: dict[str, Any] | None,
    details: dict[str, Any],
    skipped: bool,
) -> None:
    source_type = st.session_state.get("ann_type")
    confidence = st.session_state.get("ann_conf")
    extra = {
        s.key: v
        for s in scales[1:]
        if (v := st.session_state.get("ann_extra", {}).get(s.key)) is not None
    }
    if not skipped:
        if source_type is None:
            st.warning("Choose a source type first (its key is shown on each button).")
            return
        if confidence is None:
            st.warning(f"Choose a level of {scales[0].name_en.lower()} first.")
            return
        missing = [s.name_en for s in scales[1:] if s.key not in extra]
        if missing:
            st.warning(f"Choose a level of {', '.join(missing).lower()} first.")
            return
    value = AnnotationInput(
        statement_id=statement.id,  # type: ignore[arg-type]
        annotator_id=user.id,  # type: ignore[arg-type]
        source_type=None if skipped else source_type,
        also_cites=[] if skipped else [k for k in details["also_cites"] if k != source_type],
        confidence=None if skipped else confidence,
        extra_ratings={} if skipped else extra,
        who=details["who"].strip(),
        cue=details["cue"].strip(),
        note=details["note"].strip(),
        skipped=skipped,
        unsure=details["unsure"],
        flagged=details["flagged"],
        suggestion_shown=suggestion is not None,
        suggested_type=suggestion["type"] if suggestion else None,
        taxonomy_version=taxonomy.version,
    )
    try:
        storage.save_annotation(db, value, expected_revision=st.session_state.get("ann_rev", 0))
    except storage.ConflictError as exc:
        st.error(f"Not saved: {exc}")
        st.session_state.pop("ann_for", None)  # the next rerun shows the label as it is now
        return
    _to_queue()
    st.rerun()


def _recent_labels(db: storage.Database, user: User, taxonomy: Taxonomy) -> None:
    recent = storage.my_recent(db, user.id, limit=20)  # type: ignore[arg-type]
    if not recent:
        return
    with st.expander("My recent labels"):
        choices = {s.id: f"{type_name(taxonomy, a.source_type)} · {s.text[:90]}" for s, a in recent}
        picked = st.selectbox(
            "Reopen", list(choices), format_func=choices.__getitem__, key="ann_recent"
        )
        if st.button("Open this statement", key="ann_open_recent"):
            st.session_state["ann_sid"] = picked
            st.session_state.pop("ann_back", None)
            st.rerun()
