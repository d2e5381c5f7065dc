"""Writing one file atomically: to a temporary name beside it, renamed onto it only when complete."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError


def remove_stale(path: Path) -> list[Path]:
    """Delete the temporaries beside ``path`` as named, a link not followed (``.NAME.tmp-PID``,
    ``.NAME.tmp-PID-*``: files or folders, where :func:`replacing` and model stages make them) whose
    process no longer runs: a run killed with SIGKILL cannot delete its own. One of a process still running,
    or of another user, is left alone, and so is a symbolic link."""
    removed: list[Path] = []
    prefix = f".{path.name}.tmp-"
    try:
        candidates = [p for p in path.absolute().parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for stale in candidates:
        pid = stale.name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or stale.is_symlink():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running (or not ours to signal): not stale
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, ValueError):
            continue
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                stale.unlink()
        removed.append(stale)
    return removed


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (``.NAME.tmp-PID``) to write; it replaces ``path`` when the block ends
    without an error, and is removed otherwise. An ``OSError`` becomes an :class:`OutputError` naming ``path``.
    Temporaries that killed runs left beside ``path`` are deleted first (:func:`remove_stale`)."""
    remove_stale(path)
    target = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield target
        os.replace(target, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            target.unlink()
