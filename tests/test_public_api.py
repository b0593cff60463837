"""Each package's public API is what its `__all__` says, and that list is pinned.

A name added to or dropped from a package's `__all__` changes this snapshot on purpose
(`tests/data/public_api.json`); everything else is private to its package.
"""

from __future__ import annotations

import importlib
import importlib.util
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
    listed = set(dir(module))  # before any name is read: lazily loaded names are listed too
    submodules = {n for n in names if importlib.util.find_spec(f"{package}.{n}") is not None}
    assert set(names) - submodules <= listed
    for name in names:
        assert not name.startswith("_"), name
        if not hasattr(module, name):  # a package may list its modules (workflows)
            importlib.import_module(f"{package}.{name}")


@pytest.mark.parametrize("package", ["storage", "annotate.agreement", "annotate.exports"])
def test_lazily_loaded_names_are_listed_before_they_are_read(package: str) -> None:
    """In a fresh interpreter, where nothing has read them yet."""
    import subprocess
    import sys

    check = (
        f"import importlib; m = importlib.import_module({package!r}); "
        "missing = sorted(set(m.__all__) - set(dir(m))); print(missing)"
    )
    out = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
