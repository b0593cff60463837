"""What an export contains: format, shape, filters, pseudonymisation.

Declared once as a pydantic model so the CLI, the page and the dataset card all speak of
the same options, and the card can record exactly what was asked for.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from annotate.exports.errors import ExportError

Format = Literal["csv", "xlsx", "jsonl", "parquet"]
Shape = Literal["long", "wide"]
Aggregation = Literal["majority", "dawid_skene"]

FORMATS: tuple[Format, ...] = ("csv", "xlsx", "jsonl", "parquet")
SHAPES: tuple[Shape, ...] = ("long", "wide")
SUFFIXES: dict[str, str] = {
    "csv": ".csv",
    "xlsx": ".xlsx",
    "jsonl": ".jsonl",
    "parquet": ".parquet",
    "labelstudio": ".json",
    "doccano": ".jsonl",
    "webannotation": ".jsonld",
}
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit minus the header row

Interchange = Literal["labelstudio", "doccano", "webannotation"]
ExportFormat = Literal["csv", "xlsx", "jsonl", "parquet", "labelstudio", "doccano", "webannotation"]
INTERCHANGE: tuple[Interchange, ...] = ("labelstudio", "doccano", "webannotation")
ALL_FORMATS: tuple[str, ...] = (*FORMATS, *INTERCHANGE)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    "xlsx": (".xlsx",),
    "jsonl": (".jsonl", ".ndjson"),
    "parquet": (".parquet",),
    "labelstudio": (".json",),
    "doccano": (".jsonl",),
    "webannotation": (".jsonld", ".json"),
}
"""The file extensions each format is written under; the first is the default."""


def format_for_path(path: str, given: str | None) -> str:
    """The export format: `given` if any (it must fit the file's extension), else the one
    the extension names. Raises ExportError naming the clash or the unknown extension."""
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if given is not None:
        if given not in EXTENSIONS:
            raise ExportError(f"format: {given!r} is not one of {', '.join(ALL_FORMATS)}")
        if suffix and suffix not in EXTENSIONS[given]:
            raise ExportError(
                f"format: --format {given} does not match the file extension {suffix!r} "
                f"(use {' or '.join(EXTENSIONS[given])}, or drop --format)"
            )
        return given
    for name, suffixes in EXTENSIONS.items():
        if suffix in suffixes:
            return name
    raise ExportError(
        f"format: cannot tell the format from {suffix or 'a file without extension'!r}; "
        f"give --format ({', '.join(ALL_FORMATS)})"
    )


class ExportFilters(BaseModel):
    """Which labels are exported. Empty lists mean "all"."""

    model_config = ConfigDict(extra="forbid")

    document_ids: list[int] = Field(default_factory=list)
    annotators: list[str] = Field(default_factory=list)
    labelled_from: dt.date | None = None
    labelled_to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered_dates(self) -> ExportFilters:
        if self.labelled_from and self.labelled_to and self.labelled_from > self.labelled_to:
            raise ValueError("labelled_from: must not be after labelled_to")
        return self


@cache
def hub_licenses() -> frozenset[str]:
    """The license identifiers a Hugging Face dataset card may give (`data/hub_licenses.toml`)."""
    path = Path(__file__).parent.parent / "data" / "hub_licenses.toml"
    return frozenset(tomllib.loads(path.read_text(encoding="utf-8"))["licenses"])


class ExportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: ExportFormat = "csv"
    shape: Shape = "long"
    filters: ExportFilters = Field(default_factory=ExportFilters)
    pseudonymise: bool = True
    all_revisions: bool = False
    aggregation: Aggregation = "majority"
    chunk_size: int = Field(default=10_000, ge=1, le=1_000_000)
    license: str = Field(default="unknown", max_length=80)
    """The dataset's license, as a Hugging Face license identifier, for the card."""

    @field_validator("license")
    @classmethod
    def _hub_license(cls, value: str) -> str:
        """A card the Hub reads: its license is one of the identifiers the Hub lists
        ("CC-BY-4.0 " is "cc-by-4.0"); "other" names a license it does not list."""
        key = value.strip().lower()
        if key not in hub_licenses():
            raise ValueError(
                f"{value!r} is not a Hugging Face license identifier (for example cc-by-4.0, "
                "cc0-1.0, mit; other for a license it does not list, unknown if none is known)"
            )
        return key

    @model_validator(mode="after")
    def _revisions_are_long(self) -> ExportOptions:
        if self.all_revisions and self.shape == "wide":
            raise ValueError("all_revisions: only the long shape can hold every revision")
        return self
