"""The dataset card written beside every export (`<name>.card.md` and `<name>.card.json`;
`README.md` for the Markdown card of an export into a folder, see `card_paths`).

A file of labels is only reusable with its context: what the labels mean (taxonomy
versions and definitions), the rating scale, who labelled (pseudonymously), how well they
agreed, when, and exactly which filters and options produced the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from annotate.core.models import utcnow
from annotate.core.taxonomy import ScalePreset, Taxonomy
from annotate.exports.columns import Column, columns_markdown
from annotate.exports.options import ExportOptions

CARD_VERSION = "1"


class AnnotatorCount(BaseModel):
    annotator: str
    labels: int


class AgreementFigure(BaseModel):
    variable: str
    coefficient: str
    metric: str | None = None
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    level: float = 0.95
    n_units: int = 0
    reading: str | None = None
    explanation: str | None = None


class DatasetCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_version: str = CARD_VERSION
    project: str
    file: str
    sha256: str
    rows: int
    format: str
    shape: str
    exported_at: dt.datetime = Field(default_factory=utcnow)
    options: ExportOptions
    pseudonymisation: str
    taxonomies: list[Taxonomy]
    scale: ScalePreset
    annotators: list[AnnotatorCount]
    labelled_from: dt.datetime | None = None
    labelled_to: dt.datetime | None = None
    agreement: list[AgreementFigure] = Field(default_factory=list)
    agreement_note: str = ""
    columns: list[Column]
    languages: list[str] = Field(default_factory=list)
    license: str = "unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def agreement_figures(
    labels: pd.DataFrame,
    adjudications: pd.DataFrame | None,
    *,
    confidence_levels: list[int],
    n_boot: int = 1000,
) -> list[AgreementFigure]:
    """Headline figures from the agreement report: percent agreement, alpha, Fleiss, Gwet,
    as the one flattening of a report gives them to the page and the CLI."""
    from annotate.agreement.report import build_report
    from annotate.agreement.table import headline_records

    if labels.empty:
        return []
    report = build_report(
        labels, adjudications, confidence_levels=confidence_levels, n_boot=n_boot, top=0
    )
    return [AgreementFigure.model_validate(record) for record in headline_records(report)]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


SIZE_CATEGORIES: tuple[tuple[int, str], ...] = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
)


def size_category(rows: int) -> str:
    """The Hugging Face size category of a dataset of `rows` rows."""
    for limit, name in SIZE_CATEGORIES:
        if rows < limit:
            return name
    return "100M<n<1B"


_NOT_YAML_TEXT = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
"""What a YAML reader does not take as it is inside a quoted scalar: DEL and the C1 controls
(not printable), NEL and the Unicode line and paragraph separators (line breaks to a YAML
1.1 reader, folded into a space), the byte-order mark and the non-characters."""


def _yaml_text(value: str) -> str:
    """A YAML scalar that is always read back as this exact string: JSON is YAML, once the
    characters YAML would change are escaped too."""
    import json

    text = json.dumps(value, ensure_ascii=False)
    return _NOT_YAML_TEXT.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


_LANGUAGE = re.compile("[a-z]{2,3}")
"""An ISO 639-1, -2 or -3 code."""


def card_yaml(card: DatasetCard) -> str:
    """The YAML header of a Hugging Face dataset card (the `---` block at the top)."""
    # The Hub lists a dataset's languages as ISO 639 codes: "fr", not the region tag "fr-ca".
    # A language that is no such code (free text from an imported file) is left out.
    primary = (lang.split("-")[0].split("_")[0].lower() for lang in card.languages if lang)
    languages = list(dict.fromkeys(x for x in primary if _LANGUAGE.fullmatch(x) and x != "und"))
    lines = ["---"]
    if languages:
        lines += ["language:", *[f"- {_yaml_text(lang)}" for lang in languages]]
    lines += [
        f"license: {_yaml_text(card.license)}",
        f"pretty_name: {_yaml_text(card.project)}",
        "task_categories:",
        "- text-classification",
        "size_categories:",
        f"- {size_category(card.rows)}",
        "tags:",
        "- source-attribution",
        "- journalism",
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: train",
        f"    path: {_yaml_text(card.file)}",
        *_features(card),
        "---",
        "",
    ]
    return "\n".join(lines)


_HUB_TYPES: dict[str, str] = {
    "int": "int64", "float": "float64", "string": "string", "bool": "bool", "date": "date32",
    "timestamp": "timestamp[ms, tz=UTC]",
}  # fmt: skip
"""Each column type as a Hugging Face `datasets` feature type (lists apart, see `_features`)."""


def _features(card: DatasetCard) -> list[str]:
    """`dataset_info.features`: the columns' types, so that the Hub reads them as exported
    instead of guessing from the cells (a CSV's "2024.1" taxonomy version would be a
    number, an empty text column a float). Lists are JSON text in CSV and Excel cells."""
    lines = ["dataset_info:", "  features:"]
    as_text = card.format in ("csv", "xlsx")
    for column in card.columns:
        lines.append(f"  - name: {_yaml_text(column.name)}")
        if column.type == "list" and not as_text:
            lines.append("    list: string")
        else:
            lines.append(f"    dtype: {_HUB_TYPES.get(column.type, 'string')}")
    return lines


def card_markdown(card: DatasetCard) -> str:
    """The human-readable card: the Hugging Face YAML header, then the sections of the Hub's
    dataset card template that an export can fill (details, uses, structure, creation with
    its annotations, personal information, limitations); the JSON twin holds the same facts
    for programs."""
    o = card.options
    f = o.filters
    header = card_yaml(card)
    lines = [
        "",
        f"# Dataset Card for {card.project}",
        "",
        "Statements of news articles, each labelled by several annotators with where it comes "
        "from (its source type) and how confident they are, with the agreement between them.",
        "",
        "## Dataset Details",
        "",
        "### Dataset Description",
        "",
        f"- **Project:** {card.project}",
        f"- **File:** `{card.file}` ({card.format}, {card.shape} shape, {card.rows:,} rows)",
        f"- **SHA-256:** `{card.sha256}`",
        f"- **Exported at:** {card.exported_at.isoformat()}",
        f"- **Labels saved between:** {card.labelled_from or '—'} and {card.labelled_to or '—'}",
        f"- **Revisions:** {'every revision' if o.all_revisions else 'current labels only'}",
        f"- **Aggregation (wide shape):** {o.aggregation}; adjudicated labels always win",
        f"- **Language(s):** {', '.join(card.languages) or 'not recorded'}",
        f"- **License:** {card.license}",
        "",
        "## Uses",
        "",
        "### Direct Use",
        "",
        "Studying and training the attribution of news statements to their sources, and "
        "measuring how reliably people make that judgement.",
        "",
        "### Out-of-Scope Use",
        "",
        "A label says where a statement comes from, not whether it is true: it is no "
        "fact-check verdict. Labels with low agreement (see Annotations) are not a gold "
        "standard.",
        "",
        "## Dataset Structure",
        "",
        columns_markdown(tuple(card.columns)),
        "",
        "## Dataset Creation",
        "",
        "### Source Data",
        "",
        "#### Data Collection and Processing",
        "",
        "The exported labels were selected by these filters:",
        "",
        f"- documents: {', '.join(map(str, f.document_ids)) or 'all'}",
        f"- annotators: {', '.join(f.annotators) or 'all'}"
        + (" (real names withheld)" if o.pseudonymise and f.annotators else ""),
        f"- labelled from: {f.labelled_from or 'any date'}; to: {f.labelled_to or 'any date'}",
        "",
        "#### Who are the source data producers?",
        "",
        "The outlets named in the `outlet` column, which hold the rights to the article texts.",
        "",
        "### Annotations",
        "",
        "#### Annotation process",
        "",
        "Each annotator labelled the statements blind to the others' labels; an editor's "
        "final label, where there is one, settles a statement.",
        "",
        "##### Agreement",
        "",
    ]
    if card.agreement:
        lines += [
            "| variable | coefficient | metric | value | interval | units | reading |",
            "|---|---|---|---|---|---|---|",
        ]
        for g in card.agreement:
            interval = (
                f"{_fmt(g.ci_low)} – {_fmt(g.ci_high)} ({g.level:.0%})"
                if g.ci_low is not None
                else "—"
            )
            lines.append(
                f"| {g.variable} | {g.coefficient} | {g.metric or ''} | {_fmt(g.value)} "
                f"| {interval} | {g.n_units} | {g.reading or ''} |"
            )
        lines.append("")
    if card.agreement_note:
        lines += [card.agreement_note, ""]
    lines += ["##### Scale", "", f"{card.scale.name} (`{card.scale.key}`)", ""]
    for scale in card.scale.scales:
        lines.append(f"**{scale.name_en}** (`{scale.key}`):")
        lines += [
            f"- {lv.value} = {lv.code} {lv.label_en}" + ("" if lv.ordinal else " (not ordinal)")
            for lv in scale.levels
        ]
        lines.append("")
    lines += ["##### Source types", ""]
    for taxonomy in card.taxonomies:
        lines += [f"**{taxonomy.name}, version {taxonomy.version}**", ""]
        lines += [
            f"- `{t.key}` **{t.name_en}**"
            + (" (retired)" if t.retired else "")
            + (f": {t.definition_en}" if t.definition_en else "")
            for t in taxonomy.types
        ]
        lines.append("")
    lines += [
        "#### Who are the annotators?",
        "",
        "| annotator | labels |",
        "|---|---|",
        *[f"| {a.annotator} | {a.labels} |" for a in card.annotators],
        "",
        "#### Personal and Sensitive Information",
        "",
        f"Annotators: {card.pseudonymisation}.",
        "The statements quote and name the people of the news: officials, spokespeople, experts.",
        "",
        "## Bias, Risks, and Limitations",
        "",
        "Source attribution is a judgement: the agreement figures above say how far the "
        "annotators shared it. The articles come from the outlets and dates of this project, "
        "not from a sample of the news.",
        "",
    ]
    return _signed(header, "\n".join(lines))


FOLDER_CARD = "README.md"
"""The Markdown card of an export into a folder: the file a Hugging Face dataset repository
reads its card (YAML header included) from, at its root."""
_WRITTEN_HERE = (
    "<!-- Dataset card of an export into this folder: the next export here replaces it "
    "unless it was edited (sha256 {digest} of the rest of this file). -->"
)
"""The line that marks a folder's README.md as a card an export wrote, with the digest of
the rest of the file: the next export replaces the card only as it was written. Any other
README.md, or a card someone has edited since, is someone's text and is left alone."""
_MARK = re.compile(
    re.escape(_WRITTEN_HERE).replace(re.escape("{digest}"), "(?P<digest>[0-9a-f]{64})") + "\n"
)


def _signed(header: str, body: str) -> str:
    """The card's text: its YAML header, the marking line, then the body."""
    digest = hashlib.sha256(f"{header}\n{body}".encode()).hexdigest()
    return f"{header}\n{_WRITTEN_HERE.format(digest=digest)}\n{body}"


CardState = Literal["written", "edited", "foreign"]


def card_state(text: str) -> CardState:
    """Whether a folder's README.md is a card an earlier export wrote (`card_markdown`) and
    left as it was, a card edited since, or someone else's text."""
    mark = _MARK.search(text)
    if mark is None:
        return "foreign"
    rest = text[: mark.start()] + text[mark.end() :]
    digest = hashlib.sha256(rest.encode()).hexdigest()
    return "written" if digest == mark["digest"] else "edited"


def card_parts(text: str) -> tuple[str, str]:
    """A card's YAML header (between its `---` lines) and the Markdown after it, for a
    preview that shows each as what it is."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end != -1:
            return text[4:end], _MARK.sub("", text[end + 5 :], count=1).lstrip("\n")
    return "", text


def card_paths(export_path: Path, *, folder: bool = False) -> tuple[Path, Path]:
    """`data.csv` → `data.card.md`, `data.card.json` in the same directory. With `folder`
    (an export into a folder of its own) the Markdown card is the folder's `README.md`, so
    that the folder can be pushed as a Hugging Face dataset as it is."""
    path = Path(export_path)
    markdown = path.with_name(FOLDER_CARD if folder else f"{path.stem}.card.md")
    return markdown, path.with_name(f"{path.stem}.card.json")


def card_json(card: DatasetCard) -> str:
    return card.model_dump_json(indent=2)
