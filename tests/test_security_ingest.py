"""Ordinary files cannot deny service: readers take regular files only, the size limit
holds on the bytes read, and the Documents page keeps only the current upload's parses.

Segmentation time is measured by bench/ingest.py (no timed tests here); the test below
checks that the linear-time splitter still cuts exactly where the rules say.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from apptest_helpers import app_for, make_project, open_page

from annotate.documents import IngestError, parse_path
from annotate.statements.segment import segment_text

ROOT = Path(__file__).resolve().parent.parent


def test_a_link_to_dev_zero_is_refused_not_read(tmp_path: Path) -> None:
    link = tmp_path / "endless.txt"
    link.symlink_to("/dev/zero")
    with pytest.raises(IngestError, match="not a regular file"):
        parse_path(link, max_bytes=1_000)


def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            parse_path(fifo)
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the reader before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert len(outcome) == 1 and isinstance(outcome[0], IngestError)
    assert "not a regular file" in str(outcome[0])


def test_the_import_command_refuses_devices_and_fifos_quickly(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    make_project(db, documents=[])
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.txt")
    result = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "import",
         str(tmp_path / "zero.txt"), str(tmp_path / "pipe.txt"), "--db", str(db)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("not a regular file") == 2
    assert "0 document(s) added" in result.stdout


def test_the_size_limit_counts_bytes_read(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text("Le ministre a parlé. " * 100)
    assert parse_path(article, max_bytes=10_000)
    with pytest.raises(IngestError, match="larger than the limit of 1,000 bytes"):
        parse_path(article, max_bytes=1_000)


def test_a_long_single_paragraph_is_split_like_a_short_one() -> None:
    sentence = "M. Dupont a dit « oui. Peut-être ! » à l'AFP. Le texte, p. ex. ceci, suit. "
    short = segment_text(sentence * 10, "fr")
    long = segment_text(sentence * 3_000, "fr")
    assert len(long) == len(short) * 300
    assert [s.text for s in long[: len(short)]] == [s.text for s in short]
    assert short[0].text == "M. Dupont a dit « oui. Peut-être ! » à l'AFP."


@pytest.mark.apptest
def test_the_documents_page_keeps_only_the_current_uploads_parses(db_file: Path) -> None:
    ids = make_project(db_file, documents=[])
    at = open_page(app_for(ids["eve"]).run(), "documents")
    first = b"Le ministre a dit oui. Le texte suit.\n"
    second = b"La ministre a dit non. Rien ne suit.\n"
    at.file_uploader[0].set_value([("a.txt", first, "text/plain")]).run()
    at.file_uploader[0].set_value([("b.txt", second, "text/plain")]).run()
    cached = at.session_state["doc_parsed_uploads"]
    assert len(cached) == 1
    [(documents, problem)] = cached.values()
    assert problem == "" and documents[0].text.startswith("La ministre")
    at.file_uploader[0].set_value([]).run()
    assert "doc_parsed_uploads" not in at.session_state
