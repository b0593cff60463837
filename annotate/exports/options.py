"""What an export contains: format, shape, filters, pseudonymisation.

Declared once as a pydantic model so the CLI, the page and the dataset card all speak of
the same options, and the card can record exactly what was asked for.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Format = Literal["csv", "xlsx", "jsonl", "parquet"]
Shape = Literal["long", "wide"]
Aggregation = Literal["majority", "dawid_skene"]

FORMATS: tuple[Format, ...] = ("csv", "xlsx", "jsonl", "parquet")
SHAPES: tuple[Shape, ...] = ("long", "wide")
SUFFIXES: dict[Format, str] = {
    "csv": ".csv",
    "xlsx": ".xlsx",
    "jsonl": ".jsonl",
    "parquet": ".parquet",
}
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit minus the header row


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


class ExportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Format = "csv"
    shape: Shape = "long"
    filters: ExportFilters = Field(default_factory=ExportFilters)
    pseudonymise: bool = False
    all_revisions: bool = False
    aggregation: Aggregation = "majority"
    chunk_size: int = Field(default=10_000, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _revisions_are_long(self) -> ExportOptions:
        if self.all_revisions and self.shape == "wide":
            raise ValueError("all_revisions: only the long shape can hold every revision")
        return self
