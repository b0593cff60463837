"""W3C Web Annotation (JSON-LD): one annotation per label, anchored in the article.

Each label is an `Annotation` whose target is the article (its URL, else a URN built from
the document reference) narrowed by a `TextQuoteSelector` (the statement with up to 32
characters of context either side) and a `TextPositionSelector` (its character offsets in
the document text), so standard annotation clients (Hypothesis, Recogito, Annotorious) can
show the labels over the original article. The source type is a `classifying` body, the
confidence and note `describing` and `commenting` bodies. The file is an
`AnnotationCollection` with its items on one page; the collection and its page each have an
IRI of their own (`urn:uuid:`), as the model requires, and times are UTC written with `Z`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from urllib.parse import quote

from annotate.core.taxonomy import RatingScale

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
QUOTE_CONTEXT = 32


def source_iri(url: str, document_ref: str) -> str:
    return (
        url if url.startswith(("http://", "https://")) else f"urn:sourcedesk:{quote(document_ref)}"
    )


def selectors(text: str, start: int, end: int) -> list[dict[str, Any]]:
    """The two selectors of one statement within the document `text`."""
    return [
        {
            "type": "TextQuoteSelector",
            "exact": text[start:end],
            "prefix": text[max(0, start - QUOTE_CONTEXT) : start],
            "suffix": text[end : end + QUOTE_CONTEXT],
        },
        {"type": "TextPositionSelector", "start": start, "end": end},
    ]


def annotation(
    statement: dict[str, Any],
    label: dict[str, Any],
    *,
    document_text: str,
    document_ref: str,
    scale: RatingScale,
    annotation_id: str,
) -> dict[str, Any]:
    """One label (dict with annotator, source_type, also_cites, confidence, note, skipped,
    labelled_at, created_at) as a Web Annotation."""
    bodies: list[dict[str, Any]] = []
    if label["source_type"]:
        bodies.append(
            {"type": "TextualBody", "purpose": "classifying", "value": label["source_type"]}
        )
    for cited in label["also_cites"]:
        bodies.append({"type": "TextualBody", "purpose": "tagging", "value": cited})
    level = scale.level(label["confidence"])
    if level is not None:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "describing",
                "value": f"{scale.name_en}: {level.code} {level.label_en}",
            }
        )
    if label.get("note"):
        bodies.append({"type": "TextualBody", "purpose": "commenting", "value": label["note"]})
    item: dict[str, Any] = {
        "@context": CONTEXT,
        "id": annotation_id,
        "type": "Annotation",
        "motivation": "classifying",
        "creator": {"type": "Person", "nickname": label["annotator"]},
        "created": utc_stamp(label["created_at"]),
        "modified": utc_stamp(label["labelled_at"]),
        "body": bodies,
        "target": {
            "source": source_iri(statement["url"] or "", document_ref),
            "selector": selectors(document_text, statement["start"], statement["end"]),
        },
    }
    return item


def utc_stamp(stamp: str) -> str:
    """An ISO time as the model writes it: UTC, with `Z` (a time without an offset is
    taken as UTC, as the database stores every time)."""
    moment = dt.datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def collection_head(label: str) -> str:
    """The opening of an AnnotationCollection whose items follow (see `collection_tail`):
    the collection and its one page, each with a new `urn:uuid:` IRI."""
    head = {
        "@context": CONTEXT,
        "id": uuid.uuid4().urn,
        "type": "AnnotationCollection",
        "label": label,
    }
    text = json.dumps(head, ensure_ascii=False)
    page = json.dumps(uuid.uuid4().urn)
    return text[:-1] + f', "first": {{"id": {page}, "type": "AnnotationPage", "items": ['


def collection_tail(total: int) -> str:
    return f'\n]}}, "total": {total}}}\n'
