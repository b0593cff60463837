"""Turn uploaded files into documents ready for storage (no database here).

A file either parses entirely or raises one `IngestError` whose message names the
file, the line and the field, so an editor can fix the file instead of guessing. Every
document carries the text its statement offsets point into, and a content hash that is
blind to spacing differences, so a re-import of the same article is recognised.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from annotate.html_text import decode_html, extract_page
from annotate.language import detect_language
from annotate.models import StatementKind
from annotate.segment import segment_text

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ColumnMapping",
    "IngestError",
    "ParsedDocument",
    "ParsedStatement",
    "content_hash",
    "parse_date",
    "parse_file",
    "parse_path",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".csv", ".jsonl")
DEFAULT_MAX_BYTES = 20_000_000
STATEMENT_SEPARATOR = "\n\n"
"""How statements given one per row are joined into their document's text."""


class ParsedStatement(BaseModel):
    start: int
    end: int
    text: str
    kind: StatementKind


class ParsedDocument(BaseModel):
    source_name: str
    title: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    published_precision: Literal["year", "month", "day"] | None = None
    language: str
    text: str
    content_hash: str
    external_id: str = ""
    statements: list[ParsedStatement]


class IngestError(ValueError):
    """Bad input; `str(e)` is one line naming the file, and the line and field if known."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        where = file
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


class ColumnMapping(BaseModel):
    """Which column (CSV) or key (JSONL) holds each field."""

    text: str = "text"
    title: str = "title"
    outlet: str = "outlet"
    url: str = "url"
    published: str = "published"
    language: str = "language"
    document: str = "document_id"
    external_id: str = "id"


# --- Small helpers. -------------------------------------------------------------------

_DATE_FORMATS: tuple[tuple[re.Pattern[str], Literal["year", "month", "day"]], ...] = (
    (re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ][\d:.+\-Z]*)?$"), "day"),
    (re.compile(r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})$"), "day"),
    (re.compile(r"^(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})$"), "day"),
    (re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"), "month"),
    (re.compile(r"^(?P<m>\d{1,2})/(?P<y>\d{4})$"), "month"),
    (re.compile(r"^(?P<y>\d{4})$"), "year"),
)
_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")


def parse_date(value: str) -> tuple[dt.date, Literal["year", "month", "day"]] | None:
    """Parse "2024", "2024-01", "2024-01-15", "15/01/2024" into a date and its precision.

    Returns None when `value` is not shaped like a date; raises ValueError when it is
    shaped like one but impossible ("2024-13-01"). Missing month/day become 1.
    """
    value = value.strip()
    for pattern, precision in _DATE_FORMATS:
        match = pattern.match(value)
        if match:
            parts = match.groupdict()
            year = int(parts["y"])
            month = int(parts.get("m") or 1)
            day = int(parts.get("d") or 1)
            return dt.date(year, month, day), precision
    return None


def _looks_like_date(value: str) -> bool:
    """Shaped like a date, possibly an impossible one (reported later, with its line)."""
    try:
        return parse_date(value) is not None
    except ValueError:
        return True


def content_hash(text: str) -> str:
    """sha256 of the NFC text with every run of whitespace collapsed to one space."""
    normalised = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _statements(text: str, language: str) -> list[ParsedStatement]:
    return [
        ParsedStatement(start=s.start, end=s.end, text=s.text, kind=s.kind)
        for s in segment_text(text, language)
    ]


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _language(value: str, name: str, line: int | None, field: str) -> str:
    code = value.strip().lower().replace("_", "-")
    if not _LANGUAGE_CODE_RE.match(code):
        raise IngestError(
            f"{value!r} is not a language code (expected e.g. 'fr' or 'en')",
            file=name,
            line=line,
            field=field,
        )
    return code


def _date(value: str, name: str, line: int | None, field: str) -> tuple[Any, Any]:
    if not value.strip():
        return None, None
    try:
        parsed = parse_date(value)
    except ValueError as exc:
        raise IngestError(
            f"impossible date {value!r} ({exc})", file=name, line=line, field=field
        ) from None
    if parsed is None:
        raise IngestError(
            f"unreadable date {value!r} (use 2024, 2024-01, 2024-01-15 or 15/01/2024)",
            file=name,
            line=line,
            field=field,
        )
    return parsed


# --- Bytes to text. -------------------------------------------------------------------


def _check_bytes(name: str, data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise IngestError(
            f"file is {len(data):,} bytes, larger than the limit of {max_bytes:,} bytes",
            file=name,
        )
    if not data.strip():
        raise IngestError("file is empty", file=name)


def _decode(name: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(f"invalid UTF-16 at byte {exc.start}", file=name) from None
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise IngestError(
            f"looks like a binary file (NUL byte at offset {offset}); expected UTF-8 text",
            file=name,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"invalid UTF-8 at byte offset {exc.start} (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8",
            file=name,
            line=line,
        ) from None
    if not text.strip():
        raise IngestError("file contains only whitespace", file=name)
    return text


# --- Plain text and Markdown. ---------------------------------------------------------

_HEADER_KEYS = {
    "date": "date",
    "published": "date",
    "title": "title",
    "titre": "title",
    "outlet": "outlet",
    "média": "outlet",
    "media": "outlet",
    "url": "url",
    "language": "language",
    "langue": "language",
    "lang": "language",
}
_HEADER_RE = re.compile(r"^\s*(?P<key>[^\W\d_]+)\s*(?P<sep>:|\s)\s*(?P<value>.*?)\s*$")
_MD_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
_MD_EMPHASIS_RE = re.compile(
    r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\3(?![\w*])"
)
_MD_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK_RE = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def _header(name: str, text: str) -> tuple[dict[str, str], str, int]:
    """Read `key value` / `key: value` lines at the top; return (fields, rest, lines used).

    A `date` header may carry the title on the same line (" date 2024-01 La Russie ..."):
    the date is metadata and the remainder becomes the first line of the text.
    """
    fields: dict[str, str] = {}
    lines = text.split("\n")
    used = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if fields:
                break
            used = number
            continue
        match = _HEADER_RE.match(line)
        key = _HEADER_KEYS.get(match.group("key").casefold()) if match else None
        if match is None or key is None or key in fields:
            break
        value, colon = match.group("value"), match.group("sep") == ":"
        if key == "date":
            token, _, remainder = value.partition(" ")
            if not colon and not _looks_like_date(token):
                break
            fields["date_line"] = str(number)
            fields[key] = token
            used = number
            if remainder.strip():
                lines[number - 1] = remainder.strip()
                return fields, "\n".join(lines[number - 1 :]), number - 1
            continue
        if key == "url" and not value.startswith(("http://", "https://")):
            break
        if key == "language" and not colon and not _LANGUAGE_CODE_RE.match(value.lower()):
            break
        if key in ("title", "outlet") and not colon:
            break
        fields[f"{key}_line"] = str(number)
        fields[key] = value
        used = number
    return fields, "\n".join(lines[used:]), used


def _strip_markdown(text: str) -> tuple[str, str]:
    """Drop Markdown markup that would distract annotators; return (text, first # title)."""
    title = ""
    heading = _MD_HEADING_RE.search(text)
    if heading and heading.group(1) == "#" and not text[: heading.start()].strip():
        title = heading.group(2).strip()
    text = _MD_HEADING_RE.sub(lambda m: m.group(2), text)
    text = _MD_IMAGE_RE.sub(lambda m: m.group(1), text)
    text = _MD_LINK_RE.sub(lambda m: m.group(1), text)
    text = _MD_EMPHASIS_RE.sub(lambda m: m.group(2) or m.group(4), text)
    return text, title


def _title_from_segments(statements: list[ParsedStatement]) -> str:
    """The longest heading before the first statement: the headline, not a section label."""
    leading = []
    for statement in statements:
        if statement.kind == "statement":
            break
        if statement.kind == "heading" and not _looks_like_date(statement.text):
            leading.append(statement.text)
    return max(leading, key=len, default="")


def _date_from_segments(
    statements: list[ParsedStatement],
) -> tuple[dt.date | None, Any]:
    for statement in statements:
        if statement.kind == "statement":
            break
        if statement.kind == "heading":
            try:
                parsed = parse_date(statement.text)
            except ValueError:
                parsed = None
            if parsed:
                return parsed
    return None, None


def _parse_text(name: str, raw: str, markdown: bool) -> ParsedDocument:
    raw = _normalise_newlines(raw)
    fields, text, _ = _header(name, raw)
    title = fields.get("title", "")
    if markdown:
        text, md_title = _strip_markdown(text)
        title = title or md_title
    text = text.strip("\n")
    if not text.strip():
        raise IngestError("no article text after the metadata header", file=name)

    def line_of(key: str) -> int | None:
        return int(fields[f"{key}_line"]) if f"{key}_line" in fields else None

    published, precision = _date(fields.get("date", ""), name, line_of("date"), "date")
    language = (
        _language(fields["language"], name, line_of("language"), "language")
        if "language" in fields
        else detect_language(text)
    )
    statements = _statements(text, language)
    if not title:
        title = _title_from_segments(statements)
    if published is None:
        published, precision = _date_from_segments(statements)
    return ParsedDocument(
        source_name=name,
        title=title,
        outlet=fields.get("outlet", ""),
        url=fields.get("url", ""),
        published=published,
        published_precision=precision,
        language=language,
        text=text,
        content_hash=content_hash(text),
        statements=statements,
    )


# --- HTML. ----------------------------------------------------------------------------


def _parse_html(name: str, data: bytes) -> ParsedDocument:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        html = _decode(name, data)
    else:
        # _decode checks for NUL bytes and reports the position of invalid UTF-8.
        html = decode_html(data) if b"\x00" not in data else None
        html = html if html is not None else _decode(name, data)
    page = extract_page(html)
    if not page.paragraphs:
        raise IngestError("no article text found in the page", file=name)
    paragraphs = list(page.paragraphs)
    title = page.title
    if title and title not in paragraphs[:3]:
        paragraphs.insert(0, title)
    text = STATEMENT_SEPARATOR.join(paragraphs)
    language = detect_language(text)
    try:
        published, precision = _date(page.date, name, None, "date")
    except IngestError:
        published, precision = None, None  # a page's own metadata is not the user's fault
    statements = _statements(text, language)
    return ParsedDocument(
        source_name=name,
        title=title or _title_from_segments(statements),
        outlet=page.sitename,
        url=page.url,
        published=published,
        published_precision=precision,
        language=language,
        text=text,
        content_hash=content_hash(text),
        statements=statements,
    )


# --- Tables: CSV and JSONL. -----------------------------------------------------------

Row = tuple[int, dict[str, str]]


def _sniff_delimiter(text: str) -> str:
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(",;\t", key=first.count)


def _csv_rows(name: str, text: str) -> tuple[list[str], list[Row]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        header = next(reader, None)
        if header is None:
            raise IngestError("file has no header row", file=name, line=1)
        header = [column.strip() for column in header]
        rows: list[Row] = []
        previous_end = reader.line_num
        for cells in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                raise IngestError(
                    f"row has {len(cells)} cells but the header has {len(header)} columns",
                    file=name,
                    line=line,
                )
            rows.append((line, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        raise IngestError(f"malformed CSV ({exc})", file=name, line=reader.line_num) from None
    return header, rows


def _jsonl_rows(name: str, text: str) -> tuple[list[str], list[Row]]:
    rows: list[Row] = []
    keys: dict[str, None] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"invalid JSON ({exc.msg} at column {exc.colno})",
                              file=name, line=number) from None  # fmt: skip
        if not isinstance(value, dict):
            raise IngestError(
                f"expected a JSON object, found {type(value).__name__}", file=name, line=number
            )
        row = {}
        for key, item in value.items():
            keys.setdefault(key, None)
            row[key] = "" if item is None else item if isinstance(item, str) else json.dumps(item)
        rows.append((number, row))
    return list(keys), rows


def _column(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    folded = {column.casefold(): column for column in columns}
    return folded.get(wanted.casefold())


def _table_documents(
    name: str, columns: list[str], rows: list[Row], mapping: ColumnMapping, per_line: bool
) -> list[ParsedDocument]:
    if not rows:
        raise IngestError("file has a header but no rows", file=name)
    text_column = _column(columns, mapping.text)
    if text_column is None:
        found = ", ".join(repr(c) for c in columns) or "none"
        raise IngestError(
            f"missing column '{mapping.text}' (columns found: {found})",
            file=name,
            field=mapping.text,
        )
    cols = {
        field: _column(columns, getattr(mapping, field))
        for field in ("title", "outlet", "url", "published", "language", "document", "external_id")
    }

    def cell(row: dict[str, str], field: str) -> str:
        column = cols[field]
        return (row.get(column) or "").strip() if column else ""

    for line, row in rows:
        if per_line and text_column not in row:
            found = ", ".join(repr(k) for k in row) or "none"
            raise IngestError(
                f"missing key '{text_column}' (keys found: {found})",
                file=name,
                line=line,
                field=text_column,
            )
        if not (row.get(text_column) or "").strip():
            raise IngestError("empty text", file=name, line=line, field=text_column)

    if cols["document"] is None:
        return [_row_document(name, line, row, text_column, cell) for line, row in rows]

    groups: dict[str, list[Row]] = {}
    for line, row in rows:
        key = cell(row, "document")
        if not key:
            raise IngestError("empty document id", file=name, line=line, field=cols["document"])
        groups.setdefault(key, []).append((line, row))
    return [_grouped_document(name, key, group, text_column, cell) for key, group in groups.items()]


def _metadata(name: str, rows: list[Row], cell: Any) -> dict[str, Any]:
    """Title, outlet, ... from the first row that fills each field."""
    meta: dict[str, Any] = {"published": None, "published_precision": None}
    for field in ("title", "outlet", "url"):
        meta[field] = next((cell(row, field) for _, row in rows if cell(row, field)), "")
    for line, row in rows:
        if cell(row, "published"):
            meta["published"], meta["published_precision"] = _date(
                cell(row, "published"), name, line, "published"
            )
            break
    for line, row in rows:
        if cell(row, "language"):
            meta["language"] = _language(cell(row, "language"), name, line, "language")
            break
    return meta


def _row_document(
    name: str, line: int, row: dict[str, str], text_column: str, cell: Any
) -> ParsedDocument:
    text = _normalise_newlines(row[text_column]).strip()
    meta = _metadata(name, [(line, row)], cell)
    language = meta.pop("language", None) or detect_language(text)
    statements = _statements(text, language)
    return ParsedDocument(
        source_name=f"{name}:line {line}",
        language=language,
        text=text,
        content_hash=content_hash(text),
        external_id=cell(row, "external_id"),
        statements=statements,
        **meta,
    )


def _grouped_document(
    name: str, key: str, rows: list[Row], text_column: str, cell: Any
) -> ParsedDocument:
    pieces = [_normalise_newlines(row[text_column]).strip() for _, row in rows]
    statements = []
    position = 0
    for piece in pieces:
        statements.append(
            ParsedStatement(start=position, end=position + len(piece), text=piece, kind="statement")
        )
        position += len(piece) + len(STATEMENT_SEPARATOR)
    text = STATEMENT_SEPARATOR.join(pieces)
    meta = _metadata(name, rows, cell)
    language = meta.pop("language", None) or detect_language(text)
    return ParsedDocument(
        source_name=f"{name}:line {rows[0][0]}",
        language=language,
        text=text,
        content_hash=content_hash(text),
        external_id=key,
        statements=statements,
        **meta,
    )


# --- Entry points. --------------------------------------------------------------------


def parse_file(
    name: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mapping: ColumnMapping | None = None,
) -> list[ParsedDocument]:
    """Parse one uploaded file into documents; raise `IngestError` on any bad input."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type {suffix or '(no extension)'!r} "
            f"(supported: {', '.join(SUPPORTED_SUFFIXES)})",
            file=name,
        )
    _check_bytes(name, data, max_bytes)
    mapping = mapping or ColumnMapping()
    try:
        if suffix in (".html", ".htm"):
            return [_parse_html(name, data)]
        text = _decode(name, data)
        if suffix in (".txt", ".md"):
            return [_parse_text(name, text, markdown=suffix == ".md")]
        if suffix == ".csv":
            columns, rows = _csv_rows(name, _normalise_newlines(text))
            return _table_documents(name, columns, rows, mapping, per_line=False)
        columns, rows = _jsonl_rows(name, _normalise_newlines(text))
        return _table_documents(name, columns, rows, mapping, per_line=True)
    except IngestError:
        raise
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise IngestError(first["msg"], file=name, field=field) from None
    except Exception as exc:  # bad input must surface as IngestError, never as a crash
        raise IngestError(f"could not read the file ({type(exc).__name__}: {exc})",
                          file=name) from exc  # fmt: skip


def parse_path(path: Path, **kw: Any) -> list[ParsedDocument]:
    """`parse_file` on a file on disk; the size limit is checked before reading."""
    path = Path(path)
    max_bytes = kw.get("max_bytes", DEFAULT_MAX_BYTES)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"cannot open the file ({exc.strerror})", file=path.name) from None
    if size > max_bytes:
        raise IngestError(
            f"file is {size:,} bytes, larger than the limit of {max_bytes:,} bytes",
            file=path.name,
        )
    return parse_file(path.name, path.read_bytes(), **kw)
