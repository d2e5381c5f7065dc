"""``sentiment serve``: the model behind an HTTP API (uvicorn, run programmatically)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from . import console
from .options import ModelOpt

GRACE_SECONDS = 8
"""After SIGTERM or Ctrl-C, requests in flight get this long to finish (the process is gone within 10 s)."""
MAX_CONNECTIONS = 1000
"""Open connections per process at most (uvicorn answers 503 past it): slow clients cannot use up descriptors."""


def serve(
    model: ModelOpt = None,
    host: Annotated[
        str,
        typer.Option(help="The address to listen on. The default takes calls from this machine only; 0.0.0.0 "
                     "(or ::) from anywhere, which wants --token-file or a proxy in front."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="The TCP port (0: any free one, shown at start).")] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Processes serving the port, each with its own copy of the model and "
                     "its own batcher (memory grows with each; /metrics counts per process)."),
    ] = 1,
    token_file: Annotated[
        Path | None,
        typer.Option(help="A file holding a secret token: /predict, /model and /metrics then require "
                     "'Authorization: Bearer TOKEN'.", show_default=False),
    ] = None,
    cors: Annotated[
        list[str] | None,
        typer.Option(help="An origin (https://app.example.com) whose pages may call the API from a browser; "
                     "repeat for more. Default: none (browsers refuse cross-origin calls).", show_default=False),
    ] = None,
    max_batch: Annotated[
        int, typer.Option(min=1, max=65536, help="Texts gathered into one model call at most.")
    ] = 256,
    max_wait_ms: Annotated[
        float, typer.Option(min=0.0, max=1000.0, help="How long a request waits for others to join its batch.")
    ] = 5.0,
    max_queue: Annotated[
        int,
        typer.Option(min=1, help="Texts accepted and not yet answered at most; past it, requests get 503 and "
                     "Retry-After instead of waiting (it bounds memory and the wait)."),
    ] = 1024,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request on stderr.")] = False,
) -> None:
    """Serve the model over HTTP.

    POST /predict, a page to try it at /, /docs.

    POST /predict takes {"texts": [...]} (optionally "ids", "threshold", "explain": true) and
    answers {"predictions": [...]}, each record what 'sentiment predict --format jsonl' writes
    for that text. Requests arriving together are classified in one model call. Also GET
    /healthz, /readyz, /model (the card's summary), /metrics (Prometheus) and /openapi.json.
    SIGTERM or Ctrl-C stops taking connections, finishes the requests in flight and exits 0.
    Needs pip install 'sentiment-cli[serve]'.

    Examples:

    \b
      sentiment serve
      sentiment serve --model my-model --host 0.0.0.0 --token-file token.txt
      curl -s localhost:8000/predict -d '{"texts": ["A wonderful film."]}'
    """
    from ..serving import Settings, read_token, require_serve

    require_serve()
    settings = Settings(
        model=None if model is None else str(model.absolute()), max_batch=max_batch, max_wait_ms=max_wait_ms,
        max_queue=max_queue, token_file=None if token_file is None else str(token_file.absolute()),
        cors=tuple(cors or ()),
    )  # fmt: skip
    if token_file is not None:
        read_token(str(token_file))  # refused now, in one line, rather than in every worker
    with console.status("Loading the model"):
        from ..api import load
        from ..serving.app import create_app

        loaded = load(model)  # checked (every file's sha256) before the port is taken
        application = None if workers > 1 else create_app(settings, loaded)
    sock = _listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}"
    name = loaded.path.name if model is not None else "the shipped model"
    plural = "s" if workers > 1 else ""
    console.note(f"Serving {name} at {url}/ (POST /predict, docs at /docs; {workers} worker{plural}); Ctrl-C stops")
    _run(application, settings, sock, workers, access_log)
    console.note("Stopped")


def _listen(host: str, port: int) -> Any:
    """The listening socket, bound here so a taken port is one line on stderr (uvicorn would log and exit)."""
    import socket

    from ..serving import ServeError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ServeError(f"{host}:{port}: cannot listen ({reason.lower() if reason else exc})") from None
    sock.set_inheritable(True)  # --workers: each process accepts on it
    return sock


def _run(application: Any, settings: Any, sock: Any, workers: int, access_log: bool) -> None:
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from ..serving import SETTINGS_ENV

    logging_config = copy.deepcopy(LOGGING_CONFIG)
    logging_config["handlers"]["access"]["stream"] = "ext://sys.stderr"  # stdout is for results only
    options: dict[str, Any] = {
        "log_config": logging_config, "log_level": "info" if access_log else "warning", "access_log": access_log,
        "timeout_graceful_shutdown": GRACE_SECONDS, "lifespan": "on", "server_header": False,
        "h11_max_incomplete_event_size": 64 * 1024, "timeout_keep_alive": 5,
        "limit_concurrency": MAX_CONNECTIONS,
    }  # fmt: skip
    # uvicorn takes SIGTERM and SIGINT while it serves, and raises them again when it has stopped: here that
    # would be "terminated" (143) or "interrupted" (130) after a clean stop, so they are made harmless first.
    previous = {signum: signal.signal(signum, lambda *_: None) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        if workers == 1:
            uvicorn.Server(uvicorn.Config(application, **options)).run(sockets=[sock])
        else:
            from uvicorn.supervisors import Multiprocess

            os.environ[SETTINGS_ENV] = settings.to_json()
            config = uvicorn.Config("sentiment_cli.serving.app:from_environment", factory=True, workers=workers,
                                    **options)  # fmt: skip
            Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
