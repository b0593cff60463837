"""Server-side time of one app rerun on a large project: is clicking a button still snappy?

Every click or keystroke in Streamlit reruns the whole page script, so the script's time
is the floor of every interaction. This builds a project of 10,000 documents (100,000
statements, 300,000 labels) with the bulk loader, then reruns the Annotate page (signed
in as an annotator) and the Review page (as an editor) through AppTest. The reference is
a one-line Streamlit script rerun by the same AppTest in the same run, so the ratio is
what the pages add on top of Streamlit's own cost.

    python bench/app_rerun.py               # 10,000 documents
    python bench/app_rerun.py --documents 1000 --reruns 30
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _build import ROOT, build_project
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import storage
from ui.session import TOKEN_KEY
from workflows import auth

APP = ROOT / "app.py"
GOAL_MS = 150.0
WARM_UP = 3
TIMEOUT = 120.0
TRIVIAL = 'import streamlit as st\nst.write("SourceDesk")\n'


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed_reruns(rerun: Callable[[], AppTest], n: int) -> list[float]:
    """Milliseconds per rerun, after WARM_UP reruns; fails loudly if a rerun raised."""
    for _ in range(WARM_UP):
        check(rerun())
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        at = rerun()
        samples.append((time.perf_counter() - started) * 1000)
        check(at)
    return samples


def check(at: AppTest) -> None:
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    if problems:
        raise SystemExit(f"the page failed during the bench: {problems[0]}")


def signed_in(user_id: int, url_path: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    db = storage.connect(os.environ[storage.DB_ENV_VAR])
    try:
        at.session_state[TOKEN_KEY] = auth.open_session(db, storage.get_user_by_id(db, user_id))
    finally:
        db.close()
    at._page_hash = calc_hash(url_path)  # what the browser's address selects
    return at.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000, help="10 statements each")
    parser.add_argument("--reruns", type=int, default=40, help="timed reruns per page (>= 30)")
    parser.add_argument("--dir", type=Path, help="folder for the database (default: temp)")
    args = parser.parse_args()
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="sourcedesk-rerun-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"rerun-{args.documents}.db"

    print(f"building {args.documents:,} documents in {path}", file=sys.stderr)
    started = time.perf_counter()
    stats = build_project(path, args.documents)
    build_seconds = time.perf_counter() - started
    db = storage.connect(path)
    editor = storage.add_user(db, "bench_editor", "editor").id
    db.close()
    annotator = stats.annotators[0]
    os.environ[storage.DB_ENV_VAR] = str(path)

    reference = AppTest.from_string(TRIVIAL, default_timeout=TIMEOUT).run()
    annotate = signed_in(annotator, "annotate")
    review = signed_in(editor, "review")  # type: ignore[arg-type]
    # The pages must show real work, or the bench would time an empty screen.
    widget = annotate.get("bidi_component")
    assert widget and json.loads(widget[0].proto.json)["queue"], "Annotate shows no statement"
    assert any(h.value == "Labels" for h in review.subheader), "Review shows no statement"

    cases: list[tuple[str, Callable[[], AppTest]]] = [
        ("reference: one-line script", reference.run),
        ("Annotate, rerun (annotator)", annotate.run),
        ("Review, rerun (editor)", review.run),
    ]
    rows = []
    ref_median = 0.0
    for name, rerun in cases:
        samples = timed_reruns(rerun, args.reruns)
        median, high = statistics.median(samples), p95(samples)
        print(f"  {name}: {median:.1f} ms", file=sys.stderr, flush=True)
        if not rows:
            ref_median = median
            rows.append((name, f"{median:.1f}", f"{high:.1f}", "1.0", ""))
            continue
        verdict = "ok" if high < GOAL_MS else "MISSED"
        rows.append((name, f"{median:.1f}", f"{high:.1f}", f"{median / ref_median:.1f}",
                     f"p95 < {GOAL_MS:.0f} ms {verdict}"))  # fmt: skip

    print(f"\napp rerun bench: {stats.statements:,} statements, {stats.labels:,} labels "
          f"(built in {build_seconds:.0f} s), {args.reruns} reruns per row after "
          f"{WARM_UP} warm-up, AppTest")  # fmt: skip
    headers = ("page", "median ms", "p95 ms", "ratio to reference", "goal")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    if args.dir is None:
        for p in workdir.glob("*.db*"):
            p.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
