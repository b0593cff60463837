"""Each package's public API is what its `__all__` says, and that list is pinned.

A name added to or dropped from a package's `__all__` changes this snapshot on purpose
(`tests/data/public_api.json`); everything else is private to its package.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "data" / "public_api.json"
PACKAGES = json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_every_package_of_the_source_is_pinned() -> None:
    root = Path(__file__).resolve().parent.parent
    found = {
        ".".join(init.parent.relative_to(root).parts)
        for top in ("annotate", "storage", "workflows")
        for init in (root / top).rglob("__init__.py")
    }
    assert found == set(PACKAGES)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_public_names_are_pinned_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    assert names is not None, f"{package} has no __all__"
    assert sorted(names) == PACKAGES[package]
    assert len(set(names)) == len(names)
    for name in names:
        assert not name.startswith("_"), name
        if not hasattr(module, name):  # a package may list its modules (workflows)
            importlib.import_module(f"{package}.{name}")
