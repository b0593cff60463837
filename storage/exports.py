"""Reading labels for export in chunks (the wide shape and the interchange formats),
and the small facts an export reports (names, counts, dates, document references).

Rows are read with a keyset cursor (`WHERE id > last ORDER BY id LIMIT n`), never one
fetchall of the whole table, so an export of millions of labels holds one chunk in memory
and each chunk is an index range scan however deep into the table it is. The long shape
reads Arrow batches instead (storage.arrow_reads).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlite_utils import Database

from annotate.exports import Columns, ExportFilters, WideChunk
from storage.errors import StorageError

_STATEMENT_SQL = """s.id AS statement_id, s.document_id, s.position, s.start, s."end",
    s.text, d.title, d.outlet, d.url, d.published, d.published_precision, d.language"""

_LABEL_SQL = """{t}.annotator_id, {t}.revision, {t}.source_type, {t}.also_cites, {t}.confidence,
    {t}.extra_ratings, {t}.who, {t}.cue, {t}.note, {t}.skipped, {t}.unsure, {t}.flagged,
    {t}.suggestion_shown, {t}.suggested_type, {version} AS suggestion_version,
    {t}.taxonomy_version, {t}.deleted"""


def _suggestion_version(db: Database, table: str, t: str) -> str:
    """The label's suggester version, or '' from a database opened read-only before the
    schema step that records it (exports read such files without upgrading them)."""
    columns = {row[1] for row in db.execute(f"PRAGMA table_info([{table}])").fetchall()}
    return f"{t}.suggestion_version" if "suggestion_version" in columns else "''"


def user_names(db: Database) -> dict[int, str]:
    return dict(db.execute("SELECT id, name FROM users").fetchall())


def _by_first_revision(db: Database, table: str, person: str) -> list[int]:
    """The people a revision table names (`person` is its user column), in the order of
    their first revision: the order of pseudonyms and of export user numbers."""
    sql = f"SELECT {person} FROM {table} GROUP BY {person} ORDER BY min(id)"
    return [r[0] for r in db.execute(sql)]


def annotators_in_order(db: Database) -> list[str]:
    """Every annotator, ordered by their first saved label (the pseudonym order)."""
    names = user_names(db)
    return [names[i] for i in _by_first_revision(db, "annotation_revisions", "annotator_id")]


def editors_in_order(db: Database) -> list[str]:
    names = user_names(db)
    return [names[i] for i in _by_first_revision(db, "adjudication_revisions", "editor_id")]


def _in_list(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """`(:name0, :name1, ...)` and its parameters: the right side of `column IN` a list."""
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return "(" + ", ".join(f":{key}" for key in params) + ")", params


def filter_sql(
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
        marks, values = _in_list("doc", filters.document_ids)
        where.append(f"s.document_id IN {marks}")
        params |= values
    if filters.annotators:
        marks, values = _in_list("ann", annotator_ids(db, filters.annotators))
        where.append(f"{t}.annotator_id IN {marks}")
        params |= values
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
    where, params = filter_sql(db, filters, t, revisions=all_revisions)
    stamp = "created_at" if all_revisions else "updated_at"
    label_sql = _LABEL_SQL.format(t=t, version=_suggestion_version(db, table, t))
    sql = f"""SELECT {t}.id AS _key, {_STATEMENT_SQL}, {label_sql},
                     {t}.{stamp} AS labelled_at
              FROM {table} {t} JOIN statements s ON s.id = {t}.statement_id
              JOIN documents d ON d.id = s.document_id
              WHERE {t}.id > :after AND {where} ORDER BY {t}.id LIMIT :limit"""
    names = user_names(db)
    for columns in _keyset_pages(db, sql, params, chunk_size):
        columns["annotator"] = [names[i] for i in columns.pop("annotator_id")]
        yield columns


def iter_wide_chunks(
    db: Database,
    filters: ExportFilters | None = None,
    *,
    chunk_size: int = 10_000,
    first_saved: bool = False,
) -> Iterator[WideChunk]:
    """Statements with at least one exported label or an adjudication, by statement id,
    each chunk with the current labels and adjudications of its statements (with
    `first_saved`, each label's row ends with the time it was first saved: the
    interchange formats give it, the wide shape does not read it)."""
    filters = filters or ExportFilters()
    label_where, params = filter_sql(db, filters, "a", documents=False)
    doc_where = ""
    if filters.document_ids:
        marks, values = _in_list("doc", filters.document_ids)
        doc_where = f"AND s.document_id IN {marks}"
        params |= values
    statements_sql = f"""
        SELECT {_STATEMENT_SQL} FROM statements s JOIN documents d ON d.id = s.document_id
        WHERE s.id > :after AND d.deleted = 0 AND s.kind = 'statement' {doc_where}
          AND (EXISTS (SELECT 1 FROM annotations a WHERE a.statement_id = s.id AND {label_where})
               OR EXISTS (SELECT 1 FROM adjudications j
                          WHERE j.statement_id = s.id AND j.deleted = 0))
        ORDER BY s.id LIMIT :limit"""
    labels_sql = f"""
        SELECT a.statement_id, a.annotator_id, a.source_type, a.also_cites, a.confidence,
               a.unsure, a.flagged, a.note, a.skipped, a.suggested_type,
               {_suggestion_version(db, "annotations", "a")}, a.updated_at
               {", a.created_at" if first_saved else ""}
        FROM annotations a
        WHERE a.statement_id BETWEEN :lo AND :hi AND {label_where}
        ORDER BY a.statement_id, a.annotator_id"""
    adjudications_sql = """
        SELECT statement_id, source_type, also_cites, confidence, editor_id, note, updated_at
        FROM adjudications WHERE statement_id BETWEEN :lo AND :hi AND deleted = 0"""
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
            (*r[:4], names[r[4]], *r[5:])
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


def label_summary(
    db: Database, filters: ExportFilters, all_revisions: bool
) -> tuple[list[tuple[str, int]], str | None, str | None, list[str]]:
    """(annotator, labels) in pseudonym order, first and last save, taxonomy versions."""
    table, t = ("annotation_revisions", "r") if all_revisions else ("annotations", "a")
    stamp = "created_at" if all_revisions else "updated_at"
    where, params = filter_sql(db, filters, t, revisions=all_revisions)
    base = (
        f"FROM {table} {t} JOIN statements s ON s.id = {t}.statement_id "
        f"JOIN documents d ON d.id = s.document_id WHERE {where}"
    )
    counts: dict[int, int] = {}
    versions: list[str] = []
    stamps: list[str] = []
    for annotator, version, n, low, high in db.execute(  # one scan for every figure
        f"SELECT {t}.annotator_id, {t}.taxonomy_version, count(*), min({t}.{stamp}), "
        f"max({t}.{stamp}) {base} GROUP BY 1, 2",
        params,
    ):
        counts[annotator] = counts.get(annotator, 0) + n
        if version and version not in versions:
            versions.append(version)
        stamps += [low, high]
    names = user_names(db)
    by_name = {names[i]: n for i, n in counts.items()}
    ordered = [(name, by_name[name]) for name in annotators_in_order(db) if name in by_name]
    first, last = (min(stamps), max(stamps)) if stamps else (None, None)
    return ordered, first, last, versions


def annotator_ids(db: Database, names: list[str]) -> list[int]:
    """User ids of the named annotators (any case); unknown names are an error."""
    ids = {n.casefold(): i for i, n in user_names(db).items()}
    unknown = [n for n in names if n.casefold() not in ids]
    if unknown:
        raise StorageError(f"annotators: no user named {', '.join(map(repr, unknown))}")
    return [ids[n.casefold()] for n in names]


def user_ids_in_order(db: Database) -> list[int]:
    """Every user who labelled or adjudicated: annotators by first label, then editors
    who never labelled, by first adjudication (the order of export user numbers)."""
    ids = _by_first_revision(db, "annotation_revisions", "annotator_id")
    editors = _by_first_revision(db, "adjudication_revisions", "editor_id")
    return ids + [editor for editor in editors if editor not in ids]


def document_refs(db: Database) -> dict[int, str]:
    """Each document's reference for interchange files: its external id, else its hash."""
    return dict(
        db.execute(
            "SELECT id, CASE WHEN external_id != '' THEN external_id ELSE content_hash END "
            "FROM documents"
        ).fetchall()
    )


def document_text(db: Database, document_id: int) -> str:
    row = db.execute("SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()
    return row[0] if row else ""


def export_languages(db: Database, document_ids: list[int]) -> list[str]:
    """Languages of the live documents (of `document_ids` if given), most documents first."""
    where = "deleted = 0"
    params: dict[str, Any] = {}
    if document_ids:
        marks, params = _in_list("doc", document_ids)
        where += f" AND id IN {marks}"
    return [
        r[0]
        for r in db.execute(
            f"SELECT language FROM documents WHERE {where} GROUP BY language "
            "ORDER BY count(*) DESC, language",
            params,
        )
    ]


def table_rows(db: Database, table: str, chunk_size: int) -> Iterator[dict[str, Any]]:
    """Every row of `table` as a dict, in rowid order, one chunk in memory at a time."""
    after = -1
    while True:
        cursor = db.execute(
            f"SELECT rowid AS __rowid, * FROM [{table}] WHERE rowid > ? ORDER BY rowid LIMIT ?",
            [after, chunk_size],
        )
        names = _columns(cursor)[1:]
        rows = cursor.fetchall()
        for row in rows:
            yield dict(zip(names, row[1:], strict=True))
        if len(rows) < chunk_size:
            return
        after = rows[-1][0]
