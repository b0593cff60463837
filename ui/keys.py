"""The keys of the Annotate page.

The labelling widget (ui/components/labeller.py) handles every key itself, so the keys
written in the taxonomy and scale files are the keys that work, R and C included: nothing
is remapped. The page's own keys are `annotate.core.taxonomy.PAGE_KEYS`; a taxonomy or
scale whose keys collide with them or with each other is refused when saved
(`annotate.core.taxonomy.check_keys`, called by `workflows.scale`).
"""

from __future__ import annotations

from annotate.core.taxonomy import PAGE_KEYS, key_name

__all__ = ["PAGE_KEYS", "key_help"]


def key_help() -> list[tuple[str, str]]:
    """(key, what it does) for each of the page's own keys, as people name them."""
    return [(key_name(key), what) for key, what in PAGE_KEYS.items()]
