"""Review (editors): the statements annotators disagree on, their labels side by side,
and the final label.

The final label is saved against the revision the editor was shown when they opened
the statement, so two editors adjudicating at once cannot overwrite each other silently.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import storage
from annotate.core.models import Adjudication, AdjudicationInput, Annotation, Statement
from annotate.core.taxonomy import RatingScale, Taxonomy, scale_preset
from ui import session
from ui.widgets import (
    document_titles,
    flash,
    level_label,
    show_flash,
    show_highlighted,
    show_text,
    type_name,
)

PAGE_SIZE = 50


def _level(scale: RatingScale, value: int | None) -> str:
    level = scale.level(value)
    if level is None:
        return "—" if value is None else str(value)
    return level_label(level)


def _filters(taxonomy: Taxonomy, titles: dict[int, str]) -> storage.ReviewFilters:
    users = {u.id: u.name for u in storage.list_users(session.db())}
    c = st.columns([3, 2, 2, 2, 2])
    document_id = c[0].selectbox(
        "Document", [None, *titles], format_func=lambda i: "All" if i is None else titles[i]
    )
    source_type = c[1].selectbox(
        "Label chosen by someone",
        [None, *taxonomy.keys],
        format_func=lambda k: "Any" if k is None else type_name(taxonomy, k),
    )
    annotator_id = c[2].selectbox(
        "Annotator", [None, *users], format_func=lambda i: "Any" if i is None else users[i]
    )
    flagged = c[3].checkbox("Flagged only")
    open_only = c[4].checkbox("Not adjudicated", value=True)
    return storage.ReviewFilters(
        document_id=document_id,
        source_type=source_type,
        annotator_id=annotator_id,
        flagged_only=flagged,
        unadjudicated_only=open_only,
    )


def render() -> None:
    editor = session.require_role("editor")
    db = session.db()
    project = storage.get_project(db)
    taxonomy = Taxonomy.from_json(project.taxonomy_json)
    scale = scale_preset(project.scale_preset).primary
    titles = document_titles()

    st.title("Review")
    show_flash()
    filters = _filters(taxonomy, titles)
    page = st.columns(5)[0].number_input("Page", min_value=1, value=1, step=1)
    items = storage.review_queue(db, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    statements = {i.statement.id: i.statement for i in items}
    # The statement an editor is working on stays open even if it stops matching the
    # filters meanwhile (another editor adjudicated it), so their save meets the conflict.
    pinned = st.session_state.get("rev_open")
    if pinned is not None and pinned not in statements:
        try:
            statements = {pinned: storage.get_statement(db, pinned), **statements}
        except storage.NotFoundError:
            st.session_state.pop("rev_open", None)
    if not items:
        st.info("Nothing to review with these filters.")
    if not statements:
        return
    if items:
        st.dataframe(_queue_table(items, titles), hide_index=True, width="stretch")
    sid = st.selectbox(
        "Statement to review",
        list(statements),
        format_func=lambda i: f"#{i} · {statements[i].text[:100]}",
        key="rev_statement",
    )
    st.session_state["rev_open"] = sid
    _statement_panel(db, editor.id, statements[sid], taxonomy, scale)  # type: ignore[arg-type]


def _queue_table(items: list[storage.ReviewItem], titles: dict[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "statement": [i.statement.id for i in items],
            "document": [titles.get(i.statement.document_id, "") for i in items],
            "labels": [i.label_count for i in items],
            "disagreement": [round(i.disagreement, 2) for i in items],
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
    before, after = storage.statement_context(db, statement)
    for s in before:
        show_text(s.text, muted=True)
    with st.container(border=True):
        show_highlighted(statement.text, [])
    for s in after:
        show_text(s.text, muted=True)

    labels = storage.annotations_for_statement(db, statement.id)
    st.subheader("Labels")
    if labels:
        cols = st.columns(len(labels))
        for col, (name, a) in zip(cols, labels, strict=True):
            with col, st.container(border=True):
                _label_card(name, a, taxonomy, scale)

    current = storage.current_adjudication(db, statement.id)
    seen_key = f"rev_seen_{statement.id}"
    if seen_key not in st.session_state:
        st.session_state[seen_key] = current.revision if current else 0
    st.subheader("Final label")
    if current:
        st.caption(
            f"Current final label (revision {current.revision}): "
            f"{type_name(taxonomy, current.source_type)}, {_level(scale, current.confidence)}"
        )
    _adjudication_form(db, editor_id, statement.id, labels, current, taxonomy, scale, seen_key)
    _history(db, statement.id, taxonomy, scale)


def _label_card(name: str, a: Annotation, taxonomy: Taxonomy, scale: RatingScale) -> None:
    st.markdown(f"**{type_name(taxonomy, a.source_type)}**")
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


def _adjudication_form(
    db: storage.Database,
    editor_id: int,
    statement_id: int,
    labels: list[tuple[str, Annotation]],
    current: Adjudication | None,
    taxonomy: Taxonomy,
    scale: RatingScale,
    seen_key: str,
) -> None:
    chosen = [a.source_type for _, a in labels if a.source_type]
    default_type = current.source_type if current else max(chosen, key=chosen.count, default=None)
    type_options = [t.key for t in taxonomy.active]
    if default_type and default_type not in type_options:
        type_options.append(default_type)
    levels = [lv.value for lv in scale.levels]
    confidences = [a.confidence for _, a in labels if a.confidence is not None]
    default_conf = current.confidence if current else (sorted(confidences)[len(confidences) // 2]
                                                       if confidences else None)  # fmt: skip
    with st.form(f"adjudicate_{statement_id}"):
        source_type = st.selectbox(
            "Final source type",
            type_options,
            index=type_options.index(default_type) if default_type in type_options else None,
            format_func=lambda k: type_name(taxonomy, k),
        )
        confidence = st.selectbox(
            f"Final {scale.name_en.lower()}",
            levels,
            index=levels.index(default_conf) if default_conf in levels else None,
            format_func=lambda v: _level(scale, v),
        )
        also = st.multiselect(
            "Also cites",
            [t.key for t in taxonomy.active],
            default=[k for k in (current.also_cites if current else []) if k in type_options],
            format_func=lambda k: type_name(taxonomy, k),
        )
        note = st.text_area("Editor's note", value=current.note if current else "")
        submitted = st.form_submit_button("Save final label", type="primary")
    if st.button("Reload the latest final label", key=f"rev_reload_{statement_id}"):
        st.session_state.pop(seen_key, None)
        st.rerun()
    if not submitted:
        return
    if source_type is None:
        st.warning("Choose the final source type.")
        return
    try:
        saved = storage.adjudicate(
            db,
            AdjudicationInput(
                statement_id=statement_id,
                editor_id=editor_id,
                source_type=source_type,
                also_cites=[k for k in also if k != source_type],
                confidence=confidence,
                note=note.strip(),
                taxonomy_version=taxonomy.version,
            ),
            expected_revision=st.session_state[seen_key],
        )
    except storage.ConflictError as exc:
        st.error(f"Not saved: {exc}")
        return
    st.session_state[seen_key] = saved.revision
    st.session_state.pop("rev_open", None)
    flash(f"Final label saved (revision {saved.revision}).")
    st.rerun()


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
