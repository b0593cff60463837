"""From bytes to text: which codec reads a file, and the first problem worth reporting.

The file is checked a chunk at a time, so a table file is never held whole, and the
problems are ranked as if the whole file had been looked at at once: an empty file, then
invalid UTF-16 (when a UTF-16 byte order mark opens the file), then a NUL byte anywhere
(a binary file), then the first invalid UTF-8 sequence, then a UTF-8 file of whitespace
only. Offsets count bytes from the start of the file, byte order mark included.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator

from annotate.documents.parsed import IngestError

__all__ = ["CHUNK_BYTES", "NON_SPACE", "NON_SPACE_BYTE", "UTF16_BOMS", "checked_codec", "chunks_of"]

CHUNK_BYTES = 1 << 16
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
NON_SPACE_BYTE = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what bytes.strip() keeps
NON_SPACE = re.compile(r"\S")  # what str.strip() keeps


def chunks_of(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start : start + CHUNK_BYTES]


def checked_codec(name: str, chunks: Iterable[bytes]) -> str:
    """The codec that reads the whole file ("utf-16" or "utf-8-sig"), or the `IngestError`
    its first problem deserves. Every chunk is read first: a size limit enforced by the
    chunks' reader takes precedence over what the content would have said."""
    check = _Check(name)
    for chunk in chunks:
        check.feed(chunk)
    return check.finish()


class _Check:
    def __init__(self, name: str) -> None:
        self.name = name
        self.head = b""  # the first bytes, until the byte order mark can be told
        self.codec = ""
        self.decoder: codecs.IncrementalDecoder | None = None
        self.offset = 0  # bytes seen before the current chunk
        self.newlines = 0  # b"\n" seen before the current chunk
        self.any_byte = False  # something but ASCII whitespace
        self.any_char = False  # something but whitespace, once decoded
        self.nul: int | None = None
        self.problem: IngestError | None = None

    def feed(self, chunk: bytes) -> None:
        if not self.codec:
            self.head += chunk
            if len(self.head) < len(codecs.BOM_UTF8):
                return
            chunk, self.head = self.head, b""
            chunk = self._start(chunk)
        self._check(chunk, final=False)

    def finish(self) -> str:
        if not self.codec:
            self._check(self._start(self.head), final=False)
        self._check(b"", final=True)
        if not self.any_byte:
            raise IngestError("file is empty", file=self.name)
        if self.nul is not None:
            raise IngestError(
                f"looks like a binary file (NUL byte at offset {self.nul}); expected UTF-8 text",
                file=self.name,
            )
        if self.problem is not None:
            raise self.problem
        if not self.any_char and self.codec != "utf-16":  # (left to the readers, as it was)
            raise IngestError("file contains only whitespace", file=self.name)
        return self.codec

    def _start(self, chunk: bytes) -> bytes:
        """Choose the codec from the first bytes; return the chunk without a UTF-8 BOM."""
        if chunk.startswith(UTF16_BOMS):
            self.codec = "utf-16"
            self.decoder = codecs.getincrementaldecoder("utf-16")()
            return chunk
        self.codec = "utf-8-sig"
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        if chunk.startswith(codecs.BOM_UTF8):
            self.any_byte = True
            self.offset = len(codecs.BOM_UTF8)
            return chunk[len(codecs.BOM_UTF8) :]
        return chunk

    def _check(self, chunk: bytes, *, final: bool) -> None:
        assert self.decoder is not None
        utf16 = self.codec == "utf-16"
        if not self.any_byte and (utf16 or NON_SPACE_BYTE.search(chunk)):
            self.any_byte = True
        if not utf16 and self.nul is None and (at := chunk.find(b"\x00")) >= 0:
            self.nul = self.offset + at
        if self.problem is None:
            pending = self.decoder.getstate()[0]
            try:
                text = self.decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                self.problem = self._error(exc, pending, chunk, utf16)
            else:
                if not self.any_char and NON_SPACE.search(text):
                    self.any_char = True
            self.newlines += chunk.count(b"\n")
        self.offset += len(chunk)

    def _error(
        self, exc: UnicodeDecodeError, pending: bytes, chunk: bytes, utf16: bool
    ) -> IngestError:
        # The decoder read `pending` (the unfinished sequence of the chunk before) + chunk.
        at = self.offset - len(pending) + exc.start
        if utf16:
            return IngestError(f"invalid UTF-16 at byte {at}", file=self.name)
        before = max(0, at - self.offset)  # the pending bytes hold no b"\n"
        return IngestError(
            f"invalid UTF-8 at byte offset {at} (byte 0x{(pending + chunk)[exc.start]:02x}); "
            "save the file as UTF-8",
            file=self.name,
            line=self.newlines + chunk.count(b"\n", 0, before) + 1,
        )
