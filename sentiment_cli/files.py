"""Writing one file atomically: to a temporary name beside it, renamed onto it only when complete (a FIFO or
device, which cannot be replaced, is written directly)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

try:
    import fcntl
except ImportError:  # not on Windows: temporaries are then judged by their process id alone
    fcntl = None  # type: ignore[assignment]

_SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed"), (b"PK\x03\x04", "a zip archive"), (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"), (b"PAR1", "a Parquet file"), (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text"), (b"\xfe\xff", "UTF-16 text"),
)  # fmt: skip


def binary_kind(head: bytes) -> str | None:
    """What a file that is not UTF-8 text is, from its first bytes (``gzip-compressed``, ``UTF-16 text``...),
    for messages; None when they say nothing known."""
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def hold(path: Path) -> int | None:
    """Take an exclusive ``flock`` on ``path`` (a temporary file or stage this run has just made), held until
    :func:`release`: it tells any other run that the temporary is alive, whatever process-id namespace it runs
    in (another container on a shared volume; another machine too, where the file system shares locks, as NFS
    does). None when it cannot be taken (no ``fcntl``: Windows)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # another run holds it
        os.close(fd)
        return None
    return fd


def release(fd: int | None) -> None:
    if fd is not None and fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


def _locked_for_removal(path: Path) -> int | None:
    """This run's lock on a temporary to delete, kept while it is deleted (-1 without ``fcntl``); None when
    another run holds it (alive, in any namespace), or it cannot be opened (not ours: left alone)."""
    return -1 if fcntl is None else hold(path)


def remove_stale(path: Path) -> list[Path]:
    """Delete the temporaries beside ``path`` as named, a link not followed (``.NAME.tmp-PID``,
    ``.NAME.tmp-PID-*``: files or folders, where :func:`replacing` and model stages make them) that a run killed
    with SIGKILL left: no run holds their lock (:func:`hold`), and their process no longer runs here.

    The lock decides: a run in another PID namespace (another container writing the same name on a shared
    volume) has a process id that means nothing here, but it holds its temporary's lock, so its work is left
    alone. The process id only adds caution: a temporary without a lock whose id runs here (an older version's
    run, or the id reused) is left alone too, and so are one of another user and a symbolic link."""
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
        lock = _locked_for_removal(stale)
        if lock is None:
            continue  # a live run holds it, in another namespace or on another machine
        try:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    stale.unlink()
        finally:
            release(lock)
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
    lock = None
    try:
        # made and locked at once, before anything is written: alive to every other run until it is renamed
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o666))
        lock = hold(target)
        yield target
        if real.is_file():
            shutil.copymode(real, target)
        os.replace(target, real)
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            target.unlink()
        release(lock)
