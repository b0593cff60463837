"""doccano interchange: reading its JSONL exports of text-classification projects.

Each line holds `text` and `label` (a list of category names; older versions call it
`labels`). The first label that is a source type becomes the primary label and any other
source types go to `also_cites`; a label written `confidence:<code>` sets the confidence.
doccano names no annotator in a line unless a `user`/`annotator` field was added, so the
importer takes a default user name. Span labels (`[start, end, label]`) are sequence
labelling, not statement labels, and are refused.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from annotate.core.taxonomy import RatingScale, Taxonomy
from annotate.interchange.labels import (
    ImportedDocument,
    ImportedLabel,
    ImportedStatement,
    ImportPlan,
    confidence_value,
    label_key,
)

CONFIDENCE_PREFIX = "confidence:"


def _labels(
    values: Any, where: str, taxonomy: Taxonomy, scale: RatingScale, problems: list[str]
) -> dict[str, Any] | None:
    if not isinstance(values, list):
        problems.append(f"{where}: field label: expected a list of labels")
        return None
    fields: dict[str, Any] = {"source_type": None, "also_cites": []}
    for value in values:
        if not isinstance(value, str):
            problems.append(
                f"{where}: field label: {value!r} is a span label; only statement-level "
                "(text classification) labels can be imported"
            )
            continue
        if value.casefold().startswith(CONFIDENCE_PREFIX):
            code = value[len(CONFIDENCE_PREFIX) :]
            level = confidence_value(code, scale)
            if level is None:
                problems.append(f"{where}: field label: unknown confidence level {code!r}")
            fields["confidence"] = level
            continue
        key = label_key(value, taxonomy) or value
        if fields["source_type"] is None:
            fields["source_type"] = key
        else:
            fields["also_cites"].append(key)
    return fields


def parse_doccano(
    text: str,
    taxonomy: Taxonomy,
    scale: RatingScale,
    *,
    default_user: str = "doccano",
    source: str = "doccano.jsonl",
) -> ImportPlan:
    plan = ImportPlan(source=source)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}: line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            plan.problems.append(f"{where}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            plan.problems.append(f"{where}: field text: missing or not a string")
            continue
        values = row.get("label", row.get("labels", []))
        fields = _labels(values, where, taxonomy, scale, plan.problems)
        labels = []
        if fields and (fields["source_type"] or fields.get("confidence") is not None):
            user = row.get("user") or row.get("annotator") or default_user
            try:
                labels.append(ImportedLabel(annotator=str(user), **fields))
            except ValidationError as exc:
                first = exc.errors()[0]
                plan.problems.append(f"{where}: field {first['loc'][0]}: {first['msg']}")
        meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
        try:
            document = (
                ImportedDocument.model_validate(meta["document"]) if meta.get("document") else None
            )
            plan.statements.append(
                ImportedStatement(
                    where=where,
                    text=row["text"],
                    statement_id=row.get("statement_id", meta.get("statement_id")),
                    document=document,
                    start=meta.get("start"),
                    end=meta.get("end"),
                    labels=labels,
                )
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            plan.problems.append(
                f"{where}: field {'.'.join(map(str, first['loc']))}: {first['msg']}"
            )
    return plan
