"""ASGI middleware: request metrics, body size limit, and `Idempotency-Key` on POSTs."""

from __future__ import annotations

import hashlib
import json
import time

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cortex.appdata import idempotency
from cortex.server._errors import error_body
from cortex.server._metrics import Metrics
from cortex.server._security import authenticate
from cortex.server._state import AppState

__all__ = ["BodyLimit", "Idempotency", "RequestMetrics"]


async def _send_error(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(code, message)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class RequestMetrics:
    """Counts requests by method, route template and status, and times them."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]
        start = time.perf_counter()

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            path = _route_template(scope)
            metrics = self.metrics
            metrics.http_requests.labels(method=scope["method"], route=path, status=str(status[0])).inc()
            metrics.http_latency.labels(method=scope["method"], route=path).observe(time.perf_counter() - start)


def _route_template(scope: Scope) -> str:
    """The route's template (`/api/v1/workspaces/{workspace_id}`), so metrics stay low-cardinality."""
    if scope.get("route") is None:
        return "unmatched"
    names = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in scope["path"].split("/"))


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuses bodies over `limit` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        message = f"the request body is over the limit of {self.limit} bytes"
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _send_error(send, 413, "payload_too_large", message)
            return
        seen = [0]
        started = [False]

        async def counted() -> Message:
            item = await receive()
            if item["type"] == "http.request":
                seen[0] += len(item.get("body", b""))
                if seen[0] > self.limit:
                    raise _TooLarge
            return item

        async def tracking(item: Message) -> None:
            if item["type"] == "http.response.start":
                started[0] = True
            await send(item)

        try:
            await self.app(scope, counted, tracking)
        except _TooLarge:
            if not started[0]:
                await _send_error(send, 413, "payload_too_large", message)


class Idempotency:
    """A POST with `Idempotency-Key` runs once per caller and key; repeats get the first answer again.

    The key is claimed before the request runs, so a concurrent repeat gets 409 instead of a second
    session; a repeat with a different body gets 422; an answer of 5xx is not kept (retry runs again).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        key = request.headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255:
            await _send_error(send, 422, "invalid_request", "Idempotency-Key must have 1 to 255 characters")
            return
        state: AppState = scope["app"].state.cortex
        principal = await authenticate(request, state)
        if principal is None:
            await self.app(scope, receive, send)  # the route answers 401
            return
        body = await request.body()
        digest = hashlib.sha256(b"%s %s\n%s" % (scope["method"].encode(), scope["path"].encode(), body)).hexdigest()
        owner = f"user:{principal.user_id}"
        db = state.db
        outcome = await idempotency.claim(db, owner, key, digest)
        if isinstance(outcome, idempotency.Stored):
            await _replay(send, outcome)
            return
        if isinstance(outcome, idempotency.InProgress):
            await _send_error(send, 409, "conflict", "a request with this Idempotency-Key is still running; retry")
            return
        if isinstance(outcome, idempotency.Mismatch):
            message = "this Idempotency-Key was used with a different request"
            await _send_error(send, 422, "idempotency_key_reused", message)
            return
        status = [500]
        chunks: list[bytes] = []
        delivered = [False]

        async def replay_body() -> Message:
            if delivered[0]:
                return await receive()
            delivered[0] = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(item: Message) -> None:
            if item["type"] == "http.response.start":
                status[0] = item["status"]
            elif item["type"] == "http.response.body":
                chunks.append(item.get("body", b""))
            await send(item)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await idempotency.release(db, owner, key)
            raise
        if status[0] >= 500:
            await idempotency.release(db, owner, key)
        else:
            await idempotency.complete(db, owner, key, status[0], b"".join(chunks).decode())


async def _replay(send: Send, stored: idempotency.Stored) -> None:
    body = stored.response.encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
