"""The table formats and the file extensions that name them: the one registry that the table reader, the
prediction inputs, Spark, the prediction writers and the CLI's format options all derive from.

A leaf: it imports nothing else from the package, and no third-party module, so that anything may use it.
Adding a format is adding it here, then teaching :mod:`sentiment_cli.tables` to read it (the unit tests check
that every format and extension here is read by the tables and offered by the CLI).
"""

from __future__ import annotations

import os
from enum import StrEnum


class TableFormat(StrEnum):
    """A table format, in the order help texts list them."""

    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"
    parquet = "parquet"

    @property
    def binary(self) -> bool:
        """Whether it needs a file (Parquet): it cannot be written to a stream such as standard output."""
        return self is TableFormat.parquet


T = TableFormat

TABLE_SUFFIXES: dict[str, TableFormat] = {
    ".csv": T.csv, ".tsv": T.tsv, ".tab": T.tsv, ".jsonl": T.jsonl, ".ndjson": T.jsonl, ".json": T.jsonl,
    ".parquet": T.parquet, ".pq": T.parquet,
}  # fmt: skip
"""Each extension that names a table format. ``.json`` and ``.ndjson`` are JSON lines (one object per line), as
Hugging Face datasets and BigQuery exports name them; the reader also takes a ``.json`` array of objects. Text
formats may be gzip-compressed as well (``.csv.gz``): see :func:`table_format_of`."""

GZIP_SUFFIX = ".gz"


def table_format_of(name: str | os.PathLike[str]) -> TableFormat | None:
    """The format a file's name says it holds (``.gz`` after the extension is allowed: ``a.tsv.gz`` is TSV), or
    None. Only the last component of ``name`` counts (a folder ``x.csv/`` names no format of what it holds)."""
    base = os.path.basename(os.fspath(name)).lower().removesuffix(GZIP_SUFFIX)
    return TABLE_SUFFIXES.get(os.path.splitext(base)[1])


def file_format_of(name: str | os.PathLike[str]) -> TableFormat | None:
    """The format of a file to be *written* (``predict -o``, ``evaluate --predictions``, Spark's output folder):
    as :func:`table_format_of`, without ``.gz`` (what is written is never compressed)."""
    return TABLE_SUFFIXES.get(os.path.splitext(os.path.basename(os.fspath(name)))[1].lower())


def listed(first: TableFormat | None = None, *, streams: bool = False) -> list[TableFormat]:
    """The formats in registry order, ``first`` moved to the front (the default of an option, listed first in
    its help); with ``streams`` only those a stream can carry (no Parquet)."""
    ordered = [*([first] if first is not None else []), *(f for f in TableFormat if f is not first)]
    return [f for f in ordered if not (streams and f.binary)]
