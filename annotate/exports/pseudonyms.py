"""Pseudonyms for annotators and editors in exported data.

Scheme: `annotator_01`, `annotator_02`, ... numbered in the order of each person's first
saved label in the project (editors likewise as `editor_01`, ... by first adjudication).
The numbering depends only on the data, so two exports of the same database agree, and it
reveals nothing about names (unlike a hash of a guessable name).
"""

from __future__ import annotations

from collections.abc import Sequence


class Pseudonyms:
    """Maps real names to pseudonyms; with `enabled=False` every name maps to itself."""

    def __init__(
        self,
        annotators_in_order: Sequence[str],
        editors_in_order: Sequence[str] = (),
        *,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self._map: dict[str, str] = {}
        for prefix, names in (("annotator", annotators_in_order), ("editor", editors_in_order)):
            width = max(2, len(str(len(names))))
            for i, name in enumerate(dict.fromkeys(names), start=1):
                key = f"{prefix}:{name}"
                self._map[key] = f"{prefix}_{i:0{width}d}" if enabled else name

    def annotator(self, name: str) -> str:
        return self._map.get(f"annotator:{name}", name if not self.enabled else "annotator_??")

    def editor(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self._map.get(f"editor:{name}", name if not self.enabled else "editor_??")

    @property
    def scheme(self) -> str:
        if not self.enabled:
            return "none: annotators appear under their account names"
        return (
            "annotator_NN / editor_NN, numbered by each person's first saved label "
            "(first adjudication for editors) in the project"
        )
