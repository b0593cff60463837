"""Turn uploaded files into documents ready for storage (no database here).

A file either parses entirely or raises one `IngestError` whose message names the
file, the line and the field, so an editor can fix the file instead of guessing. Every
document carries the text its statement offsets point into, and a content hash that is
blind to spacing differences, so a re-import of the same article is recognised.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from annotate.documents.dateline import dateline_date
from annotate.documents.html_text import decode_html, extract_page
from annotate.documents.language import detect_language
from annotate.documents.parsed import (
    LANGUAGE_CODE_RE,
    STATEMENT_SEPARATOR,
    ColumnMapping,
    IngestError,
    ParsedDocument,
    ParsedStatement,
    checked_date,
    checked_language,
    content_hash,
    looks_like_date,
    normalise_newlines,
    parse_date,
    split_statements,
)
from annotate.documents.reading import read_regular_file
from annotate.documents.tables import csv_rows, jsonl_rows, table_documents

__all__ = ["SUPPORTED_SUFFIXES", "parse_file", "parse_path"]

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".csv", ".jsonl")
DEFAULT_MAX_BYTES = 20_000_000
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
    used = 0
    starts = [0]  # starts[k]: offset of line k + 1; lines are read one at a time

    def rest_after(lines_used: int) -> str:
        return text[starts[lines_used] :] if lines_used < len(starts) else ""

    for number, line in enumerate(_lines(text, starts), start=1):
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
            if not colon and not looks_like_date(token):
                break
            fields["date_line"] = str(number)
            fields[key] = token
            used = number
            if remainder.strip():
                following = rest_after(number)
                rest = remainder.strip() + ("\n" + following if number < len(starts) else "")
                return fields, rest, number - 1
            continue
        if key == "url" and not value.startswith(("http://", "https://")):
            break
        if key == "language" and not colon and not LANGUAGE_CODE_RE.match(value.lower()):
            break
        if key in ("title", "outlet") and not colon:
            break
        fields[f"{key}_line"] = str(number)
        fields[key] = value
        used = number
    return fields, rest_after(used), used


def _lines(text: str, starts: list[int]) -> Iterator[str]:
    """The lines of `text` one by one (no list of all of them); appends each next line's
    start offset to `starts` as it goes."""
    position = 0
    while True:
        end = text.find("\n", position)
        if end < 0:
            yield text[position:]
            return
        starts.append(end + 1)
        yield text[position:end]
        position = end + 1


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
        if statement.kind == "heading" and not looks_like_date(statement.text):
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


def _document(
    name: str,
    text: str,
    language: str,
    statements: list[ParsedStatement],
    date: tuple[Any, Any],
    **fields: str,
) -> ParsedDocument:
    """An article's parsed document: its text, statements and hash, with its metadata."""
    return ParsedDocument(
        source_name=name,
        published=date[0],
        published_precision=date[1],
        language=language,
        text=text,
        content_hash=content_hash(text),
        statements=statements,
        **fields,
    )


def _parse_text(name: str, raw: str, markdown: bool) -> ParsedDocument:
    raw = normalise_newlines(raw)
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

    published, precision = checked_date(fields.get("date", ""), name, line_of("date"), "date")
    language = (
        checked_language(fields["language"], name, line_of("language"), "language")
        if "language" in fields
        else detect_language(text)
    )
    statements = split_statements(text, language)
    if not title:
        title = _title_from_segments(statements)
    if published is None:
        published, precision = _date_from_segments(statements)
    if published is None:
        published, precision = dateline_date(text)
    return _document(
        name, text, language, statements, (published, precision),
        title=title, outlet=fields.get("outlet", ""), url=fields.get("url", ""),
    )  # fmt: skip


# --- HTML. ----------------------------------------------------------------------------


def _parse_html(name: str, data: bytes) -> ParsedDocument:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        html = _decode(name, data)
    else:
        # _decode checks for NUL bytes and reports the position of invalid UTF-8.
        decoded = decode_html(data) if b"\x00" not in data else None
        html = decoded if decoded is not None else _decode(name, data)
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
        published, precision = checked_date(page.date, name, None, "date")
    except IngestError:
        published, precision = None, None  # a page's own metadata is not the user's fault
    statements = split_statements(text, language)
    return _document(
        name, text, language, statements, (published, precision),
        title=title or _title_from_segments(statements), outlet=page.sitename, url=page.url,
    )  # fmt: skip


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
        del data  # the text replaces the bytes: one copy of the file in memory, not two
        if suffix in (".txt", ".md"):
            return [_parse_text(name, text, markdown=suffix == ".md")]
        if suffix == ".csv":
            columns, rows = csv_rows(name, normalise_newlines(text))
            return table_documents(name, columns, rows, mapping, per_line=False)
        columns, rows = jsonl_rows(name, normalise_newlines(text))
        return table_documents(name, columns, rows, mapping, per_line=True)
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
    """`parse_file` on a regular file on disk; the size limit holds on the bytes read."""
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
    return parse_file(path.name, read_regular_file(path, max_bytes), **kw)
