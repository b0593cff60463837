"""The project's adapted model: a small classifier learned from the project's own labels.

Features are the rules' reading of a statement (the types voted and their weights, the
speaker classes, acts, predicates and markers found, the type lent by context) plus its
folded words, so the model learns both where the newsroom's convention departs from the
rules (e.g. how it labels a named spokesperson) and its own recurring phrasing.

The model is combined with the rules, not substituted for them: the suggested type is the
arg-max of ``alpha * p_model + (1 - alpha) * rules``, where ``rules`` is the one-hot of the
rules' type and ``alpha`` is chosen by cross-validation on the project's labels when the
model is trained (``alpha = 0`` keeps the rules when the labels do not beat them yet).

A trained model is plain JSON (classes, intercepts, one weight row per feature): it is
stored and versioned by the caller, and predicting needs no scikit-learn. Training does.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from annotate.suggest.cues import Reading
from annotate.suggest.suggestion import Suggestion
from annotate.suggest.text import fold

__all__ = [
    "MIN_LABELS",
    "AdaptedModel",
    "TrainingError",
    "adapt",
    "features",
    "train",
]

MIN_LABELS = 30
ALPHAS = (0.0, 0.3, 0.5, 0.65, 0.8, 1.0)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


class TrainingError(ValueError):
    """Too few or too uniform labels to learn from."""


def features(reading: Reading, suggestion: Suggestion) -> dict[str, float]:
    """Sparse features of one statement: its rules reading (after context) and its words."""
    s = suggestion
    out: dict[str, float] = {f"rule={s.suggested_type}": 1.0, f"lang={s.language}": 1.0}
    if s.context_note:
        out["context"] = 1.0
    for vote in reading.votes:
        if vote.embedded:
            continue
        key = f"vote={vote.type}"
        out[key] = max(out.get(key, 0.0), vote.weight)
    for a, sp in zip(reading.analysis.attributions, reading.speakers, strict=True):
        out[f"act={a.predicate.act}"] = 1.0
        out[f"pred={a.predicate.id}"] = 1.0
        if sp is not None:
            out[f"spk={sp.kind}"] = 1.0
            out[f"spk={sp.kind}:{a.predicate.act}"] = 1.0
            if sp.named:
                out[f"named={sp.kind}"] = 1.0
    for hit in reading.analysis.markers:
        out[f"marker={hit.marker.id}"] = 1.0
    words = _WORD.findall(fold(s.source_span.text)) if s.source_span else []
    for w in words:
        out[f"who={w}"] = 1.0
    tokens = _WORD.findall(fold(reading.text))
    for w in tokens:
        out[f"w={w}"] = 1.0
    for a, b in pairwise(tokens):
        out[f"b={a}_{b}"] = 1.0
    return out


@dataclass(frozen=True, slots=True)
class AdaptedModel:
    version: str
    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    alpha: float
    n_labels: int
    cv_macro_f1: float
    rules_cv_macro_f1: float

    def probabilities(self, feats: dict[str, float]) -> list[float]:
        scores = list(self.intercept)
        for name, value in feats.items():
            row = self.weights.get(name)
            if row is None:
                continue
            for i, w in enumerate(row):
                scores[i] += w * value
        if len(self.classes) == 2:  # binary logistic regression keeps one row
            p = 1.0 / (1.0 + math.exp(-scores[1]))
            return [1.0 - p, p]
        top = max(scores)
        exps = [math.exp(x - top) for x in scores]
        total = sum(exps)
        return [x / total for x in exps]

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "classes": list(self.classes),
                "intercept": list(self.intercept),
                "weights": {k: list(v) for k, v in self.weights.items()},
                "alpha": self.alpha,
                "n_labels": self.n_labels,
                "cv_macro_f1": self.cv_macro_f1,
                "rules_cv_macro_f1": self.rules_cv_macro_f1,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, payload: str) -> AdaptedModel:
        raw = json.loads(payload)
        return cls(
            version=raw["version"],
            classes=tuple(raw["classes"]),
            intercept=tuple(raw["intercept"]),
            weights={k: tuple(v) for k, v in raw["weights"].items()},
            alpha=float(raw["alpha"]),
            n_labels=int(raw["n_labels"]),
            cv_macro_f1=float(raw["cv_macro_f1"]),
            rules_cv_macro_f1=float(raw["rules_cv_macro_f1"]),
        )


def adapt(model: AdaptedModel, reading: Reading, suggestion: Suggestion) -> Suggestion:
    """The rules' suggestion (after context) combined with the project's model."""
    probs = model.probabilities(features(reading, suggestion))
    blended = {
        key: model.alpha * p + (1.0 - model.alpha) * (key == suggestion.suggested_type)
        for key, p in zip(model.classes, probs, strict=True)
    }
    if suggestion.suggested_type not in blended:
        blended[suggestion.suggested_type] = 1.0 - model.alpha
    best = max(blended, key=lambda k: blended[k])
    secondary = [(k, w) for k, w in suggestion.secondary if k != best]
    return suggestion.model_copy(
        update={
            "suggested_type": best,
            "score": round(min(1.0, max(0.0, blended[best])), 3),
            "secondary": secondary,
            "model_version": model.version,
        }
    )


def _fit(x: list[dict[str, float]], y: list[str]) -> tuple[Any, Any]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    matrix = vec.fit_transform(x)
    clf = LogisticRegression(C=2.0, max_iter=2000)
    clf.fit(matrix, y)
    return vec, clf


def _macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    labels = sorted(set(gold))
    total = 0.0
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        if tp:
            precision, recall = tp / n_pred, tp / n_gold
            total += 2 * precision * recall / (precision + recall)
    return total / len(labels) if labels else 0.0


def _blend_predict(
    classes: Sequence[str], probs: Sequence[Sequence[float]], rules: Sequence[str], alpha: float
) -> list[str]:
    out = []
    for row, rule in zip(probs, rules, strict=True):
        best, best_score = rule, 1.0 - alpha
        for key, p in zip(classes, row, strict=True):
            score = alpha * p + (1.0 - alpha) * (key == rule)
            if score > best_score:
                best, best_score = key, score
        out.append(best)
    return out


def train(
    examples: Sequence[tuple[dict[str, float], str, str]], *, version_prefix: str = "m"
) -> AdaptedModel:
    """Learn from ``(features, rules' type, gold type)`` triples; picks ``alpha`` by 5-fold
    cross-validation (macro-F1) among ``ALPHAS``."""
    if len(examples) < MIN_LABELS:
        raise TrainingError(f"{len(examples)} labelled statements; at least {MIN_LABELS} needed")
    x = [e[0] for e in examples]
    rules = [e[1] for e in examples]
    y = [e[2] for e in examples]
    if len(set(y)) < 2:
        raise TrainingError("the labels hold a single source type; nothing to learn yet")
    folds = 5
    fold_of = [i % folds for i in range(len(x))]
    oof_probs: list[list[float]] = [[] for _ in x]
    classes_all = sorted(set(y))
    for f in range(folds):
        train_idx = [i for i in range(len(x)) if fold_of[i] != f]
        test_idx = [i for i in range(len(x)) if fold_of[i] == f]
        if len({y[i] for i in train_idx}) < 2:
            for i in test_idx:
                oof_probs[i] = [float(c == rules[i]) for c in classes_all]
            continue
        vec, clf = _fit([x[i] for i in train_idx], [y[i] for i in train_idx])
        probs = clf.predict_proba(vec.transform([x[i] for i in test_idx]))
        known = list(clf.classes_)
        for i, row in zip(test_idx, probs, strict=True):
            oof_probs[i] = [float(row[known.index(c)]) if c in known else 0.0 for c in classes_all]
    rules_f1 = _macro_f1(y, rules)
    best_alpha, best_f1 = 0.0, rules_f1
    for alpha in ALPHAS[1:]:
        f1 = _macro_f1(y, _blend_predict(classes_all, oof_probs, rules, alpha))
        if f1 > best_f1 + 1e-9:
            best_alpha, best_f1 = alpha, f1
    vec, clf = _fit(x, y)
    names = vec.get_feature_names_out()
    coef = clf.coef_
    classes = tuple(str(c) for c in clf.classes_)
    rows = coef.shape[0]
    weights: dict[str, tuple[float, ...]] = {}
    for j, name in enumerate(names):
        column = tuple(round(float(coef[r, j]), 5) for r in range(rows))
        if any(column):
            weights[str(name)] = column if rows > 1 else (0.0, column[0])
    intercept = tuple(round(float(v), 5) for v in clf.intercept_)
    if rows == 1:
        intercept = (0.0, intercept[0])
    digest = hashlib.sha256(
        json.dumps([sorted(weights.items()), intercept, best_alpha]).encode()
    ).hexdigest()[:8]
    return AdaptedModel(
        version=f"{version_prefix}{len(examples)}-{digest}",
        classes=classes,
        intercept=intercept,
        weights=weights,
        alpha=best_alpha,
        n_labels=len(examples),
        cv_macro_f1=round(best_f1, 4),
        rules_cv_macro_f1=round(rules_f1, 4),
    )
