"""Other tools' formats in and out: Label Studio, doccano, W3C Web Annotation, and the
project's own full-fidelity dump."""

from __future__ import annotations

from annotate.interchange.doccano import (
    decode,
    json_text,
    parse_doccano,
    parse_doccano_csv,
    read_label_names,
)
from annotate.interchange.dump import (
    DERIVED,
    TABLES,
    DumpError,
    RowChecker,
    end_line,
    header_line,
    parse_dump,
    row_line,
)
from annotate.interchange.files import lines_limited, read_limited
from annotate.interchange.labels import (
    ImportedStatement,
    ImportPlan,
    LabelImportError,
    LabelMapping,
    apply_mapping,
    check_plan,
    json_reason,
    merge_statements,
    parse_mapping,
    rebuild_document,
    statement_order,
)
from annotate.interchange.labelstudio import parse_labelstudio, parse_labelstudio_csv, read_users

__all__ = [
    "DERIVED",
    "TABLES",
    "DumpError",
    "ImportPlan",
    "ImportedStatement",
    "LabelImportError",
    "LabelMapping",
    "RowChecker",
    "apply_mapping",
    "check_plan",
    "decode",
    "end_line",
    "header_line",
    "json_reason",
    "json_text",
    "lines_limited",
    "merge_statements",
    "parse_doccano",
    "parse_doccano_csv",
    "parse_dump",
    "parse_labelstudio",
    "parse_labelstudio_csv",
    "parse_mapping",
    "read_label_names",
    "read_limited",
    "read_users",
    "rebuild_document",
    "row_line",
    "statement_order",
]
