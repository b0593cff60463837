"""Import speed on one long paragraph, and import memory on a large article file.

Speed: a one-paragraph .txt of 20 KB and of 200 KB (newsroom sentences from the seed
articles, no line break) goes through `parse_path` and `storage.add_document` into a
fresh database. The reference, timed in the same run on the same text, is a linear
regex sentence split (`re.split` after . ! ?). Linear time shows as a 200 KB / 20 KB
ratio near 10 (the target: at most about 10).

Memory: `sourcedesk import` of a 19 MB many-paragraph .txt runs in its own process;
its peak resident memory is compared with the file's size (target: under 10x) and with
the same command importing a 2 KB article (the interpreter and libraries alone),
measured in the same run. The peak is the child's ru_maxrss, read where Linux keeps it
for the running program alone (VmHWM): Linux carries ru_maxrss over from the process
that started the child, so a child smaller than this benchmark's own process would
otherwise report the benchmark's peak.

    .venv/bin/python bench/ingest.py [--big-mb 19]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from annotate.documents import parse_path  # noqa: E402

SEED_DIR = ROOT / "sample_data"
CLI = [sys.executable, "-c", "from cli.main import main; main()"]


def seed_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted(SEED_DIR.glob("*.txt")):
        paragraphs += [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    return [p for p in paragraphs if len(p) > 80]


def write_text(path: Path, size: int, separator: str) -> Path:
    pieces, total, paragraphs, i = [], 0, seed_paragraphs(), 0
    while total < size:
        piece = paragraphs[i % len(paragraphs)]
        pieces.append(piece)
        total += len(piece.encode("utf-8")) + len(separator)
        i += 1
    path.write_text(separator.join(pieces) + "\n", encoding="utf-8")
    return path


def time_import(path: Path, folder: Path, run: int) -> tuple[float, int]:
    db = storage.connect(folder / f"{path.stem}-{run}.db")
    storage.create_project(db, "bench")
    started = time.perf_counter()
    documents = parse_path(path)
    outcome = storage.add_document(db, documents[0])
    elapsed = time.perf_counter() - started
    db.close()
    assert outcome.status == "added", outcome.message
    return elapsed, len(documents[0].statements)


def time_reference(path: Path) -> float:
    started = time.perf_counter()
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"(?<=[.!?…])\s+", text)
    assert parts
    return time.perf_counter() - started


def best(times: list[float]) -> float:
    return min(times)


def peak_rss_of_import(path: Path, folder: Path) -> int:
    """Peak resident memory (bytes) of `sourcedesk import path` in a fresh process."""
    db = folder / f"rss-{path.stem}.db"
    subprocess.run([*CLI, "init", "--db", str(db)], check=True, capture_output=True, cwd=ROOT)
    child = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_REPORT, str(db), str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert child.returncode == 0, child.stderr
    return int(child.stdout.split()[-1]) * 1024


IMPORT_AND_REPORT = """
import resource, sys
from cli.main import main
sys.argv = ["sourcedesk", "import", sys.argv[2], "--db", sys.argv[1]]
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
try:
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=float, default=19.0)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("One paragraph, parse + store (best of", args.repeat, "runs)")
        print(f"{'size':>8} {'statements':>10} {'ours s':>9} {'regex split s':>13} {'ratio':>8}")
        print("-" * 52)
        warm_up = write_text(folder / "warmup.txt", 2_000, " ")
        time_import(warm_up, folder, 0)  # loads the language model once, outside the timings
        sizes = (20, 200)
        paths = {kb: write_text(folder / f"para{kb}.txt", kb * 1000, " ") for kb in sizes}
        runs: dict[int, list[tuple[float, int]]] = {kb: [] for kb in sizes}
        references: dict[int, list[float]] = {kb: [] for kb in sizes}
        for n in range(args.repeat):  # interleaved, so a busy moment hits both sizes
            for kb in sizes:
                runs[kb].append(time_import(paths[kb], folder, n))
                references[kb].append(time_reference(paths[kb]))
        ours: dict[int, float] = {}
        for kb in sizes:
            ours[kb] = best([r[0] for r in runs[kb]])
            reference = best(references[kb])
            print(f"{kb:>5} KB {runs[kb][0][1]:>10,} {ours[kb]:>9.3f} {reference:>13.4f} "
                  f"{ours[kb] / reference:>8.1f}")  # fmt: skip
        print(f"200 KB / 20 KB time: {ours[200] / ours[20]:.1f}x (target: at most about 10x)")
        print()
        small = write_text(folder / "small.txt", 2_000, "\n\n")
        big = write_text(folder / "big.txt", int(args.big_mb * 1_000_000), "\n\n")
        size = big.stat().st_size
        baseline = peak_rss_of_import(small, folder)
        peak = peak_rss_of_import(big, folder)
        print("`sourcedesk import` of a many-paragraph .txt, peak resident memory")
        print(f"{'file':>10} {'file MB':>8} {'peak MB':>8} {'x file':>7} {'above 2 KB import':>18}")
        print("-" * 56)
        print(
            f"{'2 KB':>10} {2_000 / 1e6:>8.3f} {baseline / 1e6:>8.0f} {'':>7} {'(reference)':>18}"
        )
        print(f"{'big':>10} {size / 1e6:>8.1f} {peak / 1e6:>8.0f} {peak / size:>7.1f} "
              f"{(peak - baseline) / size:>17.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
