"""Labels coming in from other tools: the shape both importers produce, and its checks.

Label Studio and doccano files are parsed into an `ImportPlan` (statements, their
document when known, and labels by named users). Every problem is collected with the
task or line and the field it concerns; storage writes nothing unless there are none.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from annotate.core.errors import SourceDeskError
from annotate.core.taxonomy import RatingScale, Taxonomy


class LabelImportError(SourceDeskError):
    """An import file with problems; `problems` lists each one (task/line and field)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s), nothing imported:\n{shown}{more}")


class ImportedLabel(BaseModel):
    annotator: str = Field(min_length=1, max_length=80)
    source_type: str | None = None
    also_cites: list[str] = Field(default_factory=list)
    confidence: int | None = None
    note: str = ""
    skipped: bool = False
    suggested_type: str | None = None


class ImportedDocument(BaseModel):
    ref: str = ""
    title: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    language: str = "und"


class ImportedStatement(BaseModel):
    where: str
    """Where the statement is in the file, for messages ("task 3", "line 12")."""
    text: str
    statement_id: int | None = None
    document: ImportedDocument | None = None
    position: int | None = None
    start: int | None = None
    end: int | None = None
    labels: list[ImportedLabel] = Field(default_factory=list)


class ImportPlan(BaseModel):
    source: str
    statements: list[ImportedStatement] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


def label_key(value: str, taxonomy: Taxonomy) -> str | None:
    """A taxonomy key from a key or a label name (English or French, any case)."""
    if taxonomy.get(value) is not None:
        return value
    folded = value.strip().casefold()
    for t in taxonomy.types:
        if folded in (t.key, t.name_en.casefold(), t.name_fr.casefold()):
            return t.key
    return None


def confidence_value(value: str | int, scale: RatingScale) -> int | None:
    """A scale value from its code ("4", "B", "M") or its integer value."""
    text = str(value).strip()
    for level in scale.levels:
        if text in (level.code, str(level.value)) or text.casefold() == level.label_en.casefold():
            return level.value
    return None


def check_plan(plan: ImportPlan, taxonomy: Taxonomy) -> list[str]:
    """Problems with labels that the taxonomy does not know (keys already normalised)."""
    problems: list[str] = []
    for item in plan.statements:
        if not item.text:
            problems.append(f"{item.where}: field text: empty statement")
        for label in item.labels:
            for field, values in (
                ("source_type", [label.source_type]),
                ("also_cites", label.also_cites),
            ):
                for value in values:
                    if value is not None and taxonomy.get(value) is None:
                        problems.append(
                            f"{item.where}: field {field}: unknown label "
                            f"{value!r} (by {label.annotator})"
                        )
    return problems
