"""Package names that import their module the first time they are read (PEP 562).

A package re-exports names from modules that need heavy libraries (pandas, pyarrow,
openpyxl) while a process that never reads those names should not pay for loading them:
importing documents, for one, needs none of them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, homes: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module `__getattr__` and `__dir__` for `package`: `homes` maps each of its
    submodules to the names it provides, and a name is imported from there when first read,
    then kept as an ordinary attribute of the package (later reads cost nothing); `dir()`
    lists the names before they are read.

    Assign them under `if not TYPE_CHECKING:` and import the same names under
    `if TYPE_CHECKING:`, so that type checkers see real imports and still reject a
    misspelt name.
    """
    home_of = {name: home for home, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:
        home = home_of.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(home_of))

    return __getattr__, __dir__
