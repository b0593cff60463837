"""Text cells of spreadsheets and CSV files: strip control characters, then neutralise
formulas (CSV/formula injection).

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@`
as a formula, and a leading tab or carriage return can hide such a prefix. Control
characters are removed first (XML workbooks cannot hold them, and a reader that drops them
would otherwise uncover a formula after the check), then a cell that a spreadsheet would
read as a formula gets a leading apostrophe, which every spreadsheet shows as text.

`spreadsheet_text` is the rule for one value; `spreadsheet_text_array` applies the same
two patterns to a whole Arrow column at once. JSONL and Parquet are read by programs, not
spreadsheets, and keep values unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTROL_PATTERN = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""C0 controls and DEL except tab, line feed and carriage return (which are text)."""
FORMULA_PATTERN = "^[=+\\-@\t\r]"
NUMBER_PATTERN = "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?%?$"
"""A plain number ("-0.34", "+12", "1e-3", "-5%") is read as a number, never as a formula:
it keeps its sign (RE2-compatible: Arrow evaluates these patterns too)."""

_CONTROL = re.compile(CONTROL_PATTERN)
_FORMULA = re.compile(FORMULA_PATTERN)
_NUMBER = re.compile(NUMBER_PATTERN)


def spreadsheet_text(value: Any) -> Any:
    """A text cell made safe for a spreadsheet; other values pass unchanged."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    return "'" + value if _FORMULA.match(value) and not _NUMBER.fullmatch(value) else value


def neutralise(value: Any) -> Any:
    """Alias of `spreadsheet_text` (the name earlier versions exported)."""
    return spreadsheet_text(value)


_FORMULA_FIRST = pa.array(list(FORMULA_PREFIXES))


def spreadsheet_text_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`spreadsheet_text` over a string column, in bulk. Most columns hold no risky cell:
    two cheap scans (a control character anywhere, a formula sign first) find that out and
    return the column untouched."""
    first = pc.utf8_slice_codeunits(values, 0, 1)
    formula = pc.any(pc.is_in(first, value_set=_FORMULA_FIRST)).as_py()
    if not formula and not pc.any(pc.match_substring_regex(values, CONTROL_PATTERN)).as_py():
        return values
    cleaned = pc.replace_substring_regex(values, CONTROL_PATTERN, "")
    risky = pc.and_(
        pc.match_substring_regex(cleaned, FORMULA_PATTERN),
        pc.invert(pc.match_substring_regex(cleaned, NUMBER_PATTERN)),
    )
    quoted = pc.binary_join_element_wise("'", cleaned, "")
    return pc.if_else(risky, quoted, cleaned)
