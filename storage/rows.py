"""Rows to models: a row's columns are the model's fields, and pydantic reads SQLite's
storage classes (ISO text for dates and times, 0/1 for booleans) as the field types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def to_model(model: type[M], row: Mapping[str, Any], **overrides: Any) -> M:
    """`model` from the row's columns that are its fields (other columns are ignored)."""
    values = {name: row[name] for name in model.model_fields if name in row}
    values.update(overrides)
    return model.model_validate(values)
