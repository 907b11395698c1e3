"""Webhook subscriptions and their delivery log."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from cortex.appdata._ids import new_id, utcnow
from cortex.appdata._tables import webhook_deliveries, webhooks

__all__ = [
    "Delivery",
    "Webhook",
    "any_webhooks",
    "create_webhook",
    "delete_webhook",
    "due_deliveries",
    "enqueue_deliveries",
    "get_webhook",
    "list_deliveries",
    "list_webhooks",
    "record_attempt",
    "webhooks_for",
]


@dataclass(frozen=True)
class Webhook:
    """A URL subscribed to event types of one workspace (`*` for all)."""

    id: str
    workspace_id: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        """Whether this subscription covers the event type."""
        return "*" in self.event_types or event_type in self.event_types


@dataclass(frozen=True)
class Delivery:
    """One event for one webhook, and how sending it went."""

    id: str
    webhook_id: str
    event_id: str
    event_type: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None


def _webhook(row: sa.Row[tuple[object, ...]]) -> Webhook:
    return _webhook_from(row._mapping)


def _webhook_from(m: RowMapping, prefix: str = "") -> Webhook:
    return Webhook(
        m[prefix + "id"],
        m[prefix + "workspace_id"],
        m[prefix + "url"],
        tuple(m[prefix + "event_types"]),
        m[prefix + "secret"],
        m[prefix + "created_at"],
    )


def _delivery(row: sa.Row[tuple[object, ...]]) -> Delivery:
    m = row._mapping
    return Delivery(**{name: m[name] for name in Delivery.__dataclass_fields__})


async def create_webhook(db: AsyncEngine, workspace_id: str, url: str, event_types: Sequence[str]) -> Webhook:
    """Subscribe a URL; the signing secret is made here and shown to the creator."""
    hook = Webhook(new_id(), workspace_id, url, tuple(event_types), "whsec_" + secrets.token_urlsafe(24), utcnow())
    async with db.begin() as conn:
        await conn.execute(
            webhooks.insert().values(
                id=hook.id,
                workspace_id=workspace_id,
                url=url,
                event_types=list(hook.event_types),
                secret=hook.secret,
                created_at=hook.created_at,
            )
        )
    return hook


async def get_webhook(db: AsyncEngine, workspace_id: str, webhook_id: str) -> Webhook | None:
    """A subscription of the workspace, if it exists."""
    query = sa.select(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.workspace_id == workspace_id)
    async with db.connect() as conn:
        row = (await conn.execute(query)).first()
    return _webhook(row) if row else None


async def list_webhooks(db: AsyncEngine, workspace_id: str) -> list[Webhook]:
    """The workspace's subscriptions."""
    query = sa.select(webhooks).where(webhooks.c.workspace_id == workspace_id).order_by(webhooks.c.created_at)
    async with db.connect() as conn:
        return [_webhook(r) for r in (await conn.execute(query)).all()]


async def any_webhooks(db: AsyncEngine) -> bool:
    """Whether any workspace has a subscription."""
    async with db.connect() as conn:
        return await conn.scalar(sa.select(webhooks.c.id).limit(1)) is not None


async def webhooks_for(db: AsyncEngine, workspace_ids: Sequence[str]) -> list[Webhook]:
    """Subscriptions of several workspaces at once (dispatch)."""
    if not workspace_ids:
        return []
    query = sa.select(webhooks).where(webhooks.c.workspace_id.in_(list(workspace_ids)))
    async with db.connect() as conn:
        return [_webhook(r) for r in (await conn.execute(query)).all()]


async def delete_webhook(db: AsyncEngine, workspace_id: str, webhook_id: str) -> bool:
    """Remove a subscription and its log; False when there was none."""
    async with db.begin() as conn:
        await conn.execute(webhook_deliveries.delete().where(webhook_deliveries.c.webhook_id == webhook_id))
        deleted = await conn.execute(
            webhooks.delete().where(webhooks.c.id == webhook_id, webhooks.c.workspace_id == workspace_id)
        )
    return deleted.rowcount > 0


async def enqueue_deliveries(db: AsyncEngine, items: Sequence[tuple[Webhook, str, str, str]]) -> int:
    """Queue `(webhook, event id, event type, body)` items; an event already queued is skipped."""
    queued = 0
    now = utcnow()
    for hook, event_id, event_type, body in items:
        try:
            async with db.begin() as conn:
                await conn.execute(
                    webhook_deliveries.insert().values(
                        id=new_id(),
                        webhook_id=hook.id,
                        event_id=event_id,
                        event_type=event_type,
                        body=body,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
            queued += 1
        except sa.exc.IntegrityError:
            continue  # re-read after a restart: queued already
    return queued


async def due_deliveries(db: AsyncEngine, limit: int = 50) -> list[tuple[Delivery, Webhook]]:
    """Pending deliveries whose next attempt is due, with their webhook."""
    hook = [c.label(f"hook_{c.name}") for c in webhooks.c]
    query = (
        sa.select(webhook_deliveries, *hook)
        .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
        .where(webhook_deliveries.c.status == "pending", webhook_deliveries.c.next_attempt_at <= utcnow())
        .order_by(webhook_deliveries.c.next_attempt_at)
        .limit(limit)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [(_delivery(r), _webhook_from(r._mapping, prefix="hook_")) for r in rows]


async def record_attempt(
    db: AsyncEngine,
    delivery: Delivery,
    *,
    ok: bool,
    status_code: int | None,
    error: str | None,
    retry_in: timedelta | None,
) -> None:
    """Record one attempt: delivered, to be retried after `retry_in`, or dead when `retry_in` is None."""
    now = utcnow()
    values: dict[str, object] = {"attempts": delivery.attempts + 1, "last_status_code": status_code}
    if ok:
        values.update(status="delivered", delivered_at=now, last_error=None)
    elif retry_in is None:
        values.update(status="dead", last_error=error)
    else:
        values.update(next_attempt_at=now + retry_in, last_error=error)
    async with db.begin() as conn:
        await conn.execute(webhook_deliveries.update().where(webhook_deliveries.c.id == delivery.id).values(**values))


async def list_deliveries(
    db: AsyncEngine, webhook_id: str, *, status: str | None = None, limit: int = 100
) -> list[Delivery]:
    """A webhook's delivery log, newest first."""
    query = sa.select(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id)
    if status:
        query = query.where(webhook_deliveries.c.status == status)
    query = query.order_by(webhook_deliveries.c.created_at.desc()).limit(limit)
    async with db.connect() as conn:
        return [_delivery(r) for r in (await conn.execute(query)).all()]
