"""Prediction files and streams: JSON lines, CSV, TSV (to stdout or a file), Parquet (to a file), and a table
on a terminal; every one carries the record of :mod:`sentiment_cli.records`. :func:`open_writer` is the one
way a command gets a writer (``predict``, ``evaluate --predictions``)."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._quiet import is_terminal as _is_terminal
from ..errors import OutputError
from ..formats import TABLE_SUFFIXES, TableFormat, file_format_of, listed
from ..records import carried, cell_text, json_record, json_text, prediction_columns, prediction_record
from . import console
from .console import STDOUT, inert, one_line

if TYPE_CHECKING:
    from ..explain import Explanation

_STREAMED = {f.value: f.value for f in listed(TableFormat.jsonl, streams=True)}
PredictFormat = StrEnum("PredictFormat", {"auto": "auto", "table": "table", **_STREAMED})  # type: ignore[misc]
"""``predict --format``: auto, a table for a terminal, then every table format a stream can carry (JSON lines
first: what auto writes to a pipe)."""


def resolve_format(fmt: PredictFormat) -> PredictFormat:
    if fmt is PredictFormat.auto:
        return PredictFormat.table if _is_terminal(sys.stdout) else PredictFormat.jsonl
    return fmt


def redirected_file() -> tuple[str, str] | None:
    """``(name, format)`` when stdout is a regular file whose name ends .csv or .tsv (``predict new.csv >
    out.csv``): the format its extension names, which JSON lines would contradict. Linux only (the name is
    read from /proc); elsewhere, or for a terminal, a pipe or another name, None."""
    import stat

    try:
        fd = sys.stdout.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        name = os.readlink(f"/proc/self/fd/{fd}")
    except (OSError, ValueError, AttributeError):  # no descriptor (a test's stream), no /proc
        return None
    fmt = file_format_of(name)
    return (name, fmt.value) if fmt in (TableFormat.csv, TableFormat.tsv) else None


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula: one starting with ``= + - @``, a tab or a carriage
    return gets a leading ``'`` (OWASP's advice against CSV injection); numbers (``-3``, ``+1.5e3``) and
    other cells are unchanged."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


_TSV_BREAKS = str.maketrans("\t\r\n", "   ")


def _tsv_cell(cell: str) -> str:
    """A TSV cell as the TSV format has it (and as ``sentiment`` reads TSV: quotes are text): never quoted, a tab
    or line break in it written as a space, which splits no token, so a review read back scores the same."""
    return cell.translate(_TSV_BREAKS)


class PredictionWriter:
    """Writes predictions chunk by chunk in one format, flushing after each chunk.

    Every format carries the same fields, in this order: ``source`` (``FILE``, ``FILE:LINE`` or
    ``<stdin>:LINE``), ``id`` (with an id column), ``label``, ``probability`` (two classes: of the
    second, positive class; more: of the predicted label), every class's probability (models of more
    than two classes: ``probabilities`` in JSON lines, ``p_CLASS`` columns in CSV/TSV/Parquet), then
    the kept input columns. A table row without text has an empty label and probability.
    """

    def __init__(
        self,
        fmt: PredictFormat,
        classes: tuple[str, ...] = ("negative", "positive"),
        *,
        with_id: bool = False,
        keep: tuple[str, ...] = (),
        stream: Any = None,
        formula_safe: bool = False,
    ) -> None:
        self.format = resolve_format(fmt) if stream is None else fmt
        self.classes, self.with_id, self.keep = classes, with_id, keep
        self.formula_safe = formula_safe
        """CSV/TSV text cells that a spreadsheet would run as a formula get a leading ' (see spreadsheet_safe)."""
        self.multiclass = len(classes) > 2
        self.stream = stream
        self.terminal = stream is None and _is_terminal(sys.stdout)
        """CSV/TSV shown on a terminal: cells with control characters are shown escaped, as in a table."""
        self._header_done = False

    def columns(self) -> list[str]:
        """The record's columns (:func:`~sentiment_cli.records.prediction_columns`), as CSV and TSV name them."""
        return [c.name for c in prediction_columns(self.classes, with_id=self.with_id, keep=self.keep)]

    def json_record(self, p: Any, explanation: Explanation | None = None, *, explained: bool = False) -> dict[str, Any]:
        """What JSON lines output writes for one prediction (:func:`~sentiment_cli.records.json_record`)."""
        return json_record(p, self.classes, explanation, with_id=self.with_id, keep=self.keep, explained=explained)

    def write(self, predictions: list[Any], explanations: list[Explanation] | None = None) -> None:
        if not predictions:
            return
        if self.format is PredictFormat.table:
            from rich.text import Text

            from . import render

            if explanations is None:
                out = console._out()
                out.print(render.predictions_table(predictions, self.classes, with_id=self.with_id, keep=self.keep,
                                                   show_header=not self._header_done, width=out.width))  # fmt: skip
                self._header_done = True  # later chunks (lines typed one by one) continue the same table
                console._out().file.flush()
            for p, e in zip(predictions, explanations or [], strict=False):
                if e is None:  # a table row without text, or a review with nothing the model knows
                    why = "(no word or n-gram the model knows: no label)" if hasattr(p, "text") else "(no text)"
                    console._out().print(Text.assemble((one_line(p.source), "bold"), f"  {why}\n"))
                else:
                    console._out().print(*render.explained(p, e, self.classes), sep="\n")
            return
        out = self.stream or STDOUT
        if self.format is PredictFormat.jsonl:
            for i, p in enumerate(predictions):
                record = self.json_record(p, explanations[i] if explanations is not None else None,
                                          explained=explanations is not None)  # fmt: skip
                out.write(json_text(record) + "\n")
        else:
            rows = [self._flat(p) for p in predictions]
            if not self._header_done:
                rows.insert(0, list(map(inert, self.columns())) if self.terminal else self.columns())
                self._header_done = True
            if self.format is PredictFormat.tsv:
                out.write("".join("\t".join(map(_tsv_cell, row)) + "\n" for row in rows))
            else:
                csv.writer(out, lineterminator="\n").writerows(rows)
        out.flush()

    def _flat(self, p: Any) -> list[str]:
        record = prediction_record(p, self.classes, with_id=self.with_id, keep=self.keep, nested=False)
        cells = []
        for column in prediction_columns(self.classes, with_id=self.with_id, keep=self.keep):
            value = record[column.name]
            if column.number:
                cells.append("" if value is None else f"{value:.6f}")
            else:
                text = cell_text(value) or ""
                text = spreadsheet_safe(text) if self.formula_safe else text
                cells.append(inert(text) if self.terminal else text)
        return cells


class ParquetPredictionWriter:
    """Predictions to a Parquet file, one row group per chunk (pyarrow is imported only here)."""

    def __init__(
        self,
        path: str,
        classes: tuple[str, ...],
        *,
        with_id: bool = False,
        keep: tuple[str, ...] = (),
        carried: dict[str, Any] | None = None,
    ) -> None:
        """``carried``: Arrow types of the id and kept columns (as the input stores them); others are text."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..arrow import arrow_type

        self.pa, self.path, self.carried = pa, path, dict(carried or {})
        self.classes, self.with_id, self.keep = classes, with_id, keep
        columns = prediction_columns(classes, with_id=with_id, keep=keep)
        self.schema = pa.schema([(c.name, self.carried.get(c.name) or arrow_type(c)) for c in columns])
        self._writer = pq.ParquetWriter(path, self.schema)

    def write(self, predictions: list[Any], explanations: Any = None) -> None:
        if not predictions:
            return
        rows = []
        for p in predictions:
            record = prediction_record(p, self.classes, with_id=self.with_id, keep=self.keep, nested=False)
            record |= {name: carried(p, name) for name in self.carried}  # as read, not as text
            rows.append(record)
        columns = {}
        for field in self.schema:
            values = [row[field.name] for row in rows]
            if field.type == self.pa.string():
                values = [cell_text(v) for v in values]  # as CSV writes them: true, not True; NaN as null
            columns[field.name] = values
        self._writer.write_table(self.pa.table(columns, schema=self.schema))

    def close(self) -> None:
        self._writer.close()


PREDICTION_FILE_FORMATS = TABLE_SUFFIXES
"""What a prediction file's extension says it holds (``predict -o``, ``evaluate --predictions``): the extensions
of :mod:`sentiment_cli.formats`. A model's own ``card.json`` or ``tokenizer.json`` is refused by the check of every
output, not by its name."""


def prediction_file_format(path: Path, option: str, other: str = "") -> str:
    """The format ``path``'s extension names, or a usage error naming ``option`` (``other``: what else to do)."""
    fmt = file_format_of(path)
    if fmt is not None:
        return fmt.value
    raise typer.BadParameter(
        f"give the file a .jsonl (.json, .ndjson), .csv, .tsv or .parquet extension{', ' + other if other else ''}",
        param_hint=option,
    )


@contextlib.contextmanager
def result_file(path: Path | None) -> Iterator[Path | None]:
    """A temporary path beside ``path`` that becomes ``path`` when the block succeeds (None: stdout)."""
    if path is None:
        yield None
        return
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if not path.parent.is_dir():
        raise OutputError(f"{path.parent}: no such directory")
    from ..files import replacing

    with replacing(path) as target:
        yield target


def open_writer(
    target: Path | None,
    fmt: str,
    classes: tuple[str, ...],
    closing: contextlib.ExitStack,
    *,
    with_id: bool = False,
    keep: tuple[str, ...] = (),
    carried: dict[str, Any] | None = None,
    csv_safe: bool = True,
) -> PredictionWriter | ParquetPredictionWriter:
    """The writer of predictions in ``fmt`` (a :class:`PredictFormat` or ``parquet``) to ``target`` (None:
    standard output), closed with ``closing``: what ``predict`` and ``evaluate --predictions`` write with.
    ``carried``: the Arrow types of the id and kept columns for Parquet; ``csv_safe``: see
    :func:`spreadsheet_safe`."""
    if fmt == TableFormat.parquet:
        parquet = ParquetPredictionWriter(str(target), classes, with_id=with_id, keep=keep, carried=carried)
        closing.callback(parquet.close)
        return parquet
    stream = None
    if target is not None:
        stream = closing.enter_context(open(target, "w", encoding="utf-8", newline=""))  # noqa: SIM115
    return PredictionWriter(
        PredictFormat(fmt), classes, with_id=with_id, keep=keep, stream=stream, formula_safe=csv_safe
    )
