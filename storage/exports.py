"""Reading labels for export in chunks, and running an export end to end.

Rows are read with a keyset cursor (`WHERE id > last ORDER BY id LIMIT n`), never one
fetchall of the whole table, so an export of millions of labels holds one chunk in memory
and each chunk is an index range scan however deep into the table it is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlite_utils import Database

from annotate.agreement.aggregate import dawid_skene
from annotate.agreement.reliability import ReliabilityData
from annotate.core.taxonomy import scale_preset
from annotate.exports import (
    LONG_COLUMNS,
    SUFFIXES,
    Columns,
    ExportFilters,
    ExportOptions,
    GlobalAggregate,
    Pseudonyms,
    WideChunk,
    atomic_path,
    long_rows,
    wide_columns,
    wide_rows,
    write_dataset,
    write_text_atomic,
)
from annotate.exports.card import (
    AnnotatorCount,
    DatasetCard,
    agreement_figures,
    card_json,
    card_markdown,
    card_paths,
    file_sha256,
)
from storage.frames import adjudications_frame, labels_frame
from storage.project import get_project, get_taxonomy, taxonomy_versions

_STATEMENT_SQL = """s.id AS statement_id, s.document_id, s.position, s.start, s."end",
    s.text, d.title, d.outlet, d.url, d.published, d.published_precision, d.language"""

_LABEL_SQL = """{t}.annotator_id, {t}.revision, {t}.source_type, {t}.also_cites, {t}.confidence,
    {t}.extra_ratings, {t}.who, {t}.cue, {t}.note, {t}.skipped, {t}.unsure, {t}.flagged,
    {t}.suggestion_shown, {t}.suggested_type, {t}.taxonomy_version, {t}.deleted"""


class ExportResult(BaseModel):
    path: Path
    rows: int
    card_md: Path | None = None
    card_json: Path | None = None
    seconds: float


def user_names(db: Database) -> dict[int, str]:
    return dict(db.execute("SELECT id, name FROM users").fetchall())


def annotators_in_order(db: Database) -> list[str]:
    """Every annotator, ordered by their first saved label (the pseudonym order)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT u.name FROM annotation_revisions r JOIN users u ON u.id = r.annotator_id "
            "GROUP BY r.annotator_id ORDER BY min(r.id)"
        )
    ]


def editors_in_order(db: Database) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT u.name FROM adjudication_revisions r JOIN users u ON u.id = r.editor_id "
            "GROUP BY r.editor_id ORDER BY min(r.id)"
        )
    ]


def _filter_sql(
    db: Database,
    filters: ExportFilters,
    t: str,
    *,
    revisions: bool = False,
    documents: bool = True,
) -> tuple[str, dict[str, Any]]:
    """SQL conditions on label table alias `t`; with `documents`, also on the joined
    statements `s` and documents `d`."""
    where = ["d.deleted = 0"] if documents else []
    params: dict[str, Any] = {}
    if not revisions:
        where.append(f"{t}.deleted = 0")
    if filters.document_ids and documents:
        marks = ", ".join(f":doc{i}" for i in range(len(filters.document_ids)))
        where.append(f"s.document_id IN ({marks})")
        params |= {f"doc{i}": v for i, v in enumerate(filters.document_ids)}
    if filters.annotators:
        ids = {n.casefold(): i for i, n in user_names(db).items()}
        unknown = [n for n in filters.annotators if n.casefold() not in ids]
        if unknown:
            raise ValueError(f"annotators: no user named {', '.join(map(repr, unknown))}")
        marks = ", ".join(f":ann{i}" for i in range(len(filters.annotators)))
        where.append(f"{t}.annotator_id IN ({marks})")
        params |= {f"ann{i}": ids[n.casefold()] for i, n in enumerate(filters.annotators)}
    stamp = f"{t}.created_at" if revisions else f"{t}.updated_at"
    if filters.labelled_from:
        where.append(f"substr({stamp}, 1, 10) >= :from")
        params["from"] = filters.labelled_from.isoformat()
    if filters.labelled_to:
        where.append(f"substr({stamp}, 1, 10) <= :to")
        params["to"] = filters.labelled_to.isoformat()
    return " AND ".join(where), params


def _columns(cursor: Any) -> list[str]:
    return [d[0] for d in cursor.description]


def iter_long_chunks(
    db: Database,
    filters: ExportFilters | None = None,
    *,
    all_revisions: bool = False,
    chunk_size: int = 10_000,
) -> Iterator[Columns]:
    """Raw label rows as column lists, `chunk_size` rows at a time, in save order."""
    filters = filters or ExportFilters()
    table, t = ("annotation_revisions", "r") if all_revisions else ("annotations", "a")
    where, params = _filter_sql(db, filters, t, revisions=all_revisions)
    stamp = "created_at" if all_revisions else "updated_at"
    sql = f"""SELECT {t}.id AS _key, {_STATEMENT_SQL}, {_LABEL_SQL.format(t=t)},
                     {t}.{stamp} AS labelled_at
              FROM {table} {t} JOIN statements s ON s.id = {t}.statement_id
              JOIN documents d ON d.id = s.document_id
              WHERE {t}.id > :after AND {where} ORDER BY {t}.id LIMIT :limit"""
    names = user_names(db)
    for columns in _keyset_pages(db, sql, params, chunk_size):
        columns["annotator"] = [names[i] for i in columns.pop("annotator_id")]
        yield columns


def iter_wide_chunks(
    db: Database, filters: ExportFilters | None = None, *, chunk_size: int = 10_000
) -> Iterator[WideChunk]:
    """Statements with at least one exported label or an adjudication, by statement id,
    each chunk with the current labels and adjudications of its statements."""
    filters = filters or ExportFilters()
    label_where, params = _filter_sql(db, filters, "a", documents=False)
    doc_where = ""
    if filters.document_ids:
        doc_where = "AND s.document_id IN ({})".format(
            ", ".join(f":doc{i}" for i in range(len(filters.document_ids)))
        )
        params |= {f"doc{i}": v for i, v in enumerate(filters.document_ids)}
    statements_sql = f"""
        SELECT {_STATEMENT_SQL} FROM statements s JOIN documents d ON d.id = s.document_id
        WHERE s.id > :after AND d.deleted = 0 AND s.kind = 'statement' {doc_where}
          AND (EXISTS (SELECT 1 FROM annotations a WHERE a.statement_id = s.id AND {label_where})
               OR EXISTS (SELECT 1 FROM adjudications j
                          WHERE j.statement_id = s.id AND j.deleted = 0))
        ORDER BY s.id LIMIT :limit"""
    labels_sql = f"""
        SELECT a.statement_id, a.annotator_id, a.source_type, a.also_cites, a.confidence,
               a.unsure, a.flagged, a.note, a.skipped, a.suggested_type, a.updated_at
        FROM annotations a
        WHERE a.statement_id BETWEEN :lo AND :hi AND {label_where}
        ORDER BY a.statement_id, a.annotator_id"""
    adjudications_sql = """
        SELECT statement_id, source_type, also_cites, confidence, editor_id FROM adjudications
        WHERE statement_id BETWEEN :lo AND :hi AND deleted = 0"""
    names = user_names(db)
    for statements in _keyset_pages(db, statements_sql, params, chunk_size):
        ids = statements["statement_id"]
        lo, hi = ids[0], ids[-1]
        wanted = set(ids)
        labels = [
            (r[0], names[r[1]], *r[2:])
            for r in db.execute(labels_sql, {**params, "lo": lo, "hi": hi})
            if r[0] in wanted
        ]
        adjudications = [
            (*r[:4], names[r[4]])
            for r in db.execute(adjudications_sql, {"lo": lo, "hi": hi})
            if r[0] in wanted
        ]
        yield WideChunk(statements=statements, annotations=labels, adjudications=adjudications)


def _keyset_pages(
    db: Database, sql: str, params: dict[str, Any], chunk_size: int
) -> Iterator[dict[str, list[Any]]]:
    """Run `sql` page by page (it takes :after and :limit and orders by its first column)
    and yield each page as column lists; never holds more than one page."""
    after = 0
    while True:
        cursor = db.execute(sql, {**params, "after": after, "limit": chunk_size})
        rows = cursor.fetchall()
        if not rows:
            return
        yield dict(zip(_columns(cursor), map(list, zip(*rows, strict=True)), strict=True))
        after = rows[-1][0]
        if len(rows) < chunk_size:
            return


def _label_summary(
    db: Database, filters: ExportFilters, all_revisions: bool
) -> tuple[list[tuple[str, int]], str | None, str | None, list[str]]:
    """(annotator, labels) in pseudonym order, first and last save, taxonomy versions."""
    table, t = ("annotation_revisions", "r") if all_revisions else ("annotations", "a")
    stamp = "created_at" if all_revisions else "updated_at"
    where, params = _filter_sql(db, filters, t, revisions=all_revisions)
    base = (
        f"FROM {table} {t} JOIN statements s ON s.id = {t}.statement_id "
        f"JOIN documents d ON d.id = s.document_id WHERE {where}"
    )
    counts = dict(
        db.execute(f"SELECT {t}.annotator_id, count(*) {base} GROUP BY 1", params).fetchall()
    )
    names = user_names(db)
    by_name = {names[i]: n for i, n in counts.items()}
    ordered = [(name, by_name[name]) for name in annotators_in_order(db) if name in by_name]
    first, last = db.execute(f"SELECT min({t}.{stamp}), max({t}.{stamp}) {base}", params).fetchone()
    versions = [
        r[0] for r in db.execute(f"SELECT DISTINCT {t}.taxonomy_version {base}", params) if r[0]
    ]
    return ordered, first, last, versions


def _dawid_skene(db: Database, filters: ExportFilters) -> GlobalAggregate:
    labels = labels_frame(db)
    if filters.document_ids:
        labels = labels[labels["document_id"].isin(filters.document_ids)]
    if filters.annotators:
        labels = labels[
            labels["annotator"].str.casefold().isin([n.casefold() for n in filters.annotators])
        ]
    adjudicated = adjudications_frame(db).set_index("statement_id")["source_type"].dropna()
    data = ReliabilityData.from_long(
        labels["statement_id"].to_numpy(),
        labels["annotator"].to_numpy(),
        labels["source_type"].to_numpy(),
    )
    result = dawid_skene(data, adjudicated)
    frame = result.labels
    return GlobalAggregate(
        label=dict(zip(frame["unit"].astype(int), frame["label"], strict=True)),
        posterior=dict(zip(frame["unit"].astype(int), frame["posterior"], strict=True)),
        method="dawid_skene",
    )


def default_file_name(db: Database, options: ExportOptions) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", get_project(db).name.lower()).strip("-") or "export"
    return f"{slug}-{options.shape}{SUFFIXES[options.format]}"


def export_dataset(
    db: Database,
    out: Path,
    options: ExportOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    card: bool = True,
    agreement: bool = True,
    n_boot: int = 1000,
) -> ExportResult:
    """Export labels to `out` (a file, or a directory for the default name) with its card."""
    started = time.perf_counter()
    options = options or ExportOptions()
    out = Path(out)
    if out.is_dir():
        out = out / default_file_name(db, options)
    project = get_project(db)
    scale = scale_preset(project.scale_preset)
    levels = scale.primary.ordinal_values
    pseudonyms = Pseudonyms(
        annotators_in_order(db), editors_in_order(db), enabled=options.pseudonymise
    )
    f = options.filters
    counts, first, last, versions = _label_summary(db, f, options.all_revisions)
    if options.shape == "long":
        columns = LONG_COLUMNS
        chunks: Iterator[Columns] = (
            long_rows(raw, pseudonyms)
            for raw in iter_long_chunks(
                db, f, all_revisions=options.all_revisions, chunk_size=options.chunk_size
            )
        )
    else:
        annotators = [name for name, _ in counts]
        columns = wide_columns([pseudonyms.annotator(n) for n in annotators])
        aggregate = _dawid_skene(db, f) if options.aggregation == "dawid_skene" else None
        chunks = (
            wide_rows(chunk, annotators, pseudonyms, confidence_levels=levels, aggregate=aggregate)
            for chunk in iter_wide_chunks(db, f, chunk_size=options.chunk_size)
        )
    rows = write_dataset(out, options.format, columns, chunks, progress=progress)
    result = ExportResult(path=out, rows=rows, seconds=0.0)
    if card:
        taxonomies = taxonomy_versions(db)
        current = get_taxonomy(db)
        used = [taxonomies[v] for v in versions if v in taxonomies]
        if current.version not in versions:
            used.append(current)
        figures, note = [], "Agreement was not computed for this export."
        if agreement:
            labels = labels_frame(db)
            if f.document_ids:
                labels = labels[labels["document_id"].isin(f.document_ids)]
            if f.annotators:
                wanted = [n.casefold() for n in f.annotators]
                labels = labels[labels["annotator"].str.casefold().isin(wanted)]
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
            format=options.format,
            shape=options.shape,
            options=options,
            pseudonymisation=pseudonyms.scheme,
            taxonomies=used,
            scale=scale,
            annotators=[
                AnnotatorCount(annotator=pseudonyms.annotator(n), labels=c) for n, c in counts
            ],
            labelled_from=dt.datetime.fromisoformat(first) if first else None,
            labelled_to=dt.datetime.fromisoformat(last) if last else None,
            agreement=figures,
            agreement_note=note,
            columns=list(columns),
        )
        if options.pseudonymise:
            hidden = [pseudonyms.annotator(n) for n in f.annotators]
            filters = f.model_copy(update={"annotators": hidden})
            dataset_card.options = options.model_copy(update={"filters": filters})
        md_path, json_path = card_paths(out)
        write_text_atomic(md_path, card_markdown(dataset_card))
        write_text_atomic(json_path, card_json(dataset_card))
        result.card_md, result.card_json = md_path, json_path
    result.seconds = time.perf_counter() - started
    return result


def dump_project(db: Database, out: Path, *, chunk_size: int = 5_000) -> dict[str, int]:
    """Write the whole project as a JSONL dump (see annotate.interchange.dump); returns counts."""
    from annotate.core.models import utcnow
    from annotate.interchange.dump import TABLES, end_line, header_line, row_line
    from storage.schema import schema_version

    get_project(db)
    counts: dict[str, int] = {}
    with atomic_path(Path(out)) as temp, temp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(header_line(schema_version(db), utcnow().isoformat()))
        for table in TABLES:
            counts[table] = 0
            after = -1
            while True:
                cursor = db.execute(
                    f"SELECT rowid AS __rowid, * FROM [{table}] WHERE rowid > ? "
                    "ORDER BY rowid LIMIT ?",
                    [after, chunk_size],
                )
                names = _columns(cursor)[1:]
                rows = cursor.fetchall()
                for row in rows:
                    fh.write(row_line(table, dict(zip(names, row[1:], strict=True))))
                counts[table] += len(rows)
                if len(rows) < chunk_size:
                    break
                after = rows[-1][0]
        fh.write(end_line(counts))
    return counts


def export_labelstudio(
    db: Database,
    out: Path,
    filters: ExportFilters | None = None,
    *,
    pseudonymise: bool = False,
    chunk_size: int = 5_000,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Label Studio tasks (a JSON list, streamed) and the labeling config beside them
    (`<name>.config.xml`)."""
    from annotate.interchange.labelstudio import labeling_config, task

    started = time.perf_counter()
    out = Path(out)
    if out.is_dir():
        out = out / default_file_name(db, ExportOptions()).replace("-long.csv", "-labelstudio.json")
    scale = scale_preset(get_project(db).scale_preset).primary
    pseudonyms = Pseudonyms(annotators_in_order(db), enabled=pseudonymise)
    order = {name: i for i, name in enumerate(annotators_in_order(db))}
    refs = dict(
        db.execute(
            "SELECT id, CASE WHEN external_id != '' THEN external_id ELSE content_hash END "
            "FROM documents"
        ).fetchall()
    )
    rows = 0
    with atomic_path(out) as temp, temp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("[")
        for chunk in iter_wide_chunks(db, filters, chunk_size=chunk_size):
            by_statement: dict[int, list[dict[str, Any]]] = {}
            for (
                sid,
                name,
                st,
                cites,
                conf,
                _u,
                _f,
                note,
                skipped,
                suggested,
                at,
            ) in chunk.annotations:
                by_statement.setdefault(sid, []).append(
                    {
                        "annotator": pseudonyms.annotator(name),
                        "order": order.get(name, 0),
                        "source_type": st,
                        "also_cites": json.loads(cites),
                        "confidence": conf,
                        "note": note,
                        "skipped": skipped,
                        "suggested_type": suggested,
                        "labelled_at": at,
                    }
                )
            names = list(chunk.statements)
            for values in zip(*chunk.statements.values(), strict=True):
                statement = dict(zip(names, values, strict=True))
                labels = sorted(
                    by_statement.get(statement["statement_id"], []), key=lambda lb: lb["order"]
                )
                item = task(
                    statement, labels, scale=scale, document_ref=refs[statement["document_id"]]
                )
                fh.write(",\n" if rows else "\n")
                fh.write(json.dumps(item, ensure_ascii=False))
                rows += 1
            if progress is not None:
                progress(rows)
        fh.write("\n]\n")
    config = out.with_name(f"{out.stem}.config.xml")
    write_text_atomic(config, labeling_config(get_taxonomy(db), scale))
    return ExportResult(path=out, rows=rows, seconds=time.perf_counter() - started)


def bulk_insert_for_bench(
    db: Database,
    n_annotations: int,
    *,
    annotators: int = 6,
    per_statement: int = 3,
    statements_per_document: int = 30,
    seed: int = 42,
) -> None:
    """Fill an empty project with synthetic labels fast (executemany in one transaction).

    For benchmarks only: it writes rows directly and skips the per-save bookkeeping
    (statement counters) that `save_annotation` keeps.
    """
    import random

    from annotate.core.taxonomy import default_taxonomy
    from storage.project import create_project, has_project
    from storage.transactions import write

    rng = random.Random(seed)
    if not has_project(db):
        create_project(db, "Bench project")
    keys = default_taxonomy().keys
    version = default_taxonomy().version
    now = "2024-05-01T12:00:00+00:00"
    n_statements = -(-n_annotations // per_statement)
    n_documents = -(-n_statements // statements_per_document)
    with write(db):
        db.conn.executemany(
            "INSERT INTO users (id, name, role, created_at) VALUES (?, ?, 'annotator', ?)",
            [(i, f"bench{i:02d}", now) for i in range(1, annotators + 1)],
        )
        sentence = "Selon des sources proches du dossier, la livraison aurait eu lieu."
        docs, statements = [], []
        sid = 0
        for d in range(1, n_documents + 1):
            count = min(statements_per_document, n_statements - sid)
            text = "\n".join([sentence] * count)
            docs.append(
                (
                    d,
                    f"Article {d}",
                    "Le Monde",
                    f"https://example.org/{d}",
                    f"2024-{1 + d % 12:02d}-{1 + d % 28:02d}",
                    "day",
                    "fr",
                    text,
                    f"{d:064x}",
                    now,
                )
            )
            for p in range(count):
                sid += 1
                start = p * (len(sentence) + 1)
                statements.append((sid, d, p, start, start + len(sentence), sentence))
        db.conn.executemany(
            "INSERT INTO documents (id, title, outlet, url, published, published_precision, "
            "language, text, content_hash, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            docs,
        )
        db.conn.executemany(
            'INSERT INTO statements (id, document_id, position, start, "end", text) '
            "VALUES (?,?,?,?,?,?)",
            statements,
        )
        rows = []
        for i in range(n_annotations):
            statement = i // per_statement + 1
            annotator = (statement + i % per_statement) % annotators + 1
            cites = '["document"]' if i % 7 == 0 else "[]"
            rows.append(
                (
                    i + 1,
                    statement,
                    annotator,
                    rng.choice(keys),
                    cites,
                    rng.randint(1, 5),
                    version,
                    now,
                    now,
                )
            )
        db.conn.executemany(
            "INSERT INTO annotations (id, statement_id, annotator_id, revision, source_type, "
            "also_cites, confidence, taxonomy_version, created_at, updated_at) "
            "VALUES (?,?,?,1,?,?,?,?,?,?)",
            rows,
        )
        db.conn.executemany(
            "INSERT INTO annotation_revisions (annotation_id, statement_id, annotator_id, "
            "revision, source_type, also_cites, confidence, taxonomy_version, created_at) "
            "VALUES (?,?,?,1,?,?,?,?,?)",
            [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows],
        )
