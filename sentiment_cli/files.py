"""Writing one file atomically: to a temporary name beside it, renamed onto it only when complete (a FIFO or
device, which cannot be replaced, is written directly)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

_SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed"), (b"PK\x03\x04", "a zip archive"), (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"), (b"PAR1", "a Parquet file"), (b"%PDF", "a PDF document"),
    (b"\xff\xfe\x00\x00", "UTF-32 text"), (b"\x00\x00\xfe\xff", "UTF-32 text"),  # before UTF-16: its BOM is a prefix
    (b"\xff\xfe", "UTF-16 text"), (b"\xfe\xff", "UTF-16 text"),
)  # fmt: skip


def binary_kind(head: bytes) -> str | None:
    """What a file that is not UTF-8 text is, from its first bytes (``gzip-compressed``, ``UTF-16 text``...),
    for messages; None when they say nothing known."""
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


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
    Temporaries that killed runs left beside ``path`` are deleted first (:func:`remove_stale`).

    A symbolic link is followed: the file it points to is replaced, and the link stays. A replaced file keeps
    its permission bits. What cannot be replaced, only written (a FIFO, a device such as ``/dev/stdout``, a
    process substitution), is written directly: the block gets ``path`` itself."""
    if path.exists() and not path.is_file() and not path.is_dir():
        try:
            yield path
        except OSError as exc:
            raise OutputError(f"cannot write {path} ({exc.strerror or exc})") from None
        return
    real = Path(os.path.realpath(path)) if path.is_symlink() else path
    for place in dict.fromkeys((path, real)):  # beside the link too: where earlier versions wrote
        remove_stale(place)
    target = real.with_name(f".{real.name}.tmp-{os.getpid()}")
    try:
        yield target
        if real.is_file():
            shutil.copymode(real, target)
        os.replace(target, real)
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            target.unlink()
