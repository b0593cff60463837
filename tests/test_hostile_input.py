"""Whatever bytes arrive, an import ends in a clear `IngestError` or in whole documents.

Property tests feed the importer random bytes, random CSV and JSONL shapes, broken
encodings, BOMs and NULs; targeted tests add the pathological cases (a 5 MB line, JSON
nested 100,000 deep). Every outcome must be `IngestError` or documents whose statement
offsets slice their text exactly, and storing them must never leave half a document.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import storage
from annotate.documents import SUPPORTED_SUFFIXES, IngestError, ParsedDocument, parse_file

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_names = itertools.count()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[storage.Database]:
    db = storage.connect(tmp_path_factory.mktemp("hostile") / "hostile.db")
    storage.create_project(db, "Hostile input")
    yield db
    db.close()


def _parse(name: str, data: bytes, **kw: object) -> list[ParsedDocument] | IngestError:
    """Parse, allowing only IngestError; check every document that comes out."""
    try:
        documents = parse_file(name, data, **kw)  # type: ignore[arg-type]
    except IngestError as exc:
        message = str(exc)
        assert message.startswith(name) and "\n" not in message.strip(), message
        return exc
    assert isinstance(documents, list) and documents
    for doc in documents:
        assert isinstance(doc, ParsedDocument)
        assert doc.text.strip() and len(doc.content_hash) == 64
        for s in doc.statements:
            assert 0 <= s.start < s.end <= len(doc.text)
            assert doc.text[s.start : s.end] == s.text
        assert [s.start for s in doc.statements] == sorted(s.start for s in doc.statements)
    return documents


def _store(db: storage.Database, documents: list[ParsedDocument]) -> None:
    """Store each document: whole (all statements) or not at all."""
    for doc in documents:
        before = storage.totals(db)
        statements_before = db.execute("SELECT count(*) FROM statements").fetchone()[0]
        outcome = storage.add_document(db, doc)
        after = storage.totals(db)
        statements_after = db.execute("SELECT count(*) FROM statements").fetchone()[0]
        if outcome.status == "added":
            assert after["documents"] == before["documents"] + 1
            assert statements_after - statements_before == len(doc.statements)
            stored = storage.statements_of(db, outcome.document_id)  # type: ignore[arg-type]
            assert [(s.start, s.end, s.text) for s in stored] == [
                (s.start, s.end, s.text) for s in doc.statements
            ]
        else:
            assert outcome.status in ("duplicate", "error"), outcome
            assert outcome.message
            assert after == before and statements_after == statements_before


def _check(db: storage.Database, name: str, data: bytes, **kw: object) -> None:
    result = _parse(name, data, **kw)
    if not isinstance(result, IngestError):
        _store(db, result)


def _unique(stem: str, suffix: str) -> str:
    return f"{stem}{next(_names)}{suffix}"


# --- Property tests. --------------------------------------------------------------------

suffixes = st.sampled_from([*SUPPORTED_SUFFIXES, ".pdf", ".TXT", ""])
hostile_bytes = st.one_of(
    st.binary(max_size=2_000),
    st.text(max_size=2_000).map(lambda t: t.encode("utf-8")),
    st.tuples(
        st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"", b"\x00"]),
        st.text(max_size=500),
        st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "latin-1", "cp1252"]),
    ).map(lambda t: t[0] + t[1].encode(t[2], errors="replace")),
)


@SETTINGS
@given(data=hostile_bytes, suffix=suffixes)
@example(data=b"\xef\xbb\xbf", suffix=".txt")
@example(data=b"\xff\xfe", suffix=".csv")
@example(data=b"\xff\xfe\x00", suffix=".txt")
@example(data=b"title: x\n\n\x00", suffix=".md")
@example(data=b"\xc3\x28 invalid", suffix=".jsonl")
@example(data=b"<html><body><p>\x00</p></body></html>", suffix=".html")
@example(data=b"\xfe\xff\x00<\x00p\x00>\x00A", suffix=".html")
def test_random_bytes_end_in_ingest_error_or_valid_documents(
    store: storage.Database, data: bytes, suffix: str
) -> None:
    _check(store, _unique("random", suffix), data)


cell_text = st.text(
    alphabet=st.sampled_from(list("ab «»\"';,\t\n\r=+-@.!?é\u00a0\u202f\x00")) | st.characters(),
    max_size=80,
)
column_names = st.sampled_from(
    ["text", "Text", "title", "published", "language", "document_id", "id", "outlet", "x", ""]
)


@SETTINGS
@given(
    header=st.lists(column_names, min_size=1, max_size=6),
    rows=st.lists(st.lists(cell_text, max_size=7), max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]),
)
def test_random_csv_shapes(
    store: storage.Database, header: list[str], rows: list[list[str]], delimiter: str, quoting: int
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, escapechar="\\")
    try:
        writer.writerow(header)
        writer.writerows(rows)
    except csv.Error:
        return  # the csv module itself refuses to write this shape
    _check(store, _unique("table", ".csv"), buffer.getvalue().encode("utf-8", "surrogatepass"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
json_rows = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"text": json_values},
        optional={
            "document_id": json_values,
            "published": st.text(max_size=12) | json_values,
            "language": st.text(max_size=8) | json_values,
            "title": json_values,
        },
    ),
    st.fixed_dictionaries({"text": st.text(min_size=1, max_size=200)}),
)


@SETTINGS
@given(lines=st.lists(json_rows, min_size=1, max_size=6), junk=st.sampled_from(["", "{", "]"]))
def test_random_jsonl_shapes(store: storage.Database, lines: list[object], junk: str) -> None:
    body = "\n".join(json.dumps(v, ensure_ascii=False) for v in lines) + "\n" + junk
    _check(store, _unique("rows", ".jsonl"), body.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(text=st.text(min_size=1, max_size=3_000), markdown=st.booleans())
def test_random_articles_segment_with_exact_offsets(
    store: storage.Database, text: str, markdown: bool
) -> None:
    suffix = ".md" if markdown else ".txt"
    _check(store, _unique("article", suffix), text.encode("utf-8", "surrogatepass"))


# --- Pathological inputs. -------------------------------------------------------------


def _timed(name: str, data: bytes, limit_s: float, **kw: object) -> list[ParsedDocument] | str:
    started = time.perf_counter()
    try:
        result: list[ParsedDocument] | str = parse_file(name, data, **kw)  # type: ignore[arg-type]
    except IngestError as exc:
        result = str(exc)
    elapsed = time.perf_counter() - started
    assert elapsed < limit_s, f"{name}: took {elapsed:.1f} s"
    return result


def test_deeply_nested_json_is_an_ingest_error_not_a_recursion_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    result = _timed("deep.jsonl", deep.encode(), 10)
    assert isinstance(result, str) and result.startswith("deep.jsonl")
    nested_value = '{"text": "Le ministre a démenti.", "meta": ' + deep + "}"
    result = _timed("nested.jsonl", nested_value.encode(), 10)
    assert isinstance(result, str) and result.startswith("nested.jsonl")


@pytest.mark.slow
def test_a_five_megabyte_line_without_punctuation_is_handled_quickly(
    store: storage.Database,
) -> None:
    line = ("mot " * 1_250_000).encode()
    result = _timed("huge.txt", line, 60)
    assert isinstance(result, list)
    (doc,) = result
    assert all(doc.text[s.start : s.end] == s.text for s in doc.statements)
    assert sum(len(s.text) for s in doc.statements) >= len(doc.text) - 10
    no_spaces = b"x" * 5_000_000
    result = _timed("blob.txt", no_spaces, 60)
    assert isinstance(result, list) and result[0].statements[0].text == "x" * 5_000_000


def test_a_huge_csv_cell_and_a_file_over_the_limit() -> None:
    cell = "a " * 50_000
    data = f'text,title\n"{cell}",t\n'.encode()
    result = _timed("big.csv", data, 30)
    assert isinstance(result, list) and result[0].text == cell.strip()
    # Past the csv module's default cell limit (131,072 characters): the file-size limit,
    # not the csv module, decides.
    data = f'text,title\n"{"a" * 3_000_000}",t\n'.encode()
    result = _timed("big.csv", data, 30)
    assert isinstance(result, list) and result[0].text == "a" * 3_000_000
    result = _timed("big.csv", data, 5, max_bytes=1_000_000)
    assert isinstance(result, str) and "larger than the limit of 1,000,000 bytes" in result


def test_many_tiny_rows_are_accepted_and_mapped_to_their_lines() -> None:
    rows = "\n".join(f'{{"text": "Claim {i}.", "document_id": "d{i % 7}"}}' for i in range(20_000))
    result = _timed("many.jsonl", rows.encode(), 30)
    assert isinstance(result, list) and len(result) == 7
    assert sum(len(d.statements) for d in result) == 20_000


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("nul.txt", b"Le ministre\x00 a dit.", "NUL byte at offset 11"),
        ("latin1.txt", "Le ministre a démenti.".encode("latin-1"), "invalid UTF-8 at byte"),
        ("bom-only.csv", b"\xef\xbb\xbf", "file is empty|only whitespace"),
        ("utf16.csv", "text\n".encode("utf-16"), "header but no rows"),
        ("odd16.txt", b"\xff\xfe" + "Bonjour.".encode("utf-16-le") + b"\x00", "invalid UTF-16"),
        ("header.csv", b"title,outlet\nx,y\n", "missing column 'text'"),
        ("ragged.csv", b"text\nA claim.,extra\n", "line 2: row has 2 cells"),
        ("list.jsonl", b'{"text": "ok"}\n[1, 2]\n', "line 2: expected a JSON object"),
        ("broken.jsonl", b'{"text": "ok"}\n{"text": \n', "line 2: invalid JSON"),
        ("badlang.jsonl", b'{"text": "ok", "language": "<script>"}\n', "field 'language'"),
        ("baddate.csv", b"text,published\nA claim.,2024-13-45\n", "line 2, field 'published'"),
        ("archive.zip", b"PK\x03\x04", "unsupported file type '.zip'"),
    ],
)
def test_bad_files_are_reported_with_file_line_and_field(
    name: str, data: bytes, expected: str
) -> None:
    with pytest.raises(IngestError, match=expected) as info:
        parse_file(name, data)
    assert str(info.value).startswith(name)


def test_utf8_and_utf16_boms_are_read_not_kept(store: storage.Database) -> None:
    body = "text\nLe porte-parole a démenti.\n"
    for encoded in (b"\xef\xbb\xbf" + body.encode(), body.encode("utf-16")):
        (doc,) = parse_file("bom.csv", encoded)
        assert doc.text == "Le porte-parole a démenti."
        assert "\ufeff" not in doc.text


def test_a_document_that_fails_mid_way_leaves_nothing(store: storage.Database) -> None:
    (doc,) = parse_file("partial.txt", "Premier. Deuxième. Troisième. Quatrième.".encode())
    assert len(doc.statements) == 4
    broken = doc.model_copy(deep=True)
    broken.statements[3].end += 3  # the last statement no longer slices its text
    before = storage.totals(store)
    statements_before = store.execute("SELECT count(*) FROM statements").fetchone()[0]
    outcome = storage.add_document(store, broken)
    assert outcome.status == "error" and "statement 3" in outcome.message
    assert storage.totals(store) == before
    assert store.execute("SELECT count(*) FROM statements").fetchone()[0] == statements_before
    assert storage.add_document(store, doc).status == "added"


def test_a_missing_file_is_reported_by_name(tmp_path: Path) -> None:
    from annotate.documents import parse_path

    with pytest.raises(IngestError, match=r"^missing\.txt: cannot open the file"):
        parse_path(tmp_path / "missing.txt")
