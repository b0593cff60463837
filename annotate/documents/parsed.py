"""What an imported file becomes: parsed documents and statements, and the one error type.

Shared by every reader (plain text, HTML, tables) so each names problems the same way:
the file, the line and the field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from annotate.core.errors import SourceDeskError
from annotate.core.models import StatementKind
from annotate.statements.segment import iter_segments

T = TypeVar("T")

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


@dataclass(frozen=True, eq=False)
class StreamedDocument:
    """A parsed document whose statements are produced while they are read.

    What an import stores: the same fields as `ParsedDocument`, but `statements` is
    iterated (usually once, by storage) instead of held, so a long article's statements,
    which together copy its whole text, are never all in memory at once.
    """

    source_name: str
    language: str
    text: str
    content_hash: str
    statements: Iterable[ParsedStatement]
    title: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    published_precision: Literal["year", "month", "day"] | None = None
    external_id: str = ""

    def parsed(self) -> ParsedDocument:
        """The same document with its statements in a list (for previews and tests)."""
        return ParsedDocument(
            source_name=self.source_name,
            title=self.title,
            outlet=self.outlet,
            url=self.url,
            published=self.published,
            published_precision=self.published_precision,
            language=self.language,
            text=self.text,
            content_hash=self.content_hash,
            external_id=self.external_id,
            statements=list(self.statements),
        )


class Statements:
    """A document's statements, produced afresh by each iteration and never stored.

    Whatever goes wrong while producing them surfaces as an `IngestError` naming the
    file, as it would have when they were produced with the rest of the file.
    """

    def __init__(self, name: str, produce: Callable[[], Iterator[ParsedStatement]]) -> None:
        self._name = name
        self._produce = produce

    def __iter__(self) -> Iterator[ParsedStatement]:
        return guarded(self._name, self._produce())


class IngestError(SourceDeskError):
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
LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")


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


def looks_like_date(value: str) -> bool:
    """Shaped like a date, possibly an impossible one (reported later, with its line)."""
    try:
        return parse_date(value) is not None
    except ValueError:
        return True


_HASH_CHUNK = 1 << 16
_WHITESPACE = re.compile(r"\s")


def content_hash(text: str) -> str:
    """sha256 of the NFC text with every run of whitespace collapsed to one space.

    Hashed a chunk at a time, each ending at whitespace (where neither NFC nor the
    collapsing of spaces crosses), so a long text is never held as one list of words;
    within a chunk `str.split` finds the runs (the whitespace of `str.isspace`, which is
    the regular expression's `\\s` for text) several times faster than a substitution.
    """
    digest = hashlib.sha256()
    separator = b""
    start = 0
    while start < len(text):
        boundary = _WHITESPACE.search(text, min(len(text), start + _HASH_CHUNK))
        end = boundary.start() if boundary else len(text)
        words = " ".join(unicodedata.normalize("NFC", text[start:end]).split())
        if words:
            digest.update(separator + words.encode("utf-8"))
            separator = b" "
        start = end + 1 if boundary else end
    return digest.hexdigest()


def split_statements(text: str, language: str) -> list[ParsedStatement]:
    return list(iter_statements(text, language))


def iter_statements(text: str, language: str) -> Iterator[ParsedStatement]:
    for s in iter_segments(text, language):
        yield ParsedStatement(start=s.start, end=s.end, text=s.text, kind=s.kind)


@contextlib.contextmanager
def ingest_errors(name: str) -> Iterator[None]:
    """Bad input must surface as one `IngestError` naming the file, never as a crash."""
    try:
        yield
    except IngestError:
        raise
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise IngestError(first["msg"], file=name, field=field) from None
    except Exception as exc:
        raise IngestError(f"could not read the file ({type(exc).__name__}: {exc})",
                          file=name) from exc  # fmt: skip


def guarded(name: str, items: Iterator[T]) -> Iterator[T]:
    """`items`, with whatever producing the next one raises turned into an `IngestError`
    (the consumer's own errors are not caught: only `next` is guarded)."""
    while True:
        with ingest_errors(name):
            try:
                item = next(items)
            except StopIteration:
                return
        yield item


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def checked_language(value: str, name: str, line: int | None, field: str) -> str:
    code = value.strip().lower().replace("_", "-")
    if not LANGUAGE_CODE_RE.match(code):
        raise IngestError(
            f"{value!r} is not a language code (expected e.g. 'fr' or 'en')",
            file=name,
            line=line,
            field=field,
        )
    return code


def checked_date(value: str, name: str, line: int | None, field: str) -> tuple[Any, Any]:
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
