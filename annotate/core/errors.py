"""The one shape of a user-facing failure.

Every error a user can act on (a bad file, a conflicting save, an unknown label) is a
`SourceDeskError` whose message is one line naming the file, line or field. The CLI and the
pages catch these (and pydantic's ValidationError) and show `one_line(exc)`; anything else
is a bug, logged with its traceback and never dressed up as a user error.
"""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["USER_ERRORS", "SourceDeskError", "field_path", "one_line", "validation_line"]


class SourceDeskError(ValueError):
    """A failure the user can act on; the operation changed nothing.

    A ValueError subclass so that pydantic validators may raise it and report it as a
    field error.
    """


def field_path(loc: tuple[int | str, ...], default: str = "value") -> str:
    return ".".join(str(part) for part in loc) or default


def validation_line(exc: ValidationError, *, prefix: str = "", default: str = "value") -> str:
    """The first problem of a ValidationError as `[prefix: ]field: message`."""
    first = exc.errors()[0]
    where = field_path(first["loc"], default)
    message = first["msg"].removeprefix("Value error, ")
    return f"{prefix}{': ' if prefix else ''}{where}: {message}"


def one_line(exc: BaseException) -> str:
    """One line for a user: the first line of the message, or the first validation problem."""
    if isinstance(exc, ValidationError):
        return validation_line(exc)
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


USER_ERRORS: tuple[type[BaseException], ...] = (SourceDeskError, ValidationError)
