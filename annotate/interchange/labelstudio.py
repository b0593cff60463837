"""Label Studio interchange: tasks out, tasks in, and the matching labeling config.

One task per statement: `data.text` is the statement, `data.meta` its offsets and
document. Each annotator's label is an `annotations` entry whose `result` holds `choices`
results (`source_type`, `also_cites`, `confidence`) and a `textarea` result for the note;
a skipped statement is a cancelled annotation; the cue suggestion is a `predictions`
entry. Choice values are taxonomy keys (the label names are aliases in the config), so a
file can be read back without guessing. Result ids are the control names, which are
unique within one annotation and stable across exports.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import quoteattr

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

TO_NAME = "text"
MODEL_VERSION = "sourcedesk-cues"


def labeling_config(taxonomy: Taxonomy, scale: RatingScale) -> str:
    """The Label Studio labeling config (XML) that matches exported tasks."""

    def choice(value: str, hint: str = "", hotkey: str = "") -> str:
        attrs = f"value={quoteattr(value)}"
        attrs += f" hint={quoteattr(hint)}" if hint else ""
        attrs += f" hotkey={quoteattr(hotkey)}" if hotkey else ""
        return f"    <Choice {attrs}/>"

    types = [choice(t.key, t.definition_en or t.name_en, t.shortcut) for t in taxonomy.active]
    cites = [choice(t.key, t.name_en) for t in taxonomy.active]
    levels = [choice(lv.code, lv.label_en) for lv in scale.levels]
    return "\n".join(
        [
            "<View>",
            f'  <Text name="{TO_NAME}" value="$text"/>',
            '  <Header value="Source type"/>',
            f'  <Choices name="source_type" toName="{TO_NAME}" choice="single" required="true">',
            *types,
            "  </Choices>",
            '  <Header value="Also cites"/>',
            f'  <Choices name="also_cites" toName="{TO_NAME}" choice="multiple">',
            *cites,
            "  </Choices>",
            f"  <Header value={quoteattr(scale.name_en)}/>",
            f'  <Choices name="confidence" toName="{TO_NAME}" choice="single">',
            *levels,
            "  </Choices>",
            f'  <TextArea name="note" toName="{TO_NAME}" rows="2" maxSubmissions="1"/>',
            "</View>",
            "",
        ]
    )


def _choices(name: str, values: list[str]) -> dict[str, Any]:
    return {
        "id": name,
        "from_name": name,
        "to_name": TO_NAME,
        "type": "choices",
        "origin": "manual",
        "value": {"choices": values},
    }


def task(
    statement: dict[str, Any],
    labels: list[dict[str, Any]],
    *,
    scale: RatingScale,
    document_ref: str,
) -> dict[str, Any]:
    """A task from a statement row and its labels (dicts with annotator, source_type,
    also_cites (list), confidence, note, skipped, suggested_type, labelled_at)."""
    annotations = []
    for number, label in enumerate(labels, start=1):
        result = []
        if label["source_type"]:
            result.append(_choices("source_type", [label["source_type"]]))
        if label["also_cites"]:
            result.append(_choices("also_cites", list(label["also_cites"])))
        level = scale.level(label["confidence"])
        if level is not None:
            result.append(_choices("confidence", [level.code]))
        if label["note"]:
            result.append(
                {
                    "id": "note",
                    "from_name": "note",
                    "to_name": TO_NAME,
                    "type": "textarea",
                    "origin": "manual",
                    "value": {"text": [label["note"]]},
                }
            )
        annotations.append(
            {
                "completed_by": number,
                "annotator": label["annotator"],
                "was_cancelled": bool(label["skipped"]),
                "ground_truth": False,
                "created_at": label["labelled_at"],
                "updated_at": label["labelled_at"],
                "result": result,
            }
        )
    suggestions = sorted({lb["suggested_type"] for lb in labels if lb["suggested_type"]})
    predictions = (
        [{"model_version": MODEL_VERSION, "result": [_choices("source_type", [suggestions[0]])]}]
        if suggestions
        else []
    )
    return {
        "id": statement["statement_id"],
        "data": {
            "text": statement["text"],
            "meta": {
                "statement_id": statement["statement_id"],
                "position": statement["position"],
                "start": statement["start"],
                "end": statement["end"],
                "document": {
                    "ref": document_ref,
                    "title": statement["title"],
                    "outlet": statement["outlet"],
                    "url": statement["url"],
                    "published": statement["published"],
                    "language": statement["language"],
                },
            },
        },
        "annotations": annotations,
        "predictions": predictions,
    }


def _annotator(annotation: dict[str, Any]) -> str:
    if isinstance(annotation.get("annotator"), str) and annotation["annotator"].strip():
        return annotation["annotator"].strip()
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        for key in ("username", "email", "first_name"):
            if isinstance(who.get(key), str) and who[key].strip():
                return who[key].strip()
        who = who.get("id")
    if isinstance(who, str) and who.strip():
        return who.strip()
    return f"labelstudio_user_{who}" if who is not None else "labelstudio_user"


def _choice_values(result: dict[str, Any]) -> list[str]:
    value = result.get("value")
    choices = value.get("choices") if isinstance(value, dict) else None
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise ValueError("value.choices: expected a list of strings")
    return choices


def _parse_annotation(
    annotation: Any, where: str, taxonomy: Taxonomy, scale: RatingScale, problems: list[str]
) -> ImportedLabel | None:
    if not isinstance(annotation, dict):
        problems.append(f"{where}: expected an object")
        return None
    fields: dict[str, Any] = {"annotator": _annotator(annotation)}
    fields["skipped"] = bool(annotation.get("was_cancelled", False))
    results = annotation.get("result", [])
    if not isinstance(results, list):
        problems.append(f"{where}: field result: expected a list")
        return None
    for i, result in enumerate(results):
        at = f"{where}: field result[{i}]"
        if not isinstance(result, dict):
            problems.append(f"{at}: expected an object")
            continue
        name = result.get("from_name")
        try:
            if name == "source_type":
                values = _choice_values(result)
                if len(values) != 1:
                    raise ValueError("value.choices: expected exactly one source type")
                fields["source_type"] = label_key(values[0], taxonomy) or values[0]
            elif name == "also_cites":
                fields["also_cites"] = [label_key(v, taxonomy) or v for v in _choice_values(result)]
            elif name == "confidence":
                values = _choice_values(result)
                level = confidence_value(values[0], scale) if len(values) == 1 else None
                if level is None:
                    raise ValueError(f"value.choices: unknown confidence level {values!r}")
                fields["confidence"] = level
            elif name == "note":
                text = result.get("value", {}).get("text", [])
                fields["note"] = "\n".join(text) if isinstance(text, list) else str(text)
            else:
                raise ValueError(f"from_name: unknown control {name!r}")
        except ValueError as exc:
            problems.append(f"{at}.{exc}")
    try:
        return ImportedLabel(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        problems.append(f"{where}: field {'.'.join(map(str, first['loc']))}: {first['msg']}")
        return None


def _document(meta: dict[str, Any], where: str, problems: list[str]) -> ImportedDocument | None:
    doc = meta.get("document")
    if doc is None:
        return None
    try:
        return ImportedDocument.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(map(str, first["loc"]))
        problems.append(f"{where}: field data.meta.document.{loc}: {first['msg']}")
        return None


def parse_labelstudio(
    text: str, taxonomy: Taxonomy, scale: RatingScale, *, source: str = "labelstudio.json"
) -> ImportPlan:
    """Read a Label Studio JSON export (a list of tasks) into an import plan."""
    plan = ImportPlan(source=source)
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        plan.problems.append(f"{source}: line {exc.lineno}: not valid JSON ({exc.msg})")
        return plan
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        plan.problems.append(f"{source}: expected a list of tasks")
        return plan
    for n, item in enumerate(tasks, start=1):
        where = f"{source}: task {n}" + (
            f" (id {item.get('id')})" if isinstance(item, dict) and "id" in item else ""
        )
        data = item.get("data") if isinstance(item, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            plan.problems.append(f"{where}: field data.text: missing or not a string")
            continue
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        labels = []
        for k, annotation in enumerate(item.get("annotations") or []):
            label = _parse_annotation(
                annotation, f"{where}: annotations[{k}]", taxonomy, scale, plan.problems
            )
            if label is not None:
                labels.append(label)
        suggestion = None
        for prediction in item.get("predictions") or []:
            for result in prediction.get("result", []) if isinstance(prediction, dict) else []:
                if isinstance(result, dict) and result.get("from_name") == "source_type":
                    values = result.get("value", {}).get("choices") or [None]
                    suggestion = label_key(str(values[0]), taxonomy) if values[0] else None
        for label in labels:
            label.suggested_type = suggestion
        try:
            statement = ImportedStatement(
                where=where,
                text=data["text"],
                statement_id=meta.get("statement_id"),
                document=_document(meta, where, plan.problems),
                position=meta.get("position"),
                start=meta.get("start"),
                end=meta.get("end"),
                labels=labels,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(map(str, first["loc"]))
            plan.problems.append(f"{where}: field data.meta.{loc}: {first['msg']}")
            continue
        plan.statements.append(statement)
    return plan
