"""Export speed and memory on a synthetic project (default: 1M annotations).

Each case runs in its own process so that ru_maxrss (peak resident memory) is that
case's alone. The reference is pandas: read the whole long table with `read_sql_query`
and write it with `DataFrame.to_json(orient="records", lines=True)`, measured in the same
run; ratios are case time / reference time.

    .venv/bin/python bench/export.py [--annotations 1000000] [--formats csv,jsonl,parquet]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import storage  # noqa: E402
from annotate.exports import ExportOptions  # noqa: E402
from storage.exports import bulk_insert_for_bench, export_dataset, iter_long_chunks  # noqa: E402

LONG_SQL = """SELECT a.statement_id, s.document_id, s.position, s.start, s."end", s.text,
    d.title, d.outlet, d.url, d.published, d.published_precision, d.language,
    u.name AS annotator, a.revision, a.source_type, a.also_cites, a.confidence,
    a.extra_ratings, a.who, a.cue, a.note, a.skipped, a.unsure, a.flagged,
    a.suggestion_shown, a.suggested_type, a.taxonomy_version, a.deleted,
    a.updated_at AS labelled_at
    FROM annotations a JOIN statements s ON s.id = a.statement_id
    JOIN documents d ON d.id = s.document_id JOIN users u ON u.id = a.annotator_id
    WHERE a.deleted = 0 AND d.deleted = 0"""


def run_case(db_path: Path, case: str, out_dir: Path, *, trace: bool) -> dict:
    """One case; with `trace`, under tracemalloc (which slows Python, so timings come from
    a separate untraced run)."""
    db = storage.connect(db_path)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if case == "reference":
        frame = pd.read_sql_query(LONG_SQL, db.conn)
        frame.to_json(out_dir / "reference.jsonl", orient="records", lines=True, force_ascii=False)
        rows = len(frame)
    elif case == "read-only":
        rows = sum(len(c["statement_id"]) for c in iter_long_chunks(db, chunk_size=10_000))
    else:
        fmt, shape = case.split(":")
        options = ExportOptions(format=fmt, shape=shape)  # type: ignore[arg-type]
        result = export_dataset(db, out_dir / f"bench-{shape}.{fmt}", options, card=False)
        rows = result.rows
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    return {
        "case": case,
        "rows": rows,
        "seconds": seconds,
        "traced_mib": peak / 2**20,
        "rss_mib": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--formats", default="parquet,jsonl,csv")
    parser.add_argument("--shapes", default="long,wide")
    parser.add_argument("--db", type=Path, default=None, help="Reuse this bench database.")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sourcedesk-bench-"))
    if args.case:
        print(json.dumps(run_case(args.db, args.case, work, trace=args.trace)))
        return
    if args.build:
        bulk_insert_for_bench(storage.connect(args.db), args.annotations)
        return
    db_path = args.db or work / "bench.db"
    if not db_path.exists():
        # Built in a child process: ru_maxrss survives fork and exec, so building here
        # would leak this process's peak into every case's figure.
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--db",
                str(db_path),
                "--build",
                "--annotations",
                str(args.annotations),
            ],
            check=True,
        )
        print(f"built {args.annotations:,} annotations in {time.perf_counter() - started:.1f} s")
    cases = ["reference", "read-only"] + [
        f"{f}:{s}" for f in args.formats.split(",") for s in args.shapes.split(",")
    ]
    results = []
    for case in cases:
        runs = []
        for trace in ([], ["--trace"]):
            out = subprocess.run(
                [sys.executable, __file__, "--db", str(db_path), "--case", case, *trace],
                check=True,
                capture_output=True,
                text=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        results.append({**runs[0], "traced_mib": runs[1]["traced_mib"]})
    reference = results[0]["seconds"]
    print(
        f"{'case':<16}{'rows':>11}{'seconds':>9}{'rows/s':>11}{'× ref':>7}"
        f"{'traced MiB':>12}{'RSS MiB':>9}"
    )
    for r in results:
        print(
            f"{r['case']:<16}{r['rows']:>11,}{r['seconds']:>9.1f}"
            f"{r['rows'] / r['seconds']:>11,.0f}{r['seconds'] / reference:>7.2f}"
            f"{r['traced_mib']:>12.0f}{r['rss_mib']:>9.0f}"
        )


if __name__ == "__main__":
    main()
