"""Streamed imports: memory follows the largest document, not the file, and nothing else
changes: the same documents, the same first error, the same all-or-nothing files."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storage
from annotate.documents import ColumnMapping, IngestError, parse_file, parse_path
from annotate.documents.decoding import checked_codec, chunks_of
from annotate.documents.ingest import iter_file, iter_path
from annotate.documents.language import detect_language
from annotate.documents.reading import read_chunks, text_pass
from annotate.documents.tables import csv_documents, jsonl_documents
from workflows.documents import import_files, import_parsed

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "data" / "ingest"
SEED = ROOT / "sample_data" / "000_7ff1cdb65df24172.txt"  # no language header
SENTENCE = "Le ministre l’a dit « clairement » hier. Il reviendra demain à Paris, a-t-il ajouté. "


def _error(name: str, data: bytes, **kw: object) -> str:
    with pytest.raises(IngestError) as info:
        parse_file(name, data, **kw)  # type: ignore[arg-type]
    return str(info.value)


def _warm_language_model() -> None:
    """Load the identifier before measuring: it is loaded once per process, not per file."""
    detect_language("Le ministre a dit que la livraison aurait lieu demain matin.")


# --- Documents and statements are produced one at a time. ------------------------------


class _CountingText:
    """`open_text` for the table readers that records how far each pass read."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines_read: list[int] = []

    @contextlib.contextmanager
    def __call__(self) -> Iterator[io.StringIO]:
        self.lines_read.append(0)
        stream = io.StringIO(self.text)
        outer = self

        class Counting(io.StringIO):
            def __next__(self) -> str:
                outer.lines_read[-1] += 1
                return next(stream)

            def read(self, size: int | None = -1) -> str:
                return stream.read(size)

        yield Counting()


def test_csv_documents_are_built_while_the_rows_are_read() -> None:
    rows = 500
    text = "id,text\n" + "".join(f'R{i},"{SENTENCE}"\n' for i in range(rows))
    opened = _CountingText(text)
    documents = csv_documents("many.csv", opened, ColumnMapping())  # type: ignore[arg-type]
    first = next(documents)
    assert first.external_id == "R0"
    # The checking passes read every row; the building pass has read two lines (the
    # header and the first row) when the first document comes out.
    assert opened.lines_read[-1] <= 3
    assert sum(1 for _ in documents) == rows - 1
    assert opened.lines_read[-1] >= rows


def test_jsonl_documents_are_built_while_the_lines_are_read() -> None:
    lines = 400
    text = "".join(json.dumps({"id": f"J{i}", "text": SENTENCE}) + "\n" for i in range(lines))
    opened = _CountingText(text)
    documents = jsonl_documents("many.jsonl", opened, ColumnMapping())  # type: ignore[arg-type]
    assert next(documents).external_id == "J0"
    assert opened.lines_read[-1] <= 2
    assert [d.external_id for d in documents][-1] == f"J{lines - 1}"


@pytest.mark.slow
def test_a_table_file_is_never_held_whole() -> None:
    _warm_language_model()
    row = SENTENCE * 200  # ~18 KB a document
    data = ("text\n" + "".join(f'"{row} {i}"\n' for i in range(150))).encode()
    tracemalloc.start()
    try:
        count = 0
        for document in iter_file("big.csv", data):  # statements left unread
            count += 1
            del document
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 150
    assert peak < len(data) / 4, f"{peak:,} bytes at the peak for a {len(data):,}-byte file"


@pytest.mark.slow
def test_an_article_is_held_once_and_its_statements_are_not_kept(tmp_path: Path) -> None:
    _warm_language_model()
    body = "\n\n".join(SENTENCE * 3 for _ in range(2000))
    path = tmp_path / "long.txt"
    path.write_text("date 2024-01 Un titre sur la ligne de la date\n\n" + body + "\n")
    tracemalloc.start()
    try:
        [document] = iter_path(path)
        text_size = sys.getsizeof(document.text)
        count = sum(1 for _ in document.statements)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert document.title == "Un titre sur la ligne de la date"
    assert count > 10_000
    # The bytes and one string, or two strings while the header is cut: no more.
    assert peak < 2.6 * text_size, f"{peak:,} bytes at the peak for a {text_size:,}-byte text"


def test_streamed_and_listed_documents_agree() -> None:
    for path in sorted(FIXTURES.iterdir()):
        listed = parse_path(path)
        streamed = [document.parsed() for document in iter_path(path)]
        assert streamed == listed, path.name
        again = [document.parsed() for document in iter_file(path.name, path.read_bytes())]
        assert again == listed, path.name


def test_statements_can_be_read_more_than_once() -> None:
    [document] = iter_file("a.txt", b"Premier. Deuxi\xc3\xa8me. Troisi\xc3\xa8me.")
    assert not isinstance(document.statements, list)
    assert [s.text for s in document.statements] == [s.text for s in document.statements]


# --- Tables: the same documents, the same first error. ---------------------------------


def test_interleaved_groups_still_come_out_in_order_of_first_appearance() -> None:
    data = b"document_id,text\nA,Premier de A.\nB,Premier de B.\nA,Second de A.\nC,Seul de C.\n"
    documents = list(iter_file("groups.csv", data))
    assert [d.external_id for d in documents] == ["A", "B", "C"]
    assert [s.text for s in documents[0].statements] == ["Premier de A.", "Second de A."]
    assert [d.source_name for d in documents] == [
        "groups.csv:line 2",
        "groups.csv:line 3",
        "groups.csv:line 5",
    ]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        # A shape error later in the file comes before a row's own problem.
        ("a.csv", b"title,text\nA,\nB,ok\nC,ok,extra\n", "a.csv, line 4: row has 3 cells"),
        (
            "a.jsonl",
            b'{"text": ""}\n{"text": "ok"}\n{"text": "bad",}\n',
            "a.jsonl, line 3: invalid JSON",
        ),
        # A missing text beats an empty document id found earlier.
        (
            "a.csv",
            b"document_id,text\n,Un.\nA,\n",
            "a.csv, line 3, field 'text': empty text",
        ),
        # A row's text and id come before any document's metadata.
        (
            "a.csv",
            b"text,published\nUn.,2024-13-40\nDeux.,\n,\n Trois.,\n\n x,\n",
            "a.csv, line 2, field 'published': impossible date",
        ),
        (
            "a.jsonl",
            b'{"text": "Un.", "published": "2024-13-40"}\n{"text": " "}\n',
            "a.jsonl, line 2, field 'text': empty text",
        ),
        # A JSONL column is matched against every key of the file.
        (
            "a.jsonl",
            b'{"Text": "Un."}\n{"text": "Deux."}\n',
            "a.jsonl, line 1, field 'text': missing key 'text'",
        ),
    ],
)
def test_a_table_reports_the_same_first_problem(name: str, data: bytes, expected: str) -> None:
    assert _error(name, data).startswith(expected)


def test_a_table_read_again_is_still_held_to_the_size_limit() -> None:
    handle = io.BytesIO(b"text\n" + b"x" * 100)
    assert sum(len(chunk) for chunk in read_chunks(handle, "t.csv", 200)) == 105
    with pytest.raises(IngestError, match="larger than the limit of 50 bytes"):
        list(read_chunks(handle, "t.csv", 50))
    with (
        pytest.raises(IngestError, match="larger than the limit of 50 bytes"),
        text_pass(handle, "t.csv", 50, "utf-8-sig") as text,
    ):
        text.read()


# --- Encoding checks, a chunk at a time. -------------------------------------------------


def _outcome(name: str, chunks: list[bytes]) -> str:
    try:
        return checked_codec(name, chunks)
    except IngestError as exc:
        return str(exc)


PIECES = [b"a", b" ", b"\n", b"\x00", b"\xc3", b"\xa9", b"\xe2\x80\x99", b"\xd8", b"\xe8", b"\xa0"]
BOMS = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(BOMS),
    st.lists(st.sampled_from(PIECES), max_size=40),
    st.integers(min_value=1, max_value=7),
)
def test_checking_in_chunks_finds_what_checking_at_once_finds(
    bom: bytes, pieces: list[bytes], size: int
) -> None:
    data = bom + b"".join(pieces)
    whole = _outcome("x.txt", [data])
    chunked = _outcome("x.txt", [data[i : i + size] for i in range(0, len(data), size)])
    assert chunked == whole
    if not whole.startswith("x.txt"):
        assert data.decode(whole) is not None  # the codec chosen reads the file


def _whole_file_outcome(name: str, data: bytes) -> str:
    """What the whole-file checks said before files were read in chunks."""
    if not data.strip():
        return f"{name}: file is empty"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data.decode("utf-16")
        except UnicodeDecodeError as exc:
            return f"{name}: invalid UTF-16 at byte {exc.start}"
        return "utf-16"
    if b"\x00" in data:
        offset = data.index(b"\x00")
        return (
            f"{name}: looks like a binary file (NUL byte at offset {offset}); expected UTF-8 text"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return (
            f"{name}, line {line}: invalid UTF-8 at byte offset {exc.start} "
            f"(byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        )
    if not text.strip():
        return f"{name}: file contains only whitespace"
    return "utf-8-sig"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([b"", b"\xff\xfe", b"\xfe\xff"]), st.lists(st.sampled_from(PIECES)))
def test_the_checks_say_what_the_whole_file_checks_said(bom: bytes, pieces: list[bytes]) -> None:
    data = bom + b"".join(pieces)
    assert _outcome("x.txt", list(chunks_of(data))) == _whole_file_outcome("x.txt", data)


def test_invalid_utf8_after_a_byte_order_mark_is_located_in_the_file() -> None:
    # Offsets count the byte order mark: the byte named is the one at that offset.
    assert "line 2: invalid UTF-8 at byte offset 8 (byte 0xe8)" in _error(
        "bom.txt", b"\xef\xbb\xbfab\ncd\xe8"
    )
    assert "line 2: invalid UTF-8 at byte offset 10 (byte 0xe8)" in _error(
        "bom.csv", b"\xef\xbb\xbftext\nab\xe8"
    )


def test_an_article_and_a_table_name_encoding_problems_alike() -> None:
    for data in (b"", b" \n", "\u00a0".encode(), b"ab\x00cd", b"ok\n\xe8", b"\xff\xfea"):
        assert _error("x.txt", data)[len("x.txt") :] == _error("x.csv", data)[len("x.csv") :]
    assert list(chunks_of(b"abc")) == [b"abc"]


# --- The import: one transaction a file, the language model only as it is needed. ----


def test_a_file_that_fails_late_leaves_nothing_behind(
    project_db: storage.Database, tmp_path: Path
) -> None:
    table = tmp_path / "late.csv"
    table.write_text("text,published\nUn texte.,2024\nDeux textes.,2024\nTrois.,2024-13-40\n")
    seen: list[storage.ImportOutcome] = []
    report = import_files(project_db, [table], on_outcome=seen.append)
    assert [o.status for o in report.outcomes] == ["error"]
    assert seen == report.outcomes
    assert "late.csv, line 4, field 'published': impossible date" in report.outcomes[0].message
    assert storage.totals(project_db)["documents"] == 0
    good = tmp_path / "good.csv"
    good.write_text("text\nUn texte.\nUn texte.\nAutre texte.\n")
    report = import_files(project_db, [good, table])
    assert [o.status for o in report.outcomes] == ["added", "duplicate", "added", "error"]
    assert storage.totals(project_db)["documents"] == 2


def test_bytes_that_stop_decoding_after_the_check_are_an_ingest_error() -> None:
    handle = io.BytesIO(b"text\nUn texte.\n\xff\xfe bad\n")
    changed = pytest.raises(IngestError, match="changed while it was being read")
    with changed, text_pass(handle, "rows.csv", 1_000, "utf-8") as text:
        text.read()


def test_a_document_refused_by_storage_takes_its_whole_file_back(
    project_db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storage refuses the second document of a file (as it would a value its model
    rejects): the first, already written, is rolled back with it."""
    real = storage.add_document
    calls: list[str] = []

    def refuse_second(db: storage.Database, parsed: object) -> storage.ImportOutcome:
        calls.append("x")
        if len(calls) == 2:
            return storage.ImportOutcome(
                source_name="rows.csv", status="error", message="language: too long"
            )
        return real(db, parsed)  # type: ignore[arg-type]

    monkeypatch.setattr(storage, "add_document", refuse_second)
    table = tmp_path / "rows.csv"
    table.write_text("text\nUn texte.\nDeux textes.\nTrois textes.\n")
    report = import_files(project_db, [table])
    assert [(o.status, o.message) for o in report.outcomes] == [
        ("error", "language: too long; nothing of rows.csv was imported")
    ]
    assert storage.totals(project_db)["documents"] == 0
    # An upload parsed beforehand (the Documents page) is stored file by file the same way.
    calls.clear()
    report = import_parsed(project_db, [("rows.csv", parse_path(table))])
    assert [o.status for o in report.outcomes] == ["error"]
    assert storage.totals(project_db)["documents"] == 0


def test_a_long_article_is_stored_whole(project_db: storage.Database, tmp_path: Path) -> None:
    text = "\n\n".join(f"{SENTENCE}{i}." for i in range(3000))
    path = tmp_path / "long.txt"
    path.write_text(text)
    [outcome] = import_files(project_db, [path]).outcomes
    assert outcome.status == "added" and outcome.document_id is not None
    assert storage.get_document(project_db, outcome.document_id).text == text
    statements = storage.statements_of(project_db, outcome.document_id)
    assert sum(s.kind == "statement" for s in statements) == outcome.statements > 6000
    assert all(text[s.start : s.end] == s.text for s in statements)


def test_the_restricted_language_model_reads_like_the_library_one() -> None:
    from annotate.documents import language

    lean, full = language._lean_identifier(), language._library_identifier()
    samples = [path.read_text() for path in sorted((ROOT / "sample_data").glob("*.txt"))]
    samples += ["Die Regierung hat die Lieferung bestätigt.", "hello there", "2024-09-08"]
    for sample in samples:
        for piece in (sample, sample[:60], sample.upper()):
            assert lean.rank(piece) == full.rank(piece)


IMPORT_AND_LIST_MODULES = """
import sys
from cli.main import main
sys.argv = ["sourcedesk", "import", sys.argv[2], "--db", sys.argv[1]]
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_importing_an_article_loads_no_page_model_or_table_library(tmp_path: Path) -> None:
    """Each of these libraries adds tens of megabytes to the command's memory, which is
    the file's size many times over for an ordinary article."""
    db = tmp_path / "p.db"
    project = storage.connect(db)
    storage.create_project(project, "p")
    project.close()
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_LIST_MODULES, str(db), str(SEED)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.strip().splitlines()[-1].split())
    assert "py3langid" in loaded  # the article's language was detected
    assert not loaded & {"sklearn", "scipy", "trafilatura", "streamlit", "justext", "htmldate"}
    assert not loaded & {"pandas", "pyarrow", "duckdb", "openpyxl", "adbc_driver_manager"}
