"""Reading files into articles: text, Markdown, HTML, CSV and JSONL, with metadata,
language detection, content hashes and clear errors naming the file, line and field."""

from __future__ import annotations

from annotate.documents.ingest import SUPPORTED_SUFFIXES, parse_file, parse_path
from annotate.documents.language import detect_language
from annotate.documents.parsed import (
    STATEMENT_SEPARATOR,
    ColumnMapping,
    IngestError,
    ParsedDocument,
    ParsedStatement,
    content_hash,
    parse_date,
)

__all__ = [
    "STATEMENT_SEPARATOR",
    "SUPPORTED_SUFFIXES",
    "ColumnMapping",
    "IngestError",
    "ParsedDocument",
    "ParsedStatement",
    "content_hash",
    "detect_language",
    "parse_date",
    "parse_file",
    "parse_path",
]
