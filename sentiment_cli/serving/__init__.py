"""``sentiment serve``: the model behind an HTTP API (Starlette on uvicorn), with dynamic batching.

- :mod:`.app`: the Starlette application (``POST /predict``, health, readiness, the model card's summary,
  Prometheus metrics, the OpenAPI schema, a page to try it), its limits and its errors;
- :mod:`.batcher`: concurrent requests' texts gathered into one LiteRT call;
- :mod:`.metrics`: counters and histograms in Prometheus' text format;
- :mod:`.page`: the page at ``/`` and the OpenAPI document.

Needs the ``serve`` extra (starlette, uvicorn); nothing here prints or exits.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from ..errors import MissingExtra, SentimentError

INSTALL_HINT = "pip install 'sentiment-cli[serve]'"
SETTINGS_ENV = "SENTIMENT_CLI_SERVE_SETTINGS"
"""How ``--workers N`` hands the settings to each worker process (JSON; never a token, only its file)."""


class ServeError(SentimentError):
    """The server cannot start: the address is taken, the token file is unusable."""


def require_serve() -> None:
    """Raise :class:`MissingExtra` (one line, with the install command) unless starlette and uvicorn import."""
    missing = []
    for name in ("starlette", "uvicorn"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        what = " and ".join(missing)
        raise MissingExtra(f"serving needs {what}, which {'are' if len(missing) > 1 else 'is'} not installed",
                           INSTALL_HINT)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """What a server process needs: the model, its limits, who may call it. Plain data (JSON for workers)."""

    model: str | None = None
    """A model directory; None: the model shipped with sentiment-cli."""
    max_batch: int = 256
    """Texts gathered into one model call at most (one request larger than this is one call of its own)."""
    max_wait_ms: float = 5.0
    """How long the first request of a batch waits for others to join it."""
    max_queue: int = 1024
    """Texts accepted and not yet answered at most; past it, requests are answered 503 with Retry-After. It bounds
    memory and the wait: at a few hundred reviews a second on 2 cores, 1,024 texts are a few seconds of work."""
    max_texts: int = 1000
    """Texts in one request at most."""
    max_explained: int = 64
    """Texts in one request with ``"explain": true`` at most (each costs a model call per token)."""
    max_body: int = 10 * 1024 * 1024
    """Bytes of a request's body at most (413 past it)."""
    token_file: str | None = None
    """A file holding the bearer token that /predict, /model and /metrics require; None: no token."""
    cors: tuple[str, ...] = field(default_factory=tuple)
    """Origins whose pages may call the API from a browser; empty: none (CORS off)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["cors"] = tuple(data.get("cors") or ())
        return cls(**data)

    @classmethod
    def from_environment(cls) -> Settings:
        return cls.from_json(os.environ[SETTINGS_ENV])


def read_token(path: str) -> str:
    """The bearer token in ``path`` (surrounding whitespace dropped): printable ASCII, at least 16 characters."""
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read(4097).strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ServeError(f"{path}: cannot read the token ({reason})") from None
    if len(token) < 16 or len(token) > 4096 or not all(33 <= ord(c) < 127 for c in token):
        raise ServeError(
            f"{path}: the token must be 16 to 4096 printable ASCII characters without spaces",
            "for example: python -c 'import secrets; print(secrets.token_urlsafe(32))' > FILE",
        )
    return token
