"""Suggestions for a project's statements: the rules, the document context and the
project's adapted model (trained on its settled labels and retrained as labels arrive)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import storage
from annotate.core.errors import SourceDeskError
from annotate.core.models import Statement
from annotate.suggest.context import MAX_DISTANCE
from annotate.suggest.document import suggest_document, training_examples
from annotate.suggest.model import MIN_LABELS, AdaptedModel, TrainingError, train
from annotate.suggest.suggestion import Suggestion
from storage.suggestion_models import (
    StoredModel,
    database_key,
    document_windows,
    label_revision_mark,
    latest_suggestion_model,
    latest_suggestion_model_version,
    save_suggestion_model,
    statements_by_documents,
    suggestion_model,
    training_label_count,
    training_labels,
)

__all__ = [
    "RETRAIN_EVERY",
    "ModelInfo",
    "NotEnoughLabelsError",
    "current_model",
    "maybe_retrain",
    "store_model",
    "suggest_for_statements",
    "suggest_texts",
    "train_model",
]

# Retrain when this many settled labels arrived since the current model (or, before any
# model, once MIN_LABELS exist).
RETRAIN_EVERY = 50
_REACH = 2 * MAX_DISTANCE


class NotEnoughLabelsError(SourceDeskError):
    """The project has too few settled labels to train a model."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    version: str
    n_labels: int
    alpha: float
    cv_macro_f1: float
    rules_cv_macro_f1: float
    created_at: str


_models: dict[tuple[str, str], AdaptedModel] = {}


def current_model(db: storage.Database) -> AdaptedModel | None:
    """The project's newest model version (parsed once per process and version)."""
    version = latest_suggestion_model_version(db)
    if version is None:
        return None
    key = (database_key(db), version)
    if key not in _models:
        stored = suggestion_model(db, version)
        if stored is None:
            return None
        _models[key] = AdaptedModel.from_json(stored.model_json)
    return _models[key]


def _info(stored: StoredModel) -> ModelInfo:
    return ModelInfo(
        stored.version,
        stored.n_labels,
        stored.alpha,
        stored.cv_macro_f1,
        stored.rules_cv_macro_f1,
        stored.created_at,
    )


def train_model(db: storage.Database) -> ModelInfo:
    """Train a new model version on the project's settled labels (adjudicated, or agreed by
    all their annotators) and store it; on demand."""
    labels = training_labels(db)
    if len(labels) < MIN_LABELS:
        raise NotEnoughLabelsError(
            f"{len(labels)} settled label(s); the suggestion model needs at least {MIN_LABELS}"
        )
    gold = {lab.statement_id: lab.source_type for lab in labels}
    examples = []
    for language, statements in statements_by_documents(
        db, [lab.document_id for lab in labels]
    ).values():
        examples.extend(
            training_examples(
                [s.text for s in statements], language, [gold.get(s.id or -1) for s in statements]
            )
        )
    try:
        model = train(examples)
    except TrainingError as exc:
        raise NotEnoughLabelsError(str(exc)) from None
    return _info(store_model(db, model))


def store_model(db: storage.Database, model: AdaptedModel) -> StoredModel:
    """Keep a trained model as the project's newest version (with the figures that chose
    its blend, so the page can show why it is trusted as much as it is)."""
    return save_suggestion_model(
        db,
        version=model.version,
        n_labels=model.n_labels,
        alpha=model.alpha,
        cv_macro_f1=model.cv_macro_f1,
        rules_cv_macro_f1=model.rules_cv_macro_f1,
        model_json=model.to_json(),
    )


# database file -> (label revision mark, settled labels) at the last count
_counted: dict[str, tuple[int, int]] = {}


def maybe_retrain(db: storage.Database) -> ModelInfo | None:
    """Train a new version when enough new settled labels arrived; None when not needed.

    Cheap on every call: each new settled label needs at least one new label revision, so
    the settled labels are only counted again once enough revisions were added to reach
    the threshold."""
    stored = latest_suggestion_model(db)
    target = MIN_LABELS if stored is None else stored.n_labels + RETRAIN_EVERY
    key, mark = database_key(db), label_revision_mark(db)
    if key in _counted:
        mark_then, count_then = _counted[key]
        if count_then + (mark - mark_then) < target:
            return None
    count = training_label_count(db)
    _counted[key] = (mark, count)
    if count < target:
        return None
    try:
        return train_model(db)
    except NotEnoughLabelsError:
        return None


def suggest_texts(
    db: storage.Database | None, texts: Sequence[str], language: str
) -> list[Suggestion]:
    """Suggestions for the statements of one document given as texts (in order), with the
    project's adapted model when ``db`` has one (used for files outside the project)."""
    model = current_model(db) if db is not None else None
    return suggest_document(texts, language, model)


def suggest_for_statements(
    db: storage.Database, statements: Sequence[Statement], *, retrain: bool = True
) -> dict[int, Suggestion]:
    """Suggestions for stored statements by id: each read with its neighbours of the same
    document, then adapted by the project's model (retrained first when enough new labels
    arrived and ``retrain``). The model version is in each Suggestion."""
    if retrain:
        maybe_retrain(db)
    model = current_model(db)
    wanted = {s.id for s in statements if s.id is not None}
    out: dict[int, Suggestion] = {}
    for language, window in document_windows(db, statements, _REACH).values():
        try:
            suggestions = suggest_document([s.text for s in window], language, model)
        except ValueError:  # no lexicon for this language: no suggestion
            continue
        for s, suggestion in zip(window, suggestions, strict=True):
            if s.id in wanted:
                out[s.id] = suggestion
    # statements not in the live window (a heading asked for directly): read alone
    for s in statements:
        if s.id is not None and s.id not in out and s.kind != "statement":
            language = document_windows(db, [s], 0)[s.document_id][0]
            try:
                out[s.id] = suggest_document([s.text], language, model)[0]
            except ValueError:
                continue
    return out
