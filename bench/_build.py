"""Building large synthetic projects quickly, for the benches.

Documents are made of real sentences (the seed articles, segmented once) in a seeded
random order, ten statements each, so their texts and statement lengths look like the
newsroom copy the tool is for. Labels follow the shape a working project has: most
statements are complete (k labels), the rest of the queue is partly labelled, and one
annotator has skipped far ahead, which is the worst case for the annotator's queue.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from annotate.documents import ParsedDocument, ParsedStatement, content_hash  # noqa: E402
from annotate.statements.segment import segment_text  # noqa: E402
from storage.bulk import NewLabel, bulk_add_annotations, bulk_add_documents  # noqa: E402

SEED_DIR = ROOT / "sample_data"
TYPES = ("named_official", "anonymous_official", "official_denial", "unattributed",
         "media_report", "declassified_intel", "official_statement", "no_comment")  # fmt: skip
DOCUMENT_BATCH = 2_000
LABEL_BATCH = 50_000


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt"))]


def seed_sentences() -> list[str]:
    return [
        s.text
        for text in seed_texts()
        for s in segment_text(text, "fr")
        if s.kind == "statement" and len(s.text) > 30
    ]


def generated_documents(
    n: int, per_document: int = 10, seed: int = 42, start: int = 0
) -> Iterator[ParsedDocument]:
    """`n` distinct documents of `per_document` statements with exact offsets."""
    rng = random.Random(seed)
    sentences = seed_sentences()
    for i in range(start, start + n):
        chosen = [f"Dépêche numéro {i}.", *rng.sample(sentences, per_document - 1)]
        statements, position = [], 0
        for sentence in chosen:
            statements.append(
                ParsedStatement.model_construct(
                    start=position, end=position + len(sentence), text=sentence, kind="statement"
                )
            )
            position += len(sentence) + 1
        text = " ".join(chosen)
        yield ParsedDocument.model_construct(
            source_name=f"generated-{i}.txt", title="", outlet="Bench", url="", published=None,
            published_precision=None, language="fr", text=text, content_hash=content_hash(text),
            external_id=str(i), statements=statements,
        )  # fmt: skip


@dataclass
class BuildStats:
    documents: int = 0
    statements: int = 0
    labels: int = 0
    import_seconds: float = 0.0  # storage time only, input generation excluded
    label_seconds: float = 0.0
    annotators: list[int] = field(default_factory=list)
    ahead_annotator: int = 0


def _label(
    statement_id: int, annotator_id: int, rng: random.Random, skipped: bool = False
) -> NewLabel:
    return NewLabel(
        statement_id=statement_id, annotator_id=annotator_id,
        source_type=None if skipped else TYPES[min(int(rng.expovariate(0.7)), len(TYPES) - 1)],
        confidence=None if skipped else rng.randint(1, 5), skipped=skipped,
    )  # fmt: skip


def build_project(
    path: Path,
    n_documents: int,
    *,
    per_document: int = 10,
    n_annotators: int = 20,
    k: int = 3,
    open_share: float = 0.1,
    seed: int = 42,
    progress: bool = True,
) -> BuildStats:
    """Create a project of `n_documents` x `per_document` statements and 3 labels per statement.

    The first (1 - open_share) of statements carry k labels (complete); the open rest carry
    k - 1 labels from rotating annotators, and the last annotator has skipped every open
    statement, so labels total k per statement.
    """
    rng = random.Random(seed)
    stats = BuildStats()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = storage.connect(path)
    storage.create_project(db, "Scale bench", annotators_per_statement=k)
    stats.annotators = [storage.add_user(db, f"annotator{i:02d}").id for i in range(n_annotators)]
    stats.ahead_annotator = stats.annotators[-1]  # type: ignore[assignment]
    batch: list[ParsedDocument] = []

    def flush() -> None:
        started = time.perf_counter()
        stored = bulk_add_documents(db, batch)
        stats.import_seconds += time.perf_counter() - started
        stats.documents += stored.documents
        stats.statements += stored.statements
        batch.clear()
        if progress:
            print(f"\r  documents: {stats.documents:,}", end="", file=sys.stderr, flush=True)

    for doc in generated_documents(n_documents, per_document, seed):
        batch.append(doc)
        if len(batch) == DOCUMENT_BATCH:
            flush()
    if batch:
        flush()
    if progress:
        print(file=sys.stderr)

    first, last = db.execute("SELECT min(id), max(id) FROM statements").fetchone()
    n_closed = int((last - first + 1) * (1 - open_share))
    workers = stats.annotators[:-1]
    labels: list[NewLabel] = []

    def flush_labels() -> None:
        started = time.perf_counter()
        stats.labels += bulk_add_annotations(db, labels)
        stats.label_seconds += time.perf_counter() - started
        labels.clear()
        if progress:
            print(f"\r  labels: {stats.labels:,}", end="", file=sys.stderr, flush=True)

    for statement_id in range(first, last + 1):
        if statement_id - first < n_closed:
            for annotator in rng.sample(workers, k):
                labels.append(_label(statement_id, annotator, rng))
        else:
            offset = statement_id - first
            for j in range(k - 1):
                labels.append(_label(statement_id, workers[(offset + j) % len(workers)], rng))
            labels.append(_label(statement_id, stats.ahead_annotator, rng, skipped=True))
        if len(labels) >= LABEL_BATCH:
            flush_labels()
    if labels:
        flush_labels()
    if progress:
        print(file=sys.stderr)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return stats


def reference_batches(path: Path, sql: str, params: list[object]) -> Iterator[object]:
    """The off-the-shelf reference read: ADBC's SQLite driver into pyarrow, in this
    process, as its documentation shows it (the app runs the same driver in a process of
    its own). `sql` starts with a typing row (see storage.arrow_reads), dropped here."""
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(f"{path.resolve().as_uri()}?mode=ro") as conn, conn.cursor() as cursor:
        cursor.execute(sql, params or None)
        first = True
        for batch in cursor.fetch_record_batch():
            if first:
                batch, first = batch.slice(1), False
            yield batch
