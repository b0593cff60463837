"""The data model: one pydantic model per thing a newsroom talks about.

Documents → statements → annotations → adjudications. Every model validates on
construction, so a bad value is reported with the name of its field before it
reaches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Role = Literal["annotator", "editor", "admin"]
ROLES: tuple[Role, ...] = ("annotator", "editor", "admin")
DatePrecision = Literal["year", "month", "day"]
StatementKind = Literal["statement", "heading", "byline", "caption", "boilerplate"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def text_version(text: str) -> str:
    """A short fingerprint of a statement's text: a label names the version it was made on,
    so a save after a merge or split (same id, other text) is refused."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Project(Model):
    id: int | None = None
    name: str = Field(min_length=1, max_length=200)
    taxonomy_json: str = Field(description="The project's taxonomy, as JSON (see taxonomy.py).")
    scale_preset: str = "confidence5"
    annotators_per_statement: int = Field(default=2, ge=1, le=50)
    suggestions_enabled: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)


class Document(Model):
    id: int | None = None
    title: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    published_precision: DatePrecision | None = None
    language: str = Field(default="und", min_length=2, max_length=8)
    text: str = Field(min_length=1)
    content_hash: str = Field(min_length=16)
    source_name: str = ""
    external_id: str = ""
    imported_at: dt.datetime = Field(default_factory=utcnow)


class Statement(Model):
    id: int | None = None
    document_id: int
    position: int = Field(ge=0)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str = Field(min_length=1)
    kind: StatementKind = "statement"

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: int, info: ValidationInfo) -> int:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be greater than start")
        return end


USER_NAME = re.compile(r"^[\w.@+\- ]+$")


class User(Model):
    id: int | None = None
    name: str = Field(min_length=1, max_length=80)
    role: Role = "annotator"
    password_hash: str = ""
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not USER_NAME.match(value):
            raise ValueError(
                "use letters, digits, spaces and . @ + - _ only (an e-mail address works)"
            )
        return value


MAX_SUGGESTION_VERSION = 200
"""The longest suggester version a label stores (a model version is about a dozen characters)."""
RULES_SUGGESTION = "rules"
"""The suggester version of a suggestion the rules made without a project model."""


def other_cites(source_type: str | None, cites: list[str]) -> list[str]:
    """The sources a label also cites besides the one its statement comes from, each once:
    a statement that also cites its own source says nothing more."""
    return [k for k in dict.fromkeys(cites) if k != source_type]


class AnnotationInput(Model):
    """What an annotator submits for one statement; storage adds identity and history."""

    statement_id: int
    annotator_id: int
    source_type: str | None = Field(default=None, max_length=64)
    also_cites: list[str] = Field(default_factory=list)
    confidence: int | None = Field(default=None, ge=0, le=100)
    extra_ratings: dict[str, int] = Field(default_factory=dict)
    who: str = Field(default="", max_length=500)
    cue: str = Field(default="", max_length=500)
    note: str = Field(default="", max_length=5000)
    skipped: bool = False
    unsure: bool = False
    flagged: bool = False
    suggestion_shown: bool = False
    suggested_type: str | None = None
    suggested_who: str = Field(default="", max_length=500)
    suggested_cue: str = Field(default="", max_length=500)
    suggestion_version: str = Field(default="", max_length=MAX_SUGGESTION_VERSION)
    """Which suggester made the suggestion shown: the project model's version, or
    `RULES_SUGGESTION` for the rules alone; '' when none was shown or it was not recorded."""
    taxonomy_version: str = ""
    scale_preset: str = ""
    scale_version: str = ""
    text_version: str = Field(default="", max_length=64)
    lead_time_seconds: float | None = Field(default=None, ge=0)
    keys: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("also_cites")
    @classmethod
    def _no_duplicate_cites(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


LABEL_CONTENT_FIELDS: tuple[str, ...] = (
    "source_type",
    "also_cites",
    "confidence",
    "extra_ratings",
    "who",
    "cue",
    "note",
    "skipped",
    "unsure",
    "flagged",
)
"""The fields that make a label's answer: a save that changes none of them is no new revision."""


class Annotation(AnnotationInput):
    """One revision of one annotator's label on one statement."""

    id: int | None = None
    revision: int = Field(default=1, ge=1)
    deleted: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)
    first_created_at: dt.datetime | None = None


class AdjudicationInput(Model):
    statement_id: int
    editor_id: int
    source_type: str | None = None
    also_cites: list[str] = Field(default_factory=list)
    confidence: int | None = Field(default=None, ge=0, le=100)
    note: str = Field(default="", max_length=5000)
    taxonomy_version: str = ""


class Adjudication(AdjudicationInput):
    id: int | None = None
    revision: int = Field(default=1, ge=1)
    deleted: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)
