"""Reading users' tables: CSV, TSV, JSON Lines and Parquet, each text format optionally gzip-compressed.

One streaming reader for ``train``, ``evaluate`` and ``predict``. :func:`open_table` looks at the
beginning of a file only (format, delimiter, quoting, header); :meth:`Table.records` then streams
it in chunks of :class:`Record` and :class:`Malformed` items with the physical line where each
starts. A bad record is reported where it is, never padded, truncated or merged into another, and
a quote that swallows the lines after it is reported rather than silently eating rows.

Nothing here prints or exits: a table that cannot be read at all raises :class:`DataError`.
pyarrow is imported only when a Parquet file is read, so prediction stays light.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import os
import re
import stat
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from .errors import DataError, clip, os_message, quoted
from .formats import TableFormat, table_format_of
from .textio import INVALID_HINT, as_text, encoding

FORMATS = tuple(f.value for f in TableFormat)
"""The formats read (:class:`~sentiment_cli.formats.TableFormat`), as text."""
TEXT_NAMES = (
    "text",
    "review",
    "document",
    "sentence",
    "content",
    "tweet",
    "body",
    "comment",
    "message",
    "review_text",
    "reviewtext",
    "summary",
    "post",
    "description",
)
LABEL_NAMES = (
    "label",
    "sentiment",
    "polarity",
    "rating",
    "stars",
    "score",
    "target",
    "class",
    "category",
    "y",
    "labels",
    "overall",
)
ID_NAMES = ("id", "review_id", "tweet_id", "uid", "idx", "index", "key")

FIELD_LIMIT = 64 << 20
"""Longest line, and longest CSV field, in characters: a longer one is an error, not a memory blow-up."""
JSON_ARRAY_LIMIT = 256 << 20
"""Largest ``.json`` array accepted (it is read whole); JSON Lines has no limit."""
SAMPLE_SIZE = 200

_DELIMITERS = (",", ";", "|")
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_SNIFF_BYTES = 64 << 10
_KEEP_CHARS = 1 << 20
_HEAD_LINES = 200
_HEAD_CHARS = 4 << 20
_SAMPLE_SCAN = 10_000  # items examined at most when looking for sample records
_FEW_VALUES = 20  # a column with at most this many distinct values can be a label
_SHORT = 40  # longest header cell when guessing a header by shape
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_JSON_SPACE = re.compile(r"[ \t\r\n]*")
_READ_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError


@dataclass(frozen=True)
class Record:
    """A good record: ``line`` is the 1-based physical line where it starts (Parquet: the row number).

    ``values`` maps column names to values: strings for CSV/TSV (every column present), the JSON
    values for JSON Lines (only the keys that object has), Python values for Parquet.
    """

    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Malformed:
    """A record that could not be read, where it starts and why (short, lower case)."""

    line: int
    reason: str
    lines: int = 1
    """The physical lines it took (a quote that swallowed the lines after it: all of them)."""


@dataclass(frozen=True)
class ReadCounts:
    """What one pass of :meth:`Table.records` saw: physical lines (Parquet: rows), records, bad records, blank lines."""

    lines: int = 0
    records: int = 0
    malformed: int = 0
    blank: int = 0
    invalid_utf8: int = 0
    """Lines that were not valid UTF-8 (their undecodable bytes read as U+FFFD)."""
    first_invalid_utf8: int = 0
    """The first of them (0: none)."""


@dataclass(frozen=True)
class ColumnChoice:
    text: str
    label: str | None
    id: str | None
    guessed: tuple[str, ...]
    """Which of ``"text"``, ``"label"``, ``"id"`` were picked automatically rather than named."""


@dataclass
class _Tally:
    lines: int = 0
    records: int = 0
    malformed: int = 0
    blank: int = 0
    invalid_utf8: int = 0
    first_invalid_utf8: int = 0

    def freeze(self) -> ReadCounts:
        return ReadCounts(**asdict(self))


# -- small helpers ----------------------------------------------------------------------------


def _normalize(name: str) -> str:
    """``"Review Text"``, ``"review_text"`` and ``"review-text"`` all become ``"reviewtext"``."""
    return re.sub(r"[\s_\-]+", "", name).casefold()


_KNOWN_NAMES = frozenset(_normalize(name) for name in TEXT_NAMES + LABEL_NAMES + ID_NAMES)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and _NUMBER.fullmatch(value.strip()) is not None


def _chomp(line: str) -> str:
    """A physical line without its ``\\n`` or ``\\r\\n``."""
    if line.endswith("\n"):
        line = line[:-1]
    return line[:-1] if line.endswith("\r") else line


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _span(first: int, last: int) -> str:
    return f"line {first:,}" if first == last else f"lines {first:,}-{last:,}"


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit % (1 << 20) == 0 else f"{limit} characters"


def _count_reason(found: int, expected: int) -> str:
    return f"{_plural(found, 'field')}, expected {expected}"


def _listing(columns: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(clip(column) for column in columns[:limit]) or "none"
    return shown if len(columns) <= limit else f"{shown}, ... ({len(columns)} in all)"


def _check_file(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise DataError(os_message(path, exc)) from None
    if stat.S_ISDIR(mode):
        raise DataError(f"{path}: is a directory")
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: not a regular file", "a table is read more than once; save it to a file first")


def _read_prefix(path: Path, size: int = _SNIFF_BYTES) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise DataError(os_message(path, exc)) from None


def _gunzip_prefix(raw: bytes) -> bytes:
    """As much of the decompressed start of a gzip stream as ``raw`` holds (empty if it is not gzip)."""
    try:
        return zlib.decompressobj(wbits=31).decompress(raw, _SNIFF_BYTES)
    except zlib.error:
        return b""


def _gzip_error(path: Path, exc: BaseException) -> DataError:
    if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile) and exc.strerror:
        return DataError(os_message(path, exc))
    return DataError(f"{path}: corrupt gzip data ({exc})", "the file may be truncated; decompress it to check")


def _nul_error(path: Path, line: int, head: bytes = b"") -> DataError:
    from .files import binary_kind

    kind = binary_kind(head)
    if kind in ("UTF-16 text", "UTF-32 text"):
        wide = kind.split()[0]
        return DataError(f"{path}: a {wide} table; tables are read as UTF-8", f"convert it: iconv -f {wide} -t UTF-8")
    if kind is not None and ": " in kind:  # a spreadsheet: what it is, then what to do
        what, todo = kind.split(": ", 1)
        return DataError(f"{path}: {what}, not a text table", todo)
    return DataError(
        f"{path}: not a text table ({kind or f'NUL bytes at line {line}'})",
        "is it binary, or UTF-16? tables must be UTF-8 text",
    )


class _Lines:
    """The physical lines of a text file (split at ``\\n``), decoded, each with its line ending.

    ``number`` counts the lines handed out; ``eof`` turns true once a reader asked for a line
    past the last one; with ``keep``, ``pending`` holds the lines since the caller last cleared it, up to
    :data:`_KEEP_CHARS` (enough to tell swallowed rows; a field that runs for 64 MiB is not held twice).
    Invalid UTF-8 becomes U+FFFD (counted in ``tally``, when given); a BOM at the start is dropped; a NUL
    byte is a :class:`DataError`.
    """

    def __init__(self, path: Path, compressed: bool, *, keep: bool = False, tally: _Tally | None = None) -> None:
        self.path = path
        self.tally = tally
        self.compressed = compressed
        self.keep = keep
        self.number = 0
        self.eof = False
        self.pending: list[str] = []
        self.kept = 0

    def __iter__(self) -> Iterator[str]:
        path = self.path
        try:
            handle: IO[bytes] = gzip.open(path, "rb") if self.compressed else open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise DataError(os_message(path, exc)) from None
        with handle:
            while True:
                try:
                    raw = handle.readline(FIELD_LIMIT + 1)
                except _READ_ERRORS as exc:
                    raise _gzip_error(path, exc) if self.compressed else DataError(os_message(path, exc)) from None
                if not raw:
                    break
                self.number += 1
                if len(raw) > FIELD_LIMIT:
                    raise DataError(f"{path}: line {self.number} is longer than {_size(FIELD_LIMIT)}")
                if b"\0" in raw:
                    raise _nul_error(path, self.number, raw if self.number == 1 else b"")
                if self.number == 1:
                    raw = raw.removeprefix(codecs.BOM_UTF8)
                line, replaced = as_text(raw)
                if replaced and self.tally is not None:
                    self.tally.invalid_utf8 += 1
                    self.tally.first_invalid_utf8 = self.tally.first_invalid_utf8 or self.number
                if self.keep and (not self.pending or self.kept < _KEEP_CHARS):
                    self.kept = len(line) + (self.kept if self.pending else 0)
                    self.pending.append(line)
                yield line
        self.eof = True


def _head_lines(path: Path, compressed: bool) -> tuple[list[str], bool]:
    """The first lines of a text table, and whether they are all of it."""
    lines: list[str] = []
    size = 0
    source = iter(_Lines(path, compressed))
    try:
        for line in source:
            lines.append(line)
            size += len(line)
            if len(lines) >= _HEAD_LINES or size >= _HEAD_CHARS:
                return lines, False
    finally:
        source.close()  # type: ignore[attr-defined]
    return lines, True


def _csv_reader(lines: Any, delimiter: str) -> Any:
    return csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)


def _is_blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _parse_head(lines: list[str], delimiter: str, quoted: bool, complete: bool) -> list[list[str]]:
    """The non-blank rows of the head; with quotes, a record cut off where the head ends is left out."""
    if not quoted:
        return [_chomp(line).split(delimiter) for line in lines if line.strip()]
    ended = False

    def feed() -> Iterator[str]:
        nonlocal ended
        yield from lines
        ended = True

    csv.field_size_limit(FIELD_LIMIT)
    reader = _csv_reader(feed(), delimiter)
    rows = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            continue
        if ended:  # an unclosed quote at the end of the file or of the head
            break
        if not _is_blank(row):
            rows.append(row)
    return rows


def _consistent(rows: list[list[str]]) -> bool:
    """At least two fields in the first row, and the same count in nine rows out of ten."""
    if not rows or len(rows[0]) < 2:
        return False
    width = len(rows[0])
    return sum(len(row) == width for row in rows) >= 0.9 * len(rows)


def _looks_tabular(rows: list[list[str]]) -> bool:
    """More than a text with commas: a known column name, or a column of numbers or of repeated short values."""
    if len(rows) < 2:
        return False
    if any(_normalize(cell) in _KNOWN_NAMES for cell in rows[0]):
        return True
    width = len(rows[0])
    rest = [row for row in rows[1:] if len(row) == width]
    for index in range(width):
        values = [row[index].strip() for row in rest]
        filled = [value for value in values if value]
        if filled and all(_is_number(value) for value in filled):
            return True
        distinct = set(values)
        if len(distinct) < len(values) and len(distinct) <= _FEW_VALUES and all(len(v) <= _SHORT for v in distinct):
            return True
    return False


def _sniff_delimited(lines: list[str], *, strict: bool) -> tuple[str, str] | None:
    """``(format, delimiter)`` for lines of a delimited table.

    ``strict`` (nothing else known about the file) asks for consistent rows that look like a
    table; otherwise a tab in the first line means TSV, then the first of ``, ; |`` with a
    consistent field count wins, then a comma.
    """
    nonblank = [line for line in lines if line.strip()]
    if not nonblank:
        return None
    if "\t" in nonblank[0]:
        rows = [_chomp(line).split("\t") for line in nonblank]
        if not strict or (_consistent(rows) and _looks_tabular(rows)):
            return "tsv", "\t"
    for delimiter in _DELIMITERS:
        rows = _parse_head(nonblank, delimiter, True, True)
        if _consistent(rows) and (not strict or _looks_tabular(rows)):
            return "csv", delimiter
    return None if strict else ("csv", ",")


_QUOTED_FIELD = re.compile(r'"[^"]*(?:""[^"]*)*"')


def _minimally_quoted(text: str, delimiter: str, width: int) -> list[str] | None:
    """The fields of a TSV line written with minimal quoting (Python's ``csv`` and pandas' default: a field that
    holds a tab or a quote is wrapped in quotes, its quotes doubled), when every quote in the line opens and
    closes one whole field and the line has ``width`` fields; else None (the quotes are text, as in a review
    that starts with a quoted title: ``"Heat" is great``)."""
    fields: list[str] = []
    position, end = 0, len(text)
    while True:
        if text.startswith('"', position):
            match = _QUOTED_FIELD.match(text, position)
            if match is None or not (match.end() == end or text.startswith(delimiter, match.end())):
                return None
            fields.append(match.group()[1:-1].replace('""', '"'))
            position = match.end()
        else:
            stop = text.find(delimiter, position)
            stop = end if stop < 0 else stop
            if '"' in text[position:stop]:
                return None  # a quote inside an unquoted field: the line's quotes are text
            fields.append(text[position:stop])
            position = stop
        if position >= end:
            break
        position += len(delimiter)
        if position == end:
            fields.append("")
            break
    return fields if len(fields) == width else None


def _quoted_record(delimiter: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    field = r'"[^"]*(?:""[^"]*)*"'
    sep = re.escape(delimiter)
    record = re.compile(rf"{field}(?:{sep}{field})*(?:\r?\n|\Z)")
    partial = re.compile(rf'(?:{field}{sep})*"[^"]*(?:""[^"]*)*')
    return record, partial


def _consistently_quoted(lines: list[str], complete: bool, delimiter: str) -> bool:
    """Whether every field of the head starts and ends with a double quote (fields may span lines)."""
    text = "".join(lines)
    record, partial = _quoted_record(delimiter)
    position = count = 0
    while position < len(text):
        if text.startswith(("\n", "\r\n"), position):  # a blank line
            position = text.index("\n", position) + 1
            continue
        match = record.match(text, position)
        if match is None:
            return not complete and count > 0 and partial.fullmatch(text, position) is not None
        count += 1
        position = match.end()
    return count > 0


def _looks_like_header(rows: list[list[str]]) -> bool:
    """A known column name, or distinct short non-numeric names over a column that is numeric below them, or
    over a column of a few repeated values (labels) that the first cell is not one of."""
    first, rest = rows[0], rows[1:]
    if any(_normalize(cell) in _KNOWN_NAMES for cell in first):
        return True
    cells = [cell.strip() for cell in first]
    if not all(cells) or len(set(cells)) != len(cells):
        return False
    if any(len(cell) > _SHORT or _is_number(cell) for cell in cells):
        return False
    for index in range(len(first)):
        values = [row[index].strip() for row in rest if len(row) == len(first) and row[index].strip()]
        if values and all(_is_number(value) for value in values):
            return True
        # a column of a few repeated values (labels) whose first cell is not one of them names the column
        distinct = set(values)
        if (
            len(values) >= 2
            and len(distinct) <= _FEW_VALUES
            and len(distinct) < len(values)
            and cells[index] not in distinct
        ):
            return True
    return False


def repeated_columns(table: Table) -> str | None:
    """One line naming header names given more than once, and what each repeat is called; None if none is."""
    if not table.renamed:
        return None
    shown = ", ".join(f"{quoted(old)} (the repeat is {quoted(new)})" for new, old in table.renamed.items())
    return f"{table.name}: column name{'s' if len(table.renamed) > 1 else ''} given twice: {shown}; the first is used"


def invalid_utf8(table: Table) -> str | None:
    """The last pass of :meth:`Table.records` over lines that were not valid UTF-8, for a warning (None: all
    were valid)."""
    count, first = table.counts.invalid_utf8, table.counts.first_invalid_utf8
    if not count:
        return None
    unit = "row" if table.format == "parquet" else "line"
    where = f"{unit} {first}" if count == 1 else f"{count:,} {unit}s, the first {unit} {first}"
    if encoding() != "utf-8":
        return f"{table.name}: not valid {encoding()} ({where}), replaced with U+FFFD"
    hint = f"; {INVALID_HINT}" if table.format != "parquet" else ""
    return f"{table.name}: invalid UTF-8 ({where}), replaced with U+FFFD{hint}"


def _header_names(cells: list[str]) -> list[str]:
    """Header cells as column names: stripped; an empty one named by its position; repeats numbered."""
    names: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells, 1):
        name = cell.strip() or str(position)
        base, copy = name, 0
        while name in seen:
            copy += 1
            name = f"{base}.{copy}"
        seen.add(name)
        names.append(name)
    return names


@dataclass(frozen=True)
class _Rule:
    """What a column's values look like in the sample: all numbers, or a few repeated values."""

    numeric: bool
    values: frozenset[str] = frozenset()
    empty: bool = False

    def fits(self, value: str) -> bool:
        value = value.strip()
        if not value:
            return self.empty or value in self.values
        return _is_number(value) if self.numeric else value in self.values


def _profile(rows: list[list[str]], width: int) -> tuple[_Rule | None, ...]:
    """Rules for the columns of single-line rows, used to recognise rows swallowed by a quote."""
    rows = [row for row in rows if len(row) == width and not any("\n" in value for value in row)]
    rules: list[_Rule | None] = []
    for index in range(width):
        values = [row[index].strip() for row in rows]
        filled = [value for value in values if value]
        distinct = frozenset(values)
        if filled and all(_is_number(value) for value in filled):
            rules.append(_Rule(True, empty=len(filled) < len(values)))
        elif len(values) >= 2 and len(distinct) <= _FEW_VALUES and len(distinct) < len(values):
            rules.append(_Rule(False, distinct))
        else:
            rules.append(None)
    return tuple(rules)


def _parquet_module(path: Path) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"{path}: reading Parquet needs pyarrow", "pip install pyarrow") from None
    return pq


def _parquet_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa

    return (OSError, ValueError, pa.ArrowException)


# -- format detection -------------------------------------------------------------------------


def _is_json(path: Path) -> bool:
    """Whether the file is named ``.json`` (``.json.gz``): lines of objects, or one array of them."""
    return os.path.splitext(path.name.lower().removesuffix(".gz"))[1] == ".json"


def _text_lines(data: bytes) -> list[str]:
    """Complete lines of the start of a file (the last, possibly cut, line dropped if there are others)."""
    text = as_text(data.removeprefix(codecs.BOM_UTF8))[0]
    lines = text.split("\n")
    return lines[:-1] if len(lines) > 1 else lines


def _first_json_object(lines: list[str], cut: bool) -> bool:
    """Whether the first non-blank line is a JSON object (or starts like one, when ``cut`` short)."""
    first = next((line.strip() for line in lines if line.strip()), "")
    if not first.startswith("{"):
        return False
    if cut and len(lines) == 1:
        return True
    try:
        return isinstance(json.loads(first), dict)
    except (ValueError, RecursionError):
        return False


def detect_format(path: Path, sample: bytes | None = None) -> str | None:
    """``'csv'``, ``'tsv'``, ``'jsonl'`` or ``'parquet'``, or None when the file looks like plain text.

    By extension first (``.csv .tsv .tab .jsonl .ndjson .parquet .pq``, each optionally ``.gz``;
    ``.json`` when it holds lines of objects or one array of objects), else by content: Parquet
    magic, gzip magic (then the content inside), a first line that is a JSON object, then lines
    that consistently split at tabs, or at commas, semicolons or bars, and look like a table.
    ``sample`` is the start of the file as stored; without it the file is read.
    """
    path = Path(path)
    named = table_format_of(path)
    if named is not None and not _is_json(path):
        return named.value
    if sample is None:
        sample = _read_prefix(path)
    if sample.startswith(_GZIP_MAGIC):
        sample = _gunzip_prefix(sample)
    if sample.startswith(_PARQUET_MAGIC):
        return "parquet"
    lines = _text_lines(sample)
    cut = len(sample) >= _SNIFF_BYTES
    if named is not None:  # .json: lines of objects or one array of them, else not a table
        start = sample.removeprefix(codecs.BOM_UTF8).lstrip()
        return "jsonl" if start.startswith(b"[") or _first_json_object(lines, cut) else None
    if b"\0" in sample:
        return None
    if _first_json_object(lines, cut):
        return "jsonl"
    found = _sniff_delimited(lines[:_HEAD_LINES], strict=True)
    return found[0] if found else None


# -- the table --------------------------------------------------------------------------------


class Table:
    """An opened table (see :func:`open_table`): its layout, a sample, and a stream of its records."""

    def __init__(
        self,
        path: Path,
        format: str,
        *,
        compressed: bool = False,
        delimiter: str | None = None,
        quoted: bool = False,
        has_header: bool = True,
        columns: Sequence[str] = (),
        json_array: bool = False,
    ) -> None:
        self.path = path
        self.name = str(path)
        """What messages call the table: its path, or the name given to :func:`open_table`."""
        self.format = format
        self.delimiter = delimiter
        self.quoted = quoted
        """CSV is always read with quoting rules; TSV only when the whole head is consistently quoted."""
        self.has_header = has_header
        self.columns = list(columns)
        self.renamed: dict[str, str] = {}
        """Header names given twice or more: each repeat's column name (``text.1``) to the name as written."""
        self._compressed = compressed
        self._json_array = json_array
        self._profile: tuple[_Rule | None, ...] | None = None
        self._sample: list[Record] = []
        self._sample_complete = False
        self._counts = ReadCounts()
        self.types: dict[str, Any] = {}
        """Parquet: each column's Arrow type."""
        self._as_text: frozenset[str] = frozenset()
        """Parquet columns of bytes (``binary``: Spark, Hive and Impala write strings so) read as UTF-8 text."""

    def __repr__(self) -> str:
        return f"Table({str(self.path)!r}, format={self.format!r}, columns={self.columns!r})"

    @property
    def counts(self) -> ReadCounts:
        """The current (or last finished) pass of :meth:`records`; all zero before the first."""
        return self._counts

    def sample(self, n: int = SAMPLE_SIZE) -> list[Record]:
        """The first ``n`` good records; reads only the beginning of the file."""
        if n <= len(self._sample) or self._sample_complete:
            return self._sample[:n]
        return self._scan(n)[0]

    def records(self, chunk_size: int = 1024) -> Iterator[list[Record | Malformed]]:
        """All records in file order, ``chunk_size`` at a time; each call reads the file again from the start.
        A fault that ends the reading (a :class:`DataError`) is raised after the records before it."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        tally = _Tally()
        self._counts = tally.freeze()
        chunk: list[Record | Malformed] = []
        try:
            for item in self._items(tally, chunk_size):
                if isinstance(item, Record):
                    tally.records += 1
                else:
                    tally.malformed += 1
                chunk.append(item)
                if len(chunk) >= chunk_size:
                    self._counts = tally.freeze()
                    yield chunk
                    chunk = []
        except DataError:  # a fault that ends the file (NUL bytes, a huge line): the rows before it still count
            self._counts = tally.freeze()
            if chunk:
                yield chunk
            raise
        self._counts = tally.freeze()
        if chunk:
            yield chunk

    # -- internals ----------------------------------------------------------------------------

    def _scan(self, n: int) -> tuple[list[Record], bool, int]:
        """(first ``n`` good records, whether that was the whole file, items examined)."""
        found: list[Record] = []
        seen = 0
        items = self._items(_Tally(), min(max(n, 1), 1024))
        try:
            for item in items:
                seen += 1
                if isinstance(item, Record):
                    found.append(item)
                if len(found) >= n or seen >= max(_SAMPLE_SCAN, 50 * n):
                    return found, False, seen
        finally:
            items.close()
        return found, True, seen

    def read_as_text(self, text: str, *others: str | None) -> None:
        """Read the column ``text`` (and ``others``: the label) as text. A Parquet column of bytes (``binary``,
        ``large_binary``) is decoded as UTF-8, invalid bytes replaced and counted as in a text table; a column of
        another type (a struct, a list, numbers) cannot be a text column: :class:`DataError` names it and its
        type. Nothing to do for CSV, TSV and JSON Lines, whose values are read as they are."""
        if self.format != "parquet":
            return
        kind = self.types.get(text)
        if kind is not None and not _texty(kind):
            raise DataError(
                f"{self.name}: column {quoted(text)} is {_arrow_name(kind)}, not text (a string or binary column)",
                "give the column that holds the reviews' text",
            )
        wanted = {text, *others}
        self._as_text = frozenset(c for c in self.types if c in wanted and _bytes_type(self.types[c]))

    def _load_sample(self) -> None:
        self._sample, self._sample_complete, seen = self._scan(SAMPLE_SIZE)
        if not seen:
            raise DataError(f"{self.name}: no records")

    def _items(self, tally: _Tally, batch: int) -> Iterator[Record | Malformed]:
        try:
            yield from self._read_items(tally, batch)
        except DataError as exc:
            raise _named(exc, self.path, self.name) from None

    def _read_items(self, tally: _Tally, batch: int) -> Iterator[Record | Malformed]:
        if self.format == "parquet":
            return self._parquet_items(tally, batch)
        if self.format == "jsonl":
            return self._array_items(tally) if self._json_array else self._jsonl_items(tally)
        if self.quoted:
            return self._quoted_items(tally)
        return self._split_items(tally)

    def _split_items(self, tally: _Tally) -> Iterator[Record | Malformed]:
        """TSV without quoting: a line is a record, the delimiter separates fields, quotes are text, except in a
        line whose quotes all open and close whole fields (:func:`_minimally_quoted`)."""
        columns, width, delimiter = self.columns, len(self.columns), self.delimiter or "\t"
        header = self.has_header
        source = _Lines(self.path, self._compressed, tally=tally)
        for line in source:
            tally.lines = number = source.number
            text = _chomp(line)
            if not text.strip():
                tally.blank += 1
                continue
            if header:
                header = False
                continue
            fields = text.split(delimiter)
            if '"' in text and (minimal := _minimally_quoted(text, delimiter, width)) is not None:
                fields = minimal  # a line as Python's csv and pandas write TSV: quoted where a field needs it
            if len(fields) != width:
                yield Malformed(number, _count_reason(len(fields), width))
            else:
                yield Record(number, dict(zip(columns, fields, strict=True)))
        tally.lines = source.number

    def _quoted_items(self, tally: _Tally) -> Iterator[Record | Malformed]:
        """CSV quoting rules (Python's csv module), with start lines, unclosed and swallowing quotes reported."""
        columns, width = self.columns, len(self.columns)
        header = self.has_header
        source = _Lines(self.path, self._compressed, keep=True, tally=tally)
        csv.field_size_limit(FIELD_LIMIT)
        reader = _csv_reader(source, self.delimiter or ",")
        end = 0
        while True:
            source.pending.clear()
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                start, end = end + 1, source.number
                tally.lines = end
                yield Malformed(start, _csv_reason(exc, start, end), end - start + 1)
                continue
            start, end = end + 1, source.number
            tally.lines = end
            if source.eof:  # the reader asked for a line past the last: a quote never closed
                yield Malformed(start, _unclosed_reason(fields, start, end), end - start + 1)
                continue
            if start == end and _is_blank(fields):
                tally.blank += 1
                continue
            if header:
                header = False
                continue
            if end > start:
                reason = self._swallowed(source.pending, start, end)
                if reason:
                    yield Malformed(start, reason, end - start + 1)
                    continue
            if len(fields) != width:
                reason = _count_reason(len(fields), width)
                if end > start:
                    reason += f" (a quoted field spans {_span(start, end)})"
                yield Malformed(start, reason)
                continue
            yield Record(start, dict(zip(columns, fields, strict=True)))
        tally.lines = source.number

    def _swallowed(self, lines: list[str], start: int, end: int) -> str | None:
        """A reason when a multi-line record's later lines look like rows of their own."""
        profile = self._profile
        if profile is None or len(self.columns) < 2:
            return None
        # One line inside a quoted review can look like a row by chance ("Acting, 9"); a stray quote that
        # swallows rows takes several.
        row_like = sum(1 for line in lines[1:] if line.count('"') % 2 == 0 and self._row_like(line, profile))
        if row_like >= 2:
            return f"a quote opened at line {start} swallowed {_span(start + 1, end)}"
        return None

    def _row_like(self, line: str, profile: tuple[_Rule | None, ...]) -> bool:
        try:
            fields = next(_csv_reader([line], self.delimiter or ","), [])
        except csv.Error:
            return False
        if len(fields) != len(self.columns):
            return False
        return all(rule.fits(value) for rule, value in zip(profile, fields, strict=True) if rule is not None)

    def _jsonl_items(self, tally: _Tally) -> Iterator[Record | Malformed]:
        source = _Lines(self.path, self._compressed, tally=tally)
        for line in source:
            tally.lines = number = source.number
            text = line.strip()
            if not text:
                tally.blank += 1
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Malformed(number, f"not valid JSON ({exc.msg})")
                continue
            except RecursionError:  # valid JSON, perhaps, but deeper than Python's parser goes
                yield Malformed(number, "JSON nested too deeply to read")
                continue
            except ValueError:
                yield Malformed(number, "not valid JSON")
                continue
            if isinstance(value, dict):
                yield Record(number, value)
            else:
                yield Malformed(number, "not a JSON object")
        tally.lines = source.number

    def _array_items(self, tally: _Tally) -> Iterator[Record | Malformed]:
        """A ``.json`` file holding one array of objects (read whole, up to :data:`JSON_ARRAY_LIMIT`)."""
        text = self._read_whole()
        tally.lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        decoder = json.JSONDecoder()
        position = _JSON_SPACE.match(text).end() + 1  # type: ignore[union-attr]
        position = _JSON_SPACE.match(text, position).end()  # type: ignore[union-attr]
        line, mark = 1, 0
        if text.startswith("]", position):
            return
        while True:
            line += text.count("\n", mark, position)
            mark = position
            try:
                value, position = decoder.raw_decode(text, position)
            except (ValueError, RecursionError) as exc:
                reason = getattr(exc, "msg", "nested too deeply")
                yield Malformed(line, f"not valid JSON ({reason}); the rest of the array was not read")
                return
            yield Record(line, value) if isinstance(value, dict) else Malformed(line, "not a JSON object")
            position = _JSON_SPACE.match(text, position).end()  # type: ignore[union-attr]
            if text.startswith(",", position):
                position = _JSON_SPACE.match(text, position + 1).end()  # type: ignore[union-attr]
                continue
            if text.startswith("]", position):
                return
            line += text.count("\n", mark, position)
            yield Malformed(line, "not valid JSON (expected ',' or ']'); the rest of the array was not read")
            return

    def _read_whole(self) -> str:
        path = self.path
        try:
            with gzip.open(path, "rb") if self._compressed else open(path, "rb") as handle:
                raw = handle.read(JSON_ARRAY_LIMIT + 1)
        except _READ_ERRORS as exc:
            raise _gzip_error(path, exc) if self._compressed else DataError(os_message(path, exc)) from None
        if len(raw) > JSON_ARRAY_LIMIT:
            raise DataError(
                f"{path}: a JSON array larger than {_size(JSON_ARRAY_LIMIT)}",
                "convert it to JSON Lines, e.g. jq -c '.[]' FILE > FILE.jsonl",
            )
        if b"\0" in raw:
            raise _nul_error(path, raw.count(b"\n", 0, raw.index(b"\0")) + 1, raw)
        return as_text(raw.removeprefix(codecs.BOM_UTF8))[0]

    def _parquet_items(self, tally: _Tally, batch: int) -> Iterator[Record | Malformed]:
        pq = _parquet_module(self.path)
        errors = _parquet_errors()
        number = 0
        try:
            with pq.ParquetFile(self.path) as parquet:
                for table in parquet.iter_batches(batch_size=batch):
                    for values in table.to_pylist():
                        number += 1
                        tally.lines = number
                        for column in self._as_text:
                            values[column] = _utf8(values.get(column), number, tally)
                        yield Record(number, values)
        except errors as exc:
            raise DataError(f"{self.path}: not a readable Parquet file ({exc})") from None


def _csv_reason(exc: csv.Error, start: int, end: int) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        if end > start:  # a quote left open: it took every line up to the limit, rows included
            return (
                f"a quote opened at line {start:,} swallowed {_span(start + 1, end)}, passing {_size(FIELD_LIMIT)} "
                "(reading went on after them)"
            )
        return f"a field longer than {_size(FIELD_LIMIT)}"
    if "new-line character seen in unquoted field" in message:
        return "a carriage return inside an unquoted field"
    return f"not valid CSV ({message})"


def _unclosed_reason(fields: list[str], start: int, end: int) -> str:
    opened = start + sum(field.count("\n") for field in fields[:-1])
    where = "here" if opened == start else f"at line {opened}"
    reason = f"quoted field opened {where} runs to the end of the file"
    return reason + (f", swallowing {_span(opened + 1, end)}" if end > opened else "")


# -- opening ----------------------------------------------------------------------------------


def open_table(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    header: bool | None = None,
    delimiter: str | None = None,
    name: str | None = None,
) -> Table:
    """Open a table: detect its format (``fmt`` None), delimiter, quoting and header (``header`` None).

    Reads only the beginning of the file. Raises :class:`DataError` when it is missing, not a
    table, unreadable (corrupt gzip or Parquet, NUL bytes) or has no records. ``name``: what messages
    call the table (default: its path), e.g. ``<stdin>`` for a copy of standard input.
    """
    path = Path(path)
    try:
        table = _open_table(path, fmt, header, delimiter)
    except DataError as exc:
        raise _named(exc, path, name) from None
    table.name = name or table.name
    return table


def _named(exc: DataError, path: Path, name: str | None) -> DataError:
    """``exc`` with the table's path in its message and hint replaced by its ``name``."""
    if name is None or name == str(path):
        return exc
    hint = exc.hint.replace(str(path), name) if exc.hint else exc.hint
    return type(exc)(exc.message.replace(str(path), name), hint)


def _open_table(path: Path, fmt: str | None, header: bool | None, delimiter: str | None) -> Table:
    _check_file(path)
    if fmt is not None and fmt not in FORMATS:
        raise DataError(f"{path}: unknown table format {fmt!r}", f"use one of: {', '.join(FORMATS)}")
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise DataError(f"{path}: a delimiter must be one character other than a quote or a line break")
    raw = _read_prefix(path)
    compressed = path.name.lower().endswith(".gz") or raw.startswith(_GZIP_MAGIC)
    inner = raw
    if compressed:
        try:
            with gzip.open(path, "rb") as handle:
                inner = handle.read(_SNIFF_BYTES)
        except _READ_ERRORS as exc:
            raise _gzip_error(path, exc) from None
    detected = fmt or detect_format(path, raw)
    if detected is None:
        if not inner.removeprefix(codecs.BOM_UTF8).strip():
            raise DataError(f"{path}: no records")
        if b"\0" in inner:
            raise _nul_error(path, inner.count(b"\n", 0, inner.index(b"\0")) + 1, inner)
        raise DataError(
            f"{path}: not a table (no consistent delimiter, JSON Lines or Parquet found)",
            "name it .csv, .tsv, .jsonl or .parquet, or give its format: csv, tsv, jsonl or parquet",
        )
    if delimiter is not None and detected not in ("csv", "tsv"):
        raise DataError(f"{path}: a delimiter applies to CSV and TSV only, not {detected}")
    if detected == "parquet":
        return _open_parquet(path, compressed)
    if b"\n" not in inner and b"\r" in inner.strip():  # lines that end in CR alone: the whole file one line
        raise DataError(
            f"{path}: its lines end in CR only (an old Mac layout, as Excel's 'CSV (Macintosh)'); lines must end "
            "in LF or CRLF",
            "convert the line ends, e.g. tr '\\r' '\\n' < FILE > FIXED",
        )
    lines, complete = _head_lines(path, compressed)
    if not any(line.strip() for line in lines):
        raise DataError(f"{path}: no records")
    if detected == "jsonl":
        return _open_jsonl(path, compressed, lines)
    return _open_delimited(path, detected, fmt is not None, compressed, lines, complete, header, delimiter)


def _open_parquet(path: Path, compressed: bool) -> Table:
    if compressed:
        raise DataError(f"{path}: gzip-compressed Parquet is not supported", "decompress it first")
    pq = _parquet_module(path)
    try:
        with pq.ParquetFile(path) as parquet:
            schema = parquet.schema_arrow
            columns = list(schema.names)
            rows = parquet.metadata.num_rows
    except _parquet_errors() as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    if rows == 0:
        raise DataError(f"{path}: no records")
    table = Table(path, "parquet", columns=columns)
    table.types = {field.name: field.type for field in schema}
    table._as_text = frozenset(name for name, kind in table.types.items() if _bytes_type(kind))  # the sample's
    table._load_sample()
    return table


def _bytes_type(kind: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind)


def _texty(kind: Any) -> bool:
    """Whether a Parquet column of this Arrow type can hold text: strings, bytes, or nothing (all null)."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind) or _bytes_type(kind)


def _arrow_name(kind: Any) -> str:
    """``a struct (struct<a: string>)``: an Arrow type for a message."""
    import pyarrow as pa

    for test, name in ((pa.types.is_struct, "a struct"), (pa.types.is_map, "a map"),
                       (pa.types.is_list, "a list"), (pa.types.is_large_list, "a list"),
                       (pa.types.is_fixed_size_list, "a list"), (pa.types.is_boolean, "boolean"),
                       (pa.types.is_integer, "integer"), (pa.types.is_floating, "floating-point"),
                       (pa.types.is_temporal, "a date or time")):  # fmt: skip
        if test(kind):
            return f"{name} ({kind})"
    return str(kind)


def _utf8(value: Any, row: int, tally: _Tally) -> Any:
    """A Parquet cell of bytes as UTF-8 text (invalid bytes as U+FFFD, counted); other values as they are."""
    if not isinstance(value, bytes):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        tally.invalid_utf8 += 1
        tally.first_invalid_utf8 = tally.first_invalid_utf8 or row
        return value.decode("utf-8", errors="replace")


def _open_jsonl(path: Path, compressed: bool, lines: list[str]) -> Table:
    array = _is_json(path) and "".join(lines).lstrip().startswith("[")
    table = Table(path, "jsonl", compressed=compressed, json_array=array)
    table._load_sample()
    if not table._sample:  # lines, but none an object: say why, not "no text column (columns: none)"
        bad = next((item for item in table._items(_Tally(), 64) if isinstance(item, Malformed)), None)
        first = f" (line {bad.line}: {bad.reason})" if bad else ""
        scope = "" if table._sample_complete else f"of the first {_SAMPLE_SCAN:,} "
        deep = bad is not None and "nested too deeply" in bad.reason
        hint = None if deep else "is it JSON Lines? name another format with --input-format: csv, tsv, parquet"
        raise DataError(f"{path}: no line {scope}is a JSON object{first}", hint)
    columns: dict[str, None] = {}
    for record in table._sample:
        columns.update(dict.fromkeys(record.values))
    table.columns = list(columns)
    return table


def _open_delimited(
    path: Path,
    fmt: str,
    explicit: bool,
    compressed: bool,
    lines: list[str],
    complete: bool,
    header: bool | None,
    delimiter: str | None,
) -> Table:
    if delimiter is None:
        if fmt == "tsv":
            delimiter = "\t"
        else:
            sniffed = _sniff_delimited([_chomp(line) for line in lines], strict=False)
            fmt, delimiter = sniffed or ("csv", ",")
            if explicit:
                fmt = "csv"
    quoted = fmt == "csv" or _consistently_quoted(lines, complete, delimiter)
    rows = _parse_head(lines, delimiter, quoted, complete)
    if not rows:  # a single record cut off by the end of the head, or an unclosed quote
        rows = [_chomp(next(line for line in lines if line.strip())).split(delimiter)]
    has_header = _looks_like_header(rows) if header is None else header
    if has_header:
        columns = _header_names(rows[0])
        data = rows[1:]
    else:
        width = Counter(len(row) for row in rows).most_common(1)[0][0]
        columns = [str(position) for position in range(1, width + 1)]
        data = rows
    table = Table(
        path,
        fmt,
        compressed=compressed,
        delimiter=delimiter,
        quoted=quoted,
        has_header=has_header,
        columns=columns,
    )
    if has_header:
        table.renamed = {new: cell.strip() for new, cell in zip(columns, rows[0], strict=False) if new != cell.strip()}
        table.renamed = {new: old for new, old in table.renamed.items() if old}  # not the empty, position-named
    if quoted:
        table._profile = _profile(data, len(columns))
    table._load_sample()
    return table


# -- choosing the columns ---------------------------------------------------------------------


def choose_columns(
    table: Table,
    text: str | None = None,
    label: str | None = None,
    id: str | None = None,
    *,
    need_label: bool,
) -> ColumnChoice:
    """The text, label and id columns: as named, else by their usual names, else by content.

    A name is matched exactly, then case-insensitively, then as a 1-based position ("2"). Unnamed
    columns are found by the names in TEXT_NAMES, LABEL_NAMES and ID_NAMES (ignoring case, spaces,
    underscores and hyphens), else from the sample: the text is the string column with the longest
    mean length, the label the last other column with few repeated values; an id only by name.
    """
    columns = table.columns
    chosen_text = resolve_column(columns, text, "text", table.name) if text is not None else None
    chosen_label = resolve_column(columns, label, "label", table.name) if label is not None else None
    chosen_id = resolve_column(columns, id, "id", table.name) if id is not None else None
    sample = table.sample()
    if chosen_id is None:
        chosen_id = column_by_name(columns, ID_NAMES, {chosen_text, chosen_label})
    if chosen_id is None:
        chosen_id = _id_like(columns, {chosen_text, chosen_label})
    if chosen_text is None:
        chosen_text = column_by_name(columns, TEXT_NAMES, {chosen_label, chosen_id})
    if chosen_label is None and label is None and need_label:  # predict: a column named "score" may be the text
        chosen_label = column_by_name(columns, LABEL_NAMES, {chosen_text, chosen_id})
    if chosen_text is None:
        chosen_text = _longest_text(columns, sample, {chosen_label, chosen_id})
    if chosen_text is None:
        raise DataError(
            f"{table.name}: no text column found (columns: {_listing(columns)})",
            "give the text column's name or 1-based position",
        )
    if chosen_label is None and label is None and need_label:
        chosen_label = _few_values(columns, sample, {chosen_text, chosen_id})
    if chosen_label is None and need_label:
        raise DataError(
            f"{table.name}: no label column found (columns: {_listing(columns)})",
            "give the label column's name or 1-based position",
        )
    if chosen_text == chosen_label:
        raise DataError(f"{table.name}: the text and label columns are both {quoted(chosen_text)}")
    table.read_as_text(chosen_text, chosen_label)
    picked = (("text", text, chosen_text), ("label", label, chosen_label), ("id", id, chosen_id))
    guessed = tuple(role for role, named, column in picked if named is None and column is not None)
    return ColumnChoice(chosen_text, chosen_label, chosen_id, guessed)


def describe_reading(table: Table, choice: ColumnChoice) -> str:
    """What was read and which columns were used: ``read F as CSV with a header row; text column 'review',
    label column 'stars' (chosen automatically: text, label)``."""
    said = f"read {table.name} as {table.format.upper()}"
    if table.format in ("csv", "tsv"):
        said += " with a header row" if table.has_header else " without a header row (columns 1, 2, ...)"
    used = [f"{role} column {quoted(column)}" for role, column in (("text", choice.text), ("label", choice.label),
                                                            ("id", choice.id)) if column]  # fmt: skip
    guessed = f" (chosen automatically: {', '.join(choice.guessed)})" if choice.guessed else ""
    return f"{said}; {', '.join(used)}{guessed}"


def resolve_column(columns: Sequence[str], wanted: str, role: str, where: object) -> str:
    """The column ``wanted`` names: exactly, then ignoring case, then as a 1-based position ("2")."""
    if wanted in columns:
        return wanted
    folded = [column for column in columns if column.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    if len(folded) > 1:
        raise DataError(f"{where}: {role} column {quoted(wanted)} is ambiguous (matches {_listing(folded)})")
    if re.fullmatch(r"[0-9]+", wanted.strip()) and 1 <= int(wanted) <= len(columns):
        return columns[int(wanted) - 1]
    raise DataError(f"{where}: no {role} column {quoted(wanted)} (columns: {_listing(columns)})")


def column_by_name(columns: Sequence[str], names: tuple[str, ...], taken: set[str | None] = frozenset()) -> str | None:
    """The first of ``names`` (ignoring case, spaces, underscores and hyphens) that is a column not taken."""
    normalized = {}
    for column in columns:
        if column not in taken:
            normalized.setdefault(_normalize(column), column)
    return next((normalized[key] for key in map(_normalize, names) if key in normalized), None)


_ID_LIKE = re.compile(r"[_\- .][iI][dD]$|[a-z0-9]Id$|^(?:[uU][uU]|[gG][uU])[iI][dD]$")


def _id_like(columns: Sequence[str], taken: set[str | None]) -> str | None:
    """The first column (not taken) whose name says it is an id, after those of ID_NAMES: ``*_id``, ``*-id``,
    ``* id``, ``reviewId`` (camel case), ``uuid``, ``guid``. Exactly one such column: two (``user_id``,
    ``product_id``) say no one of them is the review's, so none is taken."""
    found = [column for column in columns if column not in taken and _ID_LIKE.search(column.strip())]
    return found[0] if len(found) == 1 else None


def _longest_text(columns: list[str], sample: list[Record], taken: set[str | None]) -> str | None:
    """The string column (not all numbers) with the longest mean length in the sample."""
    best, best_length = None, -1.0
    for column in columns:
        if column in taken:
            continue
        values = [record.values.get(column) for record in sample]
        present = [value for value in values if value is not None]
        strings = [value for value in present if isinstance(value, str)]
        if not strings or len(strings) < len(present):
            continue
        if all(_is_number(value) or not value.strip() for value in strings):
            continue
        length = sum(len(value) for value in strings) / len(values)
        if length > best_length:
            best, best_length = column, length
    return best


def _few_values(columns: list[str], sample: list[Record], taken: set[str | None]) -> str | None:
    """The last column with at most 20 distinct values in the sample, some of them repeated."""
    for column in reversed(columns):
        if column in taken:
            continue
        values = [record.values.get(column) for record in sample]
        values = [value.strip() if isinstance(value, str) else value for value in values]
        values = [value for value in values if value is not None and value != ""]
        if not values or not all(isinstance(value, str | int | float | bool) for value in values):
            continue
        distinct = set(values)
        if len(distinct) <= _FEW_VALUES and len(distinct) < len(values):
            return column
    return None
