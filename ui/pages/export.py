"""Export page: editors and admins download the labels as a dataset with its card."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import streamlit as st

import storage
from annotate.exports import FORMATS, SHAPES, ExportFilters, ExportOptions
from storage.exports import export_dataset, export_labelstudio
from ui import session

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/jsonl",
    "parquet": "application/vnd.apache.parquet",
    "labelstudio": "application/json",
}


def _filters(db: storage.Database) -> ExportFilters:
    documents = {
        p.document.id: p.document.title or f"document {p.document.id}"
        for p in storage.list_documents(db)
    }
    chosen_docs = st.multiselect(
        "Documents (none = all)", list(documents), format_func=lambda i: documents[i]
    )
    names = [u.name for u in storage.list_users(db)]
    chosen_names = st.multiselect("Annotators (none = all)", names)
    use_dates = st.checkbox("Only labels saved between two dates")
    since = until = None
    if use_dates:
        since, until = st.date_input(
            "Saved between", value=(dt.date.today() - dt.timedelta(days=30), dt.date.today())
        )
    return ExportFilters(
        document_ids=chosen_docs, annotators=chosen_names, labelled_from=since, labelled_to=until
    )


def render() -> None:
    session.require_role("editor")
    st.title("Export")
    db = session.db()
    fmt = st.selectbox("Format", [*FORMATS, "labelstudio"])
    shape = st.radio(
        "Shape",
        SHAPES,
        horizontal=True,
        disabled=fmt == "labelstudio",
        help="long: one row per label; wide: one row per statement",
    )
    try:
        filters = _filters(db)
    except ValueError as exc:
        st.error(str(exc))
        return
    pseudonymise = st.checkbox("Pseudonymise annotators (annotator_01, ...)", value=True)
    all_revisions = st.checkbox("Every revision (long shape only)", disabled=shape == "wide")
    aggregation = st.selectbox("Aggregated label (wide shape)", ["majority", "dawid_skene"])
    if not st.button("Prepare export", type="primary"):
        return
    bar = st.progress(0.0, text="exporting…")
    total = max(1, storage.totals(db)["revisions" if all_revisions else "annotations"])

    def progress(rows: int) -> None:
        bar.progress(min(1.0, rows / total), text=f"{rows:,} rows written")

    workdir = Path(tempfile.mkdtemp(prefix="sourcedesk-export-"))
    try:
        if fmt == "labelstudio":
            result = export_labelstudio(
                db, workdir, filters, pseudonymise=pseudonymise, progress=progress
            )
        else:
            options = ExportOptions(
                format=fmt,
                shape=shape,
                filters=filters,
                pseudonymise=pseudonymise,
                aggregation=aggregation,
                all_revisions=all_revisions and shape == "long",
            )
            result = export_dataset(db, workdir, options, progress=progress)
    except (ValueError, storage.StorageError) as exc:
        st.error(str(exc))
        return
    bar.progress(1.0, text=f"{result.rows:,} rows")
    st.download_button(
        f"Download {result.path.name}",
        result.path.read_bytes(),
        file_name=result.path.name,
        mime=MIME[fmt],
    )
    extras = [
        result.card_md,
        result.card_json,
        result.path.with_name(f"{result.path.stem}.config.xml"),
    ]
    for extra in extras:
        if extra is not None and extra.exists():
            st.download_button(f"Download {extra.name}", extra.read_bytes(), file_name=extra.name)
    if result.card_md is not None:
        with st.expander("Dataset card"):
            st.markdown(result.card_md.read_text(encoding="utf-8"))
