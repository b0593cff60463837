"""The labelling widget: a `st.components.v2` component that handles every key in the
browser (assets in ui/components/assets/labeller.*).

Protocol. The page sends `data` (see `widget_data`): the next statements of the queue with
their context, my recent labels, the taxonomy and scales with their keys, my progress, and
what the server did with the labels received so far (`ack`: the highest label number
applied; `results`: per label, its revision or the reason it was refused). The widget sends
a trigger `labels` = {"client": id, "items": [label, ...]} holding every label not yet
acknowledged; labels are numbered per page (`seq`), so a label sent twice is saved once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from annotate.core.models import Statement
from annotate.core.taxonomy import key_name
from ui.markup import highlight_html, plain, plain_html
from workflows.labels import LabellingView, LabelSubmission, QueueItem

ASSETS = Path(__file__).parent / "assets"
TRIGGER = "labels"

_component = st.components.v2.component(
    "sourcedesk_labeller",
    html=(ASSETS / "labeller.html").read_text(encoding="utf-8"),
    css=(ASSETS / "labeller.css").read_text(encoding="utf-8"),
    js=(ASSETS / "labeller.js").read_text(encoding="utf-8"),
)


def labeller(data: dict[str, Any], *, key: str, on_labels: Callable[[], None]) -> Any:
    """Mount the widget; `on_labels` runs when labels arrive (read them with `received`)."""
    return _component(key=key, data=data, on_labels_change=on_labels, height="content")


def received(key: str) -> tuple[str, list[dict[str, Any]]]:
    """The client id and the labels of the last `labels` trigger of widget `key`."""
    state = st.session_state.get(key)
    value = getattr(state, TRIGGER, None) if state is not None else None
    if not isinstance(value, dict):
        return "", []
    items = value.get("items")
    return str(value.get("client", "")), [i for i in items if isinstance(i, dict)] if isinstance(
        items, list
    ) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def submission(item: dict[str, Any], expected_revision: int | None) -> LabelSubmission:
    """A widget label as a submission (types checked here; the rules live in the workflow)."""
    lead = item.get("lead_time_seconds")
    extra = item.get("extra_ratings")
    return LabelSubmission(
        statement_id=_int(item.get("statement_id")) or 0,
        text_version=str(item.get("text_version") or ""),
        source_type=item.get("source_type") if isinstance(item.get("source_type"), str) else None,
        confidence=_int(item.get("confidence")),
        extra_ratings={str(k): v for k, v in extra.items() if _int(v) is not None}
        if isinstance(extra, dict)
        else {},
        also_cites=[str(k) for k in item.get("also_cites") or [] if isinstance(k, str)],
        who=str(item.get("who") or ""),
        cue=str(item.get("cue") or ""),
        note=str(item.get("note") or ""),
        unsure=bool(item.get("unsure")),
        flagged=bool(item.get("flagged")),
        skipped=bool(item.get("skipped")),
        lead_time_seconds=round(float(lead), 3) if isinstance(lead, int | float) else None,
        keys=[str(k)[:20] for k in item.get("keys") or []][:200],
        expected_revision=expected_revision,
    )


def _context(statements: list[Statement]) -> list[str]:
    return [plain_html(s.text) for s in statements]


def _statement(item: QueueItem, type_names: dict[str, str]) -> dict[str, Any]:
    s, doc, sug = item.statement, item.document, item.suggestion
    data: dict[str, Any] = {
        "id": s.id,
        "version": item.version,
        "document_id": s.document_id,
        "doc_title": plain(doc.title),
        "doc_meta": " · ".join(v for v in (doc.outlet, doc.published, doc.language) if v),
        # escaped first, then the cue spans marked: the text is shown literally
        "html": highlight_html(s.text, sug.spans if sug else []),
        "before": _context(item.before),
        "after": _context(item.after),
        "suggestion": None,
    }
    if sug is not None:
        data["suggestion"] = {
            "type": sug.type,
            "type_name": type_names.get(sug.type or "", sug.type or ""),
            "who": sug.who,
            "cue": sug.cue,
        }
    return data


def _label(item: QueueItem, primary: str) -> dict[str, Any]:
    a = item.label
    assert a is not None
    levels: dict[str, int] = dict(a.extra_ratings)
    if a.confidence is not None:
        levels[primary] = a.confidence
    return {
        "source_type": a.source_type,
        "levels": levels,
        "who": a.who,
        "cue": a.cue,
        "note": a.note,
        "unsure": a.unsure,
        "flagged": a.flagged,
        "skipped": a.skipped,
        "also_cites": a.also_cites,
    }


def widget_data(
    view: LabellingView,
    *,
    user: int,
    ack: int,
    results: list[dict[str, Any]],
    server_ms: list[float],
    language: str = "en",
) -> dict[str, Any]:
    """Everything the widget shows, as JSON-ready data (text escaped here, on the server)."""
    names = {t.key: plain(t.name(language)) for t in view.taxonomy.types}
    primary = view.preset.scales[0].key
    return {
        "user": user,
        "ack": ack,
        "results": results,
        "server_ms": server_ms,
        "require_enter": view.require_enter,
        "mine": view.mine,
        "left": view.left,
        "types": [
            {
                "key": t.key,
                "name": plain(t.name(language)),
                "shortcut": t.shortcut,
                "key_name": key_name(t.shortcut) if t.shortcut else "",
                "color": t.color,
                "definition": plain(t.definition_en),
            }
            for t in view.taxonomy.active
        ],
        "scales": [
            {
                "key": scale.key,
                "name": scale.name_fr if language == "fr" and scale.name_fr else scale.name_en,
                "levels": [
                    {"value": lv.value, "label": lv.label(language), "key": lv.key}
                    for lv in scale.levels
                ],
            }
            for scale in view.preset.scales
        ],
        "queue": [_statement(item, names) for item in view.queue],
        "recent": [
            {
                "statement": _statement(item, names),
                "label": _label(item, primary),
                "revision": item.label.revision if item.label else None,
            }
            for item in view.recent
        ],
    }
