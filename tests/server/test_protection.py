"""Idempotency keys, rate limits, body limits, error shape and metrics."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import service_missing
from tests.server.conftest import Api, make_settings, running_api

pytestmark = pytest.mark.anyio
REDIS_URL = os.environ.get("CORTEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_a_repeated_post_with_an_idempotency_key_creates_one_session_and_answers_the_same(api: Api) -> None:
    owner = await api.user()
    ws = await api.workspace(owner)
    url = f"/api/v1/workspaces/{ws}/sessions"
    headers = {**owner.headers, "Idempotency-Key": "create-1"}
    body = {"agent": "calc", "message": "5*5"}
    first = await api.client.post(url, json=body, headers=headers)
    again = await api.client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    listed = (await api.client.get(url, headers=owner.headers)).json()["items"]
    assert [s["id"] for s in listed] == [first.json()["id"]]
    other = await api.client.post(url, json={**body, "message": "6*6"}, headers=headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    # Messages too: one message however often it is retried.
    sid = first.json()["id"]
    post = {**owner.headers, "Idempotency-Key": "msg-1"}
    for _ in range(3):
        answer = await api.client.post(f"{url}/{sid}/messages", json={"message": "and 2*2?"}, headers=post)
        assert answer.status_code == 201
    events = (await api.client.get(f"{url}/{sid}/events", params={"limit": 1000}, headers=owner.headers)).json()
    assert [e["data"]["message"] for e in events["items"] if e["type"] == "UserMessageAdded"] == ["5*5", "and 2*2?"]


async def test_idempotency_keys_belong_to_their_user(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    ws_a, ws_b = await api.workspace(alice), await api.workspace(bob)
    body = {"agent": "calc", "message": "1+2"}
    a = await api.client.post(
        f"/api/v1/workspaces/{ws_a}/sessions", json=body, headers={**alice.headers, "Idempotency-Key": "k"}
    )
    b = await api.client.post(
        f"/api/v1/workspaces/{ws_b}/sessions", json=body, headers={**bob.headers, "Idempotency-Key": "k"}
    )
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


async def rate_limited(api: Api) -> None:
    owner = await api.user()
    statuses = [(await api.client.get("/api/v1/workspaces", headers=owner.headers)) for _ in range(5)]
    assert [s.status_code for s in statuses] == [200, 200, 200, 200, 200]
    over = await api.client.get("/api/v1/workspaces", headers=owner.headers)
    assert over.status_code == 429
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert over.json()["error"]["code"] == "rate_limited"
    other = await api.user()  # the limit is per caller
    assert (await api.client.get("/api/v1/workspaces", headers=other.headers)).status_code == 200


async def test_rate_limit_in_process(tmp_path: Path) -> None:
    async with running_api(make_settings(tmp_path, rate_limit_per_minute=5)) as api:
        await rate_limited(api)


async def test_rate_limit_shared_through_redis(tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {REDIS_URL}: {exc}")
    settings = make_settings(tmp_path, rate_limit_per_minute=5, redis_url=REDIS_URL)
    async with running_api(settings) as api:
        await rate_limited(api)
    keys = redis.Redis.from_url(REDIS_URL).keys("cortex:ratelimit:*")
    assert keys, "the counts live in Redis"


async def test_an_oversized_body_is_refused_with_413(tmp_path: Path) -> None:
    async with running_api(make_settings(tmp_path, max_body_bytes=4096)) as api:
        owner = await api.user()
        ws = await api.workspace(owner)
        answer = await api.client.post(
            f"/api/v1/workspaces/{ws}/sessions", json={"message": "x" * 10_000}, headers=owner.headers
        )
        assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"


async def test_errors_have_one_shape_and_metrics_count_requests(api: Api) -> None:
    owner = await api.user()
    ws = await api.workspace(owner)
    bad = await api.client.post(f"/api/v1/workspaces/{ws}/sessions", json={"message": ""}, headers=owner.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_request" and "message" in bad.json()["error"]["message"]
    unknown = await api.client.post(
        f"/api/v1/workspaces/{ws}/sessions", json={"agent": "nobody", "message": "hi"}, headers=owner.headers
    )
    assert unknown.status_code == 422 and "nobody" in unknown.json()["error"]["message"]
    missing = await api.client.get(f"/api/v1/workspaces/{ws}/sessions/{uuid.uuid4().hex}", headers=owner.headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    metrics = (await api.client.get("/metrics")).text
    assert (
        'cortex_http_requests_total{method="POST",route="/api/v1/workspaces/{workspace_id}/sessions",status="422"} 2.0'
        in metrics
    )
    assert (await api.client.get("/health")).json() == {"status": "ok"}
    assert (await api.client.get("/ready")).json() == {"status": "ready"}
