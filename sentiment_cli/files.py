"""Writing one file atomically: to a temporary name beside it, renamed onto it only when complete."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (``.NAME.tmp-PID``) to write; it replaces ``path`` when the block ends
    without an error, and is removed otherwise. An ``OSError`` becomes an :class:`OutputError` naming ``path``."""
    target = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield target
        os.replace(target, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            target.unlink()
