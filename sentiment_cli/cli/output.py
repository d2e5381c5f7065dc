"""Consoles, output formats and the one place where errors become messages and exit codes.

Results go to stdout; progress, warnings and errors to stderr, so pipes stay clean.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import functools
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._quiet import is_terminal as _is_terminal
from ..errors import CheckpointMismatch, NoCheckpoint, OutputError, OutputExists, SentimentError, TrainingDiverged
from ..formats import TABLE_SUFFIXES, TableFormat, file_format_of, listed
from ..records import cell_text, json_record, json_text, prediction_columns, prediction_record, valid_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..explain import Explanation
    from ..runtime import Prediction


PIPE_WIDTH = 80
"""Width of stdout when it is not a terminal and COLUMNS is unset (a file, a pipe to ``less``, CI logs): a
table read there is read by a person at a terminal too, so it stays as narrow as the usual one."""
PREVIEW_WIDTH = 160
"""Widest a prediction table grows to fill the console (its review column is a preview)."""


@functools.cache
def _out() -> Console:
    from rich.console import Console

    # markup and emoji codes off: no string can be read as Rich markup ([/i], [link=...]) or :emoji:, even one
    # that reached Rich without going through plain() (a column header); styles are given as Text's styles
    console = Console(file=STDOUT, soft_wrap=False, markup=False, emoji=False)  # type: ignore[arg-type]
    console.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]  # Rich's own exits 1, not 141
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = PIPE_WIDTH  # no terminal to fit (a file, a pipe, CI logs): COLUMNS, else 80
    return console


def _broken_pipe() -> None:
    """The reader of stdout went away while Rich was writing: raised again, so it becomes a quiet exit 141."""
    raise BrokenPipeError(errno.EPIPE, "Broken pipe")


@functools.cache
def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False, emoji=False)


def __getattr__(name: str) -> Console:
    """``output.stdout`` and ``output.stderr``: Rich consoles, made (and Rich imported) on first use.

    ``sentiment predict`` writing JSON lines to a pipe never needs Rich, and its import costs
    about a tenth of the start-up budget.
    """
    if name == "stdout":
        return _out()
    if name == "stderr":
        return _err()
    raise AttributeError(name)


EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_BROKEN_PIPE = 141


_STREAMED = {f.value: f.value for f in listed(TableFormat.jsonl, streams=True)}
PredictFormat = StrEnum("PredictFormat", {"auto": "auto", "table": "table", **_STREAMED})  # type: ignore[misc]
"""``predict --format``: auto, a table for a terminal, then every table format a stream can carry (JSON lines
first: what auto writes to a pipe)."""


_ONE_FOR_ONE = {c: "\ufffd" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]}
"""Control characters to U+FFFD, one for one, where offsets into the text must keep their meaning."""
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def inert(value: object) -> str:
    """Text that cannot drive a terminal: control characters (ESC, OSC, BEL, CR, the 8-bit CSI...) shown as
    ``\\xNN``, and bytes that were not UTF-8 (in a file name) as U+FFFD (:func:`valid_text`). Newlines and tabs
    are kept (a note may have several lines); see :func:`one_line` for a cell or a header."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else " ", valid_text(str(value)))


def one_line(value: object) -> str:
    """:func:`inert`, with newlines and tabs shown as ``\\x0a`` and ``\\x09`` too: a table cell or header that
    must stay one line (a file name or class name holding a newline would otherwise split its row)."""
    return inert(value).replace("\n", "\\x0a").replace("\t", "\\x09")


def _cell(value: Any) -> str:
    """A carried value (an id, a kept column) for a table cell: ``-`` for none (or NaN), else as
    :func:`~sentiment_cli.records.cell_text`."""
    text = cell_text(value)
    return "-" if text is None else text


def plain(value: object, style: str = "") -> Any:
    """User-supplied text (a review, a file name, a card field) for Rich: never read as markup, made inert."""
    from rich.text import Text

    return Text(inert(value), style=style)


def cell(value: object, style: str = "") -> Any:
    """:func:`plain` on one line (:func:`one_line`): a table cell or header, a file or class name, a message."""
    from rich.text import Text

    return Text(one_line(value), style=style)


def _one_line() -> bool:
    """Whether a message is printed as one line (Rich's soft wrap): in a log, a file or a pipe, so that it stays
    one line for grep; on a terminal it is wrapped between words instead, never cut mid-word by the terminal."""
    return not _err().is_terminal


def error(message: str) -> None:
    """One line on stderr (never wrapped in a log, so it stays one line for grep; between words on a terminal)."""
    from rich.text import Text

    _err().print(Text("error: ", style="bold red") + cell(message), soft_wrap=_one_line())


def warning(message: str) -> None:
    from rich.text import Text

    _err().print(Text("warning: ", style="bold yellow") + cell(message), soft_wrap=_one_line())


def status(message: str) -> Any:
    """A spinner on stderr with a message that may hold user text (a path)."""
    return _err().status(cell(message))


@contextlib.contextmanager
def progress(
    description: str, total: int | None = None, *, by_bytes: bool = False, delay: float = 0.0
) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr when stderr is a terminal (otherwise nothing at all): reviews done, reviews
    per second and the time left. Yields ``update(reviews_done, bytes_done=None)``.

    ``total`` counts reviews, or bytes with ``by_bytes`` (for input whose number of reviews is unknown);
    None shows the count and rate with no end. The bar appears once ``delay`` seconds have passed, so a
    quick run neither shows it nor imports ``rich.progress``.
    """
    if not _is_terminal(sys.stderr):
        yield lambda reviews, done_bytes=None: None
        return
    started = time.monotonic()
    shown: list[Any] = []

    def update(reviews: int, done_bytes: int | None = None) -> None:
        now = time.monotonic()
        if not shown:
            if now - started < delay:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(
                TextColumn("{task.description}", markup=False), BarColumn(), TextColumn("{task.fields[done]}"),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=_err(), transient=True,
            )  # fmt: skip
            bar.start()
            shown.extend([bar, bar.add_task(one_line(description), total=total, done="", rate="")])
        bar, task = shown
        seconds = now - started
        bar.update(
            task, completed=done_bytes if by_bytes else reviews, done=f"{reviews:,} reviews",
            rate=f"{reviews / seconds:,.0f} reviews/s" if seconds > 0 else "",
        )  # fmt: skip

    try:
        yield update
    finally:
        if shown:
            shown[0].stop()


def note(message: str) -> None:
    """A line of information on stderr (what was detected, what was read), never markup."""
    _err().print(cell(message), soft_wrap=_one_line(), highlight=False)


def report_dataset(dataset: Any) -> None:
    """What was read and how (format, columns, labels), and every reason rows were skipped, on stderr."""
    for line in dataset.notes:
        note(line)
    for reason in dataset.skipped:
        warning(f"skipped {reason}")
    for line in dataset.messages():
        warning(line)
    counts = ", ".join(f"{name} {len(split):,}" for name, split in dataset.splits.items())
    if list(dataset.splits) == ["train"]:  # no split column: not "train" data as opposed to test data
        counts = f"{len(dataset.splits['train']):,}"
    note(f"Read {counts} reviews from {dataset.source}" + (" (no test split)" if "test" not in dataset.splits else ""))


class Terminated(BaseException):
    """SIGTERM (or SIGHUP, SIGQUIT), raised where the program is, so that clean-up (``finally``, staged output,
    a temporary file beside ``-o``) runs. The exit code is 128 + the signal's number, as the shell's."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum


_ENDING_SIGNALS = {signal.SIGTERM: "terminated"} | {
    getattr(signal, name): what for name, what in (("SIGHUP", "hung up (SIGHUP)"), ("SIGQUIT", "quit (SIGQUIT)"))
    if hasattr(signal, name)
}  # fmt: skip
"""Signals that end a run, with what the error line says: SIGHUP is what a closed ssh session sends."""

_pending: list[Callable[[], BaseException]] = []
"""Signals received and not yet handled: a library that catches exceptions broadly (TensorFlow's input
pipeline can) may swallow the one raised, so long-running loops call :func:`raise_pending` as well."""


def _raise_terminated(signum: int, frame: object) -> None:
    _pending.append(lambda: Terminated(signum))
    raise Terminated(signum)


def _raise_interrupted(signum: int, frame: object) -> None:
    _pending.append(KeyboardInterrupt)
    raise KeyboardInterrupt


def raise_pending() -> None:
    """Raise again a Ctrl-C or SIGTERM that arrived and was swallowed before it reached :func:`reporting`."""
    if _pending:
        raise _pending[-1]()


HINTS: dict[type[SentimentError], str] = {
    OutputExists: "pass --force to replace it",
    NoCheckpoint: "run without --resume to start afresh",
    CheckpointMismatch: "resume with the same data and options, or run without --resume",
    TrainingDiverged: "lower --learning-rate",
}
"""What to do about a library error, in the CLI's words (the library's own hints name no flags)."""


@contextlib.contextmanager
def reporting() -> Iterator[None]:
    """Map our exceptions, Ctrl-C, SIGTERM and a closed stdout to one line on stderr and an exit code."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    _open_closed_streams()
    previous = {}
    if in_main_thread:
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _raise_terminated)
        for signum in _ENDING_SIGNALS:  # SIGHUP, SIGQUIT: unless ignored (nohup), they end the run cleanly too
            if signum != signal.SIGTERM and signal.getsignal(signum) is signal.SIG_DFL:
                previous[signum] = signal.signal(signum, _raise_terminated)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, _raise_interrupted)
    try:
        yield
    except SentimentError as exc:
        hint = exc.hint or next((text for kind, text in HINTS.items() if isinstance(exc, kind)), None)
        error(f"{exc.message} ({hint})" if hint else exc.message)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        error("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Terminated as exc:
        error(_ENDING_SIGNALS.get(exc.signum, "terminated"))
        raise typer.Exit(128 + exc.signum) from None
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except StreamError as exc:  # /dev/full, a closed stdout or stdin: named, not a traceback
        error(exc.message)
        raise typer.Exit(EXIT_FAILURE) from None
    finally:
        _pending.clear()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class StreamError(OSError):
    """A standard stream that cannot be used: stdout on a full disk (/dev/full), a closed stdout or stdin."""

    def __init__(self, message: str, code: int = errno.EBADF) -> None:
        super().__init__(code, message)
        self.message = message


class _ClosedStream:
    """Stands in for a standard stream whose descriptor was closed when the program started (``>&-``,
    ``<&-``): writing or reading it is a :class:`StreamError` naming the stream, and a file
    opened later can never take its descriptor (see :func:`_open_closed_streams`)."""

    closed = False
    encoding = "utf-8"

    def __init__(self, name: str) -> None:
        self.name = name
        self.buffer = self

    def write(self, data: Any) -> int:
        raise StreamError(f"{self.name}: closed, cannot write the results")

    def read(self, size: int = -1) -> bytes:
        raise StreamError(f"{self.name}: closed, nothing to read")

    read1 = read

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "closed")


def _open_closed_streams() -> None:
    """A standard descriptor closed at start would be taken by the next file opened (and TensorFlow's
    logs on fd 2 written into a model file): each closed one is held open on /dev/null, and its Python
    stream reports the closure instead of losing output silently."""
    for fd, attr, name in ((0, "stdin", "standard input"), (1, "stdout", "standard output"),
                           (2, "stderr", "standard error")):  # fmt: skip
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        if getattr(sys, attr) is None:
            setattr(sys, attr, _ClosedStream(name))


class _Stdout:
    """``sys.stdout`` as it is at each write (tests swap it); a write that fails other than by a closed pipe
    (/dev/full, a closed descriptor) is a :class:`StreamError`. Results (Rich's console included) go through it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.stdout, name)

    def write(self, text: str) -> int:
        return self._do(lambda: sys.stdout.write(text))

    def flush(self) -> None:
        self._do(sys.stdout.flush)

    @staticmethod
    def _do(action: Callable[[], Any]) -> Any:
        try:
            return action()
        except (BrokenPipeError, StreamError):
            raise
        except OSError as exc:
            raise StreamError(f"standard output: cannot write ({exc.strerror or exc})", exc.errno or 0) from None


STDOUT = _Stdout()


def reported(command: Callable[..., None]) -> Callable[..., None]:
    """The one place the error map is applied: every command runs inside :func:`reporting`."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        with reporting():
            command(*args, **kwargs)

    return run


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


def _silence_stdout() -> None:
    """After the reader of stdout went away, point stdout at /dev/null so exit does not complain."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


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


def preview(text: str, width: int = 60) -> str:
    flat = inert(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


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

            if explanations is None:
                _out().print(self._table(predictions))
                _out().file.flush()
            for p, e in zip(predictions, explanations or [], strict=False):
                if e is None:  # a table row without text, or a review with nothing the model knows
                    why = "(no word or n-gram the model knows: no label)" if hasattr(p, "text") else "(no text)"
                    _out().print(Text.assemble((one_line(p.source), "bold"), f"  {why}\n"))
                else:
                    _out().print(*_explained(p, e, self.classes), sep="\n")
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

    def _table(self, predictions: list[Any]) -> Table:
        from rich.table import Table
        from rich.text import Text

        width = min(_out().width, PREVIEW_WIDTH)
        source_width = min(max(6, min(40, width // 3)), max(6, *(len(one_line(p.source)) for p in predictions)))
        label_width = max(8, *(len(one_line(name)) for name in self.classes))
        heading = cell("P(label)" if self.multiclass else f"P({self.classes[1]})")  # a class name: never markup
        probability_width = max(11, len(heading))
        # the id and the kept columns, as every other format carries them (each up to 20 characters wide)
        carried = {name: [_cell(self._carried(p, name)) for p in predictions] for name in self._carried_names()}
        carried_widths = {name: min(20, max(len(one_line(name)), *map(len, cells))) for name, cells in carried.items()}
        used = source_width + label_width + probability_width + sum(carried_widths.values())
        review_width = max(10, width - used - (4 + len(carried)) * 3)
        table = Table(show_edge=False, header_style="bold", show_header=not self._header_done)
        self._header_done = True  # later chunks (lines typed one by one) continue the same table
        table.add_column("source", min_width=source_width, max_width=source_width, overflow="fold")
        if self.with_id:
            table.add_column("id", width=carried_widths["id"], overflow="fold")
        table.add_column("label", min_width=label_width, no_wrap=True)
        table.add_column(heading, min_width=probability_width, justify="right", no_wrap=True)
        for name in self.keep:
            table.add_column(cell(name), width=carried_widths[name], overflow="fold")
        table.add_column("review", width=review_width, no_wrap=True, overflow="ellipsis")
        for i, p in enumerate(predictions):
            label = getattr(p, "label", None)
            style = {self.classes[0]: "red", self.classes[-1]: "green"}.get(label or "", "yellow")
            probability = getattr(p, "probability", None)
            table.add_row(
                cell(p.source),
                *([cell(carried["id"][i])] if self.with_id else []),
                cell(label or "-", style=style),
                "-" if probability is None else f"{probability:.3f}",
                *(cell(carried[name][i]) for name in self.keep),
                Text(preview(getattr(p, "text", ""), review_width)),
            )
        return table

    def _carried_names(self) -> list[str]:
        return (["id"] if self.with_id else []) + list(self.keep)

    @staticmethod
    def _carried(p: Any, name: str) -> Any:
        return getattr(p, "id", None) if name == "id" else (getattr(p, "extra", None) or {}).get(name)


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
            record |= {name: PredictionWriter._carried(p, name) for name in self.carried}  # as read, not as text
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


def _explained(prediction: Prediction, explanation: Explanation, classes: tuple[str, ...]) -> list[Any]:
    """The review with each token coloured by its weight: green toward the second class (two classes) or the
    predicted one (more), red away from it."""
    from rich.text import Text

    from ..text import NEGATED

    text = prediction.text
    top = max((abs(t.weight) for t in explanation.tokens), default=0.0) or 1.0
    shown = Text(text.translate(_ONE_FOR_ONE))  # one for one, so the tokens' offsets still apply
    for t in explanation.tokens:
        strength = abs(t.weight) / top
        if strength < 0.05:
            continue
        level = int(90 + 165 * strength)
        colour = f"rgb(0,{level},0)" if t.weight > 0 else f"rgb({level},0,0)"
        shown.stylize(f"bold white on {colour}", t.start, t.end)
    style = "green" if prediction.label == classes[-1] else "red" if prediction.label == classes[0] else "yellow"
    if len(classes) == 2:
        heading, toward, away = f"P({classes[1]})", f"toward {classes[1]}", f"toward {classes[0]}"
    else:
        heading, toward, away = f"P({prediction.label})", f"toward {prediction.label}", f"away from {prediction.label}"
    head = Text.assemble(
        (one_line(prediction.source), "bold"), "  ", (one_line(prediction.label), style),
        f"  {one_line(heading)} {prediction.probability:.3f}",
    )  # fmt: skip
    pushed_up, pushed_down = explanation.strongest()
    words = sum(t.weight for t in explanation.tokens) + explanation.rest
    about = "log-odds" if len(classes) == 2 else f"logit of {prediction.label}"
    total = f"  {about} {explanation.logit:+.3f} = base {explanation.base:+.3f} + words {words:+.3f}"
    lines = [head, shown, cell(total)]
    for name, tokens in ((toward, pushed_up), (away, pushed_down)):
        if tokens:
            named = (f"{NEGATED if t.negated else ''}{t.token} ({t.weight:+.3f})" for t in tokens)
            lines.append(cell(f"  {name}: " + ", ".join(named)))
    if explanation.phrases:
        shown_phrases = ", ".join(f'"{" ".join(x.text.split())}" ({x.weight:+.3f})' for x in explanation.phrases)
        lines.append(cell(f"  phrases: {shown_phrases}"))
    return [*lines, Text("")]


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


JSON_SCHEMA_VERSION = 1


def print_json(data: Any, command: str) -> None:
    """One JSON object on stdout, led by ``schema`` (``sentiment-cli/COMMAND``) and ``schema_version``:
    a script can check what it reads, and fields are only added within a version."""
    document = {"schema": f"sentiment-cli/{command}", "schema_version": JSON_SCHEMA_VERSION, **data}
    STDOUT.write(json_text(document, indent=2) + "\n")
    STDOUT.flush()
