"""Label Studio interchange: tasks out, tasks in, and the matching labeling config.

One task per statement: `data.text` is the statement, `data.meta` its offsets and
document. Each annotator's label is an `annotations` entry whose `result` holds `choices`
results (`source_type`, `also_cites`, `confidence`) and a `textarea` result for the note;
`completed_by` is the user's integer id within the export, the same on every task, and the
users are listed beside the tasks (`<name>.users.json`, as Label Studio lists users). A
skipped statement is a cancelled annotation; the editor's final label is a `ground_truth`
annotation; each suggestion shown is a `predictions` entry whose `model_version` is the one
stored with the labels made on it. Choice values are taxonomy keys (the label names are
aliases in the config), so a file can be read back without guessing. Result ids are the
control names, unique within one annotation.

Import reads every shape Label Studio writes: JSON (`annotations`, or `completions` in
versions before 1.0), JSON-MIN (one flat object per annotation) and CSV (JSON-MIN as a
table); `completed_by` as an integer, an object or a name; tasks with or without ids.
A task's `predictions` are machine output that the file does not tie to anyone's label
(nor says who was shown them): import stores no label, and no suggestion, from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

import pydantic_core
from pydantic import ValidationError

from annotate.core.errors import field_path
from annotate.core.taxonomy import RatingScale, Taxonomy
from annotate.interchange.labels import (
    ImportedDocument,
    ImportedLabel,
    ImportedStatement,
    ImportPlan,
    Makers,
    SharedParts,
    confidence_value,
    csv_records,
    json_reason,
    label_key,
    statement_meta,
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


def field_problem(where: str, field: str, exc: ValidationError) -> str:
    """`where: field <field>.<loc>: message` for the first problem of a ValidationError."""
    first = exc.errors()[0]
    loc = ".".join(p for p in (field, field_path(first["loc"], "")) if p)
    return f"{where}: field {loc}: {first['msg'].removeprefix('Value error, ')}"


def _choices(name: str, values: list[str], origin: str = "manual") -> dict[str, Any]:
    return {
        "id": name,
        "from_name": name,
        "to_name": TO_NAME,
        "type": "choices",
        "origin": origin,
        "value": {"choices": values},
    }


def _result(label: dict[str, Any], scale: RatingScale) -> list[dict[str, Any]]:
    result = []
    if label["source_type"]:
        result.append(_choices("source_type", [label["source_type"]]))
    if label["also_cites"]:
        result.append(_choices("also_cites", list(label["also_cites"])))
    level = scale.level(label["confidence"])
    if level is not None:
        result.append(_choices("confidence", [level.code]))
    if label.get("note"):
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
    return result


def _suggestions(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(source type, model version) of each distinct suggestion the labels were made with.
    The version is the one stored with the label, so a suggestion of the rules and one of
    the project's model stay apart; labels saved before versions were recorded name
    MODEL_VERSION, the suggester as a whole."""
    return sorted(
        {
            (lb["suggested_type"], lb.get("suggestion_version") or MODEL_VERSION)
            for lb in labels
            if lb.get("suggested_type")
        }
    )


def task(
    statement: dict[str, Any],
    labels: list[dict[str, Any]],
    *,
    scale: RatingScale,
    document_ref: str,
    adjudication: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A task from a statement row, its labels (dicts with user (the integer id in the
    export), source_type, also_cites (list), confidence, note, skipped, suggested_type,
    suggestion_version (optional), labelled_at (last revision), created_at (first save))
    and the editor's final label if any (same keys but created_at, user the editor's id)."""
    annotations = [
        {
            "completed_by": label["user"],
            "was_cancelled": bool(label["skipped"]),
            "ground_truth": False,
            "created_at": label["created_at"],
            "updated_at": label["labelled_at"],
            "result": _result(label, scale),
        }
        for label in labels
    ]
    if adjudication is not None:
        annotations.append(
            {
                "completed_by": adjudication["user"],
                "was_cancelled": False,
                "ground_truth": True,
                "created_at": adjudication["labelled_at"],
                "updated_at": adjudication["labelled_at"],
                "result": _result(adjudication, scale),
            }
        )
    predictions = [
        {
            "model_version": version,
            "result": [_choices("source_type", [suggested], origin="prediction")],
        }
        for suggested, version in _suggestions(labels)
    ]
    return {
        "id": statement["statement_id"],
        "data": {
            "text": statement["text"],
            "meta": statement_meta(statement, document_ref),
        },
        "annotations": annotations,
        "predictions": predictions,
    }


def users_listing(users: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """The users of an export as Label Studio lists them (id, username, names, e-mail)."""
    return [
        {"id": uid, "username": name, "first_name": name, "last_name": "", "email": ""}
        for uid, name in users
    ]


def read_users(text: str) -> dict[int, str]:
    """{id: name} from a users listing (ours, or Label Studio's user export)."""
    out: dict[int, str] = {}
    data = pydantic_core.from_json(text)  # ValueError if it is not JSON
    if isinstance(data, dict):
        data = data.get("users", data.get("results", []))
    for user in data if isinstance(data, list) else []:
        if isinstance(user, dict) and isinstance(user.get("id"), int):
            name = _person(user)
            if name:
                out[user["id"]] = name
    return out


def _person(who: dict[str, Any]) -> str:
    for key in ("username", "email", "first_name"):
        if isinstance(who.get(key), str) and who[key].strip():
            return str(who[key]).strip()
    return ""


def annotator_name(who: Any, users: dict[int, str]) -> str | None:
    """Who made an annotation, from `completed_by` (or JSON-MIN's `annotator`): a name, or
    a number the users listing names (a number it does not name is Label Studio's own id
    for that person, `labelstudio_user_<id>`); None when the annotation names no one."""
    if isinstance(who, dict):
        name = _person(who)
        if name:
            return name
        who = who.get("id")
    if isinstance(who, bool):
        who = None
    if isinstance(who, int):
        return users.get(who, f"labelstudio_user_{who}")
    if isinstance(who, str) and who.strip():
        text = who.strip()
        if text.isdigit():
            return users.get(int(text), f"labelstudio_user_{text}")
        return text
    return None


def _choice_values(value: Any) -> list[str]:
    choices = value.get("choices") if isinstance(value, dict) else value
    if isinstance(choices, str):
        return [choices]
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise ValueError("value.choices: expected a list of strings")
    return choices


def _set_control(
    fields: dict[str, Any], name: Any, value: Any, scale: RatingScale, taxonomy: Taxonomy
) -> None:
    """One control's value into label fields; raises ValueError naming the problem."""
    if name == "source_type":
        values = _choice_values(value)
        if len(values) != 1:
            raise ValueError("value.choices: expected exactly one source type")
        fields["source_type"] = label_key(values[0], taxonomy) or values[0]
    elif name == "also_cites":
        fields["also_cites"] = [label_key(v, taxonomy) or v for v in _choice_values(value)]
    elif name == "confidence":
        values = _choice_values(value)
        level = confidence_value(values[0], scale) if len(values) == 1 else None
        if level is None:
            raise ValueError(f"value.choices: unknown confidence level {values!r}")
        fields["confidence"] = level
    elif name == "note":
        text = value.get("text", []) if isinstance(value, dict) else value
        fields["note"] = "\n".join(map(str, text)) if isinstance(text, list) else str(text)
    else:
        raise ValueError(f"from_name: unknown control {name!r}")


def _embedded_json(text: str, otherwise: Any = None) -> Any:
    """A value written as JSON text inside a cell or field, or `otherwise` when the text is
    not JSON (or nests deeper than the reader allows): the text is then taken as it is."""
    try:
        return pydantic_core.from_json(text)
    except ValueError:
        return otherwise


def _where(source: str, n: int, item: Any) -> str:
    has_id = isinstance(item, dict) and item.get("id") not in (None, "")
    return f"{source}: task {n}" + (f" (id {item.get('id')})" if has_id else "")


CONTROLS = ("source_type", "also_cites", "confidence", "note")
MIN_KEYS = ("annotator", "annotation_id", "created_at", "updated_at", "lead_time", "id")


@dataclass
class _Reading:
    """One export being read: its plan, and what its tasks share (the taxonomy and scale
    values resolve to, the users listing, the documents and labels already checked)."""

    plan: ImportPlan
    taxonomy: Taxonomy
    scale: RatingScale
    users: dict[int, str]
    makers: Makers
    shared: SharedParts = field(default_factory=SharedParts)
    min_rows: int = 0
    annotated: int = 0
    """JSON-MIN rows that are annotations (they name an annotator or an annotation id)."""
    unread: list[tuple[str, set[str]]] = field(default_factory=list)
    """Where the annotations with none of SourceDesk's controls are, and their other keys."""
    data_keys: set[str] = field(default_factory=set)
    """The other keys of annotations with our controls: the tasks' data."""

    def annotation(self, annotation: Any, where: str) -> ImportedLabel | None:
        """One annotation's label. What it is made of (who made it, the skip and final
        flags, and each result's control and value; not a result's own id nor the
        annotation's times, which differ every time) repeats over an export's tasks, and
        is read once."""
        problems = self.plan.problems
        if not isinstance(annotation, dict):
            problems.append(f"{where}: expected an object")
            return None
        results = annotation.get("result", [])
        if not isinstance(results, list):
            problems.append(f"{where}: field result: expected a list")
            return None
        get = annotation.get
        named = get("annotator")  # JSON-MIN's name, when it has one, is the clearest
        if not (isinstance(named, str) and named.strip()):
            named = get("completed_by", named)
        person = self.person(named)
        controls = [
            (r.get("from_name"), r.get("value")) if isinstance(r, dict) else r for r in results
        ]
        raw = (person, get("was_cancelled"), get("ground_truth"), controls)
        return self.shared.read_label(
            raw, problems, self._read_annotation, annotation, person, results, where
        )

    def _read_annotation(
        self, annotation: dict[str, Any], person: str, results: list[Any], where: str
    ) -> ImportedLabel | None:
        problems = self.plan.problems
        fields: dict[str, Any] = {"annotator": person}
        fields["skipped"] = bool(annotation.get("was_cancelled", False))
        fields["final"] = bool(annotation.get("ground_truth", False))
        for i, result in enumerate(results):
            at = f"{where}: field result[{i}]"
            if not isinstance(result, dict):
                problems.append(f"{at}: expected an object")
                continue
            try:
                _set_control(
                    fields, result.get("from_name"), result.get("value"), self.scale, self.taxonomy
                )
            except ValueError as exc:
                problems.append(f"{at}.{exc}")
        try:
            return self.shared.label(fields)
        except ValidationError as exc:
            problems.append(field_problem(where, "", exc))
            return None

    def min_item(self, item: dict[str, Any], where: str) -> None:
        """One JSON-MIN object (or CSV row): the task's data keys, the annotator and one
        value per control (a string for a single choice, `{"choices": [...]}` for
        several)."""
        problems = self.plan.problems
        self.min_rows += 1
        if not isinstance(item.get("text"), str):
            problems.append(f"{where}: field text: missing or not a string")
            return
        annotation = any(item.get(k) not in (None, "") for k in ("annotator", "annotation_id"))
        if ("label" in item or "labels" in item) and not annotation:
            problems.append(f"{where}: a doccano example (`label`, no `data`): use --kind doccano")
            return
        labels = []
        controls = {k: v for k, v in item.items() if k in CONTROLS and v not in (None, "")}
        if annotation:
            self.annotated += 1
            given = {k for k, v in item.items() if v not in (None, "")}
            others = given - {"text", "meta", *MIN_KEYS, *CONTROLS}
            if controls:
                self.data_keys |= others
            else:
                self.unread.append((where, others))
        if controls:
            fields: dict[str, Any] = {"annotator": self.person(item.get("annotator"))}
            for name, value in controls.items():
                if isinstance(value, str) and value.startswith("{"):
                    value = _embedded_json(value, value)
                if name == "note" and isinstance(value, str):
                    value = {"text": [value]}
                try:
                    _set_control(fields, name, value, self.scale, self.taxonomy)
                except ValueError as exc:
                    problems.append(f"{where}: field {name}.{exc}")
            try:
                labels.append(self.shared.label(fields))
            except ValidationError as exc:
                problems.append(field_problem(where, "", exc))
        data = {k: v for k, v in item.items() if k not in CONTROLS and k not in MIN_KEYS}
        self.statement(where, data, labels)

    def person(self, who: Any) -> str:
        """Who made a label, from `completed_by` or `annotator` (`annotator_name`), else
        `--user` (`Makers`)."""
        return self.makers.name(annotator_name(who, self.users), True)

    def finish(self) -> ImportPlan:
        """The file's problems: labels that name no one, and JSON-MIN annotations with none
        of our controls. JSON-MIN names a control only by its key, like the task's data:
        such an annotation comes from another labelling config, and would import as a
        statement without its label."""
        plan = self.plan
        key = "annotator" if self.min_rows else "completed_by"
        plan.problems += self.makers.problem(plan.source, "annotation", key)
        # An annotation submitted with nothing chosen has no key but the task's data; one
        # with a key no annotation of ours has is another config's.
        foreign = [(where, keys - self.data_keys) for where, keys in self.unread]
        foreign = [(where, keys) for where, keys in foreign if keys]
        if foreign:
            others = ", ".join(sorted(set().union(*(keys for _, keys in foreign))))
            plan.problems.append(
                f"{plan.source}: {len(foreign)} of {self.annotated} annotation(s) carry "
                f"none of SourceDesk's controls ({', '.join(CONTROLS)}), the first at "
                f"{foreign[0][0].removeprefix(plan.source + ': ')}; their other keys: "
                f"{others}: name the labelling config's controls as SourceDesk's, or export "
                "Label Studio's JSON"
            )
        return plan

    def statement(self, where: str, data: dict[str, Any], labels: list[ImportedLabel]) -> None:
        meta = data.get("meta")
        if isinstance(meta, str):  # CSV and JSON-MIN carry it as JSON text
            meta = _embedded_json(meta)
        meta = meta if isinstance(meta, dict) else {}
        try:
            statement = ImportedStatement(
                where=where,
                text=data["text"],
                statement_id=meta.get("statement_id"),
                document=self._document(meta, where),
                position=meta.get("position"),
                start=meta.get("start"),
                end=meta.get("end"),
                labels=labels,
            )
        except ValidationError as exc:
            self.plan.problems.append(field_problem(where, "data.meta", exc))
            return
        self.plan.statements.append(statement)

    def _document(self, meta: dict[str, Any], where: str) -> ImportedDocument | None:
        doc = meta.get("document")
        if doc is None:
            return None
        try:
            return self.shared.document(doc)
        except ValidationError as exc:
            self.plan.problems.append(field_problem(where, "data.meta.document", exc))
            return None


def parse_labelstudio(
    text: str | bytes,
    taxonomy: Taxonomy,
    scale: RatingScale,
    *,
    source: str = "labelstudio.json",
    users: dict[int, str] | None = None,
    default_user: str | None = None,
) -> ImportPlan:
    """Read a Label Studio JSON or JSON-MIN export (text, or bytes from `json_text`) into an
    import plan."""
    plan = ImportPlan(source=source)
    reading = _Reading(plan, taxonomy, scale, users or {}, Makers(default_user))
    try:
        tasks = pydantic_core.from_json(text)
    except ValueError as exc:  # "... at line L column C"
        plan.problems.append(f"{source}: not valid JSON ({json_reason(exc)})")
        return plan
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        plan.problems.append(f"{source}: expected a list of tasks")
        return plan
    for n, item in enumerate(tasks, start=1):
        where = _where(source, n, item)
        if not isinstance(item, dict):
            plan.problems.append(f"{where}: expected an object")
            continue
        if "data" not in item and "text" in item:
            reading.min_item(item, where)
            continue
        data = item.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            plan.problems.append(f"{where}: field data.text: missing or not a string")
            continue
        key = "annotations" if "annotations" in item else "completions"
        labels = []
        for k, annotation in enumerate(item.get(key) or []):
            at = f"{where}: {key}[{k}]"
            label = reading.annotation(annotation, at)
            if label is not None:
                labels.append(label)
        reading.statement(where, data, labels)
    return reading.finish()


def parse_labelstudio_csv(
    text: str,
    taxonomy: Taxonomy,
    scale: RatingScale,
    *,
    source: str = "labelstudio.csv",
    users: dict[int, str] | None = None,
    default_user: str | None = None,
) -> ImportPlan:
    """Read a Label Studio CSV export (JSON-MIN as a table) into an import plan."""
    plan = ImportPlan(source=source)
    reading = _Reading(plan, taxonomy, scale, users or {}, Makers(default_user))
    for number, row in csv_records(text)[1]:
        item: dict[str, Any] = {k: v for k, v in row.items() if k is not None}
        for key in ("annotator",):
            value = item.get(key)
            if isinstance(value, str) and value.strip().isdigit():
                item[key] = int(value)
        reading.min_item(item, f"{source}: line {number}")
    return reading.finish()
