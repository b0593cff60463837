"""Exporting a dataset: the data file, its dataset card, and the interchange formats.

`export_dataset(db, options, out_dir)` writes the file under its default name in `out_dir`;
`export_to(db, out, options)` writes it where the caller says (a folder: under the default
name). A dataset exported into a folder has its card as the folder's README.md, so that the
folder is a Hugging Face dataset as it is. The long shape is read
from the database as Arrow record batches and written from them; the wide shape and the
interchange formats (Label Studio, doccano, W3C Web Annotation) are built row by row from
chunks, one chunk in memory at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from annotate.agreement.aggregate import dawid_skene
from annotate.agreement.reliability import ReliabilityData
from annotate.core.taxonomy import scale_preset
from annotate.exports import (
    LONG_COLUMNS,
    SUFFIXES,
    Column,
    ExportError,
    ExportFilters,
    ExportOptions,
    GlobalAggregate,
    Pseudonyms,
    atomic_path,
    batch_from_rows,
    finish_batch,
    format_for_path,
    output_schema,
    recorded_only,
    wide_columns,
    wide_rows,
    write_batches,
    write_text_atomic,
)
from annotate.exports.card import (
    FOLDER_CARD,
    AnnotatorCount,
    DatasetCard,
    agreement_figures,
    card_json,
    card_markdown,
    card_paths,
    card_state,
    file_sha256,
)
from annotate.exports.options import FORMATS, Format
from annotate.interchange import doccano, labelstudio, webannotation
from storage.arrow_reads import LabelQuery, available_columns, label_batches
from storage.arrow_writes import write_jsonl
from storage.connection import Database
from storage.exports import (
    annotator_ids,
    annotators_in_order,
    document_refs,
    document_text,
    editors_in_order,
    export_languages,
    iter_wide_chunks,
    label_summary,
    user_ids_in_order,
    user_names,
)
from storage.frames import adjudications_frame, labels_frame
from storage.project import get_project, get_taxonomy, taxonomy_versions

__all__ = ["ExportResult", "default_file_name", "export_dataset", "export_to"]

Progress = Callable[[int], None]


class ExportResult(BaseModel):
    path: Path
    """The data file."""
    format: str
    rows: int
    card_md: Path | None = None
    card_json: Path | None = None
    config: Path | None = None
    """Label Studio: the labeling config beside the tasks."""
    users: Path | None = None
    """Label Studio: the users that `completed_by` numbers."""
    seconds: float = 0.0

    @property
    def files(self) -> list[Path]:
        """Every file the export wrote, the data file first."""
        extra = [self.card_md, self.card_json, self.config, self.users]
        return [self.path, *[p for p in extra if p is not None]]


def default_file_name(db: Database, options: ExportOptions) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", get_project(db).name.lower()).strip("-") or "export"
    kind = options.shape if options.format in FORMATS else options.format
    return f"{slug}-{kind}{SUFFIXES[options.format]}"


def export_dataset(
    db: Database,
    options: ExportOptions,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    card: bool = True,
    agreement: bool = True,
    n_boot: int = 1000,
) -> ExportResult:
    """Export into `out_dir` (created if need be) under the default file name (the Export
    page's entry point)."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return export_to(
        db, Path(out_dir), options, progress=progress, card=card, agreement=agreement, n_boot=n_boot
    )


def export_to(
    db: Database,
    out: Path,
    options: ExportOptions | None = None,
    *,
    progress: Progress | None = None,
    card: bool = True,
    agreement: bool = True,
    n_boot: int = 1000,
) -> ExportResult:
    """Export labels to `out`: a file, or a folder (the default name inside it, and a
    dataset's card as the folder's README.md)."""
    started = time.perf_counter()
    out = Path(out)
    folder = out.is_dir()
    if options is None:  # the format the file's extension names
        fmt = "csv" if folder else format_for_path(out.name, None)
        options = ExportOptions.model_validate({"format": fmt})
    if folder:
        out = out / default_file_name(db, options)
    check_format(options)
    if options.format == "labelstudio":
        result = _labelstudio(db, out, options, progress)
    elif options.format == "doccano":
        result = _doccano(db, out, options, progress)
    elif options.format == "webannotation":
        result = _webannotation(db, out, options, progress)
    else:
        cards = card_paths(out, folder=folder) if card else None
        if cards is not None:
            _check_card_free(cards[0])
        result = _dataset(db, out, options, progress, cards, agreement, n_boot)
    result.seconds = time.perf_counter() - started
    return result


def _check_card_free(path: Path) -> None:
    """A folder's README.md that an export did not write, or that was edited since, is not
    replaced: the export stops before it writes anything (ExportError)."""
    if path.name != FOLDER_CARD or not path.exists():
        return
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")  # line ends as written
    except OSError as exc:
        raise ExportError(f"out: {path}: cannot be read ({exc.strerror})") from None
    state = card_state(text)
    if state == "foreign":
        raise ExportError(
            f"out: {path} is not a dataset card an export wrote, and is left as it is; "
            "export into another folder, or name the output file"
        )
    if state == "edited":
        raise ExportError(
            f"out: {path} was edited since an export wrote it, and is left as it is; "
            "export into another folder, or move it away first"
        )


def _pseudonyms(db: Database, options: ExportOptions) -> Pseudonyms:
    return Pseudonyms(annotators_in_order(db), editors_in_order(db), enabled=options.pseudonymise)


def long_columns(db: Database, all_revisions: bool) -> tuple[Column, ...]:
    """The long shape's columns that this database records."""
    names = [c.name for c in LONG_COLUMNS]
    return recorded_only(
        LONG_COLUMNS, set(available_columns(db, names, all_revisions=all_revisions))
    )


def long_batches(
    db: Database, options: ExportOptions, columns: tuple[Column, ...], fmt: Format
) -> Iterator[pa.RecordBatch]:
    """The long shape as finished record batches for `fmt`."""
    f = options.filters
    pseudonyms = _pseudonyms(db, options)
    names = {uid: pseudonyms.annotator(name) for uid, name in user_names(db).items()}
    query = LabelQuery(
        [(c.name, c.type) for c in columns],
        all_revisions=options.all_revisions,
        document_ids=f.document_ids,
        annotator_ids=annotator_ids(db, f.annotators) if f.annotators else [],
        labelled_from=f.labelled_from,
        labelled_to=f.labelled_to,
    )
    for batch in label_batches(db, query, batch_rows=options.chunk_size):
        yield finish_batch(batch, columns, fmt, names)


def _dataset(
    db: Database,
    out: Path,
    options: ExportOptions,
    progress: Progress | None,
    cards: tuple[Path, Path] | None,
    agreement: bool,
    n_boot: int,
) -> ExportResult:
    """The data file and, where `cards` says (Markdown, JSON), its dataset card."""
    fmt: Format = options.format  # type: ignore[assignment]  # a dataset format here
    project = get_project(db)
    scale = scale_preset(project.scale_preset)
    levels = scale.primary.ordinal_values
    pseudonyms = _pseudonyms(db, options)
    f = options.filters
    summary = None
    if cards or options.shape == "wide":  # a full scan: only when the card or columns need it
        summary = label_summary(db, f, options.all_revisions)
    if options.shape == "long":
        columns = long_columns(db, options.all_revisions)
        batches = long_batches(db, options, columns, fmt)
    else:
        assert summary is not None
        annotators = [name for name, _ in summary[0]]
        columns = wide_columns([pseudonyms.annotator(n) for n in annotators])
        aggregate = _dawid_skene(db, f) if options.aggregation == "dawid_skene" else None
        batches = (
            finish_batch(
                batch_from_rows(
                    columns,
                    wide_rows(
                        chunk, annotators, pseudonyms, confidence_levels=levels, aggregate=aggregate
                    ),
                ),
                columns,
                fmt,
            )
            for chunk in iter_wide_chunks(db, f, chunk_size=options.chunk_size)
        )
    rows = write_batches(
        out,
        fmt,
        output_schema(columns, fmt),
        batches,
        progress=progress,
        writers={"jsonl": write_jsonl},
    )
    result = ExportResult(path=out, format=fmt, rows=rows)
    if not cards or summary is None:
        return result
    counts, first, last, versions = summary
    taxonomies = taxonomy_versions(db)
    current = get_taxonomy(db)
    used = [taxonomies[v] for v in versions if v in taxonomies]
    if current.version not in versions:
        used.append(current)
    figures, note = [], "Agreement was not computed for this export."
    if agreement:
        labels = _filtered_labels(db, f)
        figures = agreement_figures(
            labels, adjudications_frame(db), confidence_levels=levels, n_boot=n_boot
        )
        note = (
            "Agreement covers the current labels of the exported documents and annotators "
            f"({len(labels):,} labels); the labelling-date filter does not apply to it. "
            "Intervals: percentile bootstrap over statements."
        )
    dataset_card = DatasetCard(
        project=project.name,
        file=out.name,
        sha256=file_sha256(out),
        rows=rows,
        format=fmt,
        shape=options.shape,
        options=options,
        pseudonymisation=pseudonyms.scheme,
        taxonomies=used,
        scale=scale,
        annotators=[AnnotatorCount(annotator=pseudonyms.annotator(n), labels=c) for n, c in counts],
        labelled_from=dt.datetime.fromisoformat(first) if first else None,
        labelled_to=dt.datetime.fromisoformat(last) if last else None,
        agreement=figures,
        agreement_note=note,
        columns=list(columns),
        languages=export_languages(db, f.document_ids),
        license=options.license,
    )
    if options.pseudonymise:
        hidden = [pseudonyms.annotator(n) for n in f.annotators]
        filters = f.model_copy(update={"annotators": hidden})
        dataset_card.options = options.model_copy(update={"filters": filters})
    md_path, json_path = cards
    write_text_atomic(md_path, card_markdown(dataset_card))
    write_text_atomic(json_path, card_json(dataset_card))
    result.card_md, result.card_json = md_path, json_path
    return result


def _filtered_labels(db: Database, f: ExportFilters) -> Any:
    labels = labels_frame(db)
    if f.document_ids:
        labels = labels[labels["document_id"].isin(f.document_ids)]
    if f.annotators:
        wanted = [n.casefold() for n in f.annotators]
        labels = labels[labels["annotator"].str.casefold().isin(wanted)]
    return labels


def _dawid_skene(db: Database, filters: ExportFilters) -> GlobalAggregate:
    labels = _filtered_labels(db, filters)
    adjudicated = adjudications_frame(db).set_index("statement_id")["source_type"].dropna()
    data = ReliabilityData.from_long(
        labels["statement_id"].to_numpy(),
        labels["annotator"].to_numpy(),
        labels["source_type"].to_numpy(),
    )
    frame = dawid_skene(data, adjudicated).labels
    return GlobalAggregate(
        label=dict(zip(frame["unit"].astype(int), frame["label"], strict=True)),
        posterior=dict(zip(frame["unit"].astype(int), frame["posterior"], strict=True)),
        method="dawid_skene",
    )


# --- interchange formats -------------------------------------------------------------


def _statements(
    db: Database, options: ExportOptions
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]]:
    """(statement, labels, adjudication) for each exported statement, with real names:
    labels are dicts (annotator, source_type, also_cites, confidence, note, skipped,
    suggested_type, suggestion_version, labelled_at (its last revision), created_at (its
    first)), in the order of each annotator's first label."""
    order = {name: i for i, name in enumerate(annotators_in_order(db))}
    size = min(options.chunk_size, 5_000)
    for chunk in iter_wide_chunks(db, options.filters, chunk_size=size, first_saved=True):
        by_statement: dict[int, list[dict[str, Any]]] = {}
        for (
            sid, name, st, cites, conf, _u, _f, note, skipped, suggested, version, at, created
        ) in chunk.annotations:  # fmt: skip
            by_statement.setdefault(sid, []).append(
                {
                    "annotator": name,
                    "source_type": st,
                    "also_cites": json.loads(cites),
                    "confidence": conf,
                    "note": note,
                    "skipped": bool(skipped),
                    "suggested_type": suggested,
                    "suggestion_version": version,
                    "labelled_at": at,
                    "created_at": created,
                }
            )
        adjudications = {
            sid: {
                "annotator": editor,
                "source_type": st,
                "also_cites": json.loads(cites),
                "confidence": conf,
                "note": note,
                "labelled_at": at,
            }
            for sid, st, cites, conf, editor, note, at in chunk.adjudications
        }
        names = list(chunk.statements)
        for values in zip(*chunk.statements.values(), strict=True):
            statement = dict(zip(names, values, strict=True))
            sid = statement["statement_id"]
            labels = sorted(by_statement.get(sid, []), key=lambda lb: order.get(lb["annotator"], 0))
            yield statement, labels, adjudications.get(sid)


class _JsonList:
    """A JSON array written item by item."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.rows = 0
        fh.write("[")

    def add(self, item: dict[str, Any]) -> None:
        self.fh.write(",\n" if self.rows else "\n")
        self.fh.write(json.dumps(item, ensure_ascii=False))
        self.rows += 1

    def close(self) -> None:
        self.fh.write("\n]\n")


def _labelstudio(
    db: Database, out: Path, options: ExportOptions, progress: Progress | None
) -> ExportResult:
    """Label Studio tasks (a JSON list, streamed), the labeling config
    (`<name>.config.xml`) and the users `completed_by` numbers (`<name>.users.json`)."""
    scale = scale_preset(get_project(db).scale_preset).primary
    pseudonyms = _pseudonyms(db, options)
    names = user_names(db)
    annotators = set(annotators_in_order(db))
    numbers: dict[str, int] = {}
    listing: list[tuple[int, str]] = []
    for number, uid in enumerate(user_ids_in_order(db), start=1):
        name = names[uid]
        numbers[name] = number
        shown = pseudonyms.annotator(name) if name in annotators else pseudonyms.editor(name)
        listing.append((number, shown or name))
    refs = document_refs(db)
    with atomic_path(out) as temp, temp.open("w", encoding="utf-8", newline="\n") as fh:
        tasks = _JsonList(fh)
        for statement, labels, adjudication in _statements(db, options):
            for label in labels:
                label["user"] = numbers[label["annotator"]]
            if adjudication is not None:
                adjudication["user"] = numbers[adjudication["annotator"]]
            tasks.add(
                labelstudio.task(
                    statement,
                    labels,
                    scale=scale,
                    document_ref=refs[statement["document_id"]],
                    adjudication=adjudication,
                )
            )
            if progress is not None and tasks.rows % 1000 == 0:
                progress(tasks.rows)
        tasks.close()
    config = out.with_name(f"{out.stem}.config.xml")
    write_text_atomic(config, labelstudio.labeling_config(get_taxonomy(db), scale))
    users = out.with_name(f"{out.stem}.users.json")
    write_text_atomic(
        users, json.dumps(labelstudio.users_listing(listing), ensure_ascii=False, indent=1)
    )
    return ExportResult(path=out, format="labelstudio", rows=tasks.rows, config=config, users=users)


def _doccano(
    db: Database, out: Path, options: ExportOptions, progress: Progress | None
) -> ExportResult:
    """doccano JSONL: one line per label (skipped statements are left out)."""
    scale = scale_preset(get_project(db).scale_preset).primary
    pseudonyms = _pseudonyms(db, options)
    refs = document_refs(db)
    rows = 0
    with atomic_path(out) as temp, temp.open("w", encoding="utf-8", newline="\n") as fh:
        for statement, labels, _ in _statements(db, options):
            for label in labels:
                if label["skipped"]:
                    continue
                label["annotator"] = pseudonyms.annotator(label["annotator"])
                line = doccano.doccano_line(
                    statement, label, scale=scale, document_ref=refs[statement["document_id"]]
                )
                fh.write(line + "\n")
                rows += 1
            if progress is not None and rows and rows % 1000 == 0:
                progress(rows)
    return ExportResult(path=out, format="doccano", rows=rows)


def _webannotation(
    db: Database, out: Path, options: ExportOptions, progress: Progress | None
) -> ExportResult:
    """A W3C Web Annotation collection (JSON-LD), one annotation per label."""
    project = get_project(db)
    scale = scale_preset(project.scale_preset).primary
    pseudonyms = _pseudonyms(db, options)
    refs = document_refs(db)
    cached: tuple[int, str] = (-1, "")
    rows = 0
    with atomic_path(out) as temp, temp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(webannotation.collection_head(project.name))
        for statement, labels, _ in _statements(db, options):
            document_id = statement["document_id"]
            if cached[0] != document_id:
                cached = (document_id, document_text(db, document_id))
            for label in labels:
                if label["skipped"]:
                    continue
                label["annotator"] = pseudonyms.annotator(label["annotator"])
                item = webannotation.annotation(
                    statement,
                    label,
                    document_text=cached[1],
                    document_ref=refs[document_id],
                    scale=scale,
                    annotation_id=(
                        f"urn:sourcedesk:statement:{statement['statement_id']}:{label['annotator']}"
                    ),
                )
                fh.write(",\n" if rows else "\n")
                fh.write(json.dumps(item, ensure_ascii=False))
                rows += 1
            if progress is not None and rows and rows % 1000 == 0:
                progress(rows)
        fh.write(webannotation.collection_tail(rows))
    return ExportResult(path=out, format="webannotation", rows=rows)


def check_format(options: ExportOptions) -> None:
    """Options that cannot be honoured together, as an ExportError."""
    if options.format not in FORMATS and options.all_revisions:
        raise ExportError(f"all_revisions: the {options.format} format holds current labels only")
