"""Reading reviews to classify: whole files, files line by line, and standard input.

Readers yield *chunks* (lists) so the caller can classify and print each chunk
as soon as it is read: memory stays bounded and ``tail -f log | sentiment
predict -`` answers as lines arrive.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import io
import os
import select
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .errors import DataError, InputError, clip, os_message, quoted
from .formats import table_format_of
from .textio import (
    INVALID_HINT,
    MAX_REVIEW_BYTES,
    as_text,
    encoding,
    may_start_a_bom,
    read_capped,
    split_lines,
    truncate,
    wide_encoding,
)
from .textio import decode as decode_text

CHUNK_REVIEWS = 256
STDIN = "<stdin>"
MAX_UTF16_BYTES = 64 << 20
"""UTF-16 and UTF-32 input cannot be split into lines as it streams: it is read whole, up to this size."""
_READ_SIZE = 1 << 16
_BLOCK_SIZE = 1 << 20


class Review(NamedTuple):
    """A text to classify and where it came from."""

    source: str
    text: str
    id: Any = None
    """The row's value in the id column (tables read with an id column)."""
    extra: dict[str, Any] | None = None
    """Input columns to copy into the output (``--keep-columns``)."""


class Empty(NamedTuple):
    """A table row with no text: it is written out with no label, so every row keeps its record."""

    source: str
    id: Any = None
    extra: dict[str, Any] | None = None


class TableInput(NamedTuple):
    """How to read review tables (CSV, TSV, JSON Lines, Parquet) for prediction."""

    input_format: str | None = None
    """A table format, or ``text`` to read every file as plain text; None: tables by their extension."""
    text_column: str | None = None
    id_column: str | None = None
    """The id column; None: an id-like column when the table has one (see ``tables.ID_NAMES``); "": none."""
    keep_columns: tuple[str, ...] = ()
    header: bool | None = None


def is_table(source: str, options: TableInput) -> bool:
    """Whether a source (a file, or - for standard input) is read as a table: by ``--input-format``, else by
    its extension."""
    if options.input_format is not None:
        return options.input_format != "text"
    return table_format_of(source) is not None


class Note(NamedTuple):
    """What was read, for stderr (a table's format and the columns chosen for it)."""

    source: str
    message: str
    id_column: str | None = None
    """The id column chosen for the user (an id-like name), whose ids the records carry."""


class Problem(NamedTuple):
    """An input that could not be read (the others still are); ``fatal`` means it was skipped."""

    source: str
    message: str
    fatal: bool = True


def decode(raw: bytes, source: str) -> tuple[str, Problem | None]:
    """Bytes to text by the one policy of :mod:`.textio` (UTF-8, or UTF-16/32 with a BOM; NUL: not text); invalid
    UTF-8 is replaced, with a warning."""
    text, invalid = decode_text(raw, source)
    if not invalid:
        return text, None
    what = "invalid UTF-8" if encoding() == "utf-8" else f"not valid {encoding()}"
    hint = f"; {INVALID_HINT}" if encoding() == "utf-8" else ""
    return text, Problem(source, f"{source}: {what}, undecodable bytes replaced with U+FFFD{hint}", fatal=False)


def read_file(path: Path) -> list[Review | Problem]:
    """One file as one review (preceded by a warning if it was not valid UTF-8); its first
    :data:`MAX_REVIEW_BYTES` only, with a warning when there is more."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            raw = read_capped(handle)
    except OSError as exc:
        raise InputError(os_message(source, exc)) from None
    return _whole(raw, source)


@dataclass
class _Where:
    """How many lines (or rows) had something, and the first :data:`SHOWN` of them: bounded memory however many."""

    count: int = 0
    first: list[int] = dataclasses.field(default_factory=list)
    spanned: int = 0
    """Physical lines the items took in all (a quoted field can swallow many), when that is more than ``count``."""

    def add(self, line: int, lines: int = 1) -> None:
        self.count += 1
        self.spanned += lines
        if len(self.first) < SHOWN:
            self.first.append(line)

    def __bool__(self) -> bool:
        return self.count > 0


SHOWN = 10
"""Line numbers listed in a message; the count is always complete."""


def _cap_note(source: str, lines: _Where | None = None) -> Problem:
    size = f"{MAX_REVIEW_BYTES >> 20} MiB"
    if lines is None:
        return Problem(source, f"{source}: longer than {size}: only its first {size} is classified", fatal=False)
    what = _lines("review", lines)
    return Problem(source, f"{source}: {what} longer than {size}: only the first {size} of each classified", False)


def _whole(raw: bytes, source: str) -> list[Review | Problem]:
    capped = len(raw) > MAX_REVIEW_BYTES
    text, warning = decode(truncate(raw) if capped else raw, source)
    if not text.strip():
        raise InputError(f"{source}: empty (no text to classify)")
    notes = [n for n in (warning, _cap_note(source) if capped else None) if n is not None]
    return [*notes, Review(source, text)]


def _chunks_of_bytes(stream: BinaryIO) -> Iterator[bytes]:
    """What the stream has now, up to a block at a time.

    A read returns as soon as some data is there, and more is read only while more is ready
    at once: a slow pipe (``tail -f``) gives each line as it comes, a file or a fast pipe gives
    large blocks.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        fd = None
    if fd is None:
        read = getattr(stream, "read1", stream.read)
        while data := read(_READ_SIZE):
            yield data
        return
    while data := os.read(fd, _READ_SIZE):
        parts = [data]
        size = len(data)
        while size < _BLOCK_SIZE and _ready(fd):
            more = os.read(fd, _READ_SIZE)
            if not more:
                break
            parts.append(more)
            size += len(more)
        yield b"".join(parts)


def _ready(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def read_lines(stream: BinaryIO, source: str, chunk_size: int = CHUNK_REVIEWS) -> Iterator[list[Review | Problem]]:
    """Each non-empty line one review, named ``SOURCE:LINE``; yields what has arrived, in chunks.

    Invalid UTF-8 is replaced and reported once per source; a NUL byte means the
    source is not text: it is reported and the rest of it is skipped. Of a line longer than
    :data:`MAX_REVIEW_BYTES` only the first MiB is kept; the rest is dropped as it arrives
    (one warning at the end counts such lines), so no line, however long, is held whole.
    """
    pending = bytearray()
    number = 0
    warned = False
    long_lines = _Where()
    skipping = False
    """Inside a line longer than the cap: what arrives up to its end is dropped."""

    def not_text(line: int) -> list[Problem]:
        return [Problem(source, f"{source}: not text (NUL bytes at line {line}); skipped from there")]

    def take(lines: list[bytes]) -> tuple[list[Review | Problem], bool]:
        nonlocal number, warned
        items: list[Review | Problem] = []
        for line in lines:
            number += 1
            if b"\0" in line:
                return items + not_text(number), True
            if len(line) > MAX_REVIEW_BYTES:
                long_lines.add(number)
                line = truncate(line)
            item = _line(line, number, source)
            if item is None:
                continue
            if "\ufffd" in item.text and not warned and _invalid_utf8(line):
                warned = True
                message = f"{source}: invalid UTF-8 (first at line {number}), replaced with U+FFFD; {INVALID_HINT}"
                if encoding() != "utf-8":
                    message = f"{source}: not valid {encoding()} (first at line {number}), replaced with U+FFFD"
                items.append(Problem(source, message, fatal=False))
            items.append(item)
        return items, False

    chunks = _chunks_of_bytes(stream)
    for data in chunks:
        if number == 0 and not pending:
            while may_start_a_bom(data) and (more := next(chunks, b"")):  # a BOM's first bytes: read on to tell
                data += more
            if wide_encoding(data) is not None:
                # UTF-16 and UTF-32 cannot be split on b"\n"; such input is read whole (up to a limit), then split.
                yield from _wide_lines(data, chunks, source, chunk_size)
                return
        if skipping:
            cut = data.find(b"\n")
            if b"\0" in (data if cut < 0 else data[:cut]):
                yield from _end(not_text(number), source, long_lines)
                return
            if cut < 0:
                continue
            data, skipping = data[cut + 1 :], False
        pending += data
        cut = pending.rfind(b"\n", max(0, len(pending) - len(data)))
        if cut < 0:
            if len(pending) <= MAX_REVIEW_BYTES:
                continue
            lines, skipping = [bytes(pending)], True  # its first MiB now; the rest is dropped as it comes
            pending.clear()
        else:
            lines = bytes(pending[:cut]).split(b"\n")
            del pending[: cut + 1]
        for start in range(0, len(lines), chunk_size):  # a chunk's reviews at a time, not a block's (~80,000)
            items, stop = take(lines[start : start + chunk_size])
            if stop:
                yield from _chunked(items[:-1], chunk_size)
                yield from _end(items[-1:], source, long_lines)
                return
            yield from _chunked(items, chunk_size)
    items, _ = take([bytes(pending)] if pending else [])  # a last line without a newline: checked alike
    yield from _end(items, source, long_lines)


def _wide_lines(head: bytes, chunks: Iterator[bytes], source: str, chunk_size: int) -> Iterator[list]:
    """The lines of UTF-16 or UTF-32 input, read whole (up to :data:`MAX_UTF16_BYTES`), split as UTF-8 is."""
    parts, size = [head], len(head)
    for more in chunks:
        parts.append(more)
        size += len(more)
        if size > MAX_UTF16_BYTES:
            limit, name = f"{MAX_UTF16_BYTES >> 20} MiB", wide_encoding(head)[0].upper()  # type: ignore[index]
            yield [Problem(source, f"{source}: {name} input of more than {limit} (convert it to UTF-8)")]
            return
    try:
        text, _ = decode(b"".join(parts), source)
    except InputError as exc:
        yield [Problem(source, exc.message)]
        return
    del parts
    long_lines = _Where()
    reviews: list[Review] = []
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        if len(line) * 4 > MAX_REVIEW_BYTES and len(encoded := line.encode("utf-8")) > MAX_REVIEW_BYTES:
            long_lines.add(number)
            line = truncate(encoded).decode("utf-8", "replace")
        reviews.append(Review(f"{source}:{number}", line))
        if len(reviews) >= chunk_size:  # a chunk at a time, as UTF-8 lines are
            yield reviews
            reviews = []
    yield from _end(reviews, source, long_lines)


def _end(items: list, source: str, long_lines: _Where) -> Iterator[list]:
    """The last items of a source, then the warning counting its over-long lines."""
    if long_lines:
        items = [*items, _cap_note(source, long_lines)]
    if items:
        yield items


def _invalid_utf8(raw: bytes) -> bool:
    try:
        raw.decode(encoding())
    except UnicodeDecodeError:
        return True
    return False


def _line(raw: bytes, number: int, source: str) -> Review | None:
    raw = raw.removesuffix(b"\r")
    if number == 1:
        raw = raw.removeprefix(codecs.BOM_UTF8)
    text = as_text(raw)[0]
    if not text.strip():  # blank as a whole file's text and a UTF-16 line are: any Unicode space (U+3000, U+2028)
        return None
    return Review(f"{source}:{number}", text)


def _chunked(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_table(
    path: str, options: TableInput, chunk_size: int = CHUNK_REVIEWS, name: str | None = None
) -> Iterator[list[Any]]:
    """The rows of a review table, a chunk at a time: a :class:`Review` per row with text, an :class:`Empty`
    per row without, and at the end one :class:`Problem` per kind of row that could not be read.

    ``name``: what sources and messages call the table (default: ``path``), as ``<stdin>``."""
    from .tables import Malformed, choose_columns, describe_reading, invalid_utf8, open_table, repeated_columns

    table = open_table(path, None if options.input_format in (None, "text") else options.input_format,
                       header=options.header, name=name)  # fmt: skip
    name = table.name
    choice = choose_columns(table, options.text_column, None, options.id_column or None, need_label=False)
    if options.id_column == "":  # no id wanted: an id-like column is not carried
        choice = dataclasses.replace(choice, id=None, guessed=tuple(g for g in choice.guessed if g != "id"))
    if choice.guessed:  # said when a column was chosen for the user, as train and evaluate say it
        yield [Note(name, describe_reading(table, choice), choice.id if "id" in choice.guessed else None)]
    missing = [c for c in options.keep_columns if c not in table.columns]
    if missing:
        raise DataError(
            f"{name}: no column {', '.join(map(quoted, missing))} to keep "
            f"(columns: {', '.join(map(clip, table.columns))})"
        )
    malformed = _Where()
    reasons: dict[str, int] = {}
    empty = _Where()
    for chunk in table.records(chunk_size):
        items: list[Any] = []
        for record in chunk:
            if isinstance(record, Malformed):
                malformed.add(record.line, record.lines)
                reasons.setdefault(record.reason, record.line)
                continue
            values = record.values
            where = f"{name}:{record.line}"
            ident = values.get(choice.id) if choice.id else None
            extra = {c: values.get(c) for c in options.keep_columns} or None
            text = values.get(choice.text)
            if not isinstance(text, str) or not text.strip():
                empty.add(record.line)
                items.append(Empty(where, ident, extra))
                continue
            items.append(Review(where, text, ident, extra))
        yield items
    problems = []
    if repeated := repeated_columns(table):
        problems.append(Problem(name, repeated, fatal=False))
    if replaced := invalid_utf8(table):
        problems.append(Problem(name, replaced, fatal=False))
    if malformed:  # each kind of fault once, with the first line that has it
        kinds = [f"line {line}: {reason}" for reason, line in list(reasons.items())[:3]]
        more = f"; {len(reasons) - 3} more kinds" if len(reasons) > 3 else ""
        problems.append(
            Problem(name, f"{name}: {_lines('malformed row', malformed)} not classified ({'; '.join(kinds)}{more})")
        )
    if empty:
        message = f"{name}: {_lines('row', empty, 'row' if table.format == 'parquet' else 'line')} without text: "
        message += "written with no label"
        problems.append(Problem(name, message, fatal=False))
    if problems:
        yield problems


def _lines(noun: str, lines: _Where, unit: str = "line") -> str:
    """``3 rows (lines 2, 5, 9)``: ``unit`` is what the numbers count (Parquet: rows). Rows that took more
    physical lines than one each (a quote that swallowed lines) say how many: ``1 row (line 2; 66,655 lines)``."""
    count = lines.count
    listed = ", ".join(map(str, lines.first))
    listed += f" and {count - len(lines.first):,} more" if count > len(lines.first) else ""
    plural = "s" if count != 1 else ""
    spanned = f"; {lines.spanned:,} lines in all" if lines.spanned > count else ""
    return f"{count:,} {noun}{plural} ({unit}{plural} {listed}{spanned})"


def read_sources(
    sources: list[str],
    stdin: BinaryIO,
    *,
    per_line: bool = False,
    whole: bool = False,
    table: TableInput | None = None,
) -> Iterator[list[Review | Problem]]:
    """Reviews and problems from every source in order, a chunk at a time.

    A path is one review (``per_line``: one per non-empty line), or a table of reviews (one per
    row) when :func:`is_table` says so; ``-`` is standard input, one review per non-empty line
    (``whole``: all of it one review), or a table when ``table.input_format`` names a table format.
    """
    table = table or TableInput()
    pending: list[Review | Problem] = []
    for source in sources:
        if is_table(source, table):
            yield from _drain(pending)
            try:
                if source == "-":
                    with spooled(stdin) as copy:
                        yield from read_table(str(copy), table, name=STDIN)
                else:
                    yield from read_table(source, table)
            except (DataError, InputError) as exc:
                yield [Problem(STDIN if source == "-" else source, str(exc))]
        elif source == "-" and whole:
            try:
                pending.extend(_whole(read_capped(stdin), STDIN))
            except InputError as exc:
                pending.append(Problem(STDIN, exc.message))
        elif source == "-" or per_line:
            yield from _drain(pending)
            if source == "-":
                yield from read_lines(stdin, STDIN)
                continue
            try:
                with open(source, "rb") as handle:
                    said = False
                    for chunk in read_lines(handle, source):
                        said = said or bool(chunk)
                        yield chunk
                if not said:  # no line with text, nor a problem: refused as an empty file is
                    yield [Problem(source, f"{source}: empty (no text to classify)")]
            except InputError as exc:
                yield [Problem(source, exc.message)]
            except OSError as exc:
                yield [Problem(source, os_message(source, exc))]
        else:
            try:
                pending.extend(read_file(Path(source)))
            except InputError as exc:
                pending.append(Problem(source, exc.message))
            if len(pending) >= CHUNK_REVIEWS:
                yield from _drain(pending)
    yield from _drain(pending)


@contextlib.contextmanager
def spooled(stream: BinaryIO) -> Iterator[Path]:
    """A temporary file holding all of ``stream`` (a table is read more than once: its head to detect the
    layout, then its rows), removed afterwards."""
    import tempfile  # only for a table on standard input: not on every start-up

    with tempfile.TemporaryDirectory(prefix="sentiment-stdin-") as folder:
        copy = Path(folder) / "stdin"
        try:
            with open(copy, "wb") as handle:
                for data in _chunks_of_bytes(stream):  # from the descriptor, as lines are: a signal ends it cleanly
                    handle.write(data)
        except OSError as exc:
            raise InputError(
                f"{STDIN}: cannot keep a copy to read as a table ({exc.strerror or exc})",
                "save the table to a file and name it instead",
            ) from None
        yield copy


def _drain(pending: list) -> Iterator[list]:
    if pending:
        chunk = pending[:]
        pending.clear()
        yield chunk
