"""Filter options that several commands take (`export`, `agreement`), declared once so
that the same option reads and behaves the same in every command."""

from __future__ import annotations

from typing import Annotated

import typer

DocumentFilter = Annotated[
    list[int] | None, typer.Option("--document", help="Only this document id (repeat).")
]
AnnotatorFilter = Annotated[
    list[str] | None, typer.Option("--annotator", help="Only this annotator (repeat).")
]
