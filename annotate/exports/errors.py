"""The error an export raises when its options cannot be honoured."""

from __future__ import annotations

from annotate.core.errors import SourceDeskError


class ExportError(SourceDeskError):
    """An export that cannot be written as asked; the message names the option."""
