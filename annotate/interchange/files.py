"""Reading interchange files with a size limit that cannot be fooled.

The limit is checked on the bytes actually read, not on the size the file system reports
(a link to /dev/zero reports 0 bytes and never ends), and only regular files are read (a
FIFO would block forever, a device never end).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from annotate.core.errors import SourceDeskError

BLOCK = 1 << 20


class FileLimitError(SourceDeskError):
    """A file that is not a regular file, or larger than the limit."""


def _open_regular(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise FileLimitError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FileLimitError(f"{path}: is a directory, not a file") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FileLimitError(f"{path}: not a regular file (a pipe, device or socket)")
    return fd


def _too_large(path: Path, max_bytes: int) -> FileLimitError:
    return FileLimitError(f"{path}: larger than the limit of {max_bytes:,} bytes")


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The whole content of a regular file of at most `max_bytes` bytes."""
    fd = _open_regular(Path(path))
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(Path(path), max_bytes)
    return data


def lines_limited(path: Path, max_bytes: int, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of a regular text file, read as they come; raises FileLimitError as soon
    as more than `max_bytes` bytes have been read."""
    fd = _open_regular(Path(path))
    total = 0
    with os.fdopen(fd, "rb") as fh:
        while raw := fh.readline(max_bytes - total + 1):
            total += len(raw)
            if total > max_bytes:
                raise _too_large(Path(path), max_bytes)
            yield raw.decode(encoding)
