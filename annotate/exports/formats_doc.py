# ruff: noqa: E501  (Markdown table rows are one line each)
"""docs/formats.md, generated from the column spec (`python -m annotate.exports.formats_doc`).

A test keeps the file equal to `formats_markdown()`, so the documentation lists exactly
the columns the exports write.
"""

from __future__ import annotations

from annotate.exports.columns import LONG_COLUMNS, columns_markdown, wide_columns

READS = """# Formats

## Files SourceDesk reads

| file | what it holds |
|---|---|
| `.txt`, `.md` | one article. Optional header lines at the top (`title:`, `outlet:`, `url:`, `date:`, `language:`, or `date 2024-01` on the first line); a Markdown `# Title` is the title. Without a date header, a dateline at the top ("PARIS, March 4, 2025 —", "Paris, le 4 mars 2025") gives the publication date. |
| `.html`, `.htm` | one article page; the main text is extracted (navigation, menus and footers dropped), with title, date and site name from the page's metadata. |
| `.csv` (`,` `;` or tab; UTF-8, with or without BOM) and `.jsonl` | one article per row in a `text` column (optional `title`, `outlet`, `url`, `published`, `language`, `id`), or ready-made statements: rows that share a `document_id` form one document, one statement per row. |
| Label Studio exports (`sourcedesk import-labels`) | JSON (tasks with `annotations`, or `completions` before Label Studio 1.0), JSON-MIN, CSV and TSV; `completed_by` as an integer (named by the `NAME.users.json` listing beside the file, or `--users`) or an object; tasks with or without ids. `ground_truth` annotations become final labels. JSON-MIN, CSV and TSV name a control only by its column, so the labelling config's controls must be named as SourceDesk's (`source_type`, `also_cites`, `confidence`, `note`); annotations with other keys (another config's controls) and none of them are refused; an annotation with nothing chosen is a statement without a label. |
| doccano exports (`sourcedesk import-labels`) | JSONL (or its JSON export, one list of the same objects) with `text` and `label` (or `labels`; one source type, the others as `also_cites:<key>`, and `confidence:<code>`); 1.0.x JSONL with `annotations` holding label ids (`--labels labels.json` names them); CSV with `text` and `label` (labels joined by `#`), UTF-8 or UTF-16. Its per-person exports name no one: `--user NAME`. |
| SourceDesk dump (`sourcedesk dump`) | the whole project as JSON lines, for `sourcedesk load` into an empty database. |

Every file either imports whole or not at all; an error names the file, the line and the field.
The same article imported twice (same text, whatever the spacing) is reported, not duplicated.

`import-labels` needs every label to be a source type of the project: map another tool's labels
with `--map THEIRS=OURS` (repeatable) or leave them out with `--unmapped skip`; otherwise every
unknown label is listed and nothing is imported. People named in the file who have no account
get an inactive one (an administrator activates it); imported revisions are marked as imported,
with the file's name; a person's existing label is replaced only with `--overwrite`, and only
where the file gives another answer (a label it gives as it is keeps its history).
`load` checks every value of the dump (types, references, offsets, taxonomy keys, timestamps),
refuses password hashes, and restores accounts as annotators unless `--keep-roles`.
"""

EXPORTS = """## Exports

`sourcedesk export --out FILE` (or the Export page) writes the format that the file's extension
names (`.csv`, `.xlsx`, `.jsonl`, `.parquet`; `.json` for Label Studio, `.jsonld` for W3C Web
Annotations; `--format doccano` for doccano JSONL); `--format` must agree with the extension.
Annotators are pseudonymised everywhere by default: `annotator_01`, `annotator_02`, ... numbered
by their first saved label, editors `editor_01`, ...; `--real-names` keeps account names.

Every dataset export (`--shape long|wide`) writes a dataset card beside it (`NAME.card.md` and
`NAME.card.json`): a Hugging Face YAML header (languages as ISO 639 codes, license (`--license`,
one of the identifiers the Hub lists, e.g. `cc-by-4.0`, or `other`), task category,
size category, data file, each column's type as a `datasets` feature), then the project, taxonomy versions with definitions, rating scale,
annotator pseudonyms and counts, agreement figures with intervals, date range, export time, and
the exact options and filters used. Exported into a folder (`--out DIR/`, or the Export page's
zip), the Markdown card is the folder's `README.md`, the file Hugging Face reads a dataset card
from, so the folder can be pushed as a Hugging Face dataset as it is. The next export into the
folder replaces that card if no one has edited it; a `README.md` that an export did not write,
or that was edited since, is never replaced (the export stops, and writes nothing).
Hugging Face reads the CSV, JSONL and Parquet exports; Excel is for people, not for the Hub.

- CSV is UTF-8 with a BOM (Excel reads accents right); lists are JSON arrays. In CSV and Excel,
  control characters are removed from text cells, then a cell that begins with `=`, `+`, `-`,
  `@`, a tab or a carriage return is prefixed with `'`; Excel cells are written as explicit
  strings, so no value is ever a formula. JSONL and Parquet keep values unchanged.
- Parquet keeps types: dates as `date32`, times as UTC timestamps, ratings as nullable
  integers, lists as `list<string>`, flags as booleans. `pandas.read_parquet` and Hugging Face
  `datasets` read both Parquet and JSONL as they are.
- Columns marked "when the database records it" appear once the database has that field.
"""

INTERCHANGE = """### Label Studio

`--format labelstudio` (`.json`) writes a JSON list of tasks: `data.text` is the statement,
`data.meta` carries the document (its publication date with how much of it is known) and
offsets; each annotator's label is one entry of
`annotations`, whose `result` holds `choices` results for `source_type`, `also_cites` and
`confidence` and a `textarea` result for the note. `completed_by` is one integer per person,
the same on every task, and the people are listed in `NAME.users.json` (pseudonyms by default).
An editor's final label is a `ground_truth` annotation; suggestions are `predictions` with
their `model_version`. The matching labelling configuration is written beside it
(`NAME.config.xml`).

Label Studio (1.23) reads `completed_by` as one of its own user ids: it refuses the import
when a number is none of its users, and otherwise credits each label to whoever holds that id
there, so the people of an imported project are those of `NAME.users.json` only after a check
of both lists. A task's `predictions` are read by no import:
they are the suggester's output, tied to no one's label.

### doccano

`--format doccano` writes JSONL, one line per label: `text`, `label` (the source type, each
source it also cites as `also_cites:<key>`, and `confidence:<code>`), `user`, and `meta` with
the statement and document references, so that `import-labels` reads it back exactly, also
after doccano has sorted the labels. doccano itself makes one example per line and gives every
label to the person who uploads the file. A label list with two plain source types does not
say which one the statement comes from (doccano writes a text's labels sorted): the import
lists it as a problem, as it does a list with two confidence levels; in every reader, cited
sources without a source type are a problem too. A doccano file that names no person (its per-user exports) needs
`--user NAME`, as does a Label Studio annotation without `completed_by`; a user number that
no listing names is kept as the tool's own id (`doccano_user_<id>`, `labelstudio_user_<id>`).

### W3C Web Annotation

`--format webannotation` (`.jsonld`) writes an `AnnotationCollection` (JSON-LD) with one
`Annotation` per label: the target is the article (its URL) narrowed by a `TextQuoteSelector`
(the statement with its surrounding text) and a `TextPositionSelector` (its offsets in the
document text); the source type is a `classifying` body, the confidence and note `describing`
and `commenting` bodies. `created` is when the label was first saved, `modified` when it was
last revised (both UTC).
"""


def formats_markdown() -> str:
    return "\n".join(
        [
            READS,
            EXPORTS,
            "### Long shape: one row per label",
            "",
            "One row per current label (or per revision with `--all-revisions`).",
            "",
            columns_markdown(LONG_COLUMNS),
            "",
            "### Wide shape: one row per statement",
            "",
            "One row per statement with at least one label or an adjudication; each annotator's",
            "fields in their own columns (shown here for one annotator, `annotator_01`).",
            "",
            columns_markdown(wide_columns(["annotator_01"])),
            "",
            INTERCHANGE,
        ]
    )


if __name__ == "__main__":
    print(formats_markdown(), end="")
