"""Writing one file atomically: to a temporary name beside it, renamed onto it only when complete (a FIFO or
device, which cannot be replaced, is written directly)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import OutputError

try:
    import fcntl
except ImportError:  # not on Windows: temporaries are then judged by their process id alone
    fcntl = None  # type: ignore[assignment]

_SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed"), (b"PK\x03\x04", "a zip archive"), (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"), (b"PAR1", "a Parquet file"), (b"%PDF", "a PDF document"),
    (b"\xff\xfe\x00\x00", "UTF-32 text"), (b"\x00\x00\xfe\xff", "UTF-32 text"),  # before UTF-16: its BOM is a prefix
    (b"\xff\xfe", "UTF-16 text"), (b"\xfe\xff", "UTF-16 text"),
)  # fmt: skip


SPREADSHEET = "save it as CSV (in Excel: File > Save As > CSV UTF-8) and give that file"
"""What to do with a spreadsheet given as data: its kind (:func:`binary_kind`) starts with this text."""
_OFFICE = (
    (b"xl/", "an Excel workbook"), (b"opendocument.spreadsheet", "an OpenDocument spreadsheet"),
    (b"word/", "a Word document"), (b"ppt/", "a PowerPoint file"),
)  # fmt: skip


def binary_kind(head: bytes) -> str | None:
    """What a file that is not UTF-8 text is, from its first bytes (``gzip-compressed``, ``UTF-16 text``, ``an
    Excel workbook: save it as CSV…``), for messages; None when they say nothing known."""
    if head.startswith(b"PK\x03\x04"):  # an Office file is a zip whose member names say what it is
        kind = next((kind for name, kind in _OFFICE if name in head[:4096]), None)
        if kind is not None:
            return f"{kind}: {SPREADSHEET}" if "spreadsheet" in kind or "Excel" in kind else kind
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return f"an Excel 97-2003 workbook or another old Office file: {SPREADSHEET}"
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def _key(path: str | os.PathLike[str]) -> str:
    """A path as it will be opened: absolute, links and ``..`` resolved (what need not exist yet is kept)."""
    text = os.fspath(path)
    if "://" in text:  # a URL (hdfs://, s3a://): compared as written, without a trailing slash
        return text.rstrip("/")
    return os.path.realpath(text)


def _inside(inner: str, outer: str) -> bool:
    return inner != outer and inner.startswith(outer.rstrip("/") + "/")


def _same(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """The same file under two names: the same path once resolved, or a hard link of it."""
    if _key(a) == _key(b):
        return True
    try:
        return "://" not in os.fspath(a) + os.fspath(b) and os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def clash(
    output: str | os.PathLike[str], inputs: Iterable[tuple[str, str | os.PathLike[str]]], *, folder: bool = False
) -> str | None:
    """What writing ``output`` would destroy, in words, or None: the one check of every output path against
    the inputs of a command and the model's files, made before any work.

    ``inputs`` are (what it is, path) pairs, such as ``("an input", "reviews.csv")`` or ``("the model's
    file", "model/card.json")``: an output that is one of them (the same path once links and ``..`` are
    resolved, or a hard link) would replace it. With ``folder``, ``output`` is a folder that is deleted and
    written again (``sentiment score --force``, ``train --out --force``): it must also not hold an input
    (nor the current directory), nor lie inside a folder that is an input."""
    target = _key(output)
    here = os.path.realpath(os.curdir)
    if folder and "://" not in target and (target == here or _inside(here, target)):
        return f"{output} is the current directory or holds it: replacing it would delete what is in it"
    for role, path in inputs:
        if _same(output, path):
            return f"{output} is also {role}: it would be replaced"
        held = _key(path)
        if folder and _inside(held, target):
            return f"{output} holds {role} {path}: replacing it would delete it"
        if folder and _inside(target, held):
            return f"{output} is inside {role} {path}"
    return None


def check_writable(path: Path, *, folder: bool = False, replaced: bool = False) -> None:
    """Refuse, before any work, an output file (or with ``folder``, a folder written into; with ``replaced``, a
    file or folder deleted and written again) that cannot be written: a missing or read-only parent folder, a
    directory where a file is wanted, a read-only device."""
    if not folder and not replaced and path.is_dir():
        raise OutputError(f"{path}: is a directory")
    place = path if folder and not replaced and path.is_dir() else path.parent
    if path.exists() and not path.is_file() and not path.is_dir():  # a FIFO or device: written in place
        place = path
    elif not place.is_dir():
        raise OutputError(f"{place}: no such directory")
    if not os.access(place, os.W_OK):
        raise OutputError(f"{place}: not writable")


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


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read a MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
