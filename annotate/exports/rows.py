"""Turning raw chunks read from the database into export columns.

Storage hands over plain column lists (JSON text, 0/1 integers, ISO strings); these
functions decode them, apply pseudonyms and, for the wide shape, lay each annotator's
labels side by side and add the adjudicated and aggregated labels. Values stay Python
natives (dates and times as ISO strings) so every writer can take them as they are.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from annotate.agreement.aggregate import majority_vote, median_label
from annotate.agreement.reliability import ReliabilityData
from annotate.exports.columns import (
    ANNOTATOR_FIELDS,
    STATEMENT_COLUMNS,
    WIDE_TAIL_COLUMNS,
)
from annotate.exports.pseudonyms import Pseudonyms

Columns = dict[str, list[Any]]


def _json_list(text: str | None) -> list[str]:
    return [] if not text or text == "[]" else list(json.loads(text))


@dataclass
class WideChunk:
    """Statements of one chunk with the labels that belong to them."""

    statements: Columns
    annotations: list[tuple[Any, ...]] = field(default_factory=list)
    """(statement_id, annotator, source_type, also_cites_json, confidence, unsure, flagged,
    note, skipped, suggested_type, suggestion_version, labelled_at) for each current label."""
    adjudications: list[tuple[Any, ...]] = field(default_factory=list)
    """(statement_id, source_type, also_cites_json, confidence, editor, note, updated_at)
    for each."""


@dataclass(frozen=True)
class GlobalAggregate:
    """Labels computed over the whole export before streaming (e.g. Dawid-Skene)."""

    label: Mapping[int, str | None]
    posterior: Mapping[int, float]
    method: str


def wide_rows(
    chunk: WideChunk,
    annotators: Sequence[str],
    pseudonyms: Pseudonyms,
    *,
    confidence_levels: Sequence[int] | None = None,
    aggregate: GlobalAggregate | None = None,
) -> Columns:
    """One row per statement; `annotators` are the real names, in column order."""
    ids: list[int] = chunk.statements["statement_id"]
    index = {sid: i for i, sid in enumerate(ids)}
    n = len(ids)
    out: Columns = {c.name: list(chunk.statements[c.name]) for c in STATEMENT_COLUMNS}
    per: dict[str, Columns] = {
        name: {f.name: [None] * n for f in ANNOTATOR_FIELDS} for name in annotators
    }
    counts = [0] * n
    votes: dict[str, list[Any]] = defaultdict(list)
    for (
        sid,
        name,
        source_type,
        cites,
        confidence,
        unsure,
        flagged,
        note,
        skipped,
        *_,
    ) in chunk.annotations:
        i = index[sid]
        cols = per.get(name)
        if cols is not None:
            cols["source_type"][i] = source_type
            cols["also_cites"][i] = _json_list(cites)
            cols["confidence"][i] = confidence
            cols["unsure"][i] = bool(unsure)
            cols["flagged"][i] = bool(flagged)
            cols["note"][i] = note
            cols["skipped"][i] = bool(skipped)
        if not skipped and source_type is not None:
            counts[i] += 1
            votes["unit"].append(sid)
            votes["coder"].append(name)
            votes["type"].append(source_type)
            votes["confidence"].append(confidence)
    for name in annotators:
        alias = pseudonyms.annotator(name)
        for f in ANNOTATOR_FIELDS:
            out[f"{alias}__{f.name}"] = per[name][f.name]
    tail: Columns = {c.name: [None] * n for c in WIDE_TAIL_COLUMNS}
    tail["n_annotators"] = counts
    adjudicated_type: dict[int, str] = {}
    adjudicated_conf: dict[int, int] = {}
    for sid, source_type, cites, confidence, editor, *_ in chunk.adjudications:
        i = index[sid]
        tail["adjudicated_source_type"][i] = source_type
        tail["adjudicated_also_cites"][i] = _json_list(cites)
        tail["adjudicated_confidence"][i] = confidence
        tail["adjudicated_by"][i] = pseudonyms.editor(editor)
        if source_type is not None:
            adjudicated_type[sid] = source_type
        if confidence is not None:
            adjudicated_conf[sid] = confidence
    _aggregate_types(tail, index, votes, adjudicated_type, aggregate)
    _aggregate_confidence(tail, index, votes, adjudicated_conf, confidence_levels)
    out.update(tail)
    return out


def _aggregate_types(
    tail: Columns,
    index: Mapping[int, int],
    votes: Mapping[str, list[Any]],
    adjudicated: Mapping[int, str],
    aggregate: GlobalAggregate | None,
) -> None:
    if not votes.get("unit") and not adjudicated:
        return
    tally: dict[int, Counter[str]] = defaultdict(Counter)
    if aggregate is not None:
        for unit, label in zip(votes["unit"], votes["type"], strict=True):
            tally[unit][label] += 1
    data = ReliabilityData.from_long(votes["unit"], votes["coder"], votes["type"])
    frame = majority_vote(data, pd.Series(adjudicated, dtype=object))
    for unit, label, method, tied, n_for, n_all in frame[
        ["unit", "label", "method", "tied_labels", "votes", "n_votes"]
    ].itertuples(index=False):
        i = index[int(unit)]
        if aggregate is not None and method != "adjudicated" and int(unit) in aggregate.label:
            label, method = aggregate.label[int(unit)], aggregate.method
            tail["aggregated_posterior"][i] = float(aggregate.posterior[int(unit)])
            n_for = tally[int(unit)][label] if label is not None else 0
        tail["aggregated_source_type"][i] = label
        tail["aggregated_method"][i] = method
        tail["aggregated_tied_labels"][i] = list(tied) if isinstance(tied, list) else []
        tail["aggregated_agreement"][i] = (
            float(n_for) / float(n_all) if n_all and method != "adjudicated" else None
        )


def _aggregate_confidence(
    tail: Columns,
    index: Mapping[int, int],
    votes: Mapping[str, list[Any]],
    adjudicated: Mapping[int, int],
    levels: Sequence[int] | None,
) -> None:
    rated = [
        (u, c, v)
        for u, c, v in zip(
            votes.get("unit", []), votes.get("coder", []), votes.get("confidence", []), strict=True
        )
        if v is not None
    ]
    if not rated and not adjudicated:
        return
    units, coders, values = (list(x) for x in zip(*rated, strict=True)) if rated else ([], [], [])
    data = ReliabilityData.from_long(units, coders, values, levels=levels)
    frame = median_label(data, pd.Series(adjudicated, dtype=object))
    for unit, label in frame[["unit", "label"]].itertuples(index=False):
        if label is not None and not pd.isna(label):
            tail["aggregated_confidence"][index[int(unit)]] = int(label)
