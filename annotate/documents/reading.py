"""Reading a file from disk with a size limit that cannot be fooled.

The limit is checked on the bytes actually read, not on the size the file system
reports: a link to /dev/zero reports 0 bytes and never ends. Only regular files are
read: a FIFO would block forever and a device might never end. The file is opened
without blocking, so even opening a FIFO returns at once.

A table file is read several times (see `tables`), each time from its start and each
time under the limit, so a file that grows while it is read is still refused.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from annotate.documents.decoding import CHUNK_BYTES
from annotate.documents.parsed import IngestError

__all__ = ["open_regular_file", "read_chunks", "read_regular_file", "text_pass"]


def open_regular_file(path: Path) -> BinaryIO:
    """The regular file at `path`, open for reading; anything else is refused."""
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise IngestError("no such file", file=name) from None
    except IsADirectoryError:
        raise IngestError("is a directory, not a file", file=name) from None
    except OSError as exc:
        raise IngestError(f"cannot open the file ({exc.strerror})", file=name) from None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise IngestError("not a regular file (a pipe, device or socket)", file=name)
    os.set_blocking(handle.fileno(), True)
    return handle


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The content of the regular file at `path`, refused past `max_bytes` bytes read."""
    with open_regular_file(path) as handle:
        return read_all(handle, Path(path).name, max_bytes)


def read_all(handle: BinaryIO, name: str, max_bytes: int) -> bytes:
    """The rest of the file, refused past `max_bytes` bytes read. The buffer is sized from
    the size the file reports (a buffer of the limit's size would be mostly empty); more
    is read if it grew, still under the limit."""
    reported = os.fstat(handle.fileno()).st_size
    data = handle.read(min(reported, max_bytes) + 1)
    if reported < len(data) <= max_bytes:
        data += handle.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise _too_large(name, max_bytes)
    return data


def read_chunks(handle: BinaryIO, name: str, max_bytes: int) -> Iterator[bytes]:
    """The file from its start, a chunk at a time, refused past `max_bytes` bytes read."""
    handle.seek(0)
    total = 0
    while chunk := handle.read(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(name, max_bytes)
        yield chunk


@contextlib.contextmanager
def text_pass(
    handle: BinaryIO, name: str, max_bytes: int, codec: str
) -> Iterator[io.TextIOWrapper]:
    """The file from its start as text, read as it is consumed, under the size limit.

    Newlines are universal: "\\r\\n" and "\\r" are read as "\\n", as the whole-file
    reader's `normalise_newlines` did.
    """
    handle.seek(0)
    text = io.TextIOWrapper(io.BufferedReader(_Limited(handle, name, max_bytes)), codec)
    try:
        yield text
    except UnicodeDecodeError:
        # The encoding was checked on a pass before this one: the bytes have changed since.
        raise IngestError("the file changed while it was being read", file=name) from None
    finally:
        text.detach()  # the file itself stays open for the next pass


class _Limited(io.RawIOBase):
    """A reader of `handle` that refuses to read past `max_bytes` bytes."""

    def __init__(self, handle: BinaryIO, name: str, max_bytes: int) -> None:
        super().__init__()
        self._handle = handle
        self._name = name
        self._max_bytes = max_bytes
        self._left = max_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io reads into any writable buffer
        data = self._handle.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise _too_large(self._name, self._max_bytes)
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _too_large(name: str, max_bytes: int) -> IngestError:
    return IngestError(
        f"file is larger than the limit of {max_bytes:,} bytes (more were read)", file=name
    )
