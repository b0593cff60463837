"""A project of 100,000 documents, 1M statements and 3M labels: is it still quick?

Builds the project with the bulk loader (bench/_build.py), then measures what users wait
for: import throughput, segmentation speed, the annotator's next statement, saving a
label, the agreement report, an export, and the size of the file. Each figure sits beside
a reference measured in the same run on the same machine, so the ratio travels between
machines even when the absolute figure does not.

    python bench/scale.py            # 100k documents (about 10 minutes on 2 cores)
    python bench/scale.py --small    # 10k documents
    python bench/scale.py --keep     # keep the database file afterwards
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from _build import (
    ROOT,
    TYPES,
    build_project,
    generated_documents,
    reference_batches,
    seed_texts,
)

import storage
from annotate.core.models import AnnotationInput
from annotate.statements.segment import segment_text

ROWS: list[tuple[str, str, str, str, str]] = []


def row(measure: str, value: str, reference: str = "", ratio: str = "", goal: str = "") -> None:
    ROWS.append((measure, value, reference, ratio, goal))
    print(f"  {measure}: {value}", file=sys.stderr, flush=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def bench_segmentation() -> None:
    texts = seed_texts()
    n = 0
    rounds = 0
    started = time.perf_counter()
    while n < 20_000:
        for text in texts:
            n += len(segment_text(text, "fr"))
        rounds += 1
    seconds = time.perf_counter() - started
    naive = re.compile(r"(?<=[.!?])\s+")
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            naive.split(text)
    reference = time.perf_counter() - started
    rate = n / seconds
    row(
        "segmentation (seed texts)",
        f"{rate:,.0f} statements/s",
        f"regex split {n / reference:,.0f}/s",
        f"{reference / seconds:.3f}",
    )


def bench_import_reference(tmp: Path, stats_rate: float) -> None:
    """The per-document path (`add_document`: one transaction per document) as reference."""
    db = storage.connect(tmp / "reference.db")
    storage.create_project(db, "Reference")
    docs = list(generated_documents(300, seed=7, start=10_000_000))
    started = time.perf_counter()
    for doc in docs:
        storage.add_document(db, doc)
    seconds = time.perf_counter() - started
    db.close()
    per_doc = sum(len(d.statements) for d in docs) / seconds
    goal_ok = stats_rate >= 20_000
    row(
        "import (bulk, segmentation excluded)",
        f"{stats_rate:,.0f} statements/s",
        f"add_document {per_doc:,.0f}/s",
        f"{stats_rate / per_doc:.1f}",
        f">= 20,000/s {verdict(goal_ok)}",
    )


def bench_export_csv(db: storage.Database, workdir: Path) -> None:
    """The long CSV export against the same query read by ADBC into pyarrow and written
    with pyarrow's CSV writer (the off-the-shelf reference)."""
    import pyarrow.csv as pacsv

    from annotate.exports import ExportOptions
    from storage.arrow_reads import LabelQuery, database_path
    from workflows.export import export_to, long_columns

    out = workdir / "export.csv"
    started = time.perf_counter()
    result = export_to(db, out, ExportOptions(format="csv"), card=False)
    seconds = time.perf_counter() - started
    query = LabelQuery([(c.name, c.type) for c in long_columns(db, False)])
    started = time.perf_counter()
    writer = None
    for batch in reference_batches(database_path(db), query.typed_sql(), query.params):
        if writer is None:
            writer = pacsv.CSVWriter(str(workdir / "reference.csv"), batch.schema)
        writer.write_batch(batch)
    if writer is not None:
        writer.close()
    reference = time.perf_counter() - started
    row("export, long CSV", f"{seconds:.1f} s ({result.rows / seconds:,.0f} rows/s)",
        f"ADBC -> pyarrow CSV {reference:.1f} s", f"{seconds / reference:.2f}",
        f"<= 2.5x {verdict(seconds <= 2.5 * reference)}")  # fmt: skip
    out.unlink(missing_ok=True)
    (workdir / "reference.csv").unlink(missing_ok=True)


def doccano_file(path: Path, documents: int, per_document: int = 10, people: int = 3) -> int:
    """A doccano JSONL export of `documents` fresh documents, each statement labelled by
    `people` annotators (one line per label, as doccano and SourceDesk write it)."""
    import json

    labels = 0
    with path.open("w", encoding="utf-8") as fh:
        for doc in generated_documents(documents, per_document, seed=7, start=10_000_000):
            meta_doc = {"ref": doc.content_hash[:16], "title": f"import {doc.content_hash[:8]}"}
            for position, s in enumerate(doc.statements):
                for person in range(people):
                    line = {
                        "text": s.text,
                        "label": [TYPES[(position + person) % len(TYPES)], "confidence:3"],
                        "user": f"imported{person:02d}",
                        "meta": {"start": s.start, "end": s.end, "position": position,
                                 "document": meta_doc},
                    }  # fmt: skip
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                    labels += 1
    return labels


def labelstudio_file(path: Path, documents: int, per_document: int = 10, people: int = 3) -> int:
    """The same labels as `doccano_file` as a Label Studio JSON export: one task per
    statement, one annotation per person (`completed_by` a user id, named by the users
    listing written beside it)."""
    import json

    labels = 0
    tasks = []
    for doc in generated_documents(documents, per_document, seed=7, start=10_000_000):
        meta_doc = {"ref": doc.content_hash[:16], "title": f"import {doc.content_hash[:8]}"}
        for position, s in enumerate(doc.statements):
            annotations = []
            for person in range(people):
                choice = TYPES[(position + person) % len(TYPES)]
                annotations.append({"completed_by": person + 1, "result": [
                    {"from_name": "source_type", "to_name": "text", "type": "choices",
                     "value": {"choices": [choice]}},
                    {"from_name": "confidence", "to_name": "text", "type": "choices",
                     "value": {"choices": ["3"]}}]})  # fmt: skip
                labels += 1
            tasks.append({"id": len(tasks) + 1, "annotations": annotations, "data": {
                "text": s.text, "meta": {"start": s.start, "end": s.end, "position": position,
                                         "document": meta_doc}}})  # fmt: skip
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    users = [{"id": p + 1, "username": f"imported{p:02d}"} for p in range(people)]
    path.with_name(f"{path.stem}.users.json").write_text(json.dumps(users), encoding="utf-8")
    return labels


def _label_rows(source: Path) -> Iterator[tuple[str, str, str]]:
    """(text, person, first label) of every label in a doccano or Label Studio file, read
    with the standard json module and nothing checked: the least any importer does."""
    import json

    if source.suffix == ".jsonl":
        with source.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                yield row["text"], row["user"], row["label"][0]
        return
    for task in json.loads(source.read_text(encoding="utf-8")):
        for annotation in task["annotations"]:
            choice = annotation["result"][0]["value"]["choices"][0]
            yield task["data"]["text"], str(annotation["completed_by"]), choice


def reference_import(source: Path, path: Path) -> float:
    """Seconds to read every label of `source` (`_label_rows`) and insert them into a bare
    table of a fresh SQLite file, in one transaction. The cyclic garbage collector is off
    while it runs, as it is during `import-labels` (it would rescan the decoded objects of
    a large JSON file again and again)."""
    import gc
    import sqlite3

    gc.disable()
    try:
        started = time.perf_counter()
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE labels (text TEXT, person TEXT, label TEXT)")
        with conn:
            conn.executemany("INSERT INTO labels VALUES (?, ?, ?)", _label_rows(source))
        conn.close()
        return time.perf_counter() - started
    finally:
        gc.enable()


def bench_import_labels(workdir: Path, documents: int = 3_000, repeat: int = 3) -> None:
    """import-labels throughput: 90,000 labels into a fresh project, from a doccano file
    and from a Label Studio export of the same labels, beside the same file read with the
    json module into a bare table. Each is the best of `repeat` runs (a fresh project each
    time), as timeit reports: this machine's speed varies from one run to the next."""
    from workflows.label_import import import_labels_file

    for name, suffix, write in (("doccano JSONL", "jsonl", doccano_file),
                                ("Label Studio JSON", "json", labelstudio_file)):  # fmt: skip
        source = workdir / f"import.{suffix}"
        labels = write(source, documents)
        seconds, reference_seconds = [], []
        for _ in range(repeat):
            for p in workdir.glob("import.*db*"):
                p.unlink()
            # What earlier rows and runs wrote is on disk, not written back during this run.
            os.sync()
            reference_seconds.append(reference_import(source, workdir / "import.reference.db"))
            path = workdir / "import.db"
            db = storage.connect(path)
            storage.create_project(db, "Import bench")
            os.sync()
            started = time.perf_counter()
            summary = import_labels_file(db, source)
            seconds.append(time.perf_counter() - started)
            db.close()
        rate = summary.labels / min(seconds)
        reference = labels / min(reference_seconds)
        row(f"import-labels ({name}; {labels:,} labels, "
            f"{summary.documents_created:,} new documents; best of {repeat})",
            f"{rate:,.0f} labels/s", f"json + bare insert {reference:,.0f} labels/s",
            f"{reference / rate:.1f}", f">= 30,000/s {verdict(rate >= 30_000)}")  # fmt: skip
        for p in workdir.glob("import.*"):
            p.unlink()


def print_table(title: str) -> None:
    headers = ("measure", "value", "reference (same run)", "ratio", "goal")
    widths = [max(len(h), *(len(r[i]) for r in ROWS)) for i, h in enumerate(headers)]
    print(f"\nscale bench: {title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in ROWS:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="10,000 documents")
    parser.add_argument("--documents", type=int, help="number of documents (overrides --small)")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    parser.add_argument("--dir", type=Path, help="folder for the database (default: a temp dir)")
    parser.add_argument(
        "--import-labels-only", action="store_true", help="only the import-labels rows"
    )
    args = parser.parse_args()
    n_docs = args.documents or (10_000 if args.small else 100_000)
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="sourcedesk-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"scale-{n_docs}.db"
    rng = random.Random(1)
    if args.import_labels_only:
        bench_import_labels(workdir)
        print_table(f"import-labels ({ROOT.name})")
        return

    print(f"building {n_docs:,} documents in {path}", file=sys.stderr)
    stats = build_project(path, n_docs)
    # The build writes about 1.5 GB: let the system finish writing it to disk before the
    # timed reads, or the write-back of the build is measured with them.
    os.sync()
    row("documents / statements / labels",
        f"{stats.documents:,} / {stats.statements:,} / {stats.labels:,}")  # fmt: skip
    bench_import_reference(workdir, stats.statements / stats.import_seconds)
    row("label load (bulk)", f"{stats.labels / stats.label_seconds:,.0f} labels/s")
    bench_segmentation()

    db = storage.connect(path)
    first, last = db.execute("SELECT min(id), max(id) FROM statements").fetchone()
    workers = stats.annotators[:-1]
    reference = timed(lambda: storage.get_statement(db, rng.randint(first, last)), 300)
    ref_p50, ref_p99 = percentiles(reference)
    samples = timed(lambda: storage.next_statements(db, rng.choice(workers)), 300)
    p50, p99 = percentiles(samples)
    row("next statement p50 / p99 (random annotator)", f"{p50:.2f} / {p99:.2f} ms",
        f"get_statement {ref_p50:.2f} / {ref_p99:.2f} ms", f"{p99 / ref_p99:.1f}",
        f"p99 < 10 ms {verdict(p99 < 10)}")  # fmt: skip
    ahead = stats.ahead_annotator
    skipped = db.execute(
        "SELECT count(*) FROM annotations WHERE annotator_id = ?", [ahead]
    ).fetchone()[0]
    # This annotator has labelled (skipped) every open statement: the first check scans all
    # of them to prove the queue empty; later checks read the remembered answer until an
    # import, a raised k or a withdrawn label can grow a queue again.
    first_check = timed(lambda: storage.next_statements(db, ahead), 1)[0]
    samples = timed(lambda: storage.next_statements(db, ahead), 300)
    p50, p99 = percentiles(samples)
    row(f"empty queue, first check ({skipped:,} open statements, all labelled by them)",
        f"{first_check:.2f} ms", f"get_statement {ref_p50:.2f} ms",
        f"{first_check / ref_p50:.0f}", "")  # fmt: skip
    row("empty queue, later checks p50 / p99",
        f"{p50:.2f} / {p99:.2f} ms", f"get_statement {ref_p50:.2f} / {ref_p99:.2f} ms",
        f"{p99 / ref_p99:.1f}", f"p99 < 10 ms {verdict(p99 < 10)}")  # fmt: skip

    # Saving: a worker labels the next statement of their queue, as the Annotate page does.
    queue = []
    for _ in range(300):
        annotator = rng.choice(workers)
        statement = storage.next_statements(db, annotator, limit=rng.randint(1, 20))[-1]
        queue.append((annotator, statement.id))
    queue = list(dict.fromkeys(queue))
    saves = []
    for annotator, statement_id in queue:
        value = AnnotationInput(
            statement_id=statement_id, annotator_id=annotator,
            source_type="named_official", confidence=3,
        )  # fmt: skip
        started = time.perf_counter()
        storage.save_annotation(db, value)
        saves.append((time.perf_counter() - started) * 1000)
    scratch = storage.connect(workdir / "scratch.db", migrate=False)
    scratch.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")

    def commit_one() -> None:
        with storage.write(scratch):
            scratch.execute("INSERT INTO t VALUES (1)")

    commits = timed(commit_one, 300)
    scratch.close()
    p50, p99 = percentiles(saves)
    c50, c99 = percentiles(commits)
    row("save label p50 / p99", f"{p50:.2f} / {p99:.2f} ms",
        f"bare insert+commit {c50:.2f} / {c99:.2f} ms", f"{p99 / c99:.1f}",
        f"p99 < 10 ms {verdict(p99 < 10)}")  # fmt: skip

    from annotate.agreement.report import build_report

    # Three reports one after the other. The first is what a user waits for after the
    # process has been idle: this machine hands memory freed for a few seconds back to its
    # host, and touching it again costs many times more than reusing memory freed a moment
    # ago (`bench/memory_touch.py`). The later two reuse the memory the first one touched.
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        labels = storage.labels_frame(db)
        adjudications = storage.adjudications_frame(db)
        frame_seconds = time.perf_counter() - started
        build_report(labels, adjudications)
        runs.append((time.perf_counter() - started, frame_seconds, len(labels)))
        del labels, adjudications
    total, frame_seconds, n_labels = sorted(runs)[1]
    first = runs[0][0]
    row("agreement report (labels_frame + build_report; median of 3)",
        f"{total:.1f} s (first {first:.1f}, best {min(runs)[0]:.1f})",
        f"labels_frame alone {frame_seconds:.1f} s ({n_labels:,} labels)",
        f"{total / frame_seconds:.1f}",
        f"< 8 s at 3M labels: median {verdict(total < 8)}, first {verdict(first < 8)}")  # fmt: skip

    bench_export_csv(db, workdir)
    bench_import_labels(workdir)

    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )
    per_million = size / stats.statements * 1_000_000
    text_bytes = db.execute("SELECT sum(length(CAST(text AS BLOB))) FROM documents").fetchone()[0]
    row("database size", f"{size / 1e9:.2f} GB ({per_million / 1e9:.2f} GB per 1M statements)",
        f"document text {text_bytes / 1e9:.2f} GB", f"{size / text_bytes:.1f}",
        f"< 1.5 GB per 1M {verdict(per_million < 1.5e9)}")  # fmt: skip
    db.close()

    print_table(f"{n_docs:,} documents ({ROOT.name})")
    if not args.keep:
        for p in workdir.glob("*.db*"):
            p.unlink()


if __name__ == "__main__":
    main()
