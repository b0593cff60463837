"""Labelling at typing speed, measured in headless Chromium (Debian's /usr/bin/chromium).

Serves the app (ui/server.py) on a project of one 120-statement article, signs in an
annotator and types two keys per statement (type, then confidence) at 30 ms per key for
100 statements without waiting for the page. Prints, per run:

- key → next statement shown: from the key that completes a label to the next statement
  painted (the widget's own measurement, performance.now() in the browser);
- server time per saved label (the Annotate page's callback: checks, save, revision);
- references measured in the same run: one animation frame in the same browser (the floor
  of anything shown), and `storage.save_annotation` alone on the same database file.

    python bench/labelling.py            # 3 runs
    python bench/labelling.py --runs 1
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from builders import lines_document  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

import storage  # noqa: E402
from annotate.accounts.passwords import hash_password  # noqa: E402
from annotate.core.models import AnnotationInput  # noqa: E402

PASSWORD = "correct horse battery"
STATEMENTS, LABELLED = 120, 100
KEYS_TYPE, KEYS_LEVEL = "1234567890", "qwert"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build(path: Path) -> None:
    db = storage.connect(path)
    storage.create_project(db, "Bench", annotators_per_statement=2)
    storage.add_user(db, "alice", "annotator", hash_password(PASSWORD))
    storage.add_user(db, "ref", "annotator", hash_password(PASSWORD))
    lines = [
        f"Phrase {i} : selon le ministère, le chiffre {i * 37 % 101} a été confirmé."
        for i in range(STATEMENTS)
    ]
    storage.add_document(db, lines_document(lines, name="bench.txt", title="Bench"))
    db.close()


def serve(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, storage.DB_ENV_VAR: str(path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "server.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the app did not start")


def reference_save_ms(path: Path) -> list[float]:
    """storage.save_annotation alone, per label, on the same file (another annotator)."""
    db = storage.connect(path)
    ref = storage.get_user(db, "ref")
    times = []
    for s in storage.statements_of(db, 1)[:LABELLED]:
        t = time.perf_counter()
        storage.save_annotation(
            db,
            AnnotationInput(statement_id=s.id, annotator_id=ref.id, source_type="expert",
                            confidence=3),
        )  # fmt: skip
        times.append((time.perf_counter() - t) * 1000)
    db.close()
    return times


def one_run(browser: object) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build(path)
        process, url = serve(path)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
            page.set_default_timeout(30_000)
            page.goto(url)
            page.get_by_label("User name").fill("alice")
            page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_function("() => { const s = globalThis.__sourcedeskLabeller;"
                                   " return !!(s && s.installed && s.draft); }")  # fmt: skip
            frame = page.evaluate(
                "() => new Promise(r => { const t = performance.now();"
                " requestAnimationFrame(() => requestAnimationFrame(() =>"
                " r((performance.now() - t) / 2))); })"
            )
            keys = "".join(KEYS_TYPE[i * 7 % 10] + KEYS_LEVEL[i * 3 % 5] for i in range(LABELLED))
            page.keyboard.type(keys, delay=30)
            page.wait_for_function(
                f"() => {{ const s = globalThis.__sourcedeskLabeller; return s.outbox.length === 0"
                f" && s.data.mine >= {LABELLED}; }}"
            )
            shown = page.evaluate("() => globalThis.__sourcedeskLabeller.metrics.keyToNext")
            server = page.evaluate("() => globalThis.__sourcedeskLabeller.data.server_ms")
            page.close()
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        db = storage.connect(path)
        saved = len(storage.my_recent(db, storage.get_user(db, "alice").id, limit=1000))  # type: ignore[arg-type]
        db.close()
        reference = reference_save_ms(path)
    return {
        "saved": saved,
        "next_median": statistics.median(shown),
        "next_p95": percentile(shown, 0.95),
        "frame": frame,
        "server_median": statistics.median(server),
        "server_p95": percentile(server, 0.95),
        "ref_save_median": statistics.median(reference),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        rows = [one_run(browser) for _ in range(args.runs)]
        browser.close()
    print(f"{LABELLED} statements, 2 keys each, 30 ms per key, typed without waiting")
    print(f"{'run':<5}{'saved':>6}{'key→next med ms':>17}{'p95 ms':>8}{'frame ms':>10}"
          f"{'server/label med ms':>21}{'p95 ms':>8}{'save_annotation ms':>20}")  # fmt: skip
    print("-" * 95)
    for i, r in enumerate(rows, 1):
        print(
            f"{i:<5}{r['saved']:>6}{r['next_median']:>17.1f}{r['next_p95']:>8.1f}"
            f"{r['frame']:>10.1f}{r['server_median']:>21.1f}{r['server_p95']:>8.1f}"
            f"{r['ref_save_median']:>20.1f}"
        )


if __name__ == "__main__":
    main()
