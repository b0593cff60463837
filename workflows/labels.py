"""Saving a label: the completeness rules, the statement-identity check, and no empty
revisions. The Annotate page, imports and bulk loads all save through here.

A label is complete when it is skipped (no answer) or names an offered source type and a
level of every scale of the project's preset. It names the version of the statement text
the annotator saw; if an editor merged or split the statement since (same id, other
text), nothing is saved. A save that changes none of the answer's fields adds no revision.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from typing import Any

from annotate.core.errors import USER_ERRORS, SourceDeskError, one_line
from annotate.core.models import (
    LABEL_CONTENT_FIELDS,
    RULES_SUGGESTION,
    Annotation,
    AnnotationInput,
    Document,
    Statement,
    other_cites,
    text_version,
)
from annotate.core.taxonomy import ScalePreset, Taxonomy, scale_preset
from annotate.suggest.suggestion import Suggestion
from storage import annotations as store
from storage.connection import Database
from storage.documents import get_document, get_statement, statement_context
from storage.errors import ConflictError, NotFoundError
from storage.project import get_project
from storage.transactions import write
from workflows.suggest import suggest_for_statements

__all__ = [
    "DocumentHeader",
    "IncompleteLabelError",
    "LabelSubmission",
    "LabellingView",
    "QueueItem",
    "SaveOutcome",
    "SavedLabel",
    "ShownSuggestions",
    "StatementChangedError",
    "SuggestionView",
    "complete_label",
    "labelling_view",
    "median_seconds_per_label",
    "save_label",
    "save_labels",
]

log = logging.getLogger(__name__)


class IncompleteLabelError(SourceDeskError):
    """A label that misses an answer or names one the project does not offer."""


class StatementChangedError(SourceDeskError):
    """The statement's text is not the text the annotator labelled (merged, split, removed)."""


@dataclass(frozen=True)
class SavedLabel:
    annotation: Annotation
    changed: bool  # False: the label already said this, no revision was added


def _made_on(value: AnnotationInput, taxonomy: Taxonomy, preset: ScalePreset) -> dict[str, str]:
    """What every saved label records of its making: the taxonomy and scale versions, and
    the free-text fields without surrounding blanks."""
    return {
        "taxonomy_version": taxonomy.version,
        "scale_preset": preset.key,
        "scale_version": preset.version,
        "who": value.who.strip(),
        "cue": value.cue.strip(),
        "note": value.note.strip(),
    }


def complete_label(
    value: AnnotationInput, taxonomy: Taxonomy, preset: ScalePreset
) -> AnnotationInput:
    """`value` with the project's rules applied, or IncompleteLabelError naming the field.

    Pure: no database, so an import can check every row before writing any.
    """
    where = f"statement {value.statement_id}"
    if value.skipped:
        return value.model_copy(
            update={
                **_made_on(value, taxonomy, preset),
                "source_type": None,
                "also_cites": [],
                "confidence": None,
                "extra_ratings": {},
            }
        )
    if value.source_type is None:
        raise IncompleteLabelError(f"{where}: source_type: choose a source type")
    source = taxonomy.get(value.source_type)
    if source is None:
        raise IncompleteLabelError(
            f"{where}: source_type: {value.source_type!r} is not in taxonomy {taxonomy.version}"
        )
    unknown = [k for k in value.also_cites if taxonomy.get(k) is None]
    if unknown:
        raise IncompleteLabelError(f"{where}: also_cites: unknown type(s) {', '.join(unknown)}")
    primary, extras = preset.scales[0], preset.scales[1:]
    if value.confidence is None:
        raise IncompleteLabelError(f"{where}: confidence: choose a level of {primary.name_en}")
    if primary.level(value.confidence) is None:
        raise IncompleteLabelError(
            f"{where}: confidence: {value.confidence} is not a level of {primary.name_en}"
        )
    extra: dict[str, int] = {}
    for scale in extras:
        level = value.extra_ratings.get(scale.key)
        if level is None:
            raise IncompleteLabelError(f"{where}: {scale.key}: choose a level of {scale.name_en}")
        if scale.level(level) is None:
            raise IncompleteLabelError(
                f"{where}: {scale.key}: {level} is not a level of {scale.name_en}"
            )
        extra[scale.key] = level
    stray = sorted(set(value.extra_ratings) - set(extra))
    if stray:
        raise IncompleteLabelError(
            f"{where}: extra_ratings: no scale {', '.join(stray)} in {preset.name}"
        )
    return value.model_copy(
        update={
            **_made_on(value, taxonomy, preset),
            "also_cites": other_cites(value.source_type, value.also_cites),
            "extra_ratings": extra,
        }
    )


def _same_answer(current: Annotation, value: AnnotationInput) -> bool:
    return all(getattr(current, name) == getattr(value, name) for name in LABEL_CONTENT_FIELDS)


def save_label(
    db: Database, value: AnnotationInput, *, expected_revision: int | None = None
) -> SavedLabel:
    """Check and save one label; see the module docstring for the rules.

    `value.text_version` is the version of the statement text the annotator saw ('' when
    unknown, e.g. an import: then the current text is taken). `expected_revision` (0 for
    "no label yet") refuses the save with ConflictError if the label changed since.
    """
    project = get_project(db)
    taxonomy = Taxonomy.from_json(project.taxonomy_json)
    value = complete_label(value, taxonomy, scale_preset(project.scale_preset))
    with write(db):
        try:
            statement = get_statement(db, value.statement_id)
        except NotFoundError:
            raise StatementChangedError(
                f"statement {value.statement_id} changed: it was merged or removed since it was "
                "shown; nothing was saved"
            ) from None
        now = text_version(statement.text)
        if value.text_version and value.text_version != now:
            raise StatementChangedError(
                f"statement {value.statement_id} changed: an editor merged or split it since it "
                "was shown; nothing was saved, read it again"
            )
        value = value.model_copy(update={"text_version": now})
        current = store.current_annotation(db, value.statement_id, value.annotator_id)
        if current is not None and _same_answer(current, value):
            return SavedLabel(current, changed=False)  # also when another tab saved the same
        saved = store.save_annotation(db, value, expected_revision=expected_revision)
    return SavedLabel(saved, changed=True)


def median_seconds_per_label(db: Database) -> dict[str, float]:
    """Median seconds from display to save of each annotator's labels, by annotator name
    (for the Agreement page's per-annotator table; annotators without timings are absent)."""
    return {name: statistics.median(times) for name, times in store.lead_times(db).items()}


# --- the annotator's queue, as the labelling widget needs it -----------------------------


@dataclass(frozen=True)
class SuggestionView:
    """What the cue detector suggests; stored apart from the annotator's answer."""

    type: str | None
    who: str
    cue: str
    spans: list[tuple[int, int, str]]  # (start, end, what) in the statement text
    model_version: str = ""  # the project's adapted model, "" for the rules alone


@dataclass(frozen=True)
class DocumentHeader:
    id: int
    title: str
    outlet: str
    published: str
    language: str


@dataclass(frozen=True)
class QueueItem:
    statement: Statement
    version: str
    document: DocumentHeader
    before: list[Statement]
    after: list[Statement]
    suggestion: SuggestionView | None
    label: Annotation | None = None  # my current label (recent labels only)


@dataclass(frozen=True)
class LabellingView:
    taxonomy: Taxonomy
    preset: ScalePreset
    require_enter: bool
    queue: list[QueueItem]  # the next statements of my queue, in order
    recent: list[QueueItem]  # my latest labels, newest first
    mine: int  # my labels: a count no one else moves
    left: int  # statements left in my queue
    suggestions_enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


ShownSuggestions = dict[int, tuple[str, "SuggestionView | None"]]
"""What the Annotate page showed, per statement id: (text version, suggestion or None)."""


def _view(s: Suggestion) -> SuggestionView:
    spans = [(c.start, c.end, c.kind.replace("_", " ")) for c in s.cues]
    if s.source_span is not None:
        spans.append((s.source_span.start, s.source_span.end, "source"))
    return SuggestionView(
        type=s.suggested_type,
        who=s.who,
        cue=s.cue_text,
        spans=spans,
        model_version=s.model_version or "",
    )


def suggestions_for(
    db: Database, statements: list[Statement], *, retrain: bool = False
) -> dict[int, SuggestionView | None]:
    """The project's suggestions per statement id (read in document context and adapted by
    the project's model, `workflows.suggest`); None where there is none. `retrain` lets the
    model retrain first when enough new labels arrived."""
    if not statements:
        return {}
    try:
        found = suggest_for_statements(db, statements, retrain=retrain)
    except Exception:  # a suggester failure must never block annotation
        log.exception("suggestions failed; labelling goes on without them")
        return {}
    return {s.id: (_view(found[s.id]) if s.id in found else None) for s in statements if s.id}


def _header(doc: Document) -> DocumentHeader:
    published = ""
    if doc.published:
        fmt = {"year": "%Y", "month": "%Y-%m"}.get(doc.published_precision or "", "%Y-%m-%d")
        published = doc.published.strftime(fmt)
    return DocumentHeader(
        id=doc.id or 0,
        title=doc.title or doc.source_name or f"Document {doc.id}",
        outlet=doc.outlet,
        published=published,
        language=doc.language,
    )


def _items(
    db: Database,
    statements: list[Statement],
    suggestions: dict[int, SuggestionView | None],
    labels: dict[int, Annotation] | None = None,
) -> list[QueueItem]:
    headers: dict[int, DocumentHeader] = {}
    for s in statements:
        if s.document_id not in headers:
            headers[s.document_id] = _header(get_document(db, s.document_id))
    items = []
    for s in statements:
        before, after = statement_context(db, s)
        sid = s.id or 0
        items.append(
            QueueItem(
                statement=s,
                version=text_version(s.text),
                document=headers[s.document_id],
                before=before,
                after=after,
                suggestion=suggestions.get(sid),
                label=(labels or {}).get(sid),
            )
        )
    return items


def _known(shown: ShownSuggestions, s: Statement) -> bool:
    return s.id in shown and shown[s.id][0] == text_version(s.text)


def labelling_view(
    db: Database,
    annotator_id: int,
    *,
    ahead: int = 12,
    recent: int = 20,
    shown: ShownSuggestions | None = None,
) -> LabellingView:
    """The next `ahead` statements of the annotator's queue with their context and
    suggestions, their latest labels, and their own progress (nothing about anyone else).

    `shown` holds the suggestions already shown on this page: a statement keeps the
    suggestion it was shown with (and costs nothing) until its text changes; only new
    statements are read by the suggester. My recent labels show the suggestion they were
    made with, when this page showed it.
    """
    project = get_project(db)
    shown = shown if shown is not None else {}
    queue = store.next_statements(db, annotator_id, ahead)
    mine = store.my_recent(db, annotator_id, limit=recent)
    suggestions: dict[int, SuggestionView | None] = {}
    if project.suggestions_enabled:
        new = [s for s in queue if not _known(shown, s)]
        suggestions = suggestions_for(db, new, retrain=bool(new))
        for s in [*queue, *(s for s, _ in mine)]:
            if s.id is not None and s.id not in suggestions and _known(shown, s):
                suggestions[s.id] = shown[s.id][1]
    return LabellingView(
        taxonomy=Taxonomy.from_json(project.taxonomy_json),
        preset=scale_preset(project.scale_preset),
        require_enter=store.require_enter(db),
        queue=_items(db, queue, suggestions),
        recent=_items(
            db,
            [s for s, _ in mine],
            suggestions,
            {a.statement_id: a for _, a in mine},
        ),
        mine=store.my_label_count(db, annotator_id),
        left=store.queue_size(db, annotator_id),
        suggestions_enabled=project.suggestions_enabled,
    )


# --- labels from the labelling widget ---------------------------------------------------


@dataclass(frozen=True)
class LabelSubmission:
    """One finished label as the annotator made it (keys, timing, the text version seen)."""

    statement_id: int
    text_version: str
    source_type: str | None = None
    confidence: int | None = None
    extra_ratings: dict[str, int] = field(default_factory=dict)
    also_cites: list[str] = field(default_factory=list)
    who: str = ""
    cue: str = ""
    note: str = ""
    unsure: bool = False
    flagged: bool = False
    skipped: bool = False
    lead_time_seconds: float | None = None
    keys: list[str] = field(default_factory=list)
    expected_revision: int | None = 0  # 0: a first label; None: no check


@dataclass(frozen=True)
class SaveOutcome:
    statement_id: int
    ok: bool
    message: str = ""
    revision: int | None = None
    changed: bool = False


def save_labels(
    db: Database,
    annotator_id: int,
    submissions: list[LabelSubmission],
    shown: ShownSuggestions | None = None,
) -> list[SaveOutcome]:
    """Save each label on its own statement (in order); one refused label does not stop the
    others. The suggestion recorded with a label is the one shown for that statement text
    (`shown`, from `labelling_view`; read again if unknown), never the annotator's answer,
    with the version of the model (or the rules) that made it."""
    project = get_project(db)
    shown = shown if shown is not None else {}
    outcomes: list[SaveOutcome] = []
    for sub in submissions:
        suggestion: SuggestionView | None = None
        if project.suggestions_enabled:
            if sub.statement_id in shown and shown[sub.statement_id][0] == sub.text_version:
                suggestion = shown[sub.statement_id][1]
            else:
                try:
                    statement = get_statement(db, sub.statement_id)
                except NotFoundError:
                    statement = None
                if statement is not None and text_version(statement.text) == sub.text_version:
                    suggestion = suggestions_for(db, [statement]).get(sub.statement_id)
        try:
            value = AnnotationInput(
                statement_id=sub.statement_id,
                annotator_id=annotator_id,
                source_type=sub.source_type,
                also_cites=sub.also_cites,
                confidence=sub.confidence,
                extra_ratings=sub.extra_ratings,
                who=sub.who,
                cue=sub.cue,
                note=sub.note,
                skipped=sub.skipped,
                unsure=sub.unsure,
                flagged=sub.flagged,
                suggestion_shown=suggestion is not None,
                suggested_type=suggestion.type if suggestion else None,
                suggested_who=suggestion.who if suggestion else "",
                suggested_cue=suggestion.cue if suggestion else "",
                suggestion_version=_suggester(suggestion),
                text_version=sub.text_version,
                lead_time_seconds=sub.lead_time_seconds,
                keys=sub.keys,
            )
            saved = save_label(db, value, expected_revision=sub.expected_revision)
        except USER_ERRORS as exc:
            outcomes.append(SaveOutcome(sub.statement_id, ok=False, message=_refusal(sub, exc)))
            continue
        outcomes.append(
            SaveOutcome(
                sub.statement_id,
                ok=True,
                revision=saved.annotation.revision,
                changed=saved.changed,
            )
        )
    return outcomes


def _suggester(suggestion: SuggestionView | None) -> str:
    """The version of what made the suggestion shown, stored with the label so that a
    label made with one model's suggestion is never taken for one made with another's."""
    if suggestion is None:
        return ""
    return suggestion.model_version or RULES_SUGGESTION


def _refusal(sub: LabelSubmission, exc: BaseException) -> str:
    if isinstance(exc, ConflictError):
        return (
            f"Statement {sub.statement_id}: not saved, your label there was changed in another "
            f"tab or device ({one_line(exc)})"
        )
    if isinstance(exc, StatementChangedError):
        return f"This statement changed: {one_line(exc)}"
    return f"Not saved: {one_line(exc)}"
