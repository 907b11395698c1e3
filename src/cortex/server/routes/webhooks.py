"""Webhook subscriptions and their delivery logs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from cortex.api_models import DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut
from cortex.appdata import webhooks
from cortex.server._errors import ApiError
from cortex.server.routes._common import ERRORS, CanAdmin, CanRead, State

router = APIRouter(tags=["webhooks"], responses=ERRORS)
WebhookId = Annotated[str, Path(min_length=1, max_length=64)]


def _out(hook: webhooks.Webhook) -> WebhookOut:
    return WebhookOut(id=hook.id, url=hook.url, event_types=list(hook.event_types), created_at=hook.created_at)


async def _owned(state: State, workspace_id: str, webhook_id: str) -> webhooks.Webhook:
    hook = await webhooks.get_webhook(state.db, workspace_id, webhook_id)
    if hook is None:
        raise ApiError(404, f"webhook {webhook_id} not found")
    return hook


@router.get("/workspaces/{workspace_id}/webhooks", response_model=list[WebhookOut])
async def list_webhooks(access: CanRead, state: State) -> list[WebhookOut]:
    """The workspace's subscriptions."""
    return [_out(h) for h in await webhooks.list_webhooks(state.db, access.workspace_id)]


@router.post("/workspaces/{workspace_id}/webhooks", response_model=WebhookCreated, status_code=201)
async def create_webhook(body: WebhookCreate, access: CanAdmin, state: State) -> WebhookCreated:
    """Subscribe a URL to event types; deliveries are signed with the returned secret (shown once)."""
    hook = await webhooks.create_webhook(state.db, access.workspace_id, str(body.url), body.event_types)
    return WebhookCreated(**_out(hook).model_dump(), secret=hook.secret)


@router.delete("/workspaces/{workspace_id}/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: WebhookId, access: CanAdmin, state: State) -> Response:
    """Unsubscribe (its delivery log goes too)."""
    if not await webhooks.delete_webhook(state.db, access.workspace_id, webhook_id):
        raise ApiError(404, f"webhook {webhook_id} not found")
    return Response(status_code=204)


@router.get("/workspaces/{workspace_id}/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(
    webhook_id: WebhookId,
    access: CanRead,
    state: State,
    status: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """The delivery log, newest first (`status=dead` lists the dead letters)."""
    await _owned(state, access.workspace_id, webhook_id)
    found = await webhooks.list_deliveries(state.db, webhook_id, status=status, limit=limit)
    return [
        DeliveryOut(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_error=d.last_error,
            last_status_code=d.last_status_code,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )
        for d in found
    ]
