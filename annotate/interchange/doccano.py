"""doccano interchange: its text-classification exports in, and JSONL out.

Every generation of doccano's text-classification export is read:

- JSONL with `text` and `label` (a list of category names; before 1.2 called `labels`);
- doccano 1.0.x JSONL with `annotations`: `[{"label": 3, "user": 1, ...}]`, label ids that
  its labels file (`--labels labels.json`: `[{"id": 3, "text": "named_official"}, ...]`)
  names, and users as integer ids;
- CSV with `text` and `label` columns (several labels joined by `#`), UTF-8 or UTF-16
  (Excel's "Unicode text" export; recognised by its byte-order mark).

A label list holds one source type (the one the statement comes from); the other sources it
cites are written `also_cites:<key>`, and `confidence:<code>` sets the confidence. doccano keeps
a text's labels as a set and writes them sorted, so a list with two plain source types does not
say which one is the source: it is a problem of the line, never a guess. A line names
its annotator in `user` (or `annotator`); otherwise the importer takes a default user name.
Span labels (`[start, end, label]`) are sequence labelling, not statement labels, and are
refused. Export writes one line per label in the first shape, with `meta` holding the
statement and document references so that a file can be read back exactly.
"""

from __future__ import annotations

import codecs
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic_core
from pydantic import ValidationError

from annotate.core.taxonomy import RatingScale, Taxonomy
from annotate.interchange import labels as plans
from annotate.interchange.labelstudio import field_problem

CONFIDENCE_PREFIX = "confidence:"
ALSO_CITES_PREFIX = "also_cites:"
CSV_LABEL_SEPARATOR = "#"


_UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def json_text(data: bytes) -> str | bytes:
    """A JSON or JSON Lines file as pydantic-core reads it best: UTF-8 stays bytes (the
    reader checks the encoding itself and names the line and column of a bad byte, and
    the whole file is never copied into a string), without its byte-order mark; UTF-16
    (with its mark) is decoded. Raises UnicodeDecodeError."""
    if data.startswith(_UTF16_MARKS):
        return data.decode("utf-16")
    return data.removeprefix(codecs.BOM_UTF8)


def decode(data: bytes) -> str:
    """doccano files are UTF-8; its CSVs may also be UTF-16 (with a byte-order mark).
    Raises UnicodeDecodeError."""
    text = json_text(data)
    return text if isinstance(text, str) else text.decode()


def json_lines(text: str | bytes) -> Sequence[str | bytes]:
    """The lines of a JSON Lines file, split at line feeds only: a JSON string may hold
    U+2028, U+2029 or NEL as they are, where `str.splitlines` would cut the line. A
    carriage return before the feed is JSON white space."""
    return text.split("\n") if isinstance(text, str) else text.split(b"\n")


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
            level = plans.confidence_value(code, scale)
            if level is None:
                problems.append(f"{where}: field label: unknown confidence level {code!r}")
            elif fields.get("confidence", level) != level:
                problems.append(
                    f"{where}: field label: two confidence levels ({fields['confidence']} "
                    f"and {level}): a label has one"
                )
                return None
            fields["confidence"] = level
            continue
        if value.casefold().startswith(ALSO_CITES_PREFIX):
            cited = value[len(ALSO_CITES_PREFIX) :].strip()
            if not cited:
                problems.append(f"{where}: field label: {value!r} names no source")
                continue
            fields["also_cites"].append(plans.label_key(cited, taxonomy) or cited)
            continue
        key = plans.label_key(value, taxonomy) or value
        if fields["source_type"] is None:
            fields["source_type"] = key
        else:
            problems.append(
                f"{where}: field label: two source types ({fields['source_type']!r} and "
                f"{key!r}) and doccano keeps no order: write the cited one as "
                f"{ALSO_CITES_PREFIX}{key}"
            )
            return None
    return fields


def _label(
    user: str,
    values: Any,
    where: str,
    taxonomy: Taxonomy,
    scale: RatingScale,
    problems: list[str],
) -> plans.ImportedLabel | None:
    """One person's label from a line's label list."""
    fields = _labels(values, where, taxonomy, scale, problems)
    if fields and (
        fields["source_type"] or fields["also_cites"] or fields.get("confidence") is not None
    ):
        try:
            return plans.ImportedLabel(annotator=user, **fields)
        except ValidationError as exc:
            problems.append(field_problem(where, "", exc))
    return None


@dataclass
class _Reading:
    """One file being read: its plan, and what its lines share.

    A doccano file writes a statement once per label, and repeats a few label lists many
    times. A line whose text and `meta` (by `typed_key`) were already read adds its label
    to that statement, which is what `merge_statements` would do, without checking the
    statement again; lines that repeat a person's label list share its (frozen) label
    (`SharedParts.read_label`). Lines that differ only in a `meta` field the statement
    does not keep are merged later by `merge_statements`."""

    plan: plans.ImportPlan
    taxonomy: Taxonomy
    scale: RatingScale
    statements: dict[tuple[str, bytes], plans.ImportedStatement] = field(default_factory=dict)
    shared: plans.SharedParts = field(default_factory=plans.SharedParts)

    makers: plans.Makers = field(default_factory=plans.Makers)
    unit: str = "line"
    """What a number counts: lines of JSONL or CSV, items of a JSON export."""

    def person(self, item: dict[str, Any], labelled: Any) -> str:
        """Who made a line's (or a 1.0.x annotation's) labels: its `user` (or `annotator`),
        a name or doccano's own user number (`doccano_user_<id>`), else `--user`
        (`Makers`)."""
        named = item.get("user")
        if named in (None, ""):
            named = item.get("annotator")
        if isinstance(named, bool) or not isinstance(named, (str, int)):
            named = None
        elif isinstance(named, int):
            named = f"doccano_user_{named}"
        return self.makers.name(named.strip() if named else None, bool(labelled))

    def finish(self) -> plans.ImportPlan:
        self.plan.problems += self.makers.problem(self.plan.source, self.unit, "user")
        return self.plan

    def where(self, number: int) -> str:
        """A line in words, for a problem or a statement (most lines need neither)."""
        return f"{self.plan.source}: {self.unit} {number}"

    def label(self, number: int, user: str, values: Any) -> plans.ImportedLabel | None:
        return self.shared.read_label(
            (user, values), self.plan.problems, self._read, number, user, values
        )

    def _read(self, number: int, user: str, values: Any) -> plans.ImportedLabel | None:
        where = self.where(number)
        return _label(user, values, where, self.taxonomy, self.scale, self.plan.problems)


def _add(
    reading: _Reading,
    number: int,
    text: str,
    meta: dict[str, Any],
    per_user: list[tuple[str, Any]],
    statement_id: Any = None,
) -> None:
    labels = []
    for user, values in per_user:
        label = reading.label(number, user, values)
        if label is not None:
            labels.append(label)
    key = (text, plans.typed_key((meta, statement_id)))
    seen = reading.statements.get(key)
    if seen is not None:
        seen.labels.extend(labels)
        return
    plan, where = reading.plan, reading.where(number)
    if statement_id is None:
        statement_id = meta.get("statement_id")
    try:
        value = meta.get("document")
        document = reading.shared.document(value) if value else None
        statement = plans.ImportedStatement(
            where=where,
            text=text,
            statement_id=statement_id,
            document=document,
            start=meta.get("start"),
            end=meta.get("end"),
            labels=labels,
        )
    except ValidationError as exc:
        plan.problems.append(field_problem(where, "meta", exc))
        return
    plan.statements.append(statement)
    reading.statements[key] = statement


def read_label_names(text: str) -> dict[int, str]:
    """{id: name} from a doccano labels file (a list of `{"id", "text"}` objects)."""
    data = json.loads(text)
    items = data if isinstance(data, list) else data.get("labels", [])
    return {
        int(item["id"]): str(item.get("text") or item.get("name"))
        for item in items
        if isinstance(item, dict) and "id" in item
    }


def parse_doccano(
    text: str | bytes,
    taxonomy: Taxonomy,
    scale: RatingScale,
    *,
    default_user: str | None = None,
    source: str = "doccano.jsonl",
    label_names: dict[int, str] | None = None,
) -> plans.ImportPlan:
    """Read a doccano JSONL export (any generation; text, or bytes from `json_text`) into
    an import plan."""
    plan = plans.ImportPlan(source=source)
    reading = _Reading(plan, taxonomy, scale, makers=plans.Makers(default_user))
    if text.lstrip()[:1] in ("[", b"["):  # doccano's JSON export: one list of the same objects
        reading.unit = "item"
        try:
            rows = pydantic_core.from_json(text)
        except ValueError as exc:
            plan.problems.append(f"{source}: not valid JSON ({plans.json_reason(exc)})")
            return plan
        for number, row in enumerate(rows, start=1):
            _row(reading, number, row, label_names)
        return reading.finish()
    for number, line in enumerate(json_lines(text), start=1):
        if not line or line.isspace():
            continue
        try:
            row = pydantic_core.from_json(line)
        except ValueError as exc:
            reason = plans.json_reason(exc).replace(" at line 1 column ", " at column ")
            plan.problems.append(f"{reading.where(number)}: not valid JSON ({reason})")
            continue
        _row(reading, number, row, label_names)
    return reading.finish()


def _row(
    reading: _Reading,
    number: int,
    row: Any,
    label_names: dict[int, str] | None,
) -> None:
    """One line of a JSONL export (one item of a JSON export)."""
    plan = reading.plan
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        plan.problems.append(f"{reading.where(number)}: field text: missing or not a string")
        return
    meta: dict[str, Any] = row["meta"] if isinstance(row.get("meta"), dict) else {}
    per_user: list[tuple[str, Any]]
    if isinstance(row.get("annotations"), list):
        where = reading.where(number)
        per_user = _annotations(reading, row["annotations"], where, label_names)
    else:
        values = row["label"] if "label" in row else row.get("labels", [])
        who = reading.person(row, values)
        per_user = [(who, values)]
    _add(reading, number, row["text"], meta, per_user, row.get("statement_id"))


def _annotations(
    reading: _Reading, items: list[Any], where: str, names: dict[int, str] | None
) -> list[tuple[str, list[Any]]]:
    """doccano 1.0.x: `[{"label": <id>, "user": <id>}]` grouped into labels per user (a
    user id is doccano's own: `doccano_user_<id>`)."""
    problems = reading.plan.problems
    by_user: dict[str, list[Any]] = defaultdict(list)
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "label" not in item:
            problems.append(f"{where}: field annotations[{i}]: expected an object with label")
            continue
        label = item["label"]
        if isinstance(label, int) and not isinstance(label, bool):
            if names is None:
                problems.append(
                    f"{where}: field annotations[{i}].label: label id {label} needs the "
                    "project's labels file (--labels)"
                )
                continue
            if label not in names:
                problems.append(
                    f"{where}: field annotations[{i}].label: no label with id {label} "
                    "in the labels file"
                )
                continue
            label = names[label]
        by_user[reading.person(item, [label])].append(label)
    return list(by_user.items())


def parse_doccano_csv(
    text: str,
    taxonomy: Taxonomy,
    scale: RatingScale,
    *,
    default_user: str | None = None,
    source: str = "doccano.csv",
) -> plans.ImportPlan:
    """Read a doccano CSV export: `text` and `label` columns, one row per text (labels
    joined by `#`) or one row per label; rows of one text and user are merged."""
    plan = plans.ImportPlan(source=source)
    names, records = plans.csv_records(text)
    if "text" not in [f.strip().lower() for f in names]:
        plan.problems.append(f"{source}: line 1: field text: no `text` column")
        return plan
    reading = _Reading(plan, taxonomy, scale, makers=plans.Makers(default_user))
    rows: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for number, raw in records:
        row = {(k or "").strip().lower(): (v or "") for k, v in raw.items()}
        label_cell = row.get("label", row.get("labels", ""))
        user = reading.person(row, label_cell)
        key = (row["text"], user)
        _first, values = rows.setdefault(key, (number, []))
        values.extend(v.strip() for v in label_cell.split(CSV_LABEL_SEPARATOR) if v.strip())
    for (text_value, user), (number, values) in rows.items():
        _add(reading, number, text_value, {}, [(user, values)])
    return reading.finish()


def doccano_line(
    statement: dict[str, Any], label: dict[str, Any], *, scale: RatingScale, document_ref: str
) -> str:
    """One export line: the statement, one person's labels, and references in `meta`."""
    values = [label["source_type"]] if label["source_type"] else []
    values += [f"{ALSO_CITES_PREFIX}{key}" for key in label["also_cites"]]
    level = scale.level(label["confidence"])
    if level is not None:
        values.append(f"{CONFIDENCE_PREFIX}{level.code}")
    line = {
        "text": statement["text"],
        "label": values,
        "user": label["annotator"],
        "meta": plans.statement_meta(statement, document_ref),
    }
    return json.dumps(line, ensure_ascii=False)
