"""Turning new events into queued deliveries for the webhooks that want them."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncEngine

from cortex.appdata import webhooks
from cortex.engine import Runtime, load_view
from cortex.events import Message, stream_id

__all__ = ["enqueue_for_batch", "payload_of"]


def payload_of(message: Message, thread_id: str, workspace_id: str) -> str:
    """The JSON body a webhook receives for one event."""
    return json.dumps(
        {
            "id": str(message.id),
            "type": message.type,
            "session_id": thread_id,
            "workspace_id": workspace_id,
            "position": message.position,
            "time": message.time.isoformat(),
            "data": message.data,
        },
        ensure_ascii=False,
    )


async def enqueue_for_batch(runtime: Runtime, db: AsyncEngine, batch: list[Message]) -> int:
    """Queue a delivery per (event, subscribed webhook) of a batch of the agent category."""
    if not await webhooks.any_webhooks(db):
        return 0  # the common case: nothing to look up per session
    owners: dict[str, str | None] = {}
    for message in batch:
        thread_id = stream_id(message.stream_name)
        if thread_id is not None and thread_id not in owners:
            view = await load_view(runtime, thread_id, required=False)
            owners[thread_id] = view.state.workspace
    hooks = await webhooks.webhooks_for(db, sorted({w for w in owners.values() if w}))
    if not hooks:
        return 0
    items = []
    for message in batch:
        thread_id = stream_id(message.stream_name)
        workspace = owners.get(thread_id or "")
        for hook in hooks:
            if thread_id and hook.workspace_id == workspace and hook.wants(message.type):
                items.append((hook, str(message.id), message.type, payload_of(message, thread_id, workspace)))
    return await webhooks.enqueue_deliveries(db, items)
