"""Labels coming in from other tools: the shape both importers produce, and its checks.

Label Studio and doccano files are parsed into an `ImportPlan` (statements, their
document when known, and labels by named users). Every problem is collected with the
task or line and the field it concerns; storage writes nothing unless there are none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import marshal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from annotate.core.errors import SourceDeskError
from annotate.core.models import DatePrecision, other_cites
from annotate.core.taxonomy import RatingScale, Taxonomy
from annotate.documents import (
    STATEMENT_SEPARATOR,
    ParsedDocument,
    ParsedStatement,
    content_hash,
)


class LabelImportError(SourceDeskError):
    """An import file with problems; `problems` lists each one (task/line and field)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s), nothing imported:\n{shown}{more}")


class ImportedLabel(BaseModel):
    """One person's label as read from a file; the limits are those of a saved label.

    Frozen: identical lines of a file (one person, the same labels) share one checked
    label, and resolving it through a mapping makes a new one."""

    model_config = ConfigDict(frozen=True)

    annotator: str = Field(min_length=1, max_length=80)
    source_type: str | None = Field(default=None, max_length=64)
    also_cites: list[str] = Field(default_factory=list)
    confidence: int | None = Field(default=None, ge=0, le=100)
    note: str = Field(default="", max_length=5000)
    skipped: bool = False
    suggested_type: str | None = None
    final: bool = False
    """The editor's final label (Label Studio `ground_truth`): imported as the statement's
    adjudication, not as an annotator's label."""

    @field_validator("also_cites")
    @classmethod
    def _cites_with_a_source(cls, cites: list[str], info: ValidationInfo) -> list[str]:
        """A statement that also cites sources comes from one of its own."""
        if cites and not info.data.get("source_type"):
            raise ValueError(
                f"cites {', '.join(cites)} but names no source type: add the one the "
                "statement comes from"
            )
        return cites

    @model_validator(mode="before")
    @classmethod
    def _cites_besides_the_source(cls, data: Any) -> Any:
        """As a saved label: each cited source once, and not the statement's own."""
        cites = data.get("also_cites") if isinstance(data, dict) else None
        if isinstance(cites, list) and all(isinstance(k, str) for k in cites):
            data = {**data, "also_cites": other_cites(data.get("source_type"), cites)}
        return data


class ImportedDocument(BaseModel):
    ref: str = ""
    title: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    published_precision: DatePrecision | None = None
    """How much of `published` is known; files without it give a date to the day."""
    language: str = "und"


_LARGEST_ID = 2**63 - 1  # SQLite's largest integer: a larger id or offset is a problem, not a crash


class ImportedStatement(BaseModel):
    where: str
    """Where the statement is in the file, for messages ("task 3", "line 12")."""
    text: str
    statement_id: int | None = Field(default=None, ge=0, le=_LARGEST_ID)
    document: ImportedDocument | None = None
    position: int | None = Field(default=None, ge=0, le=_LARGEST_ID)
    start: int | None = Field(default=None, ge=0, le=_LARGEST_ID)
    end: int | None = Field(default=None, ge=0, le=_LARGEST_ID)
    labels: list[ImportedLabel] = Field(default_factory=list)


class ImportPlan(BaseModel):
    source: str
    statements: list[ImportedStatement] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    skipped_labels: int = 0
    """Labels left out because their source type is outside the taxonomy (`--unmapped skip`)."""

    @property
    def label_count(self) -> int:
        return sum(len(s.labels) for s in self.statements)


def csv_delimiter(text: str) -> str:
    """The separator of a CSV export, from its header row: a comma (RFC 4180, as Label
    Studio and doccano write it), else the tab of a TSV or the semicolon of a spreadsheet's
    export. Guessing the dialect from the cells (`csv.Sniffer`) takes quotes inside texts
    for the quote character and splits records in the wrong places."""
    header = text.split("\n", 1)[0]
    if "," in header or not ("\t" in header or ";" in header):
        return ","
    return "\t" if header.count("\t") >= header.count(";") else ";"


def csv_records(text: str) -> tuple[list[str], Iterator[tuple[int, dict[str | None, Any]]]]:
    """A CSV export's column names, and its records (as `csv.DictReader` gives them: extra
    cells listed under None, missing ones None) with the line each starts on: a text may
    hold line breaks, and blank lines are no record, so records and lines differ."""
    reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(text))
    names = next(reader, [])

    def records() -> Iterator[tuple[int, dict[str | None, Any]]]:
        start = reader.line_num + 1
        for cells in reader:
            if cells:
                record: dict[str | None, Any] = dict(zip(names, cells, strict=False))
                if len(cells) > len(names):
                    record[None] = cells[len(names) :]
                for name in names[len(cells) :]:
                    record[name] = None
                yield start, record
            start = reader.line_num + 1

    return names, records()


def json_reason(exc: ValueError) -> str:
    """Why pydantic-core refused a JSON text, in this tool's words ("nested too deeply",
    not its recursion limit), with the line and column it gives."""
    return str(exc).replace("recursion limit exceeded", "nested too deeply")


def typed_key(value: Any) -> bytes:
    """A key that tells apart values Python's equality joins (0 and false, 1 and 1.0, "1"
    and 1): the value serialised with its types by `marshal`, in C. Version 2 writes no
    back-references, so equal values (of the types JSON gives: text, numbers, booleans,
    null, lists and objects of them) give equal bytes; objects whose keys come in another
    order give other bytes, and are only read twice."""
    return marshal.dumps(value, 2)


@dataclass
class Makers:
    """Who made a file's labels. Every label is credited to the person the file names, or,
    where it names no one (doccano's per-user exports, hand-made files), to `default`
    (`--user`). Without a default such labels are not credited to anyone made up: they
    are counted, and the count is one problem of the file."""

    default: str | None = None
    unnamed: int = 0

    def name(self, named: str | None, labelled: bool) -> str:
        if named:
            return named
        if self.default is None:
            self.unnamed += 1 if labelled else 0
            return "unnamed"
        return self.default

    def problem(self, source: str, unit: str, key: str) -> list[str]:
        """The file's problem when labels name no one, naming the key that would."""
        if not self.unnamed:
            return []
        return [
            f"{source}: {self.unnamed} {unit}(s) name no annotator (no `{key}`): say who "
            "made these labels with --user NAME"
        ]


class SharedParts:
    """What the statements of one file have in common, kept while the file is read: lines
    or tasks that name the same document, or give one person the same label, share one
    checked (frozen) object instead of checking it again."""

    def __init__(self) -> None:
        self._documents: dict[bytes, ImportedDocument] = {}
        self._labels: dict[bytes, ImportedLabel] = {}
        self._read: dict[bytes, ImportedLabel | None] = {}

    def document(self, value: Any) -> ImportedDocument:
        """The checked document (raises ValidationError), found by its `typed_key`."""
        key = typed_key(value)
        found = self._documents.get(key)
        if found is None:
            found = self._documents[key] = ImportedDocument.model_validate(value)
        return found

    def label(self, fields: dict[str, Any]) -> ImportedLabel:
        """The checked label of the fields a parser built (raises ValidationError)."""
        key = typed_key(fields)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = ImportedLabel(**fields)
        return found

    def read_label(
        self,
        raw: Any,
        problems: list[str],
        read: Callable[..., ImportedLabel | None],
        *args: Any,
    ) -> ImportedLabel | None:
        """The label `read(*args)` makes of raw values (a doccano line's person and label list, a
        Label Studio annotation's person, flags and controls), kept by their `typed_key`
        when reading them listed no problem: a file repeats a few such values over all its
        lines or tasks, and those are not read again. A reading with a problem is not
        kept, so each line or task that repeats it lists the problem."""
        key = typed_key(raw)
        found = self._read.get(key, _UNREAD)
        if found is not _UNREAD:
            return found
        before = len(problems)
        label = read(*args)
        if len(problems) == before:
            self._read[key] = label
        return label


_UNREAD: Any = object()  # raw values not read yet (a reading that gave no label keeps None)


class LabelMapping(BaseModel):
    """How labels of another tool's taxonomy become ours: `mapping` THEIRS -> OURS, and what
    to do with a label that is neither ours nor mapped (`error` lists them all and imports
    nothing; `skip` leaves those labels out)."""

    mapping: dict[str, str] = Field(default_factory=dict)
    unmapped: Literal["error", "skip"] = "error"


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`THEIRS=OURS` pairs (from `--map`) as a dict; raises SourceDeskError on a bad pair."""
    out: dict[str, str] = {}
    for pair in pairs:
        theirs, sep, ours = pair.partition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise LabelImportError([f"--map {pair!r}: expected THEIRS=OURS"])
        out[theirs.strip()] = ours.strip()
    return out


def apply_mapping(plan: ImportPlan, taxonomy: Taxonomy, labels: LabelMapping) -> None:
    """Resolve every label value to a taxonomy key through the mapping; unknown values are
    listed in `plan.problems` (or, with `unmapped="skip"`, their labels are left out)."""
    folded = {k.casefold(): v for k, v in labels.mapping.items()}
    for theirs, ours in labels.mapping.items():
        if label_key(ours, taxonomy) is None:
            plan.problems.append(f"--map {theirs}={ours}: {ours!r} is not a source type here")

    keys: dict[str, str | None] = {}

    def resolve(value: str) -> str | None:
        if value not in keys:
            target = labels.mapping.get(value, folded.get(value.casefold(), value))
            keys[value] = label_key(target, taxonomy)
        return keys[value]

    def resolved(label: ImportedLabel) -> tuple[ImportedLabel, list[tuple[str, str]]]:
        """The label with taxonomy keys, and its values that resolve to none."""
        unknown: list[tuple[str, str]] = []
        changes: dict[str, Any] = {}
        if label.source_type is not None:
            key = resolve(label.source_type)
            if key is None:
                unknown.append(("source_type", label.source_type))
            elif key != label.source_type:
                changes["source_type"] = key
        cites = []
        for value in label.also_cites:
            key = resolve(value)
            if key is None:
                unknown.append(("also_cites", value))
            else:
                cites.append(key)
        if label.suggested_type is not None:
            suggested = resolve(label.suggested_type)
            if suggested != label.suggested_type:
                changes["suggested_type"] = suggested
        # Mapped, a cited source may now be the statement's own source type.
        others = other_cites(changes.get("source_type", label.source_type), cites)
        if not unknown and others != label.also_cites:
            changes["also_cites"] = others
        return (label.model_copy(update=changes) if changes else label), unknown

    # Labels are frozen and identical lines share one: each is resolved once (the table
    # holds every label it has seen, so no id is reused while it runs).
    seen: dict[int, tuple[ImportedLabel, ImportedLabel, list[tuple[str, str]]]] = {}
    for item in plan.statements:
        kept: list[ImportedLabel] = []
        changed = False
        for label in item.labels:
            found = seen.get(id(label))
            if found is None:
                found = seen[id(label)] = (label, *resolved(label))
            _, new, unknown = found
            if unknown and labels.unmapped == "skip":
                plan.skipped_labels += 1
                changed = True
                continue
            for field, value in unknown:
                plan.problems.append(
                    f"{item.where}: field {field}: unknown label {value!r} (by "
                    f"{label.annotator}); map it with --map {value}=OURS or use --unmapped skip"
                )
            kept.append(new)
            changed = changed or new is not label
        if changed:  # most statements keep their labels: no model assignment for them
            item.labels = kept


_INDEXES: dict[int, tuple[Taxonomy, dict[str, str]]] = {}


def _index(taxonomy: Taxonomy) -> dict[str, str]:
    """{key or folded name: key}, built once per taxonomy object (imports ask millions of
    times)."""
    cached = _INDEXES.get(id(taxonomy))
    if cached is not None and cached[0] is taxonomy:
        return cached[1]
    index: dict[str, str] = {}
    for t in reversed(taxonomy.types):
        index[t.name_fr.casefold()] = t.key
        index[t.name_en.casefold()] = t.key
        index[t.key] = t.key
    if len(_INDEXES) > 32:
        _INDEXES.clear()
    _INDEXES[id(taxonomy)] = (taxonomy, index)
    return index


def label_key(value: str, taxonomy: Taxonomy) -> str | None:
    """A taxonomy key from a key or a label name (English or French, any case)."""
    index = _index(taxonomy)
    return index.get(value) or index.get(value.strip().casefold())


_LEVELS: dict[int, tuple[RatingScale, dict[str, int]]] = {}


def confidence_value(value: str | int, scale: RatingScale) -> int | None:
    """A scale value from its code ("4", "B", "M"), its integer value or its English label."""
    cached = _LEVELS.get(id(scale))
    if cached is None or cached[0] is not scale:
        index: dict[str, int] = {}
        for level in reversed(scale.levels):
            index[level.label_en.casefold()] = level.value
            index[str(level.value)] = level.value
            index[level.code] = level.value
        if len(_LEVELS) > 32:
            _LEVELS.clear()
        cached = _LEVELS[id(scale)] = (scale, index)
    text = str(value).strip()
    found = cached[1].get(text)
    return found if found is not None else cached[1].get(text.casefold())


def check_plan(plan: ImportPlan) -> list[str]:
    """Problems with statements: empty text, two labels by one person on one statement
    (unknown labels are listed by `apply_mapping`)."""
    problems: list[str] = []
    for item in plan.statements:
        if not item.text:
            problems.append(f"{item.where}: field text: empty statement")
        seen: set[tuple[str, bool]] = set()
        for label in item.labels:
            who = (label.annotator.casefold(), label.final)
            if who in seen:
                problems.append(
                    f"{item.where}: field annotations: two labels by {label.annotator} "
                    "on one statement"
                )
            seen.add(who)
    return problems


def rebuild_document(
    ref: str, items: list[ImportedStatement], source: str
) -> tuple[ParsedDocument | None, list[str]]:
    """A document for statements whose document is not in the database: the statements
    at their offsets with spaces in between (or joined by blank lines if offsets are
    absent). Returns the document (statements in position order) or the problems."""
    doc = items[0].document or ImportedDocument()
    problems: list[str] = []
    if all(i.start is not None and i.end is not None for i in items):
        ordered = sorted(items, key=lambda i: (i.start or 0, i.position or 0))
        parts: list[str] = []
        length = 0
        spans = []
        for item in ordered:
            start, end = item.start or 0, item.end or 0
            if end - start != len(item.text) or start < length:
                problems.append(
                    f"{item.where}: field data.meta.start: offsets {start}-{end} do not fit "
                    "the text or overlap another statement"
                )
                continue
            parts.append(" " * (start - length))
            parts.append(item.text)
            length = end
            spans.append(ParsedStatement(start=start, end=end, text=item.text, kind="statement"))
        text = "".join(parts)
    else:
        pieces: list[str] = []
        spans, offset = [], 0
        for item in items:
            if pieces:
                pieces.append(STATEMENT_SEPARATOR)
                offset += len(STATEMENT_SEPARATOR)
            pieces.append(item.text)
            spans.append(
                ParsedStatement(
                    start=offset, end=offset + len(item.text), text=item.text, kind="statement"
                )
            )
            offset += len(item.text)
        text = "".join(pieces)
    if problems or not text.strip():
        return None, problems or [f"{items[0].where}: field text: empty statement"]
    parsed = ParsedDocument(
        source_name=source,
        title=doc.title,
        outlet=doc.outlet,
        url=doc.url,
        published=doc.published,
        published_precision=(doc.published_precision or "day") if doc.published else None,
        language=doc.language,
        text=text,
        content_hash=content_hash(text),
        external_id=ref,
        statements=spans,
    )
    return parsed, []


def statement_order(items: list[ImportedStatement]) -> list[int]:
    """Indexes of `items` in the order `rebuild_document` lays them out."""
    if all(i.start is not None and i.end is not None for i in items):
        return sorted(
            range(len(items)), key=lambda k: (items[k].start or 0, items[k].position or 0)
        )
    return list(range(len(items)))


def merge_statements(plan: ImportPlan) -> None:
    """One statement per (document, offsets, text): files that repeat a statement once
    per label (Label Studio JSON-MIN and CSV, doccano) give it all its labels again."""
    merged: dict[tuple[object, ...], ImportedStatement] = {}
    out: list[ImportedStatement] = []
    for statement in plan.statements:
        doc = statement.document.ref if statement.document else ""
        key = (statement.text, doc, statement.start, statement.end, statement.statement_id)
        if key in merged:
            merged[key].labels.extend(statement.labels)
        else:
            merged[key] = statement
            out.append(statement)
    plan.statements = out


def statement_meta(statement: dict[str, Any], document_ref: str) -> dict[str, Any]:
    """Where an exported statement comes from, as both exports' `meta` carry it (and both
    imports read it back): its id, position and offsets, and its document."""
    return {
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
            "published_precision": statement["published_precision"],
            "language": statement["language"],
        },
    }
