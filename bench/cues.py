"""Quality and speed of the attribution suggestions.

On the dev set (tests/data/cues_dev.jsonl: the lexicons were tuned on it) and, separately,
on the frozen held-out set (tests/data/cues_heldout.jsonl: written from the taxonomy
definitions only, never looked at while tuning), prints:

* per-type precision, recall and F1 and the macro-F1 of the suggested type (rules and
  document context, no project labels);
* who-span exact and overlap F1 (the suggested speaker phrase against the gold one) and cue
  overlap F1 (a cue of the suggestion overlapping the gold attributing phrase);
* the learning curve: macro-F1 after 0, 50, 100, 200 and 400 project labels, each the mean of
  5 random draws of that many labelled statements from the set (the project's labels),
  evaluated on the set's other statements; on the dev set also for a newsroom whose house
  rule differs from the default convention (HOUSE_RULE), scored against its own labels;
* statements per CPU second of this process (one core; the rules path, no optional parser)
  over the dev set repeated to at least 20,000 statements, beside a reference measured in
  the same run (one regex pass of a plain "said|a déclaré" search), so the figure travels
  between machines and holds on a shared one.

    python bench/cues.py            # everything
    python bench/cues.py --dev-only # leave the held-out set unseen while editing lexicons
    python bench/cues.py --errors   # also list the dev mistakes
    python bench/cues.py --speed-only
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.suggest.cues import Reading, default_detector, detect_cues  # noqa: E402
from annotate.suggest.document import read_document  # noqa: E402
from annotate.suggest.model import adapt, features, train  # noqa: E402
from annotate.suggest.suggestion import Suggestion  # noqa: E402

DEV = ROOT / "tests" / "data" / "cues_dev.jsonl"
HELDOUT = ROOT / "tests" / "data" / "cues_heldout.jsonl"
MIN_STATEMENTS = 20_000
CURVE = (0, 50, 100, 200, 400)
DRAWS = 5
SPEAKER_KINDS = {"official_title", "source"}


def load(path: Path) -> list[dict]:
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


def f1(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def read_all(rows: list[dict]) -> dict[str, tuple[Reading, Suggestion]]:
    """Every statement read with its document's other statements (in `pos` order)."""
    docs: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        docs[r["doc"]].append(r)
    out = {}
    for part in docs.values():
        part.sort(key=lambda r: r["pos"])
        readings, suggestions = read_document([r["text"] for r in part], part[0]["language"])
        for r, reading, s in zip(part, readings, suggestions, strict=True):
            out[r["id"]] = (reading, s)
    return out


def _span(text: str, phrase: str | None) -> tuple[int, int] | None:
    if not phrase:
        return None
    at = text.find(phrase)
    return (at, at + len(phrase)) if at >= 0 else None


def spans_quality(rows: list[dict], read: dict[str, tuple[Reading, Suggestion]]) -> None:
    """Who exact/overlap F1 on rows with a known who (the legacy rows have none), cue F1."""
    known = [r for r in rows if r.get("style") != "legacy"]
    exact = overlap = n_pred = n_gold = 0
    cue_hits = cue_pred = cue_gold = 0
    for r in known:
        s = read[r["id"]][1]
        gold = _span(r["text"], r.get("who"))
        pred = (s.source_span.start, s.source_span.end) if s.source_span else None
        n_gold += gold is not None
        n_pred += pred is not None
        if gold and pred:
            exact += gold == pred
            overlap += pred[0] < gold[1] and gold[0] < pred[1]
        gcue = _span(r["text"], r.get("cue"))
        cues = [(c.start, c.end) for c in s.cues if c.kind not in SPEAKER_KINDS]
        cue_gold += gcue is not None
        cue_pred += bool(cues)
        if gcue and any(a < gcue[1] and gcue[0] < b for a, b in cues):
            cue_hits += 1
    print(f"\nspans on {len(known)} statements with a gold who ({n_gold} name one)")
    print(f"{'what':<22}{'precision':>10}{'recall':>8}{'F1':>7}")
    for name, tp, npred, ngold in (
        ("who exact", exact, n_pred, n_gold),
        ("who overlap", overlap, n_pred, n_gold),
        ("cue overlap", cue_hits, cue_pred, cue_gold),
    ):
        p, rec, f = f1(tp, npred, ngold)
        print(f"{name:<22}{p:>10.3f}{rec:>8.3f}{f:>7.3f}")


def type_quality(
    name: str, rows: list[dict], read: dict[str, tuple[Reading, Suggestion]], show_errors: bool
) -> None:
    gold = [r["source_type"] for r in rows]
    pred = [read[r["id"]][1].suggested_type for r in rows]
    table, macro = scores(gold, pred)
    langs = Counter(r["language"] for r in rows)
    print(f"\n{name}: {len(rows)} statements ({', '.join(f'{k} {v}' for k, v in langs.items())})")
    print(f"{'type':<20}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}")
    for label, (p, r, f, n) in table.items():
        print(f"{label:<20}{p:>10.2f}{r:>8.2f}{f:>7.2f}{n:>5}")
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    print(f"{'macro-F1':<20}{macro:>25.3f}   accuracy {accuracy:.3f}")
    for lang in sorted(langs):
        part = [(g, p) for g, p, r in zip(gold, pred, rows, strict=True) if r["language"] == lang]
        print(f"  macro-F1 {lang}: {scores([g for g, _ in part], [p for _, p in part])[1]:.3f}")
    if show_errors:
        confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
        print("confusions:", dict(confusions.most_common()))
        for row, guess in zip(rows, pred, strict=True):
            if guess != row["source_type"]:
                print(f"  {row['id']} gold={row['source_type']} pred={guess}: {row['text'][:110]}")


# A newsroom whose house rule differs from the default convention: it files what a named
# official says on the record as an official statement (no person/institution split).
HOUSE_RULE = {"named_official": "official_statement"}


def learning_curve(
    name: str,
    rows: list[dict],
    read: dict[str, tuple[Reading, Suggestion]],
    house: dict[str, str] | None = None,
) -> None:
    """`house`: the project's labels (and the gold they are scored on) follow another
    convention than the rules do; the curve shows how much of it the model learns."""
    house = house or {}
    examples: dict[str, tuple[dict[str, float], str, str]] = {
        r["id"]: (
            features(*read[r["id"]]),
            read[r["id"]][1].suggested_type,
            house.get(r["source_type"], r["source_type"]),
        )
        for r in rows
    }
    rule = f", house rule {house}" if house else ""
    print(f"\nlearning curve on {name} ({len(rows)} statements; mean of {DRAWS} draws{rule})")
    print("(each draw: the project labels are a random sample of the set; scored on the rest,")
    print(" beside the rules alone on the same rest)")
    print(
        f"{'project labels':<16}{'macro-F1':>9}{'min':>7}{'max':>7}"
        f"{'rules':>7}{'gain':>7}{'alpha':>7}"
    )
    for n in CURVE:
        if n >= len(rows) - 50:
            print(f"{n:<16}{'n/a (set too small)':>30}")
            continue
        results, baseline, alphas = [], [], []
        for draw in range(DRAWS):
            rng = random.Random(1000 * n + draw)
            ids = [r["id"] for r in rows]
            rng.shuffle(ids)
            train_ids, test_ids = ids[:n], ids[n:]
            rules = [read[i][1].suggested_type for i in test_ids]
            if n == 0:
                pred = rules
                alphas.append(0.0)
            else:
                model = train([examples[i] for i in train_ids])
                alphas.append(model.alpha)
                pred = [adapt(model, *read[i]).suggested_type for i in test_ids]
            gold = [examples[i][2] for i in test_ids]
            results.append(scores(gold, pred)[1])
            baseline.append(scores(gold, rules)[1])
        mean, base = sum(results) / len(results), sum(baseline) / len(baseline)
        print(
            f"{n:<16}{mean:>9.3f}{min(results):>7.3f}{max(results):>7.3f}{base:>7.3f}"
            f"{mean - base:>+7.3f}{sum(alphas) / len(alphas):>7.2f}"
        )


def _timed(run: object) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of one call: on a shared machine the CPU
    time is what one core spent, whatever else runs."""
    assert callable(run)
    c0, w0 = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - c0, time.perf_counter() - w0


def speed(rows: list[dict]) -> None:
    texts = [(r["text"], r["language"]) for r in rows]
    repeat = -(-MIN_STATEMENTS // len(texts))
    corpus = texts * repeat
    reference = re.compile(r"\b(?:said|a déclaré)\b", re.IGNORECASE)
    detect_cues(*corpus[0])
    docs: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        docs[r["doc"]].append(r)
    groups = [([r["text"] for r in part], part[0]["language"]) for part in docs.values()]

    def run_reference() -> None:
        for _ in range(20):  # long enough to time; counted as 20 passes below
            for text, _lang in corpus:
                reference.search(text)

    def run_detect() -> None:
        for text, language in corpus:
            detect_cues(text, language)

    def run_documents() -> None:
        for _ in range(repeat):
            for group, language in groups:
                read_document(group, language)

    n = len(corpus)
    ref_cpu, ref_wall = _timed(run_reference)
    ref_cpu, ref_wall = ref_cpu / 20, ref_wall / 20
    det_cpu, det_wall = _timed(run_detect)
    doc_cpu, doc_wall = _timed(run_documents)
    n_doc = len(rows) * repeat
    print(f"\nspeed over {n} statements (one core, rules only, no optional parser)")
    print("statements/s are per CPU second of this process (wall-clock rate in brackets)")
    print(f"{'what':<34}{'CPU s':>8}{'statements/s':>14}{'(wall)':>10}{'ratio':>8}")
    for name, cpu, wall, count in (
        ("reference (one regex)", ref_cpu, ref_wall, n),
        ("detect_cues (one statement)", det_cpu, det_wall, n),
        ("read_document (with context)", doc_cpu, doc_wall, n_doc),
    ):
        ratio = (cpu / count) / (ref_cpu / n)
        print(
            f"{name:<34}{cpu:>8.3f}{count / cpu:>14,.0f}{f'({count / wall:,.0f})':>10}{ratio:>8.1f}"
        )


def main() -> None:
    t0 = time.perf_counter()
    default_detector()
    print(f"lexicons compiled in {time.perf_counter() - t0:.3f} s")
    sets = [("dev", load(DEV))]
    if "--dev-only" not in sys.argv:
        sets.append(("heldout", load(HELDOUT)))
    if "--speed-only" not in sys.argv:
        for name, rows in sets:
            read = read_all(rows)
            type_quality(name, rows, read, "--errors" in sys.argv and name == "dev")
            spans_quality(rows, read)
            learning_curve(name, rows, read)
            if name == "dev":
                learning_curve(name, rows, read, HOUSE_RULE)
    speed(sets[0][1])


if __name__ == "__main__":
    main()
