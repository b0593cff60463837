"""Documents (editors): import articles with a preview of their segmentation, follow
progress, assign documents to annotators, and fix segmentation before labelling starts."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

import storage
from annotate.core.models import StatementKind, User
from annotate.documents import (
    SUPPORTED_SUFFIXES,
    ColumnMapping,
    IngestError,
    ParsedDocument,
    parse_file,
)
from ui import session
from ui.markup import label
from ui.widgets import (
    clear_document_titles,
    data_version,
    document_titles,
    error_message,
    flash,
    sectioned_page,
    show_flash,
    show_text,
)
from workflows.documents import duplicates_in, import_parsed

KINDS: tuple[StatementKind, ...] = ("statement", "heading", "byline", "caption", "boilerplate")
SECTION_KEY = "documents_section"


_PARSED_KEY = "doc_parsed_uploads"


def _parse(name: str, data: bytes, mapping_json: str) -> tuple[list[ParsedDocument], str]:
    """Parsed documents of one upload, or the reason it cannot be imported."""
    try:
        return parse_file(name, data, mapping=ColumnMapping.model_validate_json(mapping_json)), ""
    except IngestError as exc:
        return [], str(exc)


def _parse_current(
    files: list[UploadedFile], mapping_json: str
) -> list[tuple[str, list[ParsedDocument], str]]:
    """Parse the files of the current upload, reusing this session's parses of the same
    files; parses of earlier uploads are dropped, so memory holds the current one only."""
    previous = st.session_state.get(_PARSED_KEY, {})
    current: dict[tuple[str, str], tuple[list[ParsedDocument], str]] = {}
    for f in files:
        key = (f.file_id, mapping_json)
        current[key] = previous.get(key) or _parse(f.name, f.getvalue(), mapping_json)
    st.session_state[_PARSED_KEY] = current
    return [(f.name, *current[(f.file_id, mapping_json)]) for f in files]


@st.cache_data(max_entries=16, show_spinner=False)
def _documents(path: str, version: tuple[int, ...]) -> pd.DataFrame:
    rows = [
        {
            "id": p.document.id,
            "title": p.document.title or p.document.source_name,
            "outlet": p.document.outlet,
            "published": p.document.published,
            "language": p.document.language,
            "statements": p.statements,
            "complete": p.labelled,
            "labels": p.labels,
            "progress": p.labelled / p.statements if p.statements else 1.0,
            "assigned to": ", ".join(p.assigned_to),
        }
        for p in storage.list_documents(session.db())
    ]
    return pd.DataFrame(rows)


def render() -> None:
    editor = session.require_role("editor")
    sections = {
        "Import": _import_tab,
        "Documents": lambda: _list_tab(editor),
        "Segmentation": _segmentation_tab,
    }
    sectioned_page("Documents", sections, SECTION_KEY)


def _column_mapping() -> ColumnMapping:
    """Which column of a CSV/JSONL upload holds each field (defaults: the field's name)."""
    defaults = ColumnMapping()
    with st.expander("Columns of CSV / JSONL files"):
        cells = st.columns(4)
        names = {
            field: cells[i % 4].text_input(
                field, value=getattr(defaults, field), key=f"map_{field}"
            )
            for i, field in enumerate(ColumnMapping.model_fields)
        }
    return ColumnMapping(
        **{field: name.strip() or getattr(defaults, field) for field, name in names.items()}
    )


def _import_tab() -> None:
    summary = st.session_state.pop("doc_import_summary", None)
    if summary:
        _summary(summary)
    round_ = st.session_state.get("doc_upload_round", 0)
    files = st.file_uploader(
        "Articles or tables of articles",
        type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
        accept_multiple_files=True,
        key=f"doc_upload_{round_}",
        help="Text, Markdown and HTML files hold one article each; CSV and JSONL files "
        "hold one article (or one statement) per row.",
    )
    if not files:
        st.session_state.pop(_PARSED_KEY, None)
        return
    mapping = ColumnMapping()
    if any(f.name.lower().endswith((".csv", ".jsonl")) for f in files):
        mapping = _column_mapping()
    by_file: list[tuple[str, list[ParsedDocument]]] = []
    errors: list[dict[str, str]] = []
    for name, documents, problem in _parse_current(files, mapping.model_dump_json()):
        if problem:
            errors.append({"source": name, "status": "error", "message": problem})
        by_file.append((name, documents))
    parsed = [doc for _, documents in by_file for doc in documents]
    st.subheader("Preview")
    duplicate = duplicates_in(session.db(), parsed)
    for i, doc in enumerate(parsed):
        n = sum(1 for s in doc.statements if s.kind == "statement")
        stored = f" · {duplicate[i]}, will be skipped" if duplicate[i] else ""
        with st.expander(
            f"{label(doc.title or doc.source_name)} · {n} statements, "
            f"{len(doc.statements) - n} other segments · {doc.language}{stored}",
            expanded=i == 0,
        ):
            st.dataframe(
                pd.DataFrame(
                    {
                        "kind": [s.kind for s in doc.statements],
                        "text": [s.text for s in doc.statements],
                    }
                ),
                hide_index=False,
                width="stretch",
            )
    if errors:
        st.error(f"{len(errors)} file(s) cannot be imported:")
        st.dataframe(pd.DataFrame(errors), hide_index=True, width="stretch")
    fresh = duplicate.count(None)
    if parsed and not fresh:
        st.info("Every document of this upload is a duplicate: nothing to import.")
    skipped = f" (skip {len(parsed) - fresh} duplicate(s))" if fresh < len(parsed) else ""
    if fresh and st.button(f"Import {fresh} document(s){skipped}", type="primary"):
        bar = st.progress(0.0, text="Importing")
        done: list[storage.ImportOutcome] = []

        def progress(outcome: storage.ImportOutcome) -> None:
            done.append(outcome)
            bar.progress(len(done) / len(parsed), text=f"Importing {len(done)} / {len(parsed)}")

        report = import_parsed(session.db(), by_file, on_outcome=progress)
        st.session_state["doc_import_summary"] = [
            {"source": o.source_name, "status": o.status, "message": o.message}
            for o in report.outcomes
        ] + errors
        st.session_state["doc_upload_round"] = round_ + 1
        st.rerun()


def _summary(rows: list[dict[str, str]]) -> None:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("added", "duplicate", "error")}
    text = (
        f"{counts['added']} added, {counts['duplicate']} duplicate(s) skipped, "
        f"{counts['error']} error(s)"
    )
    (st.success if not counts["error"] else st.warning)(f"Import finished: {text}.")
    problems = [r for r in rows if r["status"] != "added"]
    if problems:
        st.dataframe(pd.DataFrame(problems), hide_index=True, width="stretch")


def _list_tab(editor: User) -> None:
    frame = _documents(str(session.db_path()), data_version())
    if frame.empty:
        st.info("No documents yet: import some in the Import tab.")
        return
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)
        },
    )
    st.subheader("Assign a document")
    titles = dict(zip(frame["id"], frame["title"], strict=True))
    assigned = dict(zip(frame["id"], frame["assigned to"], strict=True))
    users = [u for u in storage.list_users(session.db()) if u.active]
    # The document is picked outside the form, so the form shows that document's
    # assignees (its key carries the document and its current assignment).
    document_id = st.selectbox(
        "Document", list(titles), format_func=titles.__getitem__, key="doc_assign_pick"
    )
    current = [n for n in str(assigned.get(document_id) or "").split(", ") if n]
    record = f"{document_id}_{'|'.join(current)}"
    with st.form(f"assign_{record}"):
        names = st.multiselect(
            "Assign to",
            [u.name for u in users],
            default=[n for n in current if n in {u.name for u in users}],
            key=f"doc_assignees_{record}",
            help="An annotator with assigned documents gets only those in their queue; "
            "annotators without assignments get every document.",
        )
        submitted = st.form_submit_button("Save assignment")
    show_flash("assign")
    if submitted:
        ids = [u.id for u in users if u.name in names and u.id is not None]
        if editor.id is None:
            raise storage.NotFoundError("the signed-in editor has no id")
        storage.assign_document(session.db(), int(document_id), ids, editor.id)
        flash(f"Document {document_id} assigned to {', '.join(names) or 'nobody'}.", "assign")
        st.rerun()


def _segmentation_tab() -> None:
    db = session.db()
    titles = document_titles()
    if not titles:
        st.info("No documents yet.")
        return
    document_id = st.selectbox(
        "Document",
        list(titles),
        format_func=lambda i: f"{i} · {titles[i]}",
        key="seg_document",
    )
    statements = storage.statements_of(db, document_id)
    st.dataframe(
        pd.DataFrame(
            {
                "position": [s.position for s in statements],
                "kind": [s.kind for s in statements],
                "text": [s.text for s in statements],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption("Merging and splitting are possible only while the document has no labels.")
    position = st.selectbox(
        "Segment",
        [s.position for s in statements],
        format_func=lambda p: f"{p} · {statements[p].text[:90]}",
        key=f"seg_position_{document_id}",
    )
    segment = statements[position]
    show_text(segment.text)
    show_flash("segmentation")
    c1, c2, c3 = st.columns(3)
    with c1:
        merge = st.button("Merge with the next segment", key="seg_merge")
    with c2:
        kind = st.selectbox(
            "Kind",
            KINDS,
            index=KINDS.index(segment.kind),
            key=f"seg_kind_{segment.id}_{segment.kind}",  # follows the selected segment
        )
        set_kind = st.button("Change kind", key="seg_set_kind")
    with c3:
        words = st.text_input("Split before these words", key="seg_split_words")
        split = st.button("Split", key="seg_split")
    try:
        if merge:
            storage.merge_statements(db, document_id, position)
            _done("Segments merged.")
        if set_kind:
            if segment.id is None:  # read from the database: always set
                raise storage.NotFoundError(f"segment {position} has no id")
            storage.set_statement_kind(db, segment.id, kind)
            _done(f"Segment {position} is now a {kind}.")
        if split:
            offset = segment.text.find(words.strip()) if words.strip() else -1
            if offset <= 0:
                st.error("Split: type words that occur inside the segment, after its start.")
            else:
                storage.split_statement(db, document_id, position, offset)
                _done("Segment split in two.")
    except storage.StorageError as exc:
        st.error(error_message(exc))


def _done(message: str) -> None:
    _documents.clear()  # a kind change does not move the data version
    clear_document_titles()
    flash(message, "segmentation")
    st.rerun()
