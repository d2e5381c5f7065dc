"""The standard streams: is one a terminal, and silencing native libraries that write straight to
file descriptor 2.

TensorFlow (while it loads) and LiteRT (when it creates its CPU delegate) print
informational lines on stderr, where our own progress and errors go.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


def is_terminal(stream: object) -> bool:
    """Whether ``stream`` is a terminal (False for a closed or replaced stream, or None)."""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point descriptor 2 at /dev/null for the duration (a no-op when stderr is not a real file)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
