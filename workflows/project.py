"""Creating a project: the taxonomy and scale must be usable with the keyboard before
anything is written (their keys may not collide with each other or with the page's)."""

from __future__ import annotations

import storage
from annotate.core.models import Project
from annotate.core.taxonomy import Taxonomy, check_keys, default_taxonomy, scale_preset

__all__ = ["create_project"]


def create_project(
    db: storage.Database,
    name: str,
    *,
    taxonomy: Taxonomy | None = None,
    scale: str = "confidence5",
    annotators_per_statement: int = 2,
    suggestions_enabled: bool = True,
) -> Project:
    taxonomy = taxonomy or default_taxonomy()
    check_keys(taxonomy, scale_preset(scale))
    return storage.create_project(
        db,
        name,
        taxonomy=taxonomy,
        scale=scale,
        annotators_per_statement=annotators_per_statement,
        suggestions_enabled=suggestions_enabled,
    )
