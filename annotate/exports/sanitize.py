"""Neutralising spreadsheet formulas in exported cells (CSV/formula injection).

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@`
as a formula, and a leading tab or carriage return can hide such a prefix. Prefixing the
cell with an apostrophe makes every spreadsheet show it as text. JSONL and Parquet are
read by programs, not spreadsheets, and keep values unchanged.
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix `'` to a string that a spreadsheet would read as a formula; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
