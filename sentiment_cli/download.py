"""Downloading a dataset once into the user's cache and verifying it: the IMDB archive by default
(``sentiment train`` without DATA), or any ``http(s)://`` or ``file://`` URL.

Nothing here prints: progress is reported through a callback, failures as :class:`DownloadError`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from .errors import DownloadError
from .files import file_sha256

IMDB_URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
URL_ENV = "SENTIMENT_DATA_URL"
SHA256_ENV = "SENTIMENT_DATA_SHA256"
CACHE_ENV = "SENTIMENT_CLI_CACHE"
_CHUNK = 1 << 20


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
