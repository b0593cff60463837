"""Many processes writing one database file at once: nothing lost, nothing doubled.

Each worker is a separate process (spawn, as on macOS and Windows), with its own
connection, so the only thing they share is SQLite's file locking.
"""

from __future__ import annotations

import multiprocessing
import random
import traceback
from pathlib import Path

import pytest
from builders import lines_document

import storage
from annotate.core.models import AdjudicationInput, AnnotationInput
from annotate.documents import ParsedDocument
from storage.bulk import bulk_add_documents

WORKERS = 8
LABELS_PER_WORKER = 2_000
EDIT_EVERY = 10  # every 10th label is edited once (a second revision)
DELETE_EVERY = 25  # every 25th label is then soft-deleted (a third revision)
TYPES = ("named_official", "anonymous_official", "official_denial", "unattributed")


def _documents(n_statements: int, per_document: int = 20) -> list[ParsedDocument]:
    return [
        lines_document(
            [f"Document {d}, claim {i} was reported." for i in range(per_document)],
            name=f"doc{d}.txt",
            language="en",
            content_hash=f"{d:064x}",
        )
        for d in range(n_statements // per_document)
    ]


def _annotate_worker(db_path: str, annotator_id: int, seed: int, start, results) -> None:  # type: ignore[no-untyped-def]
    """Label every statement once, edit some, delete some; report counts or the traceback."""
    try:
        db = storage.connect(db_path)
        ids = [r[0] for r in db.execute("SELECT id FROM statements ORDER BY id")]
        random.Random(seed).shuffle(ids)
        start.wait()
        saves = edits = deletes = 0
        for n, statement_id in enumerate(ids[:LABELS_PER_WORKER]):
            value = AnnotationInput(
                statement_id=statement_id,
                annotator_id=annotator_id,
                source_type=TYPES[(statement_id + annotator_id) % len(TYPES)],
                confidence=1 + (statement_id * annotator_id) % 5,
            )
            saved = storage.save_annotation(db, value, expected_revision=0)
            saves += 1
            if n % EDIT_EVERY == 0:
                edited = value.model_copy(update={"source_type": "official_denial"})
                saved = storage.save_annotation(db, edited, expected_revision=saved.revision)
                edits += 1
            if n % DELETE_EVERY == 0:
                storage.delete_annotation(
                    db, statement_id, annotator_id, expected_revision=saved.revision
                )
                deletes += 1
        db.close()
        results.put(("ok", annotator_id, saves, edits, deletes))
    except BaseException:
        results.put(("error", annotator_id, traceback.format_exc()))


def _adjudicate_worker(db_path: str, editor_id: int, statement_id: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    try:
        db = storage.connect(db_path)
        current = storage.current_adjudication(db, statement_id)
        seen = current.revision if current else 0
        barrier.wait()  # both editors have read revision 0 before either writes
        try:
            storage.adjudicate(
                db,
                AdjudicationInput(
                    statement_id=statement_id, editor_id=editor_id, source_type="expert"
                ),
                expected_revision=seen,
            )
            results.put(("saved", editor_id, seen))
        except storage.ConflictError as exc:
            results.put(("conflict", editor_id, str(exc)))
    except BaseException:
        results.put(("error", editor_id, traceback.format_exc()))


def _run(ctx, target, args_list: list[tuple], results, timeout: float = 120) -> list[tuple]:  # type: ignore[no-untyped-def]
    processes = [ctx.Process(target=target, args=args) for args in args_list]
    for p in processes:
        p.start()
    out = [results.get(timeout=timeout) for _ in processes]
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0
    return out


@pytest.mark.slow
def test_eight_annotators_writing_at_once_lose_and_double_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "busy.db"
    db = storage.connect(db_path)
    storage.create_project(db, "Concurrency", annotators_per_statement=3)
    bulk_add_documents(db, _documents(LABELS_PER_WORKER))
    annotators = [storage.add_user(db, f"annotator{i}").id for i in range(WORKERS)]
    db.close()

    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    processes = [
        ctx.Process(target=_annotate_worker, args=(str(db_path), a, seed, start, results))
        for seed, a in enumerate(annotators)
    ]
    for p in processes:
        p.start()
    start.set()
    outcomes = [results.get(timeout=180) for _ in processes]
    for p in processes:
        p.join(timeout=30)
    errors = [o[2] for o in outcomes if o[0] == "error"]
    assert not errors, errors[0]
    assert all(p.exitcode == 0 for p in processes)

    saves = sum(o[2] for o in outcomes)
    edits = sum(o[3] for o in outcomes)
    deletes = sum(o[4] for o in outcomes)
    per_worker_edits = len(range(0, LABELS_PER_WORKER, EDIT_EVERY))
    per_worker_deletes = len(range(0, LABELS_PER_WORKER, DELETE_EVERY))
    assert (saves, edits, deletes) == (
        WORKERS * LABELS_PER_WORKER,
        WORKERS * per_worker_edits,
        WORKERS * per_worker_deletes,
    )

    db = storage.connect(db_path)
    assert storage.integrity_check(db) == "ok"
    count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    assert count("SELECT count(*) FROM annotations") == saves == 16_000
    assert count("SELECT count(*) FROM annotations WHERE deleted = 0") == saves - deletes
    assert count("SELECT count(*) FROM annotation_revisions") == saves + edits + deletes == 18_240
    # Every current label's revision number equals the revisions its history holds, 1..n.
    assert (
        count(
            """SELECT count(*) FROM annotations a WHERE a.revision !=
                 (SELECT count(*) FROM annotation_revisions r WHERE r.annotation_id = a.id)
               OR a.revision != (SELECT max(revision) FROM annotation_revisions r
                                 WHERE r.annotation_id = a.id)"""
        )
        == 0
    )
    # One current label per (statement, annotator), enforced by the schema, not luck.
    assert (
        count(
            "SELECT count(*) FROM (SELECT 1 FROM annotations GROUP BY statement_id, annotator_id "
            "HAVING count(*) > 1)"
        )
        == 0
    )
    unique_indexes = [
        [c[2] for c in db.execute(f"PRAGMA index_info('{name}')")]
        for _, name, unique, *_ in db.execute("PRAGMA index_list('annotations')")
        if unique
    ]
    assert ["statement_id", "annotator_id"] in unique_indexes
    # The denormalised count the queues read matches the labels actually there.
    assert (
        count(
            """SELECT count(*) FROM statements s WHERE s.label_count !=
                 (SELECT count(*) FROM annotations a WHERE a.statement_id = s.id
                  AND a.deleted = 0 AND a.skipped = 0 AND a.source_type IS NOT NULL)"""
        )
        == 0
    )
    assert count("SELECT sum(label_count) FROM statements") == saves - deletes
    # Every statement got one label from each worker.
    assert (
        count(
            "SELECT count(*) FROM statements s WHERE "
            "(SELECT count(*) FROM annotations a WHERE a.statement_id = s.id) != 8"
        )
        == 0
    )
    assert count("SELECT count(*) FROM statements WHERE is_open = 1") == count(
        "SELECT count(*) FROM statements WHERE label_count < 3"
    )
    db.close()


@pytest.mark.slow
def test_two_editors_adjudicating_the_same_statement_one_wins_one_conflicts(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "race.db"
    db = storage.connect(db_path)
    storage.create_project(db, "Race")
    bulk_add_documents(db, _documents(20))
    editors = [storage.add_user(db, name, "editor").id for name in ("eve", "frank")]
    statement_id = db.execute("SELECT min(id) FROM statements").fetchone()[0]
    db.close()

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    outcomes = _run(
        ctx,
        _adjudicate_worker,
        [(str(db_path), e, statement_id, barrier, results) for e in editors],
        results,
    )
    kinds = sorted(o[0] for o in outcomes)
    assert kinds == ["conflict", "saved"], outcomes
    conflict = next(o for o in outcomes if o[0] == "conflict")
    assert "another editor changed" in conflict[2]
    winner = next(o[1] for o in outcomes if o[0] == "saved")

    db = storage.connect(db_path)
    history = storage.adjudication_history(db, statement_id)
    assert [(a.editor_id, a.revision) for _, a in history] == [(winner, 1)]
    current = storage.current_adjudication(db, statement_id)
    assert current is not None and current.editor_id == winner and current.revision == 1
    db.close()
