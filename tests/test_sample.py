"""`sourcedesk init --sample` (what `make run` does): a living first project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.main  # noqa: F401  (registers the commands)
import storage
from cli.common import app
from workflows.sample import SAMPLE_DIR, SampleError, load_sample

runner = CliRunner()


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    path = tmp_path / "sample.db"
    # The Makefile's command: `sourcedesk init --db ... --k 3 --sample`.
    result = runner.invoke(app, ["init", "--db", str(path), "--k", "3", "--sample"])
    assert result.exit_code == 0, result.output
    assert "sample project: 2 documents, 72 demo annotations, 1 fragment(s) merged" in (
        result.output
    )
    return path


def test_a_new_annotator_has_a_full_queue(sample_db: Path) -> None:
    db = storage.connect(sample_db)
    newcomer = storage.add_user(db, "newcomer", "annotator", "")
    assert newcomer.id is not None
    queue = storage.next_statements(db, newcomer.id, 100)
    assert len(queue) >= 20
    # The demo annotators did not fill k = 3 everywhere, but still overlap for agreement.
    counts = [c for (c,) in db.execute(
        "SELECT label_count FROM statements WHERE kind = 'statement'").fetchall()]  # fmt: skip
    assert min(counts) == 2 and max(counts) == 3 and counts.count(3) == 8


def test_fragments_are_merged_into_their_sentence(sample_db: Path) -> None:
    db = storage.connect(sample_db)
    texts = [s.text for d in (1, 2) for s in storage.statements_of(db, d, only_statements=True)]
    assert "efforts." not in texts
    assert any(t.endswith("le développement d’armes de l’iran. efforts.") for t in texts)
    assert all(len(t.split()) > 2 for t in texts)


def test_a_demo_line_that_matches_nothing_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE_DIR, folder)
    demo = folder / "DEMO_annotations.jsonl"
    demo.write_text(
        demo.read_text(encoding="utf-8").replace('"Les négociations russes', '"Nowhere', 1),
        encoding="utf-8",
    )
    db = storage.connect(tmp_path / "bad.db")
    storage.create_project(db, "Sample", annotators_per_statement=3)
    with pytest.raises(SampleError, match=r"DEMO_annotations.jsonl:1: statement_starts_with "
                       r"matches 0 statements, not 1"):  # fmt: skip
        load_sample(db, folder)
    assert storage.totals(db)["documents"] == 0 and storage.totals(db)["annotations"] == 0
