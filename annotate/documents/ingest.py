"""Turn uploaded files into documents ready for storage (no database here).

A file either parses entirely or raises one `IngestError` whose message names the
file, the line and the field, so an editor can fix the file instead of guessing. Every
document carries the text its statement offsets point into, and a content hash that is
blind to spacing differences, so a re-import of the same article is recognised.

`iter_path` and `iter_file` hand documents on one at a time, with statements produced
while they are stored, so an import holds a small multiple of its largest document, not
of its file: an article file becomes one string (its bytes are dropped once decoded, and
the header, Markdown and newline clean-ups replace the string rather than keep the
original beside it); a table file is read a row at a time (see `tables`). They may raise
after a first document: whoever stores what they yield does so in one transaction.
`parse_file` and `parse_path` give the same documents in a list, statements included.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from annotate.documents.dateline import dateline_date
from annotate.documents.decoding import (
    NON_SPACE,
    NON_SPACE_BYTE,
    UTF16_BOMS,
    checked_codec,
    chunks_of,
)
from annotate.documents.html_text import decode_html, extract_page
from annotate.documents.language import detect_language
from annotate.documents.parsed import (
    LANGUAGE_CODE_RE,
    STATEMENT_SEPARATOR,
    ColumnMapping,
    IngestError,
    ParsedDocument,
    ParsedStatement,
    Statements,
    StreamedDocument,
    checked_date,
    checked_language,
    content_hash,
    guarded,
    ingest_errors,
    iter_statements,
    looks_like_date,
    parse_date,
)
from annotate.documents.reading import open_regular_file, read_all, read_chunks, text_pass
from annotate.documents.tables import csv_documents, jsonl_documents

__all__ = ["SUPPORTED_SUFFIXES", "iter_file", "iter_path", "parse_file", "parse_path"]

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".csv", ".jsonl")
TABLE_SUFFIXES = (".csv", ".jsonl")
DEFAULT_MAX_BYTES = 20_000_000
_NOT_NEWLINE = re.compile(r"[^\n]")
# --- Bytes to text. -------------------------------------------------------------------


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise IngestError(
            f"file is {size:,} bytes, larger than the limit of {max_bytes:,} bytes", file=name
        )


def _check_bytes(name: str, data: bytes, max_bytes: int) -> None:
    _check_size(name, len(data), max_bytes)
    if not NON_SPACE_BYTE.search(data):
        raise IngestError("file is empty", file=name)


def _decode(name: str, data: bytes) -> str:
    """The text of `data`, or the `IngestError` of `decoding` (the same as a table gets)."""
    return str(data, checked_codec(name, chunks_of(data)))


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

_MD_RULES: tuple[tuple[re.Pattern[str], Any], ...] = (
    (_MD_HEADING_RE, lambda m: m.group(2)),
    (_MD_IMAGE_RE, lambda m: m.group(1)),
    (_MD_LINK_RE, lambda m: m.group(1)),
    (_MD_EMPHASIS_RE, lambda m: m.group(2) or m.group(4)),
)
"""Markdown markup that would distract annotators, and what each match keeps."""


@dataclass(frozen=True)
class _Body:
    """Where the article starts in the text, once its metadata header is cut off."""

    start: int
    title: str = ""  # a title that shared the date's line ("date 2024-01 La Russie ...")
    title_at: int = -1  # where that title sits in the text


def _header(name: str, text: str) -> tuple[dict[str, str], _Body]:
    """Read `key value` / `key: value` lines at the top; return (fields, where the rest is).

    A `date` header may carry the title on the same line (" date 2024-01 La Russie ..."):
    the date is metadata and the remainder becomes the first line of the text.
    """
    fields: dict[str, str] = {}
    used = 0
    starts = [0]  # starts[k]: offset of line k + 1; lines are read one at a time

    def after(lines_used: int) -> int:
        return starts[lines_used] if lines_used < len(starts) else len(text)

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
            title = remainder.strip()
            if title:
                skipped = len(token) + 1 + len(remainder) - len(remainder.lstrip())
                title_at = starts[number - 1] + match.start("value") + skipped
                return fields, _Body(after(number), title, title_at)
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
    return fields, _Body(after(used))


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


def _skip_newlines(text: str, start: int) -> int:
    match = _NOT_NEWLINE.search(text, start)
    return match.start() if match else len(text)


def _end_of_text(text: str, floor: int) -> int:
    """The end of `text` without its trailing newlines (not before `floor`), found without
    copying the text."""
    end = len(text)
    while end > floor:
        tail = text[max(floor, end - 4096) : end]
        kept = len(tail.rstrip("\n"))
        if kept:
            return end - len(tail) + kept
        end -= len(tail)
    return floor


def _body_text(text: str, body: _Body) -> str:
    """The article: what follows the header, without blank lines at either end.

    A slice of `text` (`text` itself when nothing is cut), so that, with the original
    dropped by the caller, one copy of the article is kept, not two.
    """
    end = _end_of_text(text, body.start)
    if not body.title:
        return text[_skip_newlines(text, body.start) : end]
    if end <= body.start:
        return body.title
    title_end = body.title_at + len(body.title)
    if title_end + 1 == body.start and text[title_end] == "\n":
        return text[body.title_at : end]
    return body.title + "\n" + text[body.start : end]


def _markdown_title(text: str) -> str:
    """The first `#` heading, when nothing but whitespace comes before it."""
    heading = _MD_HEADING_RE.search(text)
    if heading and heading.group(1) == "#" and not NON_SPACE.search(text, 0, heading.start()):
        return heading.group(2).strip()
    return ""


def _leading_headings(
    segments: Iterator[ParsedStatement],
) -> tuple[str, tuple[Any, Any], list[ParsedStatement]]:
    """The title and the date the headings before the first statement give, and the
    segments read to find them (up to that statement, which ends the search).

    The title is the longest heading there (the headline, not a section label); the date
    is the first heading that reads as one.
    """
    title = ""
    date: tuple[Any, Any] = (None, None)
    read: list[ParsedStatement] = []
    for segment in segments:
        read.append(segment)
        if segment.kind == "statement":
            break
        if segment.kind != "heading":
            continue
        if len(segment.text) > len(title) and not looks_like_date(segment.text):
            title = segment.text
        if date[0] is None:
            try:
                parsed = parse_date(segment.text)
            except ValueError:
                parsed = None
            if parsed:
                date = parsed
    return title, date, read


def _statements(
    name: str,
    text: str,
    language: str,
    read: list[ParsedStatement],
    rest: Iterator[ParsedStatement],
) -> Statements:
    """The document's statements; the first reading goes on from the segmentation the
    title search started (a long paragraph is split once, not twice), later ones start
    over."""
    started = [(read, rest)]

    def produce() -> Iterator[ParsedStatement]:
        if started:
            first, then = started.pop()
            return itertools.chain(first, then)
        return iter_statements(text, language)

    return Statements(name, produce)


def _document(
    name: str,
    text: str,
    language: str,
    date: tuple[Any, Any],
    statements: Statements,
    **fields: str,
) -> StreamedDocument:
    """An article's document: its text, hash and metadata; its statements on demand."""
    return StreamedDocument(
        source_name=name,
        published=date[0],
        published_precision=date[1],
        language=language,
        text=text,
        content_hash=content_hash(text),
        statements=statements,
        **fields,
    )


def _article(name: str, suffix: str, data: bytes, max_bytes: int) -> StreamedDocument:
    """The document of an article file (text, Markdown or HTML).

    Pass `data` as a temporary, not as a variable kept elsewhere: the bytes are then
    freed as soon as they are decoded. Each clean-up below replaces `text`, and the
    string it replaces is freed at once, so at most two copies of the article exist.
    """
    _check_bytes(name, data, max_bytes)
    if suffix in (".html", ".htm"):
        return _html_document(name, data)
    text = _decode(name, data)
    del data
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        text = text.replace("\r", "\n")
    fields, body = _header(name, text)
    text = _body_text(text, body)
    title = fields.get("title", "")
    if suffix == ".md":
        title = title or _markdown_title(text)
        for pattern, replace in _MD_RULES:
            text = pattern.sub(replace, text)
        text = text[_skip_newlines(text, 0) : _end_of_text(text, 0)]
    if NON_SPACE.search(text) is None:
        raise IngestError("no article text after the metadata header", file=name)
    return _text_document(name, text, fields, title)


def _text_document(name: str, text: str, fields: dict[str, str], title: str) -> StreamedDocument:
    def line_of(key: str) -> int | None:
        return int(fields[f"{key}_line"]) if f"{key}_line" in fields else None

    published, precision = checked_date(fields.get("date", ""), name, line_of("date"), "date")
    language = (
        checked_language(fields["language"], name, line_of("language"), "language")
        if "language" in fields
        else detect_language(text)
    )
    segments = iter_statements(text, language)
    read: list[ParsedStatement] = []
    if not title or published is None:
        heading_title, heading_date, read = _leading_headings(segments)
        title = title or heading_title
        if published is None:
            published, precision = heading_date
    if published is None:
        published, precision = dateline_date(text)
    return _document(
        name, text, language, (published, precision),
        _statements(name, text, language, read, segments),
        title=title, outlet=fields.get("outlet", ""), url=fields.get("url", ""),
    )  # fmt: skip


# --- HTML. ----------------------------------------------------------------------------


def _html_document(name: str, data: bytes) -> StreamedDocument:
    if data.startswith(UTF16_BOMS):
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
    segments = iter_statements(text, language)
    read: list[ParsedStatement] = []
    if not title:
        title, _, read = _leading_headings(segments)
    return _document(
        name, text, language, (published, precision),
        _statements(name, text, language, read, segments),
        title=title, outlet=page.sitename, url=page.url,
    )  # fmt: skip


# --- Tables. --------------------------------------------------------------------------


def _table_documents(
    name: str, suffix: str, handle: BinaryIO, max_bytes: int, mapping: ColumnMapping
) -> Iterator[StreamedDocument]:
    """A CSV or JSONL file's documents, read from `handle` a chunk or a row at a time."""
    codec = checked_codec(name, read_chunks(handle, name, max_bytes))

    def open_text() -> Any:
        return text_pass(handle, name, max_bytes, codec)

    documents = csv_documents if suffix == ".csv" else jsonl_documents
    yield from documents(name, open_text, mapping)


# --- Entry points. --------------------------------------------------------------------


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type {suffix or '(no extension)'!r} "
            f"(supported: {', '.join(SUPPORTED_SUFFIXES)})",
            file=name,
        )
    return suffix


def iter_file(
    name: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mapping: ColumnMapping | None = None,
) -> Iterator[StreamedDocument]:
    """The documents of one uploaded file, one at a time; `IngestError` on bad input."""
    return guarded(name, _file_documents(name, data, max_bytes, mapping or ColumnMapping()))


def _file_documents(
    name: str, data: bytes, max_bytes: int, mapping: ColumnMapping
) -> Iterator[StreamedDocument]:
    suffix = _suffix(name)
    if suffix in TABLE_SUFFIXES:
        _check_size(name, len(data), max_bytes)
        yield from _table_documents(name, suffix, io.BytesIO(data), max_bytes, mapping)
    else:
        yield _article(name, suffix, data, max_bytes)


def iter_path(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, mapping: ColumnMapping | None = None
) -> Iterator[StreamedDocument]:
    """`iter_file` on a regular file on disk; the size limit holds on the bytes read."""
    path = Path(path)
    return guarded(path.name, _path_documents(path, max_bytes, mapping or ColumnMapping()))


def _path_documents(
    path: Path, max_bytes: int, mapping: ColumnMapping
) -> Iterator[StreamedDocument]:
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"cannot open the file ({exc.strerror})", file=name) from None
    _check_size(name, size, max_bytes)
    with open_regular_file(path) as handle:
        suffix = _suffix(name)
        if suffix in TABLE_SUFFIXES:
            yield from _table_documents(name, suffix, handle, max_bytes, mapping)
            return
        document = _article(name, suffix, read_all(handle, name, max_bytes), max_bytes)
    yield document


def parse_file(
    name: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mapping: ColumnMapping | None = None,
) -> list[ParsedDocument]:
    """Parse one uploaded file into documents; raise `IngestError` on any bad input."""
    return _in_full(name, iter_file(name, data, max_bytes=max_bytes, mapping=mapping))


def parse_path(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, mapping: ColumnMapping | None = None
) -> list[ParsedDocument]:
    """`parse_file` on a regular file on disk; the size limit holds on the bytes read."""
    path = Path(path)
    return _in_full(path.name, iter_path(path, max_bytes=max_bytes, mapping=mapping))


def _in_full(name: str, documents: Iterator[StreamedDocument]) -> list[ParsedDocument]:
    with ingest_errors(name):
        return [document.parsed() for document in documents]
