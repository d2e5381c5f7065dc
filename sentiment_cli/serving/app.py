"""The Starlette application: routes, limits, errors, the bearer token and CORS.

Every error is a JSON body ``{"error": "what is wrong", "reason": "invalid_json"}`` with a 4xx or 5xx status;
the server goes on serving after any of them. Nothing in a request names a file: the model is the one the
server was started with.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import math
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..errors import SentimentError
from ..records import json_record
from . import Settings, page, read_token
from .batcher import Batcher, Overloaded, Stopped
from .metrics import Metrics

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from ..api import Model

FIELDS = ("texts", "ids", "threshold", "explain")
PUBLIC = frozenset({"/", "/healthz", "/readyz", "/openapi.json", "/docs"})
"""Routes that need no token: probes, the page (it holds no data; its calls send the token) and the schema."""
ROUTES = frozenset({*PUBLIC, "/predict", "/model", "/metrics"})
METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS"})


Parsed = tuple[list[str], list[Any] | None, float | None, bool]
"""A /predict request: its texts, ids, threshold and whether to explain."""


class Refused(Exception):
    """A request answered with an error: its status, a reason for /metrics and a message for the client."""

    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.headers = status, reason, message, headers or {}


def create_app(settings: Settings, model: Model | None = None) -> Starlette:
    """The application serving ``model`` (default: ``settings.model``, loaded and verified now)."""
    from ..api import load
    from ..runtime import Predictor

    if model is None:
        model = load(settings.model)
    token = read_token(settings.token_file) if settings.token_file else None
    predictor = Predictor(model.bundle)
    labels = predictor.labels
    metrics = Metrics()
    batcher = Batcher(predictor, metrics, max_batch=settings.max_batch, max_wait=settings.max_wait_ms / 1000,
                      max_queue=settings.max_queue)  # fmt: skip
    summary = model_summary(model)
    document = page.openapi(labels, settings)
    home = page.html(labels, needs_token=token is not None)

    def authorize(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise Refused(401, "unauthorized", "a valid 'Authorization: Bearer TOKEN' header is required",
                          {"WWW-Authenticate": 'Bearer realm="sentiment"'})  # fmt: skip

    async def predict(request: Request) -> Response:
        started = time.perf_counter()
        try:
            authorize(request)
            body = await read_body(request, settings.max_body)
            texts, ids, threshold, explain = parse(body, settings, labels)
            task = asyncio.ensure_future(batcher.submit(texts, ids, threshold, explain))
            answered = await unless_disconnected(request.receive, task)
            if answered is None:
                metrics.errors["disconnected"] += 1
                return Response(status_code=499)  # nobody reads it (nginx's "client closed request")
            predictions, explanations = answered
            records = [json_record(p, labels, explanations[i] if explain and explanations else None,
                                   with_id=ids is not None, explained=explain)
                       for i, p in enumerate(predictions)]  # fmt: skip
            return _json({"predictions": records})
        except Refused as refused:
            metrics.errors[refused.reason] += 1
            return _error(refused.status, refused.reason, refused.message, refused.headers)
        except ClientDisconnect:
            metrics.errors["disconnected"] += 1
            return Response(status_code=499)
        except Overloaded as exc:
            metrics.errors["overloaded"] += 1
            return _error(503, "overloaded", str(exc), {"Retry-After": str(exc.retry_after)})
        except Stopped as exc:
            metrics.errors["stopping"] += 1
            return _error(503, "stopping", str(exc), {"Retry-After": "1", "Connection": "close"})
        except SentimentError as exc:  # the model failed on this batch (a damaged file): said, and served on
            metrics.errors["model"] += 1
            return _error(500, "model", exc.message)
        finally:
            metrics.latency.observe(time.perf_counter() - started)

    def guarded(handler: Any) -> Any:
        async def run(request: Request) -> Response:
            try:
                authorize(request)
            except Refused as refused:
                metrics.errors[refused.reason] += 1
                return _error(refused.status, refused.reason, refused.message, refused.headers)
            return await handler(request)

        return run

    async def healthz(request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if batcher.running:
            return _json({"status": "ready"})
        return _json({"status": "not ready"}, 503)

    async def model_card(request: Request) -> Response:
        return _json(summary)

    async def metrics_text(request: Request) -> Response:
        return Response(metrics.text(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def openapi_json(request: Request) -> Response:
        return _json(document)

    async def docs(request: Request) -> Response:
        return HTMLResponse(page.docs_html(document), headers=page.SECURITY_HEADERS)

    async def index(request: Request) -> Response:
        return HTMLResponse(home, headers=page.headers(home))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        reason = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        metrics.errors[reason] += 1
        message = f"no route {request.url.path}" if exc.status_code == 404 else str(exc.detail)
        return _error(exc.status_code, reason, message, dict(exc.headers or {}))

    async def server_error(request: Request, exc: Exception) -> Response:
        metrics.errors["internal"] += 1
        return _error(500, "internal", "internal error (see the server's log)")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        batcher.start()
        try:
            yield
        finally:
            await batcher.stop()

    middleware = [Middleware(Counting, metrics=metrics)]
    if settings.cors:
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors), allow_methods=["GET", "POST"],
                                     allow_headers=["Authorization", "Content-Type"], max_age=600))  # fmt: skip
    application = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/predict", predict, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/model", guarded(model_card), methods=["GET"]),
            Route("/metrics", guarded(metrics_text), methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
            Route("/docs", docs, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    application.state.batcher = batcher
    application.state.metrics = metrics
    return application


def from_environment() -> Starlette:
    """The application of one ``--workers N`` process: settings from :data:`SETTINGS_ENV` (uvicorn's factory)."""
    return create_app(Settings.from_environment())


class Counting:
    """Counts every answer by method, route and status (unknown paths and methods as ``other``, so a scan of
    random paths cannot grow /metrics)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope["path"] if scope["path"] in ROUTES else "other"
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.requests[(method, route, status)] += 1


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read until ``limit`` bytes at most: a larger one is refused (413) without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Refused(413, "too_large", f"the body is {int(declared):,} bytes; at most {limit:,} are accepted")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, "too_large", f"the body is over {limit:,} bytes; at most {limit:,} are accepted")
        chunks.append(chunk)
    return b"".join(chunks)


async def unless_disconnected(receive: Receive, task: asyncio.Future) -> Any:
    """``task``'s result, or None (and ``task`` cancelled) if the client goes away first."""

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(gone())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        return None
    finally:
        for pending in (watcher, task):
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse(body: bytes, settings: Settings, labels: tuple[str, ...]) -> Parsed:
    """A /predict body checked: ``texts``, ``ids``, ``threshold``, ``explain`` (400/422 naming the fault)."""
    if not body.strip():
        raise Refused(400, "invalid_json", 'the body is empty: send a JSON object such as {"texts": ["..."]}')
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise Refused(400, "invalid_json", "the body is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise Refused(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _shape(f'the body must be a JSON object such as {{"texts": ["..."]}}, not {_kind(data)}')
    unknown = [key for key in data if key not in FIELDS]
    if unknown:
        raise _shape(f"unknown field {json.dumps(unknown[0])} (the fields are {', '.join(FIELDS)})")
    if "texts" not in data:
        raise _shape('"texts" is missing: give a list of strings')
    texts = data["texts"]
    if not isinstance(texts, list):
        raise _shape(f'"texts" must be a list of strings, not {_kind(texts)}')
    if len(texts) > settings.max_texts:
        raise Refused(413, "too_many_texts",
                      f'"texts" holds {len(texts):,} texts; at most {settings.max_texts:,} per request')  # fmt: skip
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise _shape(f'"texts"[{i}] is {_kind(text)}, not a string')
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _shape(f'"texts"[{i}] is not valid Unicode (it holds a lone surrogate)') from None
    ids = data.get("ids")
    if ids is not None:
        if not isinstance(ids, list) or len(ids) != len(texts):
            raise _shape(f'"ids" must be a list as long as "texts" ({len(texts)}), not {_kind(ids)}'
                         + (f" of {len(ids)}" if isinstance(ids, list) else ""))  # fmt: skip
        for i, value in enumerate(ids):
            if isinstance(value, dict | list) or (isinstance(value, str) and not _unicode(value)):
                raise _shape(f'"ids"[{i}] is {_kind(value)}: an id is a string, a number or null')
    threshold = data.get("threshold")
    if threshold is not None:
        if len(labels) != 2:
            raise _shape(f'"threshold" applies to two-class models; this one has {len(labels)} classes')
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
            raise _shape(f'"threshold" must be a number from 0 to 1, not {json.dumps(threshold)[:40]}')
        threshold = float(threshold)
    explain = data.get("explain", False)
    if not isinstance(explain, bool):
        raise _shape(f'"explain" must be true or false, not {_kind(explain)}')
    if explain and len(texts) > settings.max_explained:
        raise Refused(413, "too_many_texts", f'"explain" takes at most {settings.max_explained} texts per request '
                      f"(each costs a model call per word); this one has {len(texts):,}")  # fmt: skip
    return texts, ids, threshold, explain


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shape(message: str) -> Refused:
    return Refused(422, "invalid_request", message)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error(status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json({"error": message, "reason": reason}, status, headers)


def model_summary(model: Model) -> dict[str, Any]:
    """``GET /model``: what the model is (the card's summary; no path of the server's files)."""
    card = model.card
    data = card.data
    metrics = {}
    for split, values in card.metrics.items():
        keep = ("accuracy", "f1", "macro_f1", "roc_auc", "log_loss", "ece", "n")
        metrics[split] = {k: values[k] for k in keep if k in values and _finite(values[k])}
    return {
        "name": card.name,
        "description": card.description,
        "created": card.created,
        "classes": list(card.labels),
        "threshold": card.threshold if card.binary else None,
        "architecture": card.model.arch if hasattr(card.model, "arch") else None,
        "data": {
            "splits": data.get("splits", {}),
            "rows_used": data.get("rows_used"),
            "sources": [part.get("kind") for part in data.get("parts", []) if isinstance(part, dict)],
        },
        "metrics": metrics,
        "sha256": {name: entry.sha256 for name, entry in sorted(card.files.items())},
        "versions": card.versions,
    }


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
