"""Authorization matrix: every endpoint against every kind of caller.

The table below must cover every route of the app (a new endpoint without a row fails the test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cortex.appdata import api_keys
from tests.server.conftest import Api, User

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    scope: str  # read | write | admin
    body: dict[str, Any] | None = None


ENDPOINTS = [
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}", "read"),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/members", "read"),
    Endpoint("POST", "/api/v1/workspaces/{workspace_id}/members", "admin", {"email": "{email}", "role": "viewer"}),
    Endpoint("DELETE", "/api/v1/workspaces/{workspace_id}/members/{user_id}", "admin"),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/agents", "read"),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/agents/{name}", "read"),
    Endpoint("POST", "/api/v1/workspaces/{workspace_id}/sessions", "write", {"agent": "calc", "message": "1+1"}),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/sessions", "read"),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/sessions/{session_id}", "read"),
    Endpoint("POST", "/api/v1/workspaces/{workspace_id}/sessions/{session_id}/messages", "write", {"message": "hi"}),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/sessions/{session_id}/events", "read"),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/sessions/{session_id}/stream?until=idle", "read"),
    Endpoint("POST", "/api/v1/workspaces/{workspace_id}/sessions/{session_id}/terminate", "write", {}),
    Endpoint("POST", "/api/v1/workspaces/{workspace_id}/sessions/{session_id}/fork", "write", {"at_position": 0}),
    Endpoint("POST", "/api/v1/workspaces/{workspace_id}/sessions/{session_id}/approve", "write", {"tool_call_id": "x"}),
    Endpoint("POST", "/api/v1/workspaces/{workspace_id}/sessions/{session_id}/deny", "write", {"tool_call_id": "x"}),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/api-keys", "read"),
    Endpoint("POST", "/api/v1/workspaces/{workspace_id}/api-keys", "read", {"name": "k"}),
    Endpoint("DELETE", "/api/v1/workspaces/{workspace_id}/api-keys/{key_id}", "admin"),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/webhooks", "read"),
    Endpoint(
        "POST",
        "/api/v1/workspaces/{workspace_id}/webhooks",
        "admin",
        {"url": "http://127.0.0.1:9/h", "event_types": ["*"]},
    ),
    Endpoint("DELETE", "/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}", "admin"),
    Endpoint("GET", "/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/deliveries", "read"),
]
UNSCOPED = [  # authenticated, not tied to one workspace
    Endpoint("GET", "/api/v1/auth/me", "read"),
    Endpoint("GET", "/api/v1/workspaces", "read"),
    Endpoint("POST", "/api/v1/workspaces", "read", {"name": "w"}),
    Endpoint("POST", "/api/v1/users", "admin", {"email": "n@example.com", "password": "longenough"}),
]
PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
}


@dataclass
class Tenant:
    owner: User
    workspace: str
    session: str
    key_id: str
    webhook: str
    member: User


async def tenant(api: Api) -> Tenant:
    owner, member = await api.user(), await api.user()
    ws = await api.workspace(owner)
    h = owner.headers
    c = api.client
    assert (
        await c.post(f"/api/v1/workspaces/{ws}/members", json={"email": member.email}, headers=h)
    ).status_code == 201
    session = await c.post(f"/api/v1/workspaces/{ws}/sessions", json={"agent": "calc", "message": "2+2"}, headers=h)
    key = await c.post(f"/api/v1/workspaces/{ws}/api-keys", json={"name": "ci"}, headers=h)
    hook = await c.post(
        f"/api/v1/workspaces/{ws}/webhooks", json={"url": "http://127.0.0.1:9/", "event_types": ["*"]}, headers=h
    )
    return Tenant(owner, ws, session.json()["id"], key.json()["id"], hook.json()["id"], member)


def fill(endpoint: Endpoint, t: Tenant, email: str) -> tuple[str, dict[str, Any] | None]:
    path = endpoint.path.format(
        workspace_id=t.workspace,
        session_id=t.session,
        user_id=t.member.id,
        key_id=t.key_id,
        webhook_id=t.webhook,
        name="calc",
    )
    body = None if endpoint.body is None else {k: (email if v == "{email}" else v) for k, v in endpoint.body.items()}
    return path, body


async def call(api: Api, endpoint: Endpoint, t: Tenant, headers: dict[str, str], email: str = "x@example.com") -> int:
    path, body = fill(endpoint, t, email)
    answer = await api.client.request(endpoint.method, path, json=body, headers=headers)
    if answer.status_code >= 400:
        assert set(answer.json()) == {"error"} and {"code", "message", "details"} <= set(answer.json()["error"])
    return answer.status_code


async def test_the_matrix_covers_every_route(api: Api) -> None:
    routes = {(method.upper(), path) for path, item in api.app.openapi()["paths"].items() for method in item}
    covered = {(e.method, e.path.split("?")[0]) for e in ENDPOINTS + UNSCOPED} | PUBLIC
    assert routes == covered


async def test_no_credentials_is_401_everywhere(api: Api) -> None:
    t = await tenant(api)
    for endpoint in ENDPOINTS + UNSCOPED:
        assert await call(api, endpoint, t, {}) == 401, endpoint
        assert await call(api, endpoint, t, {"Authorization": "Bearer not-a-token"}) == 401, endpoint


async def test_another_workspace_is_404_for_every_resource(api: Api) -> None:
    a, b = await tenant(api), await tenant(api)
    for endpoint in ENDPOINTS:
        # A's owner addresses B's workspace…
        assert await call(api, endpoint, b, a.owner.headers) == 404, endpoint
        # …and B's resources through A's own workspace.
        if "{session_id}" in endpoint.path or "{key_id}" in endpoint.path or "{webhook_id}" in endpoint.path:
            mixed = Tenant(a.owner, a.workspace, b.session, b.key_id, b.webhook, a.member)
            assert await call(api, endpoint, mixed, a.owner.headers) == 404, endpoint


async def test_a_viewer_can_read_but_not_write(api: Api) -> None:
    t = await tenant(api)
    viewer = await api.user()
    added = await api.client.post(
        f"/api/v1/workspaces/{t.workspace}/members",
        json={"email": viewer.email, "role": "viewer"},
        headers=t.owner.headers,
    )
    assert added.status_code == 201
    for endpoint in ENDPOINTS:
        status = await call(api, endpoint, t, viewer.headers, email=viewer.email)
        if endpoint.scope == "read":
            assert status < 400, (endpoint, status)
        else:
            assert status == 403, (endpoint, status)


async def test_a_member_cannot_administer(api: Api) -> None:
    t = await tenant(api)
    for endpoint in ENDPOINTS:
        if endpoint.scope == "admin":
            assert await call(api, endpoint, t, t.member.headers, email=t.member.email) == 403, endpoint


async def test_revoked_and_expired_keys_are_401_everywhere(api: Api) -> None:
    t = await tenant(api)
    db = api.app.state.cortex.db
    _, revoked = await api_keys.create_key(
        db, user_id=t.owner.id, workspace_id=t.workspace, name="r", scopes=frozenset({"read", "write", "admin"})
    )
    good = {"Authorization": f"Bearer {revoked}"}
    assert await call(api, ENDPOINTS[0], t, good) == 200
    key_id = (await api.client.get(f"/api/v1/workspaces/{t.workspace}/api-keys", headers=t.owner.headers)).json()
    revoke_id = next(k["id"] for k in key_id if k["name"] == "r")
    answer = await api.client.delete(f"/api/v1/workspaces/{t.workspace}/api-keys/{revoke_id}", headers=t.owner.headers)
    assert answer.status_code == 200 and answer.json()["revoked_at"]
    _, expired = await api_keys.create_key(
        db,
        user_id=t.owner.id,
        workspace_id=t.workspace,
        name="e",
        scopes=frozenset({"read"}),
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    for token in (revoked, expired):
        for endpoint in ENDPOINTS + UNSCOPED:
            assert await call(api, endpoint, t, {"X-API-Key": token}) == 401, endpoint


async def test_a_key_acts_only_in_its_workspace_and_within_its_scopes(api: Api) -> None:
    a, b = await tenant(api), await tenant(api)
    # A's owner is also a member of B, but a key made in A never reaches B.
    await api.client.post(
        f"/api/v1/workspaces/{b.workspace}/members", json={"email": a.owner.email}, headers=b.owner.headers
    )
    made = await api.client.post(
        f"/api/v1/workspaces/{a.workspace}/api-keys", json={"name": "ro", "scopes": ["read"]}, headers=a.owner.headers
    )
    key = {"X-API-Key": made.json()["token"]}
    assert await call(api, ENDPOINTS[0], a, key) == 200
    assert await call(api, ENDPOINTS[0], b, key) == 404
    create = next(e for e in ENDPOINTS if e.scope == "write")
    assert await call(api, create, a, key) == 403
