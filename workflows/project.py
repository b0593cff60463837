"""Creating a project: the taxonomy and scale must be usable with the keyboard before
anything is written (their keys may not collide with each other or with the page's)."""

from __future__ import annotations

from typing import TypedDict, Unpack

import storage
from annotate.core.models import Project
from annotate.core.taxonomy import Taxonomy, check_keys, default_taxonomy, scale_preset

__all__ = ["ProjectSettings", "create_project"]


class ProjectSettings(TypedDict, total=False):
    annotators_per_statement: int
    suggestions_enabled: bool


def create_project(
    db: storage.Database,
    name: str,
    *,
    taxonomy: Taxonomy | None = None,
    scale: str = "confidence5",
    **settings: Unpack[ProjectSettings],
) -> Project:
    """`storage.create_project` (k, suggestions: its keyword settings) once the keys of the
    taxonomy and scale are known to work together."""
    taxonomy = taxonomy or default_taxonomy()
    check_keys(taxonomy, scale_preset(scale))
    return storage.create_project(db, name, taxonomy=taxonomy, scale=scale, **settings)
