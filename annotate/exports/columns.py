"""The columns of every export, declared once as data.

The same declarations type the Parquet schema, order the CSV/Excel header and document
the columns in the dataset card, so the card can never describe a column the file lacks.
"""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

ColumnType = Literal["int", "float", "string", "bool", "date", "timestamp", "list"]

ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "list": pa.list_(pa.string()),
}


class Column(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: ColumnType
    description: str
    recorded: bool = False
    """Exported only when the database records it (a label field added by a later
    schema step); absent from older databases' exports rather than empty."""


def _c(name: str, type_: ColumnType, description: str, *, recorded: bool = False) -> Column:
    return Column(name=name, type=type_, description=description, recorded=recorded)


STATEMENT_COLUMNS: tuple[Column, ...] = (
    _c("statement_id", "int", "Statement id in the source database."),
    _c("document_id", "int", "Document id in the source database."),
    _c("position", "int", "Order of the statement in its document (0-based)."),
    _c("start", "int", "Character offset where the statement starts in the document text."),
    _c("end", "int", "Character offset where the statement ends (exclusive)."),
    _c("text", "string", "The statement as it appears in the document."),
    _c("title", "string", "Document title."),
    _c("outlet", "string", "Publishing outlet."),
    _c("url", "string", "Address of the article."),
    _c("published", "date", "Publication date (precision may be year or month, see below)."),
    _c("published_precision", "string", "year, month or day: how much of `published` is known."),
    _c("language", "string", "Language code of the document."),
)

LABEL_COLUMNS: tuple[Column, ...] = (
    _c("annotator", "string", "Who labelled (a pseudonym if the export is pseudonymised)."),
    _c("revision", "int", "Revision number of this label (1 = first save)."),
    _c("source_type", "string", "Primary source type (taxonomy key); empty when skipped."),
    _c("also_cites", "list", "Secondary source types the statement also cites."),
    _c("confidence", "int", "Confidence rating on the project's scale (integer value)."),
    _c("extra_ratings", "string", "Further ratings of the scale preset, as a JSON object."),
    _c("who", "string", "The source span: who is cited."),
    _c("cue", "string", "The reporting verb or phrase that attributes the statement."),
    _c("note", "string", "Annotator's free-text note."),
    _c("skipped", "bool", "The annotator skipped the statement."),
    _c("unsure", "bool", "The annotator marked the label as unsure."),
    _c("flagged", "bool", "The annotator flagged the statement for an editor."),
    _c("suggestion_shown", "bool", "A pre-annotation suggestion was shown before labelling."),
    _c("suggested_type", "string", "The suggested source type, if any (not the annotator's)."),
    _c("suggestion_version", "string",
       "What made the suggestion: the project model's version, or `rules` for the rules "
       "alone; empty when none was shown or the label predates this record.",
       recorded=True),
    _c("suggested_who", "string", "The suggested source span (not the annotator's `who`).",
       recorded=True),
    _c("suggested_cue", "string", "The suggested reporting cue (not the annotator's `cue`).",
       recorded=True),
    _c("taxonomy_version", "string", "Taxonomy version the label was made under."),
    _c("scale_preset", "string", "Rating scale preset the label was made on.", recorded=True),
    _c("scale_version", "string", "Version of that scale.", recorded=True),
    _c("text_version", "string", "Version of the statement text that was labelled.",
       recorded=True),
    _c("lead_time_seconds", "float", "Seconds from showing the statement to saving the label.",
       recorded=True),
    _c("keys", "string", "Keyboard shortcuts used for the label, as a JSON array.",
       recorded=True),
    _c("imported", "bool", "This revision came from an import (import-labels), not the app.",
       recorded=True),
    _c("deleted", "bool", "This revision deletes the label (only in all-revisions exports)."),
    _c("labelled_at", "timestamp", "When this revision was saved (UTC)."),
)  # fmt: skip

STATEMENT_RESULT_COLUMNS: tuple[Column, ...] = (
    _c("adjudicated_source_type", "string",
       "The statement's final source type set by an editor; empty if not adjudicated."),
    _c("statement_agreement", "float",
       "Share of the statement's (non-skipped) labels that chose its most chosen source type."),
)  # fmt: skip

LONG_COLUMNS: tuple[Column, ...] = STATEMENT_COLUMNS + LABEL_COLUMNS + STATEMENT_RESULT_COLUMNS

ANNOTATOR_FIELDS: tuple[Column, ...] = (
    _c("source_type", "string", "This annotator's primary source type."),
    _c("also_cites", "list", "This annotator's secondary source types."),
    _c("confidence", "int", "This annotator's confidence rating."),
    _c("unsure", "bool", "This annotator marked the label as unsure."),
    _c("flagged", "bool", "This annotator flagged the statement."),
    _c("note", "string", "This annotator's note."),
    _c("skipped", "bool",
       "True: this annotator skipped the statement; false: labelled it; empty: no label."),
)  # fmt: skip

WIDE_TAIL_COLUMNS: tuple[Column, ...] = (
    _c("n_annotators", "int", "Number of annotators with a (non-skipped) label."),
    _c("adjudicated_source_type", "string", "Editor's final source type, if adjudicated."),
    _c("adjudicated_also_cites", "list", "Editor's final secondary source types."),
    _c("adjudicated_confidence", "int", "Editor's final confidence rating."),
    _c("adjudicated_by", "string", "Editor who adjudicated (pseudonym if pseudonymised)."),
    _c(
        "aggregated_source_type",
        "string",
        "One label per statement: adjudicated label if any, "
        "else the aggregation method's label; empty on a tie.",
    ),
    _c("aggregated_method", "string", "adjudicated, majority, tie or dawid_skene."),
    _c("aggregated_tied_labels", "list", "The tied labels when the vote is a tie."),
    _c("aggregated_agreement", "float", "Share of annotators who chose the aggregated label."),
    _c(
        "aggregated_posterior",
        "float",
        "Dawid-Skene posterior of the aggregated label (empty unless that method was chosen).",
    ),
    _c(
        "aggregated_confidence",
        "int",
        "Adjudicated confidence if any, else the lower median of the annotators' ratings.",
    ),
)


def wide_columns(annotators: list[str]) -> tuple[Column, ...]:
    """Statement columns, then `<annotator>__<field>` per annotator, then the aggregates."""
    per_annotator = tuple(
        Column(
            name=f"{name}__{field.name}",
            type=field.type,
            description=field.description.replace("This annotator", name),
        )
        for name in annotators
        for field in ANNOTATOR_FIELDS
    )
    return STATEMENT_COLUMNS + per_annotator + WIDE_TAIL_COLUMNS


def recorded_only(columns: tuple[Column, ...], available: set[str]) -> tuple[Column, ...]:
    """The columns a database can fill: `recorded` columns only where it has them."""
    return tuple(c for c in columns if not c.recorded or c.name in available)


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in columns])


def columns_markdown(columns: tuple[Column, ...]) -> str:
    """A Markdown table of the columns (used by dataset cards and the README)."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    lines += [
        f"| `{c.name}` | {c.type} | {c.description}"
        + (" (when the database records it)" if c.recorded else "")
        + " |"
        for c in columns
    ]
    return "\n".join(lines)
