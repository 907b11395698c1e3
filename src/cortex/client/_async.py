"""The asynchronous client: every endpoint of `/api/v1`, typed with the server's own models."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

import anyio
import httpx
from pydantic import BaseModel, TypeAdapter

from cortex.api_models import (
    AgentOut,
    ApiKeyCreated,
    ApiKeyOut,
    DeliveryOut,
    EventOut,
    EventsPage,
    MemberOut,
    SessionsPageOut,
    SessionStateOut,
    TokensOut,
    UserOut,
    WebhookCreated,
    WebhookOut,
    WorkspaceOut,
)
from cortex.client._errors import raise_for_answer
from cortex.client._sse import iter_sse

__all__ = ["AsyncClient", "StreamItem"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class StreamItem:
    """What a session stream yields: a stored `event`, or a live text `chunk` (not stored)."""

    event: EventOut | None = None
    chunk: str | None = None


class AsyncClient:
    """Talk to a Cortex server.

    Authenticate with an API key (`api_key=`), or with `login(email, password)` which keeps the
    tokens and refreshes the access token once when it expires.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        self._api_key = api_key
        self._access: str | None = None
        self._refresh: str | None = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    # -- plumbing -----------------------------------------------------------------------------

    def _headers(self, idempotency_key: str | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        token = self._access or self._api_key
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = await self._http.request(
            method, path, json=json_body, params=query, headers=self._headers(idempotency_key)
        )
        if response.status_code == 401 and self._refresh is not None and not path.startswith("/api/v1/auth/"):
            await self.refresh()
            response = await self._http.request(
                method, path, json=json_body, params=query, headers=self._headers(idempotency_key)
            )
        raise_for_answer(response)
        return response

    async def _model(self, kind: type[M], method: str, path: str, **kwargs: Any) -> M:
        return kind.model_validate_json((await self._send(method, path, **kwargs)).content)

    async def _list(self, kind: type[T], method: str, path: str, **kwargs: Any) -> list[T]:
        return TypeAdapter(list[kind]).validate_json((await self._send(method, path, **kwargs)).content)  # type: ignore[valid-type]

    # -- auth ---------------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> TokensOut:
        """Log in; later requests carry the access token."""
        tokens = await self._model(
            TokensOut, "POST", "/api/v1/auth/login", json_body={"email": email, "password": password}
        )
        self._access, self._refresh = tokens.access_token, tokens.refresh_token
        return tokens

    async def refresh(self) -> TokensOut:
        """Exchange the refresh token for a fresh pair."""
        tokens = await self._model(
            TokensOut, "POST", "/api/v1/auth/refresh", json_body={"refresh_token": self._refresh}
        )
        self._access, self._refresh = tokens.access_token, tokens.refresh_token
        return tokens

    async def me(self) -> UserOut:
        """The authenticated user."""
        return await self._model(UserOut, "GET", "/api/v1/auth/me")

    async def create_user(self, email: str, password: str, *, admin: bool = False) -> UserOut:
        """Create a user (admins only)."""
        body = {"email": email, "password": password, "admin": admin}
        return await self._model(UserOut, "POST", "/api/v1/users", json_body=body)

    # -- workspaces ---------------------------------------------------------------------------

    async def workspaces(self) -> list[WorkspaceOut]:
        """Your workspaces."""
        return await self._list(WorkspaceOut, "GET", "/api/v1/workspaces")

    async def create_workspace(self, name: str) -> WorkspaceOut:
        """A new workspace you own."""
        return await self._model(WorkspaceOut, "POST", "/api/v1/workspaces", json_body={"name": name})

    async def workspace(self, workspace_id: str) -> WorkspaceOut:
        """One workspace."""
        return await self._model(WorkspaceOut, "GET", f"/api/v1/workspaces/{workspace_id}")

    async def members(self, workspace_id: str) -> list[MemberOut]:
        """The workspace's members."""
        return await self._list(MemberOut, "GET", f"/api/v1/workspaces/{workspace_id}/members")

    async def add_member(
        self, workspace_id: str, email: str, role: Literal["owner", "member", "viewer"] = "member"
    ) -> MemberOut:
        """Add a user or change their role (owners)."""
        body = {"email": email, "role": role}
        return await self._model(MemberOut, "POST", f"/api/v1/workspaces/{workspace_id}/members", json_body=body)

    async def remove_member(self, workspace_id: str, user_id: str) -> None:
        """Remove a member (owners)."""
        await self._send("DELETE", f"/api/v1/workspaces/{workspace_id}/members/{user_id}")

    # -- agents -------------------------------------------------------------------------------

    async def agents(self, workspace_id: str) -> list[AgentOut]:
        """The agents the server runs."""
        return await self._list(AgentOut, "GET", f"/api/v1/workspaces/{workspace_id}/agents")

    async def agent(self, workspace_id: str, name: str) -> AgentOut:
        """One agent."""
        return await self._model(AgentOut, "GET", f"/api/v1/workspaces/{workspace_id}/agents/{name}")

    # -- sessions -----------------------------------------------------------------------------

    def _session(self, workspace_id: str, session_id: str = "") -> str:
        base = f"/api/v1/workspaces/{workspace_id}/sessions"
        return f"{base}/{session_id}" if session_id else base

    async def create_session(
        self,
        workspace_id: str,
        message: str,
        *,
        agent: str | None = None,
        model: str | None = None,
        idempotency_key: str | None = None,
    ) -> SessionStateOut:
        """Start a session with its first message."""
        body = {"agent": agent, "message": message, "model": model}
        return await self._model(
            SessionStateOut, "POST", self._session(workspace_id), json_body=body, idempotency_key=idempotency_key
        )

    async def sessions(
        self,
        workspace_id: str,
        *,
        status: str | None = None,
        agent: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> SessionsPageOut:
        """One page of sessions, newest first."""
        params = {"status": status, "agent": agent, "limit": limit, "cursor": cursor}
        return await self._model(SessionsPageOut, "GET", self._session(workspace_id), params=params)

    async def session(self, workspace_id: str, session_id: str) -> SessionStateOut:
        """A session's current state."""
        return await self._model(SessionStateOut, "GET", self._session(workspace_id, session_id))

    async def send_message(
        self, workspace_id: str, session_id: str, message: str, *, idempotency_key: str | None = None
    ) -> SessionStateOut:
        """Say something in a session."""
        return await self._model(
            SessionStateOut,
            "POST",
            self._session(workspace_id, session_id) + "/messages",
            json_body={"message": message},
            idempotency_key=idempotency_key,
        )

    async def events(self, workspace_id: str, session_id: str, *, after: int = -1, limit: int = 100) -> EventsPage:
        """One page of stored events."""
        path = self._session(workspace_id, session_id) + "/events"
        return await self._model(EventsPage, "GET", path, params={"after": after, "limit": limit})

    async def terminate(
        self, workspace_id: str, session_id: str, reason: str = "terminated by operator"
    ) -> SessionStateOut:
        """Stop a session."""
        path = self._session(workspace_id, session_id) + "/terminate"
        return await self._model(SessionStateOut, "POST", path, json_body={"reason": reason})

    async def fork(
        self, workspace_id: str, session_id: str, at_position: int, *, model: str | None = None
    ) -> SessionStateOut:
        """Copy a session up to a position into a new one."""
        path = self._session(workspace_id, session_id) + "/fork"
        return await self._model(SessionStateOut, "POST", path, json_body={"at_position": at_position, "model": model})

    async def approve(
        self, workspace_id: str, session_id: str, tool_call_id: str, *, comment: str | None = None
    ) -> SessionStateOut:
        """Allow a tool call awaiting approval."""
        path = self._session(workspace_id, session_id) + "/approve"
        body = {"tool_call_id": tool_call_id, "comment": comment}
        return await self._model(SessionStateOut, "POST", path, json_body=body)

    async def deny(
        self, workspace_id: str, session_id: str, tool_call_id: str, *, comment: str | None = None
    ) -> SessionStateOut:
        """Refuse a tool call awaiting approval."""
        path = self._session(workspace_id, session_id) + "/deny"
        body = {"tool_call_id": tool_call_id, "comment": comment}
        return await self._model(SessionStateOut, "POST", path, json_body=body)

    async def stream(
        self,
        workspace_id: str,
        session_id: str,
        *,
        last_event_id: int | None = None,
        until: Literal["never", "idle", "completed"] = "never",
        max_reconnects: int = 10,
    ) -> AsyncGenerator[StreamItem, None]:
        """Live events of a session; a dropped connection resumes after the last event seen.

        Args:
            workspace_id: the session's workspace.
            session_id: the session.
            last_event_id: start after this position (default: from the beginning).
            until: stop once the session waits for input (`idle`) or has ended (`completed`).
            max_reconnects: how many consecutive failed reconnects to tolerate.
        """
        path = self._session(workspace_id, session_id) + "/stream"
        failures = 0
        while True:
            headers = self._headers()
            if last_event_id is not None:
                headers["Last-Event-ID"] = str(last_event_id)
            try:
                async with self._http.stream(
                    "GET", path, params={"until": until}, headers=headers, timeout=httpx.Timeout(30, read=None)
                ) as response:
                    if not response.is_success:
                        await response.aread()
                        raise_for_answer(response)
                    async for frame in iter_sse(response):
                        failures = 0
                        if frame.event == "chunk":
                            yield StreamItem(chunk=json.loads(frame.data)["text"])
                            continue
                        event = EventOut.model_validate_json(frame.data)
                        last_event_id = event.position
                        yield StreamItem(event=event)
                return
            except (httpx.TransportError, httpx.RemoteProtocolError):
                failures += 1
                if failures > max_reconnects:
                    raise
                await anyio.sleep(min(0.1 * 2**failures, 5.0))

    # -- API keys -----------------------------------------------------------------------------

    async def api_keys(self, workspace_id: str) -> list[ApiKeyOut]:
        """The workspace's keys."""
        return await self._list(ApiKeyOut, "GET", f"/api/v1/workspaces/{workspace_id}/api-keys")

    async def create_api_key(
        self,
        workspace_id: str,
        name: str,
        *,
        scopes: list[Literal["read", "write", "admin"]] | None = None,
        expires_at: datetime | None = None,
    ) -> ApiKeyCreated:
        """A new key acting as you in the workspace; its `token` is shown only now."""
        body: dict[str, Any] = {"name": name, "expires_at": expires_at.isoformat() if expires_at else None}
        if scopes is not None:
            body["scopes"] = scopes
        return await self._model(ApiKeyCreated, "POST", f"/api/v1/workspaces/{workspace_id}/api-keys", json_body=body)

    async def revoke_api_key(self, workspace_id: str, key_id: str) -> ApiKeyOut:
        """Revoke a key (owners)."""
        return await self._model(ApiKeyOut, "DELETE", f"/api/v1/workspaces/{workspace_id}/api-keys/{key_id}")

    # -- webhooks -----------------------------------------------------------------------------

    async def webhooks(self, workspace_id: str) -> list[WebhookOut]:
        """The workspace's subscriptions."""
        return await self._list(WebhookOut, "GET", f"/api/v1/workspaces/{workspace_id}/webhooks")

    async def create_webhook(self, workspace_id: str, url: str, event_types: list[str]) -> WebhookCreated:
        """Subscribe a URL; keep the returned `secret` to verify deliveries."""
        body = {"url": url, "event_types": event_types}
        return await self._model(WebhookCreated, "POST", f"/api/v1/workspaces/{workspace_id}/webhooks", json_body=body)

    async def delete_webhook(self, workspace_id: str, webhook_id: str) -> None:
        """Unsubscribe."""
        await self._send("DELETE", f"/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}")

    async def deliveries(
        self, workspace_id: str, webhook_id: str, *, status: str | None = None, limit: int = 100
    ) -> list[DeliveryOut]:
        """A webhook's delivery log (`status="dead"` for dead letters)."""
        path = f"/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/deliveries"
        return await self._list(DeliveryOut, "GET", path, params={"status": status, "limit": limit})
