"""Killing the process mid-write (power cut, OOM killer) never leaves a half-written record.

A child process imports documents (or writes an export) and is SIGKILLed part-way; the
database must then pass SQLite's integrity check, every document in it must have all of
its statements, and the app's own queries must run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import storage
from annotate.statements.segment import segment_text

ROOT = Path(__file__).resolve().parent.parent
N_DOCUMENTS = 2_000

# The child builds each document from the seed articles' paragraphs, reshuffled and
# numbered, so every document is distinct and the parent can rebuild what was sent.
_GENERATOR = textwrap.dedent(
    """
    import random
    from pathlib import Path

    SEEDS = sorted(Path("sample_data").glob("*.txt"))
    PARAGRAPHS = [
        p.strip()
        for path in SEEDS
        for p in path.read_text(encoding="utf-8").split("\\n\\n")[1:]
        if len(p.strip()) > 40
    ]

    def article(i):
        rng = random.Random(i)
        chosen = rng.sample(PARAGRAPHS, 4)
        return f"Dépêche numéro {i}.\\n\\n" + "\\n\\n".join(chosen)
    """
)

_IMPORTER = _GENERATOR + textwrap.dedent(
    """
    import sys
    import storage
    from annotate.documents import parse_file

    db = storage.connect(sys.argv[1])
    for i in range(int(sys.argv[2])):
        (doc,) = parse_file(f"doc{i}.txt", article(i).encode("utf-8"))
        outcome = storage.add_document(db, doc)
        assert outcome.status == "added", outcome
        print(i, flush=True)
    print("done", flush=True)
    """
)


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _kill_after(child: subprocess.Popen[str], lines: int) -> int:
    """Read `lines` progress lines, then SIGKILL the child; returns the last line number."""
    last = -1
    assert child.stdout is not None
    for _ in range(lines):
        line = child.stdout.readline()
        assert line and line.strip() != "done", "the child finished before it was killed"
        last = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # The child may have run ahead of the reader: lines already in the pipe were committed.
    for line in child.stdout.read().splitlines():
        if line.strip().isdigit():
            last = int(line)
    return last


def _generated_articles() -> dict[str, str]:
    namespace: dict[str, object] = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(_GENERATOR, namespace)
    finally:
        os.chdir(cwd)
    article = namespace["article"]
    return {f"doc{i}.txt": article(i) for i in range(N_DOCUMENTS)}  # type: ignore[operator]


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [150, 401])
def test_import_killed_midway_leaves_whole_documents_only(tmp_path: Path, kill_after: int) -> None:
    db_path = tmp_path / "crash.db"
    db = storage.connect(db_path)
    storage.create_project(db, "Crash")
    annotator = storage.add_user(db, "alice").id
    db.close()

    child = _start(_IMPORTER, str(db_path), str(N_DOCUMENTS))
    last_reported = _kill_after(child, kill_after)

    db = storage.connect(db_path)
    assert storage.integrity_check(db) == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    documents = list(db.query("SELECT id, source_name, text, language FROM documents"))
    # Everything reported as added is there; at most the one in flight may have landed too.
    assert last_reported + 1 <= len(documents) <= last_reported + 2
    assert [d["source_name"] for d in documents] == [f"doc{i}.txt" for i in range(len(documents))]
    sent = _generated_articles()
    for d in documents:
        assert d["text"] == sent[d["source_name"]].strip("\n")
        expected = segment_text(d["text"], d["language"])
        stored = storage.statements_of(db, d["id"])
        assert len(stored) == len(expected) > 4
        assert [(s.start, s.end, s.kind) for s in stored] == [
            (e.start, e.end, e.kind) for e in expected
        ]
        assert all(d["text"][s.start : s.end] == s.text for s in stored)
    # Statements never outlive their document.
    assert (
        db.execute(
            "SELECT count(*) FROM statements WHERE document_id NOT IN (SELECT id FROM documents)"
        ).fetchone()[0]
        == 0
    )
    # The app's own queries work on the survivor.
    listed = storage.list_documents(db)
    assert len(listed) == len(documents)
    assert storage.next_statements(db, annotator, limit=3)
    totals = storage.totals(db)
    assert totals["documents"] == len(documents)
    db.close()


_EXPORTER = textwrap.dedent(
    """
    import sys, time
    import storage
    from annotate.exports import ExportOptions
    from workflows.export import export_to as export_dataset

    def progress(rows):
        print(rows, flush=True)
        time.sleep(0.02)  # leave the parent time to kill between two chunks

    db = storage.connect(sys.argv[1])
    options = ExportOptions(format=sys.argv[3], chunk_size=200)
    export_dataset(db, sys.argv[2], options, progress=progress, agreement=False)
    print("done", flush=True)
    """
)


@pytest.fixture(scope="module")
def labelled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from annotate.core.models import AnnotationInput
    from annotate.documents import ParsedDocument, ParsedStatement
    from storage.bulk import bulk_add_annotations, bulk_add_documents

    db_path = tmp_path_factory.mktemp("export") / "export.db"
    db = storage.connect(db_path)
    storage.create_project(db, "Export")
    users = [storage.add_user(db, f"a{i}").id for i in range(3)]
    docs = []
    for d in range(2_000):
        line = f"Claim {d} was made by an official."
        docs.append(
            ParsedDocument(
                source_name=f"d{d}", language="en", text=line, content_hash=f"{d:064x}",
                statements=[ParsedStatement(start=0, end=len(line), text=line, kind="statement")],
            )
        )  # fmt: skip
    bulk_add_documents(db, docs)
    ids = [r[0] for r in db.execute("SELECT id FROM statements")]
    bulk_add_annotations(
        db,
        [
            AnnotationInput(statement_id=s, annotator_id=u, source_type="named_official")
            for s in ids
            for u in users
        ],
    )
    db.close()
    return db_path


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "xlsx"])
def test_export_killed_midway_leaves_no_file_under_the_final_name(
    tmp_path: Path, labelled_db: Path, fmt: str
) -> None:
    final = tmp_path / "out" / f"labels.{fmt}"
    child = _start(_EXPORTER, str(labelled_db), str(final), fmt)
    rows = _kill_after(child, 3)  # three chunks written to the temporary file
    assert rows == 600
    assert not final.exists()
    leftovers = list(final.parent.iterdir())
    # Only the hidden temporary file may remain; nothing carries the final name or its card.
    assert all(p.name.startswith(f".{final.name}.") for p in leftovers), leftovers
    # The same export, left to finish, does produce the file.
    child = _start(_EXPORTER, str(labelled_db), str(final), fmt)
    child.wait(timeout=120)
    assert child.returncode == 0
    assert final.exists()
