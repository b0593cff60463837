"""Quality and speed of the attribution-cue detector.

Prints per-type precision, recall and F1 and the macro-F1 on the dev and held-out splits of
tests/data/cues_dev.jsonl, then statements per second on one core over the dev set repeated
to at least 20,000 statements, beside a reference measured in the same run (one regex pass of
a plain "said|a déclaré" search over the same texts) so the figure travels between machines.

    python bench/cues.py            # tables
    python bench/cues.py --errors   # also list the dev-split mistakes
    python bench/cues.py --dev-only # leave the held-out split unseen while editing patterns
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.suggest.cues import CueDetector  # noqa: E402

DATA = ROOT / "tests" / "data" / "cues_dev.jsonl"
MIN_STATEMENTS = 20_000


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def scores(
    gold: list[str], pred: list[str]
) -> tuple[dict[str, tuple[float, float, float, int]], float]:
    """Per-label (precision, recall, F1, support) and the macro-F1 over the gold labels."""
    labels = sorted(set(gold))
    table = {}
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = (precision, recall, f1, n_gold)
    macro = sum(row[2] for row in table.values()) / len(table)
    return table, macro


def quality(detector: CueDetector, rows: list[dict], show_errors: bool) -> None:
    splits = ("dev",) if "--dev-only" in sys.argv else ("dev", "heldout")
    for split in splits:
        part = [r for r in rows if r["split"] == split]
        gold = [r["source_type"] for r in part]
        pred = [detector.detect(r["text"], r["language"]).suggested_type for r in part]
        table, macro = scores(gold, pred)
        print(f"\n{split}: {len(part)} statements")
        print(f"{'type':<20}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}")
        for label, (p, r, f, n) in table.items():
            print(f"{label:<20}{p:>10.2f}{r:>8.2f}{f:>7.2f}{n:>5}")
        accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
        print(f"{'macro-F1':<20}{macro:>25.3f}   accuracy {accuracy:.3f}")
        if show_errors and split == "dev":
            confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
            print("confusions:", dict(confusions.most_common()))
            for r, p in zip(part, pred, strict=True):
                if p != r["source_type"]:
                    print(f"  {r['id']} gold={r['source_type']} pred={p}: {r['text'][:110]}")


def speed(detector: CueDetector, rows: list[dict]) -> None:
    texts = [(r["text"], r["language"]) for r in rows if r["split"] == "dev"]
    repeat = -(-MIN_STATEMENTS // len(texts))
    corpus = texts * repeat
    reference = re.compile(r"\b(?:said|a déclaré)\b", re.IGNORECASE)

    t0 = time.perf_counter()
    for text, _ in corpus:
        reference.search(text)
    ref_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    for text, language in corpus:
        detector.detect(text, language)
    seconds = time.perf_counter() - t0

    n = len(corpus)
    print(f"\nspeed over {n} statements (one core)")
    print(f"{'what':<28}{'seconds':>9}{'statements/s':>14}{'ratio':>8}")
    print(f"{'reference (one regex)':<28}{ref_seconds:>9.3f}{n / ref_seconds:>14,.0f}{1:>8.1f}")
    print(
        f"{'CueDetector.detect':<28}{seconds:>9.3f}{n / seconds:>14,.0f}"
        f"{seconds / ref_seconds:>8.1f}"
    )


def main() -> None:
    rows = load()
    t0 = time.perf_counter()
    detector = CueDetector()
    print(f"patterns compiled in {time.perf_counter() - t0:.3f} s")
    quality(detector, rows, "--errors" in sys.argv)
    speed(detector, rows)


if __name__ == "__main__":
    main()
