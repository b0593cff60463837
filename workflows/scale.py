"""The project's keys and scales keep their meaning.

A taxonomy or scale whose keys collide (with each other or with the Annotate page's own
keys) is refused when saved, naming both uses. A project that has rated labels changes
its scale only with an explicit mapping of old levels to new ones, applied as new
revisions (history keeps the old values); a stored integer is never re-read on another
scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Unpack

from annotate.core.errors import SourceDeskError
from annotate.core.models import AnnotationInput, Project
from annotate.core.taxonomy import ScalePreset, Taxonomy, check_keys, scale_preset
from storage import annotations as store
from storage.connection import Database
from storage.project import SettingsChange, get_project, update_settings, update_taxonomy
from storage.transactions import write

__all__ = [
    "LevelMapping",
    "ScaleChangeError",
    "change_scale",
    "mapping_needed",
    "save_taxonomy",
    "update_project_settings",
]

LevelMapping = dict[str, dict[int, int]]
"""Per scale key of the new preset: old level value → new level value."""


class ScaleChangeError(SourceDeskError):
    """A scale change that would change what stored labels mean."""


@dataclass(frozen=True)
class ScaleChange:
    preset: str
    relabelled: int  # labels that received a new revision on the new scale


def save_taxonomy(db: Database, taxonomy: Taxonomy) -> Taxonomy:
    """Save the project's taxonomy after checking its keys against the scale and the page."""
    check_keys(taxonomy, scale_preset(get_project(db).scale_preset))
    return update_taxonomy(db, taxonomy)


def mapping_needed(db: Database, new: str) -> dict[str, list[int]]:
    """Per scale key of `new`: the old level values in use that a mapping must cover
    (empty when the change needs no mapping)."""
    old = scale_preset(get_project(db).scale_preset)
    if old.key == new:
        return {}
    target = scale_preset(new)
    needed: dict[str, set[int]] = {}
    old_primary = old.scales[0].key
    for label in store.rated_labels(db):
        ratings = dict(label.extra_ratings)
        if label.confidence is not None:
            ratings[old_primary] = label.confidence
        for key, value in ratings.items():
            if any(s.key == key for s in target.scales):
                needed.setdefault(key, set()).add(value)
    return {key: sorted(values) for key, values in needed.items()}


def _describe(old: ScalePreset, key: str, values: list[int]) -> str:
    scale = next((s for s in old.scales if s.key == key), None)
    names = [
        (lv.label_en if (lv := scale.level(v)) else str(v)) if scale else str(v) for v in values
    ]
    return f"{key} ({', '.join(names)})"


def change_scale(db: Database, new: str, mapping: LevelMapping | None = None) -> ScaleChange:
    """Move the project to preset `new`; labels are mapped (new revisions) or it is refused.

    Ratings on a scale the new preset does not have are dropped from the new revision (the
    history keeps them); a scale the old preset did not have stays unrated.
    """
    target = scale_preset(new)
    with write(db):
        project = get_project(db)
        old = scale_preset(project.scale_preset)
        if old.key == new:
            return ScaleChange(new, 0)
        check_keys(Taxonomy.from_json(project.taxonomy_json), target)
        needed = mapping_needed(db, new)
        mapping = mapping or {}
        missing = {
            key: [v for v in values if v not in mapping.get(key, {})]
            for key, values in needed.items()
        }
        missing = {key: values for key, values in missing.items() if values}
        if missing:
            count = store.count_rated_labels(db)
            listed = "; ".join(_describe(old, key, values) for key, values in missing.items())
            raise ScaleChangeError(
                f"scale: {count} label(s) were made on {old.name!r}; changing to {target.name!r} "
                f"needs a mapping of every old level in use to a new one (missing: {listed})"
            )
        for key, pairs in mapping.items():
            scale = next((s for s in target.scales if s.key == key), None)
            if scale is None:
                raise ScaleChangeError(f"mapping: {target.name!r} has no scale {key!r}")
            bad = sorted({v for v in pairs.values() if scale.level(v) is None})
            if bad:
                raise ScaleChangeError(
                    f"mapping.{key}: {', '.join(map(str, bad))} is not a level of {scale.name_en}"
                )
        primary = target.scales[0].key
        old_primary = old.scales[0].key
        relabelled = 0
        for label in store.rated_labels(db):
            ratings = dict(label.extra_ratings)
            if label.confidence is not None:
                ratings[old_primary] = label.confidence
            mapped = {
                key: mapping[key][value]
                for key, value in ratings.items()
                if key in mapping and value in mapping[key]
            }
            value = AnnotationInput.model_validate(
                {
                    **label.model_dump(include=set(AnnotationInput.model_fields)),
                    "confidence": mapped.get(primary),
                    "extra_ratings": {k: v for k, v in mapped.items() if k != primary},
                    "scale_preset": target.key,
                    "scale_version": target.version,
                }
            )
            store.save_annotation(db, value, expected_revision=label.revision)
            relabelled += 1
        update_settings(db, scale=new)
    return ScaleChange(new, relabelled)


def update_project_settings(
    db: Database,
    *,
    scale: str | None = None,
    require_enter: bool | None = None,
    mapping: LevelMapping | None = None,
    **settings: Unpack[SettingsChange],
) -> Project:
    """The Settings form's save, all or nothing: a scale change goes through
    `change_scale`; `require_enter` makes annotators confirm each label with Enter; the
    other `settings` are stored as they are."""
    with write(db):
        if scale is not None:
            change_scale(db, scale, mapping)
        if require_enter is not None:
            store.set_require_enter(db, require_enter)
        return update_settings(db, **settings)
