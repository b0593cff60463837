"""Language identification for imported documents.

The identifier is restricted to the languages newsrooms actually import, which makes
short or oddly cased texts (an all-lowercase French article) far more reliable than
the full 97-language model. Loading the model takes most of a second, so it is built
once, on first use.

Only the restricted model is ever loaded: the library's own loader reads every array
whole (the 97 languages' feature table, 28 MB, and a copy of the 40 MB transition table)
before the restriction drops most of it, which more than doubles what an import needs
at its peak. `_lean_identifier` reads the same arrays a block at a time and keeps the
needed columns; the library's loader remains the fallback should the model's layout
ever change.
"""

from __future__ import annotations

import logging
import lzma
import shutil
import tempfile
import threading
import zipfile
from array import array
from typing import IO, Any

LANGUAGES: tuple[str, ...] = (
    "fr",
    "en",
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "ru",
    "uk",
    "pl",
    "ar",
    "zh",
)
UNDETERMINED = "und"
MIN_LETTERS = 12
"""Below this many letters a guess is noise ("hello" scores as Finnish)."""
MIN_CONFIDENCE = 0.6
SAMPLE_CHARS = 100_000
"""Only the start of a long text is identified: its language is the document's, and the
identifier's memory grows with its input."""

_identifier: Any = None
_lock = threading.Lock()
_BLOCK_ROWS = 4096
_READ_BYTES = 1 << 20
_TYPECODES = {2: "H", 4: "I", 8: "L"}  # the integer arrays py3langid's DFA walk expects

log = logging.getLogger(__name__)


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                try:
                    _identifier = _lean_identifier()
                except Exception:  # a model laid out otherwise: the library reads it
                    log.debug("reading the language model whole", exc_info=True)
                    _identifier = _library_identifier()
    return _identifier


def _library_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _lean_identifier() -> Any:
    """py3langid's identifier restricted to `LANGUAGES`, read without the rest."""
    import numpy as np  # py3langid needs it anyway; imported with it, on first use
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    with tempfile.TemporaryFile() as unpacked:  # the archive inside the .xz, on disk
        with lzma.open(MODEL_DIR / MODEL_FILE) as packed:
            shutil.copyfileobj(packed, unpacked, _READ_BYTES)
        unpacked.seek(0)
        with zipfile.ZipFile(unpacked) as model:

            def whole(key: str) -> Any:
                with model.open(f"{key}.npy") as member:
                    return np.lib.format.read_array(member, allow_pickle=False)

            classes = whole("classes").tolist()
            kept = [i for i, code in enumerate(classes) if code in LANGUAGES]
            with model.open("ptc.npy") as member:
                ptc = _columns(np, member, kept)
            with model.open("nextmove.npy") as member:
                nextmove = _integers(np, member)
            with model.open("nextmove_row.npy") as member:
                rows = _integers(np, member)
            return LanguageIdentifier(
                ptc,
                whole("pc")[kept],
                [classes[i] for i in kept],
                nextmove,
                whole("out_feat").tolist(),
                norm_probs=True,
                tk_row=rows,
            )


def _header(np: Any, member: IO[bytes]) -> tuple[tuple[int, ...], Any]:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
    else:
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
    if fortran_order or dtype.hasobject:
        raise ValueError("unexpected array layout")
    return shape, dtype


def _columns(np: Any, member: IO[bytes], kept: list[int]) -> Any:
    """The `kept` columns of a 2-D array, read a block of rows at a time."""
    (n_rows, n_columns), dtype = _header(np, member)
    out = np.empty((n_rows, len(kept)), dtype=dtype.newbyteorder("="))
    for first in range(0, n_rows, _BLOCK_ROWS):
        count = min(_BLOCK_ROWS, n_rows - first)
        data = member.read(count * n_columns * dtype.itemsize)
        block = np.frombuffer(data, dtype=dtype).reshape(count, n_columns)
        out[first : first + count] = block[:, kept]
    return out


def _integers(np: Any, member: IO[bytes]) -> array[int]:
    """A 1-D unsigned integer array as the stdlib `array` py3langid walks, read in chunks
    into an array allocated once (grown chunk by chunk, it would be copied as it grows)."""
    (size,), dtype = _header(np, member)
    if dtype.kind != "u" or dtype.itemsize not in _TYPECODES:
        raise ValueError(f"unexpected array type {dtype}")
    out = array(_TYPECODES[dtype.itemsize], [0]) * size
    target = memoryview(out).cast("B")
    position = 0
    while position < len(target):
        data = member.read(min(_READ_BYTES, len(target) - position))
        if not data:
            raise ValueError("truncated array")
        if not dtype.isnative:
            data = np.frombuffer(data, dtype=dtype).byteswap().tobytes()
        target[position : position + len(data)] = data
        position += len(data)
    target.release()
    return out


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of `text`, or "und" when it is too short or unclear."""
    text = text[:SAMPLE_CHARS]
    if sum(1 for ch in text if ch.isalpha()) < MIN_LETTERS:
        return UNDETERMINED
    language, confidence = _get_identifier().classify(text)
    if confidence < MIN_CONFIDENCE:
        return UNDETERMINED
    return str(language)
