"""Export page: editors and admins download the labels as a dataset with its card.

One "Prepare" builds the whole bundle (the data file, its card as Markdown and JSON, and
any config the format needs) with `workflows.export.export_dataset`, in a temporary
directory that is removed as soon as the files are read: the bundle then lives in this
session only (dropped when the options change or the session ends). It is offered as one
.zip and file by file; the buttons stay until an option changes.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from pydantic import ValidationError

import storage
from annotate.core.errors import SourceDeskError
from annotate.exports import FORMATS, SHAPES, ExportFilters, ExportOptions
from annotate.exports.card import card_parts
from annotate.exports.options import INTERCHANGE, hub_licenses
from ui import session
from ui.markup import label, literal
from ui.widgets import error_message
from workflows.export import export_dataset

MIME = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jsonl": "application/jsonl",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".md": "text/markdown",
    ".xml": "application/xml",
    ".zip": "application/zip",
}
LICENSES = ["unknown", *sorted(hub_licenses() - {"unknown"})]
"""The card's license choices: none known first, then the Hub's identifiers."""
BUNDLE_KEY = "export_bundle"
TEMP_PREFIX = "sourcedesk-export-"


@dataclass(frozen=True)
class Bundle:
    """A prepared export, held in this session: the options it was made with, its files
    (name → bytes, the data file first), the zip of them all and the card's text."""

    options: str
    files: dict[str, bytes]
    zip_name: str
    zip_bytes: bytes
    rows: int
    card: str | None


def _filters(db: storage.Database) -> ExportFilters:
    documents = {
        p.document.id: p.document.title or f"document {p.document.id}"
        for p in storage.list_documents(db)
    }
    chosen_docs = st.multiselect(
        "Documents (none = all)",
        list(documents),
        format_func=lambda i: label(documents[i]),
        key="exp_documents",
    )
    names = [u.name for u in storage.list_users(db)]
    chosen_names = st.multiselect("Annotators (none = all)", names, key="exp_annotators")
    use_dates = st.checkbox("Only labels saved between two dates", key="exp_use_dates")
    since = until = None
    if use_dates:
        picked = st.date_input(
            "Saved between",
            value=(dt.date.today() - dt.timedelta(days=30), dt.date.today()),
            key="exp_dates",
        )
        # While the user is picking, Streamlit returns a 1-tuple: no range yet.
        if isinstance(picked, tuple) and len(picked) == 2:
            since, until = picked
    return ExportFilters(
        document_ids=chosen_docs, annotators=chosen_names, labelled_from=since, labelled_to=until
    )


def _options(db: storage.Database) -> ExportOptions:
    fmt = st.selectbox("Format", [*FORMATS, *INTERCHANGE], key="exp_format")
    interchange = fmt in INTERCHANGE
    shape = st.radio(
        "Shape",
        SHAPES,
        horizontal=True,
        disabled=interchange,
        help="long: one row per label; wide: one row per statement",
        key="exp_shape",
    )
    filters = _filters(db)
    pseudonymise = st.checkbox(
        "Pseudonymise annotators (annotator_01, ...)", value=True, key="exp_pseudonymise"
    )
    all_revisions = st.checkbox(
        "Every revision (long shape only)",
        disabled=shape == "wide" or interchange,
        key="exp_revisions",
    )
    aggregation = st.selectbox(
        "Aggregated label (wide shape)",
        ["majority", "dawid_skene"],
        disabled=shape != "wide" or interchange,
        key="exp_aggregation",
    )
    card_license = st.selectbox(
        "License (the dataset card's)",
        LICENSES,
        disabled=interchange,
        help="A Hugging Face license identifier; other for one it does not list",
        key="exp_license",
    )
    return ExportOptions(
        format=fmt,
        license=card_license,
        shape=shape,
        filters=filters,
        pseudonymise=pseudonymise,
        aggregation=aggregation,
        all_revisions=all_revisions and shape == "long" and not interchange,
    )


def prepare(db: storage.Database, options: ExportOptions, progress_bar: Any = None) -> Bundle:
    """Export into a temporary directory, read the files and the zip, remove the directory."""
    total = max(1, storage.totals(db)["revisions" if options.all_revisions else "annotations"])

    def progress(rows: int) -> None:
        if progress_bar is not None:
            progress_bar.progress(min(1.0, rows / total), text=f"{rows:,} rows written")

    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as workdir:
        result = export_dataset(db, options, Path(workdir), progress=progress)
        paths = [p for p in result.files if p.exists()]
        files = {p.name: p.read_bytes() for p in paths}
        card = result.card_md.read_text(encoding="utf-8") if result.card_md else None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    zip_name = f"{Path(result.path.name).stem}.zip"
    return Bundle(
        options=options.model_dump_json(),
        files=files,
        zip_name=zip_name,
        zip_bytes=buffer.getvalue(),
        rows=result.rows,
        card=card,
    )


def render() -> None:
    session.require_role("editor")
    st.title("Export")
    db = session.db()
    try:
        options = _options(db)
    except (SourceDeskError, ValidationError) as exc:
        st.error(error_message(exc))
        return
    bundle: Bundle | None = st.session_state.get(BUNDLE_KEY)
    if bundle is not None and bundle.options != options.model_dump_json():
        del st.session_state[BUNDLE_KEY]  # the options changed: that bundle is not theirs
        bundle = None
    if st.button("Prepare export", type="primary", key="exp_prepare"):
        bar = st.progress(0.0, text="exporting…")
        try:
            bundle = prepare(db, options, bar)
        except (SourceDeskError, ValidationError) as exc:
            st.error(error_message(exc))
            return
        st.session_state[BUNDLE_KEY] = bundle
        bar.progress(1.0, text=f"{bundle.rows:,} rows")
    if bundle is None:
        return
    _downloads(bundle)


def _downloads(bundle: Bundle) -> None:
    st.success(f"Ready: {bundle.rows:,} rows in {len(bundle.files)} file(s).")
    st.download_button(
        f"Download everything ({bundle.zip_name})",
        bundle.zip_bytes,
        file_name=bundle.zip_name,
        mime=MIME[".zip"],
        type="primary",
        on_click="ignore",
        key="exp_dl_zip",
        icon=":material/folder_zip:",
    )
    for i, (name, data) in enumerate(bundle.files.items()):
        st.download_button(
            f"Download {name}",
            data,
            file_name=name,
            mime=MIME.get(Path(name).suffix, "application/octet-stream"),
            on_click="ignore",  # no rerun: every other button stays
            key=f"exp_dl_{i}",
        )
    if bundle.card is not None:
        header, body = card_parts(bundle.card)
        with st.expander("Dataset card"):
            st.markdown(literal(body))
            if header:
                st.caption("Its YAML header, which the Hugging Face Hub reads:")
                st.code(header, language="yaml")
