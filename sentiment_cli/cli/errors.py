"""The error boundary: the one place where errors become one line on stderr and an exit code.

Every command runs inside :func:`error_boundary` (applied once, where commands are registered: :func:`reported`).
It maps the library's errors (each with its hint, or the CLI's in :data:`HINTS`), Ctrl-C (130), SIGTERM, SIGHUP
and SIGQUIT (128 + the signal), a reader of stdout gone away (141, quiet), and standard streams that are closed
or full; a standard descriptor closed at start is held on /dev/null so that no file opened later takes it.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import typer

from ..errors import CheckpointMismatch, NoCheckpoint, OutputExists, SentimentError, TrainingDiverged
from .console import StreamError, error

EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_BROKEN_PIPE = 141



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
    """Raise again a Ctrl-C or SIGTERM that arrived and was swallowed before it reached :func:`error_boundary`."""
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
def error_boundary() -> Iterator[None]:
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


def _silence_stdout() -> None:
    """After the reader of stdout went away, point stdout at /dev/null so exit does not complain."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def reported(command: Callable[..., None]) -> Callable[..., None]:
    """The one place the error map is applied: every command runs inside :func:`error_boundary`."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        with error_boundary():
            command(*args, **kwargs)

    return run
