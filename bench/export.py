"""Export speed and memory on a synthetic project (default: 1M annotations).

Each case runs in its own process so that its peak resident memory is that case's alone
(with the reader process it starts, sampled together). The reference is off the shelf: the
long export's own query read with the SQLite ADBC driver into pyarrow record batches and
written with pyarrow's Parquet writer, measured in the same run; ratios are case time /
reference time. Goals (issue 14): Parquet long within 1.5x, JSONL and CSV long within 2.5x,
peak RSS under 512 MiB.

    .venv/bin/python bench/export.py [--annotations 1000000] [--formats csv,jsonl,parquet]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyarrow.parquet as pq  # noqa: E402
from _build import build_project, reference_batches  # noqa: E402

import storage  # noqa: E402
from annotate.exports import ExportOptions  # noqa: E402
from storage.arrow_reads import LabelQuery, database_path  # noqa: E402
from storage.exports import iter_long_chunks  # noqa: E402
from workflows.export import export_to, long_columns  # noqa: E402

GOALS = {"parquet:long": 1.5, "jsonl:long": 2.5, "csv:long": 2.5}


class TreeMemory:
    """Peak resident memory of this process and its reader processes together, sampled
    every 20 ms from /proc (ru_maxrss of a child also counts the parent's pages it had
    when it was forked, so it cannot be added)."""

    def __init__(self) -> None:
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss_kib(pid: str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            children = []
            for task in Path("/proc/self/task").iterdir():
                try:
                    children += (task / "children").read_text().split()
                except OSError:
                    continue
            total = self._rss_kib("self") + sum(self._rss_kib(pid) for pid in children)
            self.peak_mib = max(self.peak_mib, total / 1024)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_case(db_path: Path, case: str, out_dir: Path, *, trace: bool) -> dict:
    """One case; with `trace`, under tracemalloc (which slows Python, so timings come from
    a separate untraced run)."""
    db = storage.connect(db_path)
    if trace:
        tracemalloc.start()
    sampler = TreeMemory()
    started = time.perf_counter()
    if case == "reference":
        query = LabelQuery([(c.name, c.type) for c in long_columns(db, False)])
        writer = None
        rows = 0
        for batch in reference_batches(database_path(db), query.typed_sql(), query.params):
            if writer is None:
                writer = pq.ParquetWriter(out_dir / "reference.parquet", batch.schema,
                                          compression="zstd")  # fmt: skip
            writer.write_batch(batch)
            rows += batch.num_rows
        if writer is not None:
            writer.close()
    elif case == "read-only (rows)":
        rows = sum(len(c["statement_id"]) for c in iter_long_chunks(db, chunk_size=10_000))
    else:
        fmt, shape = case.split(":")
        options = ExportOptions.model_validate({"format": fmt, "shape": shape})
        result = export_to(db, out_dir / f"bench-{shape}.{fmt}", options, card=False)
        rows = result.rows
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    sampler.stop()
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, sampler.peak_mib)
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
        # three labels per statement, ten statements per document, six annotators
        documents = -(-args.annotations // 30)
        build_project(args.db, documents, n_annotators=7, k=3, open_share=0.0, progress=False)
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
    cases = ["reference", "read-only (rows)"] + [
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
        f"{'case':<18}{'rows':>11}{'seconds':>9}{'rows/s':>11}{'× ref':>7}"
        f"{'traced MiB':>12}{'RSS MiB':>9}  goal"
    )
    for r in results:
        ratio = r["seconds"] / reference
        goal = GOALS.get(r["case"])
        verdict = ""
        if goal is not None:
            ok = ratio <= goal and r["rss_mib"] < 512
            verdict = f"<= {goal}x, < 512 MiB {'met' if ok else 'MISSED'}"
        print(
            f"{r['case']:<18}{r['rows']:>11,}{r['seconds']:>9.1f}"
            f"{r['rows'] / r['seconds']:>11,.0f}{ratio:>7.2f}"
            f"{r['traced_mib']:>12.0f}{r['rss_mib']:>9.0f}  {verdict}"
        )


if __name__ == "__main__":
    main()
