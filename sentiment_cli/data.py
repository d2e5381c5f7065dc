"""Reading labelled reviews: aclImdb folders and archives, CSV/TSV/JSONL files, and the download.

Everything here returns plain data (:class:`Dataset`) or raises :class:`DataError`.
Archives are read member by member and never extracted, so a hostile archive
(``..`` paths, absolute paths, links, devices) cannot write anywhere.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np

from .errors import DataError, DownloadError

IMDB_URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
URL_ENV = "SENTIMENT_DATA_URL"
SHA256_ENV = "SENTIMENT_DATA_SHA256"
CACHE_ENV = "SENTIMENT_CLI_CACHE"

TEXT_COLUMNS = ("text", "review")
LABEL_COLUMNS = ("label", "sentiment")
LABEL_VALUES = {"0": 0, "1": 1, "neg": 0, "pos": 1, "negative": 0, "positive": 1}
SPLITS = ("train", "test")
CLASS_FOLDERS = {"neg": 0, "pos": 1}
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
_CHUNK = 1 << 20


@dataclass
class Split:
    texts: list[str]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Dataset:
    """Labelled reviews by split (``train``, and ``test`` when the source has one)."""

    splits: dict[str, Split]
    source: str
    fingerprint: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    """Records that could not be read, each as a one-line reason; the rest were used."""

    def sizes(self) -> dict[str, int]:
        return {name: len(split) for name, split in self.splits.items()}

    def split(self, name: str) -> Split:
        if name not in self.splits:
            raise DataError(
                f"{self.source} has no {name!r} split",
                f"it has: {', '.join(self.splits) or 'none'}",
            )
        return self.splits[name]


def load_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Read labelled reviews from a folder, archive, or CSV/TSV/JSONL file (optionally gzipped)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if path.is_dir():
        return _read_folder(path)
    name = path.name.lower()
    if name.endswith(ARCHIVE_SUFFIXES):
        return _read_archive(path)
    stem = name[:-3] if name.endswith(".gz") else name
    if stem.endswith(TABLE_SUFFIXES):
        return _read_table(path, stem.rsplit(".", 1)[1])
    raise DataError(
        f"{path}: unknown data format",
        "give an aclImdb-style folder or .tar.gz, or a .csv, .tsv or .jsonl file (optionally .gz)",
    )


# -- folders and archives in the aclImdb layout -------------------------------------------


def _classify(parts: tuple[str, ...]) -> tuple[str, int] | None:
    """(split, label) for a review path ending in ``[split/]pos|neg/NAME.txt``."""
    if len(parts) < 2 or not parts[-1].endswith(".txt") or parts[-2] not in CLASS_FOLDERS:
        return None
    split = parts[-3] if len(parts) >= 3 and parts[-3] in SPLITS else "train"
    return split, CLASS_FOLDERS[parts[-2]]


def _collect(items: Iterable[tuple[str, int, str]], source: str) -> dict[str, Split]:
    texts: dict[str, list[str]] = {}
    labels: dict[str, list[int]] = {}
    for split, label, text in items:
        texts.setdefault(split, []).append(text)
        labels.setdefault(split, []).append(label)
    if not texts:
        raise DataError(
            f"{source}: no reviews found",
            "expected pos/ and neg/ folders of .txt files, optionally under train/ and test/",
        )
    return {
        name: Split(texts[name], np.asarray(labels[name], dtype=np.int64))
        for name in sorted(texts, key=lambda s: SPLITS.index(s))
    }


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8-sig", errors="replace")


def _folder_root(path: Path) -> Path:
    """Descend through a lone wrapper folder such as ``aclImdb/``."""
    while True:
        children = [c for c in path.iterdir() if c.is_dir() and not c.name.startswith(".")]
        names = {c.name for c in children}
        if names & (set(SPLITS) | set(CLASS_FOLDERS)) or len(children) != 1:
            return path
        path = children[0]


def _read_folder(path: Path) -> Dataset:
    root = _folder_root(path)
    digest = hashlib.sha256()
    count = size = 0
    items = []
    skipped = []
    for file in sorted(p for p in root.rglob("*.txt") if p.is_file()):
        rel = file.relative_to(root).parts
        where = _classify(rel)
        if where is None:
            continue
        try:
            raw = file.read_bytes()
        except OSError as exc:
            skipped.append(f"{file}: {exc.strerror or exc}")
            continue
        digest.update("/".join(rel).encode() + b"\0" + raw + b"\0")
        count += 1
        size += len(raw)
        items.append((*where, _decode(raw)))
    splits = _collect(items, str(path))
    return Dataset(splits, str(path), _fingerprint("folder", path, count, size, digest.hexdigest()), skipped)


def _read_archive(path: Path) -> Dataset:
    items = []
    count = 0
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if not member.isfile():  # links, devices, folders: never followed
                    continue
                where = _classify(PurePosixPath(member.name).parts)
                if where is None:
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                items.append((*where, _decode(handle.read())))
                count += 1
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"{path}: not a readable archive ({exc})", "the file may be truncated or corrupt") from None
    splits = _collect(items, str(path))
    sha, size = file_sha256(path), path.stat().st_size
    return Dataset(splits, str(path), _fingerprint("archive", path, count, size, sha))


def _fingerprint(kind: str, path: Path, files: int, size: int, sha: str) -> dict[str, Any]:
    return {"kind": kind, "path": str(path), "files": files, "bytes": size, "sha256": sha}


# -- CSV, TSV and JSONL -----------------------------------------------------------------------


def _open_text(path: Path) -> IO[str]:
    raw: IO[bytes] = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def _pick(columns: Iterable[str], wanted: tuple[str, ...]) -> str | None:
    lookup = {c.strip().lower(): c for c in columns if c is not None}
    return next((lookup[w] for w in wanted if w in lookup), None)


def _rows(path: Path, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) pairs of a table file."""
    with _open_text(path) as handle:
        if kind == "jsonl":
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise DataError(f"{path}:{number}: expected a JSON object per line")
                yield number, record
            return
        csv.field_size_limit(sys.maxsize)
        reader = csv.DictReader(handle, delimiter="\t" if kind == "tsv" else ",")
        for record in reader:
            yield reader.line_num, record


def _read_table(path: Path, kind: str) -> Dataset:
    text_key = label_key = split_key = None
    items = []
    bad_labels: dict[str, int] = {}
    try:
        for number, record in _rows(path, kind):
            if text_key is None:
                text_key = _pick(record, TEXT_COLUMNS)
                label_key = _pick(record, LABEL_COLUMNS)
                split_key = _pick(record, ("split",))
                if text_key is None or label_key is None:
                    found = ", ".join(repr(c) for c in record if c is not None) or "none"
                    missing = "a text column ('text' or 'review')" if text_key is None else ""
                    if label_key is None:
                        missing += (" and " if missing else "") + "a label column ('label' or 'sentiment')"
                    raise DataError(f"{path}: needs {missing}; columns found: {found}")
            text, label = record.get(text_key), record.get(label_key)
            value = "" if label is None else str(label).strip().lower()
            if value not in LABEL_VALUES:
                bad_labels.setdefault(value, number)
                continue
            split = str(record.get(split_key) or "train").strip().lower() if split_key else "train"
            if split not in SPLITS:
                raise DataError(f"{path}:{number}: split must be 'train' or 'test', got {split!r}")
            items.append((split, LABEL_VALUES[value], "" if text is None else str(text)))
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not valid {kind.upper()} ({exc})") from None
    if bad_labels:
        shown = ", ".join(repr(v) if v else "(empty)" for v in list(bad_labels)[:10])
        first = min(bad_labels.values())
        raise DataError(
            f"{path}: labels must be 0/1, neg/pos or negative/positive; found {shown} (first at line {first})"
        )
    if text_key is None:
        raise DataError(f"{path}: no records")
    splits = _collect(items, str(path))
    size = path.stat().st_size
    return Dataset(splits, str(path), _fingerprint(kind, path, 1, size, file_sha256(path)))


# -- the IMDB download ------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where downloads are kept: ``$SENTIMENT_CLI_CACHE``, else the XDG user cache."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sentiment-cli"


ProgressFn = Callable[[int, int | None], None]


def fetch_dataset(
    url: str | None = None,
    sha256: str | None = None,
    cache: Path | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """Download the IMDB archive (or ``url``) once, verify it, and return the cached path.

    ``url`` and ``sha256`` default to ``$SENTIMENT_DATA_URL`` / ``$SENTIMENT_DATA_SHA256``,
    then to the Stanford archive and its published checksum. A custom URL without a
    checksum is cached by its address and not verified.
    """
    env_url = os.environ.get(URL_ENV)
    if url is None:
        url = env_url or IMDB_URL
        if sha256 is None:
            sha256 = os.environ.get(SHA256_ENV) or (None if env_url else IMDB_SHA256)
    sha256 = sha256.lower() if sha256 else None
    if sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise DownloadError(f"expected sha256 {sha256!r} is not 64 hexadecimal digits")
    key = sha256 or hashlib.sha256(url.encode()).hexdigest()
    name = PurePosixPath(urllib.request.urlparse(url).path).name or "dataset"
    target = (cache or cache_dir()) / key[:16] / name
    if target.is_file() and (sha256 is None or file_sha256(target) == sha256):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create cache folder {target.parent} ({exc.strerror})") from None
    hint = f"download it elsewhere and pass the file: sentiment train PATH/{name}, or set {URL_ENV}=file:///PATH/{name}"
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DownloadError(
                f"{url}: checksum mismatch (expected {sha256}, got {digest.hexdigest()}); the file was deleted",
                "the download was corrupted or the file changed; try again or pass a local copy",
            )
        os.replace(part, target)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise DownloadError(f"cannot download {url} ({reason})", hint) from None
    finally:
        if os.path.exists(part):
            os.unlink(part)
    return target
