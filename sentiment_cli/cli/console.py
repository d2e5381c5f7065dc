"""The consoles and what is said on them: results to stdout, notes, warnings, errors, spinners and progress bars to
stderr, so pipes stay clean; and user-supplied text made inert for a terminal.

Rich is imported on first use, never by ``sentiment predict`` writing JSON lines. Standard output is reached
through :data:`STDOUT`, which names a stream that cannot be written (:class:`StreamError`) for the error
boundary (:mod:`sentiment_cli.cli.errors`) to report.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .._quiet import is_terminal as _is_terminal
from ..records import json_text, valid_text

if TYPE_CHECKING:
    from rich.console import Console


PIPE_WIDTH = 80
"""Width of stdout when it is not a terminal and COLUMNS is unset (a file, a pipe to ``less``, CI logs): a
table read there is read by a person at a terminal too, so it stays as narrow as the usual one."""


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
    """``console.stdout`` and ``console.stderr``: Rich consoles, made (and Rich imported) on first use.

    ``sentiment predict`` writing JSON lines to a pipe never needs Rich, and its import costs
    about a tenth of the start-up budget.
    """
    if name == "stdout":
        return _out()
    if name == "stderr":
        return _err()
    raise AttributeError(name)


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


def preview(text: str, width: int = 60) -> str:
    flat = inert(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class StreamError(OSError):
    """A standard stream that cannot be used: stdout on a full disk (/dev/full), a closed stdout or stdin."""

    def __init__(self, message: str, code: int = errno.EBADF) -> None:
        super().__init__(code, message)
        self.message = message


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


JSON_SCHEMA_VERSION = 1


def print_json(data: Any, command: str) -> None:
    """One JSON object on stdout, led by ``schema`` (``sentiment-cli/COMMAND``) and ``schema_version``:
    a script can check what it reads, and fields are only added within a version."""
    document = {"schema": f"sentiment-cli/{command}", "schema_version": JSON_SCHEMA_VERSION, **data}
    STDOUT.write(json_text(document, indent=2) + "\n")
    STDOUT.flush()
