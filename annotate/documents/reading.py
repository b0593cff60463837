"""Reading an article file from disk with a size limit that cannot be fooled.

The limit is checked on the bytes actually read, not on the size the file system
reports: a link to /dev/zero reports 0 bytes and never ends. Only regular files are
read: a FIFO would block forever and a device might never end. The file is opened
without blocking, so even opening a FIFO returns at once.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from annotate.documents.parsed import IngestError

__all__ = ["read_regular_file"]


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The content of the regular file at `path`, refused past `max_bytes` bytes read."""
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise IngestError("no such file", file=name) from None
    except IsADirectoryError:
        raise IngestError("is a directory, not a file", file=name) from None
    except OSError as exc:
        raise IngestError(f"cannot open the file ({exc.strerror})", file=name) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise IngestError("not a regular file (a pipe, device or socket)", file=name)
        os.set_blocking(handle.fileno(), True)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise IngestError(
            f"file is larger than the limit of {max_bytes:,} bytes (more were read)", file=name
        )
    return data
