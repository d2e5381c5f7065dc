"""One decoding policy for every plain text that is read as reviews: files given to ``predict``, their lines,
standard input, and the review files of aclImdb-style training folders and archives.

- UTF-32 and UTF-16 are read when they start with their byte-order mark (UTF-32's is tried first: UTF-16's is a
  prefix of it); anything else is UTF-8, a UTF-8 BOM dropped.
- A NUL (a NUL byte in UTF-8, a NUL character in UTF-16 or UTF-32) means the bytes are not text.
- Invalid UTF-8 is replaced with U+FFFD and reported (the caller warns once per source).
- Of a review, its first :data:`MAX_REVIEW_BYTES` are read, cut where no character is split.
- Lines end at ``\\n`` (and ``\\r\\n``) only, in every encoding: ``\\f``, ``\\x85``, U+2028 and a lone ``\\r``
  are characters of a line, so ``FILE:LINE`` numbers are the same whatever the encoding.

Nothing here prints or exits: text that cannot be read raises :class:`InputError`.
"""

from __future__ import annotations

import codecs
import contextlib
import os
from collections.abc import Iterator
from typing import BinaryIO

from .errors import InputError

MAX_REVIEW_BYTES = 1 << 20
"""Most of one review that is read: its first MiB (hundreds of thousands of words; a model uses at most its
first 5,000 tokens). The rest of a longer file or line is skipped as it is read, never held, and counted
in one warning per source, so memory stays bounded whatever the input (/dev/zero, a 2 GB line)."""
_READ_SIZE = 1 << 16

_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32", 4), (codecs.BOM_UTF32_BE, "utf-32", 4),
    (codecs.BOM_UTF16_LE, "utf-16", 2), (codecs.BOM_UTF16_BE, "utf-16", 2),
)  # fmt: skip
"""Byte-order marks of the encodings read besides UTF-8, UTF-32's first (UTF-16 LE's is a prefix of UTF-32 LE's)."""


_ENCODING = ["utf-8"]
"""What text without a UTF-16/32 BOM is read as: UTF-8, or what ``--encoding`` names (:func:`reading_as`). One
setting for the process, not a context variable: prediction reads its input in a thread of its own."""


def check_encoding(name: str) -> str:
    """``name`` as Python's codec name (``cp1252``, ``latin-1``...); ValueError when no codec has it, or it is
    not a text encoding read byte by byte from the start (UTF-16/32 files are read by their BOM)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown encoding {name!r} (e.g. utf-8, cp1252, latin-1, shift_jis)") from None
    if info.name.startswith(("utf-16", "utf-32")):
        raise ValueError(f"{name!r}: UTF-16 and UTF-32 are read by their byte-order mark, with no option")
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{name!r}: not a text encoding")
    return info.name


@contextlib.contextmanager
def reading_as(name: str | None) -> Iterator[None]:
    """Within the block, files, lines and tables without a UTF-16/32 BOM are read as ``name`` (None: UTF-8)."""
    previous = _ENCODING[0]
    _ENCODING[0] = check_encoding(name) if name else "utf-8"
    try:
        yield
    finally:
        _ENCODING[0] = previous


def encoding() -> str:
    """What text without a BOM is being read as (``utf-8`` unless :func:`reading_as` says otherwise)."""
    return _ENCODING[0]


def as_text(raw: bytes) -> tuple[str, bool]:
    """Bytes (no BOM of UTF-16/32) in the encoding read: ``(text, whether undecodable bytes were replaced)``."""
    name = _ENCODING[0]
    try:
        return raw.decode(name), False
    except UnicodeDecodeError:
        return raw.decode(name, errors="replace"), True


INVALID_HINT = "if it came from Excel or Windows, try --encoding cp1252"
"""What to try when text is not valid UTF-8 (a Windows-1252 CSV, the usual case)."""


def wide_encoding(head: bytes) -> tuple[str, int] | None:
    """``("utf-32", 4)`` or ``("utf-16", 2)`` when ``head`` starts with that encoding's BOM; None: UTF-8."""
    return next(((name, width) for bom, name, width in _WIDE if head.startswith(bom)), None)


def may_start_a_bom(head: bytes) -> bool:
    """Whether ``head`` (shorter than a UTF-32 BOM) could be the start of a UTF-16 or UTF-32 BOM: read more to tell."""
    return 0 < len(head) < 4 and any(bom.startswith(head) for bom, _, _ in _WIDE)


def decode(raw: bytes, source: str) -> tuple[str, bool]:
    """Bytes to text by the policy above: ``(text, whether invalid UTF-8 was replaced with U+FFFD)``.
    Raises :class:`InputError` (``SOURCE: not text (…)``) for a NUL, or a UTF-16/32 text that does not decode."""
    wide = wide_encoding(raw)
    if wide is not None:
        name = wide[0].upper()
        try:
            text = raw.decode(wide[0])
        except UnicodeDecodeError:
            raise InputError(f"{source}: not text (invalid {name})") from None
        if "\0" in text:
            raise InputError(f"{source}: not text ({name} with NUL characters)")
        return text, False
    if b"\0" in raw:
        from .files import binary_kind

        kind = binary_kind(raw)
        if kind and kind.endswith("-compressed"):  # a table's .gz is read; a plain file's is not
            raise InputError(f"{source}: {kind}, not text (decompress it, e.g. zcat FILE | sentiment predict -)")
        raise InputError(f"{source}: not text ({kind or 'contains NUL bytes'})")
    return as_text(raw.removeprefix(codecs.BOM_UTF8))


def split_lines(text: str) -> list[str]:
    """The lines of a decoded text, split at ``\\n`` only, each without its ``\\n`` or ``\\r\\n`` (not
    :meth:`str.splitlines`, which also breaks at ``\\f``, ``\\x85``, U+2028 and a lone ``\\r``)."""
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the end of the last line, not a line of its own
    return [line.removesuffix("\r") for line in lines]


def read_capped(stream: BinaryIO, limit: int = MAX_REVIEW_BYTES) -> bytes:
    """At most ``limit`` + 1 bytes of a stream (the one more says there was more), read a block at a time."""
    parts, size = [], 0
    while size <= limit and (data := stream.read(min(_READ_SIZE, limit + 1 - size))):
        parts.append(data)
        size += len(data)
    return b"".join(parts)


def truncate(raw: bytes, limit: int = MAX_REVIEW_BYTES) -> bytes:
    """The first ``limit`` bytes, cut before a character that would be split (no U+FFFD at the end): a UTF-8
    sequence, a UTF-16 code unit or surrogate pair, a UTF-32 code unit."""
    if len(raw) <= limit:
        return raw
    wide = wide_encoding(raw)
    if wide is not None:
        cut = limit - limit % wide[1]
        if wide[1] == 2 and cut >= 4:  # a high surrogate whose low half was cut off goes too
            unit = raw[cut - 2 : cut]
            high = unit[1] if raw.startswith(codecs.BOM_UTF16_LE) else unit[0]
            cut -= 2 if 0xD8 <= high <= 0xDB else 0
        return raw[:cut]
    cut = limit
    while cut > limit - 4 and cut > 0 and raw[cut] & 0xC0 == 0x80:
        cut -= 1
    return raw[:cut]


def shown_name(path: str | os.PathLike[str]) -> str:
    """A file name as messages and output show it: bytes that are not valid UTF-8 (which Python keeps as lone
    surrogates) as U+FFFD, so the name can be printed, hashed and written as UTF-8."""
    return os.fsencode(path).decode("utf-8", errors="replace")
