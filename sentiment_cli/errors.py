"""Exceptions raised by the library. The CLI turns each into one line on stderr and an exit code."""

from __future__ import annotations

QUOTED_LIMIT = 80
"""Most characters of a user's value (a label, a column name, a cell) quoted in a message: a review read as a
label must not turn a one-line error into pages."""


def clip(value: object, limit: int = QUOTED_LIMIT) -> str:
    """A user-supplied value for a message: its first ``limit`` characters, with an ellipsis when it is longer."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value: object, limit: int = QUOTED_LIMIT) -> str:
    """``repr`` of :func:`clip`: ``'a long review th…'``."""
    return repr(clip(value, limit))


class SentimentError(Exception):
    """Base class: something a user can cause and fix. ``hint`` says how."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class DataError(SentimentError):
    """Training or evaluation data that cannot be read or makes no sense."""


class DownloadError(DataError):
    """The dataset could not be fetched or failed verification."""


class TrainingDiverged(SentimentError):
    """Training went to non-finite losses or outputs (NaN or infinity): the learning rate is too high."""


class ModelError(SentimentError):
    """A model directory or file that is missing, damaged or not safe to load."""


class OutputError(SentimentError):
    """Where a result should be written cannot take it."""


class OutputExists(OutputError):
    """The output directory exists and is not empty (replacing it takes ``force=True``)."""


class NoCheckpoint(OutputError):
    """``resume=True`` found no checkpoint to continue from."""


class CheckpointMismatch(OutputError):
    """The checkpoint belongs to a run with other data or settings."""


class InputError(SentimentError):
    """A review file that cannot be read as text."""


class MissingExtra(SentimentError):
    """An optional dependency is not installed (``hint``: the ``pip install`` that adds it)."""


class EngineError(SentimentError):
    """The batch engine (Spark and its Java runtime) is missing, or a job failed."""


def os_message(source: object, exc: OSError) -> str:
    """One line for a file that could not be opened or read: ``SOURCE: no such file`` and the like."""
    if isinstance(exc, FileNotFoundError):
        return f"{source}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{source}: is a directory"
    if isinstance(exc, PermissionError):
        return f"{source}: permission denied"
    return f"{source}: cannot read ({exc.strerror or exc})"
