"""Read-only tables for analysis: current labels and final labels as pandas frames."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlite_utils import Database

from annotate.agreement.report import LABEL_COLUMNS


def labels_frame(db: Database) -> pd.DataFrame:
    """One row per current, non-deleted, non-skipped label, with the document's metadata,
    in statement order, then annotator (`storage.arrow_reads.labels_table` puts them so)."""
    from storage.arrow_reads import labels_table

    table = labels_table(db)
    # Dates are parsed once per distinct value (a few per document), not once per label.
    published = pc.dictionary_encode(table["published"].combine_chunks(), null_encoding="encode")
    confidence = table.select(["confidence"]).to_pandas(
        types_mapper={pa.int64(): pd.Int64Dtype()}.get  # missing stays missing, not NaN
    )["confidence"]
    # Each column's Arrow memory is let go as soon as it is converted: millions of labels
    # are then never held twice over. The columns are copies all the same (no
    # split_blocks): shared without a copy, Arrow's read-only memory would refuse a caller
    # that sets values in place.
    rest = table.drop_columns(["published", "confidence"])
    del table
    frame = rest.to_pandas(self_destruct=True)
    del rest
    frame["suggestion_shown"] = frame["suggestion_shown"].astype(bool)
    dates = pd.to_datetime(published.dictionary.to_pandas()).dt.date
    frame["published"] = dates.take(published.indices.to_numpy()).reset_index(drop=True)
    frame["confidence"] = confidence
    return frame[list(LABEL_COLUMNS)]


def adjudications_frame(db: Database) -> pd.DataFrame:
    frame = pd.read_sql_query(
        "SELECT statement_id, source_type, confidence FROM adjudications WHERE deleted = 0 "
        "ORDER BY statement_id",
        db.conn,
    )
    frame["confidence"] = frame["confidence"].astype("Int64")
    return frame


def annotator_counts(db: Database) -> pd.DataFrame:
    """Per annotator: current labels, skips, flags, last activity."""
    return pd.read_sql_query(
        """
        SELECT u.name AS annotator, u.role,
               coalesce(sum(a.deleted = 0 AND a.skipped = 0), 0) AS labels,
               coalesce(sum(a.deleted = 0 AND a.skipped = 1), 0) AS skipped,
               coalesce(sum(a.deleted = 0 AND a.flagged = 1), 0) AS flagged,
               max(a.updated_at) AS last_saved
        FROM users u LEFT JOIN annotations a ON a.annotator_id = u.id
        GROUP BY u.id ORDER BY u.name
        """,
        db.conn,
    )


def totals(db: Database) -> dict[str, int]:
    row = db.execute(
        """SELECT (SELECT count(*) FROM documents WHERE deleted = 0),
                  (SELECT count(*) FROM live_statements),
                  (SELECT count(*) FROM annotations WHERE deleted = 0),
                  (SELECT count(*) FROM annotation_revisions),
                  (SELECT count(*) FROM adjudications WHERE deleted = 0),
                  (SELECT count(*) FROM live_statements WHERE complete)"""
    ).fetchone()
    keys = ("documents", "statements", "annotations", "revisions", "adjudications", "complete")
    return dict(zip(keys, row, strict=True))


def data_version(db: Database) -> tuple[int, ...]:
    """A cheap signature that changes when labels, documents or assignments change.

    Reads only primary-key maxima and two small counts, so pages can key cached frames
    on it at every rerun.
    """
    row = db.execute(
        """SELECT (SELECT coalesce(max(id), 0) FROM annotation_revisions),
                  (SELECT coalesce(max(id), 0) FROM adjudication_revisions),
                  (SELECT coalesce(max(id), 0) FROM documents),
                  (SELECT coalesce(max(id), 0) FROM statements),
                  (SELECT count(*) FROM assignments),
                  (SELECT count(*) FROM documents WHERE deleted = 1)"""
    ).fetchone()
    return tuple(row)


def statement_texts(db: Database, statement_ids: list[int]) -> dict[int, str]:
    """{id: text} of the given statements, in one query whatever their number."""
    rows = db.execute(
        "SELECT id, text FROM statements WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps([int(i) for i in statement_ids])],
    ).fetchall()
    return {int(i): str(t) for i, t in rows}
