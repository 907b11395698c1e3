"""Webhooks against a real receiving HTTP server: signatures verify, failures retry, then dead-letter."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from cortex.client import InvalidSignature, verify_signature
from cortex.webhooks import retry_delay, sign
from tests.server.conftest import free_port, make_settings, running_api

pytestmark = pytest.mark.anyio


class Receiver:
    """`/flaky` answers 500 to the first two attempts of each event, `/down` always 503."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.attempts: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append((scope["path"], headers, body))
        key = (scope["path"], headers.get("cortex-event-id", ""))
        self.attempts[key] += 1
        status = 503 if scope["path"] == "/down" else 500 if self.attempts[key] <= 2 else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_deliveries_are_signed_retried_and_dead_lettered(tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
    app, base = receiver
    settings = make_settings(tmp_path, webhook_backoff_s=0.05, webhook_max_attempts=3)
    async with running_api(settings) as api:
        owner = await api.user()
        ws = await api.workspace(owner)
        hooks = f"/api/v1/workspaces/{ws}/webhooks"
        flaky = (
            await api.client.post(
                hooks, json={"url": f"{base}/flaky", "event_types": ["LLMResponseReceived"]}, headers=owner.headers
            )
        ).json()
        down = (
            await api.client.post(
                hooks, json={"url": f"{base}/down", "event_types": ["SessionStarted"]}, headers=owner.headers
            )
        ).json()
        created = await api.client.post(
            f"/api/v1/workspaces/{ws}/sessions", json={"agent": "calc", "message": "7*6"}, headers=owner.headers
        )
        session_id = created.json()["id"]
        with anyio.fail_after(30):
            while True:
                delivered = (await api.client.get(f"{hooks}/{flaky['id']}/deliveries", headers=owner.headers)).json()
                dead = (
                    await api.client.get(
                        f"{hooks}/{down['id']}/deliveries", params={"status": "dead"}, headers=owner.headers
                    )
                ).json()
                if len(delivered) == 2 and all(d["status"] == "delivered" for d in delivered) and dead:
                    break
                await anyio.sleep(0.05)
    assert [d["attempts"] for d in delivered] == [3, 3]
    assert [d["last_status_code"] for d in delivered] == [200, 200]
    assert (
        dead[0]["attempts"] == 3 and dead[0]["last_error"] == "HTTP 503" and dead[0]["event_type"] == "SessionStarted"
    )
    assert app.attempts[("/down", dead[0]["event_id"])] == 3
    flaky_requests = [(h, b) for path, h, b in app.received if path == "/flaky"]
    assert len(flaky_requests) == 6
    for headers, body in flaky_requests:
        verify_signature(flaky["secret"], headers["cortex-signature"], body)
        with pytest.raises(InvalidSignature):
            verify_signature(down["secret"], headers["cortex-signature"], body)
        with pytest.raises(InvalidSignature):
            verify_signature(flaky["secret"], headers["cortex-signature"], body + b" ")
        payload = json.loads(body)
        assert payload["session_id"] == session_id and payload["type"] == "LLMResponseReceived"
        assert payload["workspace_id"] == ws and headers["cortex-event-id"] == payload["id"]


def test_signatures_expire_and_retries_back_off() -> None:
    header = sign("whsec_x", b"{}", timestamp=1_000)
    verify_signature("whsec_x", header, b"{}", now=1_100)
    with pytest.raises(InvalidSignature, match="older"):
        verify_signature("whsec_x", header, b"{}", now=2_000)
    with pytest.raises(InvalidSignature, match="no Cortex-Signature"):
        verify_signature("whsec_x", None, b"{}")
    delays = [retry_delay(n, 5, 2.0) for n in range(1, 6)]
    assert [d.total_seconds() if d else None for d in delays] == [2.0, 4.0, 8.0, 16.0, None]
