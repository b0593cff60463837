"""Importing labels made in other tools (Label Studio, doccano): read, check, write.

`read_plan` turns a file into an import plan whatever its shape; `import_labels` checks the
whole plan (unknown labels, unknown statements, existing labels it would overwrite) and
then writes it in one transaction, in batches: the accounts it needs, then the documents
and statements it adds (grouped by the file's document reference where it has one)
together with their labels, then the labels on statements already stored. Accounts it
creates for people named in the file are inactive annotators without a password: an
administrator decides who may sign in. Every imported revision is marked as imported,
with the file's name. A person's existing label is only replaced with `overwrite`.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypedDict, TypeVar, Unpack

from pydantic import BaseModel, Field, ValidationError

from annotate import interchange
from annotate.core.models import AdjudicationInput, User
from annotate.core.taxonomy import RatingScale, Taxonomy, scale_preset
from annotate.documents import ParsedDocument
from annotate.interchange.labels import csv_records
from storage.adjudications import adjudicate
from storage.bulk import (
    NewLabel,
    add_inactive_users,
    bulk_add_annotations,
    bulk_add_documents,
    bulk_revise_annotations,
)
from storage.connection import Database
from storage.project import get_project, get_taxonomy
from storage.restore import (
    adjudicated_statements,
    documents_by_hash,
    documents_by_ref,
    existing_labels,
    statement_texts,
    statements_of_documents,
    user_ids,
)
from storage.transactions import write

__all__ = ["ImportSummary", "LabelFileKind", "import_labels", "import_labels_file", "read_plan"]

MAX_IMPORT_BYTES = 200_000_000
LabelFileKind = Literal["auto", "labelstudio", "labelstudio-csv", "doccano", "doccano-csv"]
_Text = TypeVar("_Text")


class ImportSummary(BaseModel):
    documents_created: int = 0
    statements_created: int = 0
    statements_matched: int = 0
    labels: int = 0
    labels_replaced: int = 0
    labels_unchanged: int = 0
    """Labels of the file that people already had, as they are (--overwrite): kept as
    they were, with no new revision."""
    final_labels: int = 0
    labels_skipped: int = 0
    """Labels left out because their source type is outside the taxonomy (--unmapped skip)."""
    users_created: list[str] = Field(default_factory=list)
    """Accounts created for people named in the file: inactive until an admin activates them."""


_LABEL_STUDIO_KEYS = frozenset({"data", "annotator", "annotation_id"})
_DOCCANO_KEYS = frozenset({"label", "labels", "annotations"})
"""Keys of the objects of a JSON list: Label Studio's tasks (`data`) and JSON-MIN rows
(`annotator`, `annotation_id`); doccano's examples (`label`, `labels`, or 1.0.x's
`annotations` beside a `text` with no `data`). An object with neither (a task nobody
labelled, an example without labels) says nothing; the next ones may."""
_LEADING_ITEMS = 50


def _leading_items(body: str | bytes) -> Iterator[Any]:
    """The first items of a JSON list, read alone: a prefix of the file is decoded, larger
    each time the first item does not end inside it (so a long first text costs one more
    read and a large file is not parsed twice), then up to `_LEADING_ITEMS` items that end
    inside that prefix."""
    decoder = json.JSONDecoder()
    size = 1 << 16
    while True:
        part = body[:size]
        text = part if isinstance(part, str) else part.decode("utf-8", "replace")
        position = text.find("[") + 1
        found = 0
        try:
            while found < _LEADING_ITEMS:
                while position < len(text) and (text[position].isspace() or text[position] == ","):
                    position += 1
                item, position = decoder.raw_decode(text, position)
                found += 1
                yield item
            return
        except RecursionError:  # nested too deeply: the parser says so
            return
        except ValueError:
            if found or size >= len(body):
                return
            size *= 8


def detect_kind(path: Path, body: str | bytes) -> LabelFileKind:
    """The shape of a labels file, from its name and its content as `interchange.json_text`
    gives it (text when it was UTF-16, its bytes otherwise)."""
    head = body[:4096] if isinstance(body, str) else body[:4096].decode("utf-8", "replace")
    start = head.lstrip()[:200]
    if path.suffix.lower() in (".csv", ".tsv"):
        names = {n.strip().lower() for n in csv_records(head.lstrip())[0]}
        labelstudio = {"annotator", "annotation_id", "source_type"} & names
        return "labelstudio-csv" if labelstudio else "doccano-csv"
    if path.suffix.lower() == ".jsonl" or not start.startswith(("[", "{")):
        return "doccano"
    if start.startswith("["):
        for item in _leading_items(body):
            keys = item.keys() if isinstance(item, dict) else set()
            if _LABEL_STUDIO_KEYS & keys:
                return "labelstudio"
            if _DOCCANO_KEYS & keys:
                return "doccano"  # doccano's JSON export: examples with text and labels
        return "labelstudio"
    # one task, or JSON Lines: a line that starts an object
    lines = "\n{" in body.strip() if isinstance(body, str) else b"\n{" in body.strip()
    return "doccano" if lines else "labelstudio"


def _decoded(path: Path, data: bytes, decode: Callable[[bytes], _Text]) -> _Text:
    """A labels file decoded by `decode` (`interchange.decode` or `json_text`); a file
    that is not UTF-8 (or UTF-16 with its byte-order mark) is a problem of the file."""
    try:
        return decode(data)
    except UnicodeDecodeError as exc:
        raise interchange.LabelImportError(
            [f"{path.name}: not UTF-8 text ({exc.reason} at byte offset {exc.start})"]
        ) from None


def read_plan(
    path: Path,
    taxonomy: Taxonomy,
    scale: RatingScale,
    *,
    kind: LabelFileKind = "auto",
    default_user: str | None = None,
    users_file: Path | None = None,
    labels_file: Path | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> interchange.ImportPlan:
    """An import plan from a Label Studio or doccano file (the shape is recognised from
    the file unless `kind` says). A Label Studio export's users listing
    (`<name>.users.json` beside it) names the people `completed_by` numbers. JSON files go
    to their parsers as bytes (`interchange.json_text`)."""
    path = Path(path)
    data = interchange.read_limited(path, max_bytes)
    body = _decoded(path, data, interchange.json_text)
    if kind == "auto":
        kind = detect_kind(path, body)

    def listing(side: Path) -> str:
        """A users or labels file that goes with the export (JSON, UTF-8)."""
        return interchange.read_limited(side, max_bytes).decode("utf-8")

    if kind in ("labelstudio", "labelstudio-csv"):
        sibling = path.with_name(f"{path.stem}.users.json")
        users_path = users_file or (sibling if sibling.is_file() else None)
        try:
            users = interchange.read_users(listing(users_path)) if users_path else {}
        except ValueError as exc:  # not JSON
            name = users_path.name if users_path else ""
            raise interchange.LabelImportError(
                [f"{name}: not a users listing ({interchange.json_reason(exc)})"]
            ) from None
        if kind == "labelstudio":
            return interchange.parse_labelstudio(
                body, taxonomy, scale, source=path.name, users=users, default_user=default_user
            )
        text = _decoded(path, data, interchange.decode)
        return interchange.parse_labelstudio_csv(
            text, taxonomy, scale, source=path.name, users=users, default_user=default_user
        )
    if kind == "doccano-csv":
        text = _decoded(path, data, interchange.decode)
        return interchange.parse_doccano_csv(
            text, taxonomy, scale, default_user=default_user, source=path.name
        )
    names = None
    if labels_file is not None:
        try:
            names = interchange.read_label_names(listing(labels_file))
        except (json.JSONDecodeError, ValueError, KeyError) as exc:
            raise interchange.LabelImportError(
                [f"{labels_file.name}: not a doccano labels file ({exc})"]
            ) from None
    return interchange.parse_doccano(
        body,
        taxonomy,
        scale,
        default_user=default_user,
        source=path.name,
        label_names=names,
    )


class ReadingOptions(TypedDict, total=False):
    """How `read_plan` reads a file, passed on unchanged by `import_labels_file` (the
    defaults are `read_plan`'s)."""

    kind: LabelFileKind
    default_user: str | None
    users_file: Path | None
    labels_file: Path | None
    max_bytes: int


def import_labels_file(
    db: Database,
    path: Path,
    *,
    mapping: interchange.LabelMapping | None = None,
    with_labels: bool = True,
    overwrite: bool = False,
    **reading: Unpack[ReadingOptions],
) -> ImportSummary:
    """Read a file (`reading`: how, see `read_plan`) and import it (see `import_labels`)."""
    taxonomy = get_taxonomy(db)
    scale = scale_preset(get_project(db).scale_preset).primary
    # An import makes a few objects per label and frees none until it ends: the cyclic
    # garbage collector would rescan them all, again and again, for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        plan = read_plan(path, taxonomy, scale, **reading)
        return import_labels(
            db, plan, mapping=mapping, with_labels=with_labels, overwrite=overwrite
        )
    finally:
        if collecting:
            gc.enable()


def _match_existing(
    item: interchange.ImportedStatement, statements: list[tuple[int, int, int, str]]
) -> int | None:
    if item.start is not None and item.end is not None:
        for sid, start, end, text in statements:
            if (start, end) == (item.start, item.end):
                return sid if text == item.text else None
        return None
    for sid, _, _, text in statements:
        if text == item.text:
            return sid
    return None


def import_labels(
    db: Database,
    plan: interchange.ImportPlan,
    *,
    mapping: interchange.LabelMapping | None = None,
    with_labels: bool = True,
    overwrite: bool = False,
) -> ImportSummary:
    """Add the statements of an import plan (creating their documents when unknown) and,
    with `with_labels`, their labels by the named people; all or nothing."""
    taxonomy = get_taxonomy(db)
    interchange.merge_statements(plan)
    interchange.apply_mapping(plan, taxonomy, mapping or interchange.LabelMapping())
    problems = list(plan.problems) + interchange.check_plan(plan)
    matched: dict[int, int] = {}  # plan index -> statement id
    by_ref: dict[str, list[int]] = {}
    by_id: list[int] = []
    for index, item in enumerate(plan.statements):
        ref = item.document.ref if item.document and item.document.ref else ""
        if ref:
            by_ref.setdefault(ref, []).append(index)
        elif item.statement_id is not None:
            by_id.append(index)
        else:
            by_ref.setdefault(f"\0{index}", []).append(index)  # a document of its own
    known = documents_by_ref(db, [r for r in by_ref if not r.startswith("\0")])
    known_statements = statements_of_documents(db, sorted(set(known.values())))
    for ref, doc_id in known.items():
        for index in by_ref[ref]:
            item = plan.statements[index]
            sid = _match_existing(item, known_statements[doc_id])
            if sid is None:
                problems.append(
                    f"{item.where}: field data.text: unknown statement: document {ref!r} "
                    "has no statement with this text at these offsets"
                )
            else:
                matched[index] = sid
    texts = statement_texts(db, [plan.statements[i].statement_id or 0 for i in by_id])
    for index in by_id:
        item = plan.statements[index]
        sid = item.statement_id or 0
        if texts.get(sid) != item.text:
            problems.append(
                f"{item.where}: field statement_id: unknown statement {sid}"
                + (" (its text differs)" if sid in texts else "")
            )
        else:
            matched[index] = sid
    rebuilt: list[tuple[ParsedDocument, list[int]]] = []
    for ref, indexes in by_ref.items():
        if ref in known:
            continue
        items = [plan.statements[i] for i in indexes]
        parsed, trouble = interchange.rebuild_document(
            "" if ref.startswith("\0") else ref, items, plan.source
        )
        problems += trouble
        if parsed is not None:
            rebuilt.append((parsed, [indexes[k] for k in interchange.statement_order(items)]))
    users = user_ids(db)
    new_users: dict[str, str] = {}
    if with_labels:
        # A file names a few people many times: each name is checked once, and only a name
        # that cannot be an account sends the check back to every label that carries it.
        named = {label.annotator: None for item in plan.statements for label in item.labels}
        refused: set[str] = set()
        for name in named:
            folded = name.casefold()
            if folded in users or folded in new_users:
                continue
            try:
                User(name=name)
            except ValidationError:
                refused.add(name)
                continue
            new_users[folded] = name
        if refused:
            problems += [
                f"{item.where}: field annotator: {label.annotator!r} cannot be an account "
                "name (letters, digits, spaces and . @ + - _ only)"
                for item in plan.statements
                for label in item.labels
                if label.annotator in refused
            ]
    if problems:
        raise interchange.LabelImportError(problems)
    summary = ImportSummary(statements_matched=len(matched), labels_skipped=plan.skipped_labels)
    with write(db):
        records = _Records(plan, matched, get_taxonomy(db).version)
        if with_labels:
            created = add_inactive_users(db, list(new_users.values()))
            records.users = {**users, **{name.casefold(): uid for name, uid in created.items()}}
            summary.users_created = list(created)
        if rebuilt:
            _add_documents(db, records, rebuilt, summary, with_labels=with_labels)
        if with_labels:
            _write_labels(db, records, overwrite, summary)
    return summary


class _Records:
    """The label records of an import, made from the plan as its statements get ids
    (`matched`: plan index -> statement id). Labels of a file share a few read labels:
    each one's record maker is built once."""

    def __init__(self, plan: interchange.ImportPlan, matched: dict[int, int], version: str):
        self.plan, self.matched, self.version = plan, matched, version
        self.users: dict[str, int] = {}
        self.labels: list[tuple[str, NewLabel]] = []
        self.finals: list[tuple[str, AdjudicationInput]] = []
        self.made: set[int] = set()
        self._makers: dict[int, Callable[[int], NewLabel]] = {}

    def make(self, indexes: Iterable[int]) -> None:
        """Add the records of these plan statements' labels."""
        for index in indexes:
            self.made.add(index)
            item = self.plan.statements[index]
            statement_id = self.matched[index]
            for label in item.labels:
                if label.final:
                    final = AdjudicationInput(
                        statement_id=statement_id,
                        editor_id=self.users[label.annotator.casefold()],
                        source_type=label.source_type,
                        also_cites=label.also_cites,
                        confidence=label.confidence,
                        note=label.note,
                        taxonomy_version=self.version,
                    )
                    self.finals.append((item.where, final))
                    continue
                make = self._makers.get(id(label))
                if make is None:
                    # Every value was checked when the file was read (ImportedLabel has the
                    # limits of a saved label, keys are resolved): no second validation.
                    make = self._makers[id(label)] = partial(
                        NewLabel,
                        annotator_id=self.users[label.annotator.casefold()],
                        source_type=None if label.skipped else label.source_type,
                        also_cites=label.also_cites,
                        confidence=label.confidence,
                        note=label.note,
                        skipped=label.skipped,
                        suggested_type=label.suggested_type,
                        taxonomy_version=self.version,
                    )
                self.labels.append((item.where, make(statement_id)))

    def take_labels(self) -> list[NewLabel]:
        """The labels made so far, which their caller stores (final labels stay)."""
        taken, self.labels = self.labels, []
        return [value for _, value in taken]


def _add_documents(
    db: Database,
    records: _Records,
    rebuilt: list[tuple[ParsedDocument, list[int]]],
    summary: ImportSummary,
    *,
    with_labels: bool,
) -> None:
    """Store the documents the file brings (each with the plan indexes of its statements
    in position order) and match their statements. The labels of the statements stored
    here are stored with them (`bulk_add_documents` then writes each statement once,
    with its label count), except on a text the file holds twice: that text is stored
    once, and the labels of both its copies are checked together by `_write_labels`."""
    hashes = [parsed.content_hash for parsed, _ in rebuilt]
    repeated = {content for content, count in Counter(hashes).items() if count > 1}

    def match(ids: list[list[int] | None]) -> None:
        for (_, indexes), stored in zip(rebuilt, ids, strict=True):
            if stored is not None:
                records.matched.update(zip(indexes, stored, strict=True))

    def labels(ids: list[list[int] | None]) -> list[NewLabel]:
        match(ids)
        records.make(
            index
            for (parsed, indexes), stored in zip(rebuilt, ids, strict=True)
            if stored is not None and parsed.content_hash not in repeated
            for index in indexes
        )
        return records.take_labels()

    stored = bulk_add_documents(
        db,
        [parsed for parsed, _ in rebuilt],
        labels=labels if with_labels else None,
        imported_from=records.plan.source,
    )
    if not with_labels:
        match(stored.statement_ids)
    summary.documents_created, summary.statements_created = stored.documents, stored.statements
    summary.labels = stored.labels
    skipped = [i for i, ids in enumerate(stored.statement_ids) if ids is None]
    if not skipped:
        return
    # Documents already stored, or whose text came earlier in the file: a text's first
    # copy in the file is skipped only when it was stored before.
    first = {content: i for i, content in reversed(list(enumerate(hashes)))}
    before = {hashes[i] for i in skipped if stored.statement_ids[first[hashes[i]]] is None}
    doc_ids = documents_by_hash(db, [hashes[i] for i in skipped])
    found = statements_of_documents(db, sorted(set(doc_ids.values())))
    for i in skipped:
        parsed, indexes = rebuilt[i]
        ids = [row[0] for row in found[doc_ids[parsed.content_hash]]]
        if len(ids) != len(indexes):
            raise interchange.LabelImportError(
                [
                    f"{records.plan.source}: document {parsed.external_id or parsed.title!r}: "
                    "its statements do not match an existing document with the same text"
                ]
            )
        if parsed.content_hash in before:
            summary.statements_matched += len(ids)
        records.matched.update(zip(indexes, ids, strict=True))


def _labelled_twice(labels: list[tuple[str, tuple[int, int]]], names: dict[int, str]) -> list[str]:
    """Labels of one person (or two final labels) that land on one stored statement from
    two statements of the file: two documents of the file with one text are stored once.
    Each is (where, (statement, person, or -1 for a final label))."""
    first: dict[tuple[int, int], str] = {}
    problems = []
    for where, key in labels:
        earlier = first.setdefault(key, where)
        if earlier != where:
            person = key[1]
            whose = "a final label" if person == -1 else f"a label by {names.get(person, person)}"
            problems.append(
                f"{where}: field text: the same statement as {earlier} (the file holds its "
                f"document's text twice), which already has {whose}; nothing was imported"
            )
    return problems


def _write_labels(db: Database, records: _Records, overwrite: bool, summary: ImportSummary) -> None:
    """Inside the import's transaction, after the documents: the labels not stored with
    their new statements (new and replaced), then final labels; a conflict without
    `overwrite` aborts the whole import."""
    plan = records.plan
    records.make(i for i in range(len(plan.statements)) if i not in records.made)
    labels, finals = records.labels, records.finals
    names = {uid: name for name, uid in records.users.items()}
    pairs = [(v.statement_id, v.annotator_id) for _, v in labels]
    # Only statements of the file stored as one (a text the file holds twice) can give
    # one person two labels on a stored statement.
    matched = records.matched
    if len(set(matched.values())) < len(matched):
        twice = _labelled_twice(
            [(where, pair) for (where, _), pair in zip(labels, pairs, strict=True)]
            + [(where, (v.statement_id, -1)) for where, v in finals],
            names,
        )
        if twice:
            raise interchange.LabelImportError(twice)
    existing = existing_labels(db, pairs)
    conflicts = [
        f"{where}: field annotations: {names.get(v.annotator_id, v.annotator_id)} already "
        "has a label on this statement; nothing was imported (use --overwrite to replace "
        "existing labels with a new, imported revision)"
        for where, v in labels
        if existing.get((v.statement_id, v.annotator_id)) is False
    ] if existing else []  # fmt: skip
    adjudicated = adjudicated_statements(db, [v.statement_id for _, v in finals])
    conflicts += [
        f"{where}: field ground_truth: the statement already has a final label; nothing was "
        "imported (use --overwrite to replace it)"
        for where, v in finals
        if v.statement_id in adjudicated
    ]
    if conflicts and not overwrite:
        raise interchange.LabelImportError(conflicts)
    fresh = [v for (_, v), pair in zip(labels, pairs, strict=True) if pair not in existing]
    again = [v for (_, v), pair in zip(labels, pairs, strict=True) if pair in existing]
    summary.labels += bulk_add_annotations(db, fresh, imported_from=plan.source)
    summary.labels_replaced = bulk_revise_annotations(db, again, imported_from=plan.source)
    summary.labels_unchanged = len(again) - summary.labels_replaced
    summary.labels += summary.labels_replaced
    for _, value in finals:
        adjudicate(db, value, expected_revision=None)
    summary.final_labels = len(finals)
