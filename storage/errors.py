"""Errors the storage layer raises; each message is one line a user can act on."""

from annotate.core.errors import SourceDeskError


class StorageError(SourceDeskError):
    """Base class: the operation changed nothing."""


class NotFoundError(StorageError):
    pass


class ConflictError(StorageError):
    """Someone else changed the record since it was read (optimistic concurrency)."""


class DuplicateError(StorageError):
    pass


class InUseError(StorageError):
    """The thing is referenced by annotations and can only be retired, not removed."""
