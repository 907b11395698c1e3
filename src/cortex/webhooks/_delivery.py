"""Sending due deliveries: sign, POST, record; retry with exponential backoff; dead-letter at the end."""

from __future__ import annotations

from datetime import timedelta

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from cortex.appdata import webhooks
from cortex.webhooks._signing import SIGNATURE_HEADER, sign

__all__ = ["deliver_due", "retry_delay"]


def retry_delay(attempts_made: int, max_attempts: int, base_s: float) -> timedelta | None:
    """How long to wait after a failed attempt, or None when it was the last (dead letter)."""
    if attempts_made >= max_attempts:
        return None
    return timedelta(seconds=base_s * 2 ** (attempts_made - 1))


async def deliver_due(
    db: AsyncEngine, client: httpx.AsyncClient, *, max_attempts: int, backoff_s: float, limit: int = 50
) -> int:
    """Attempt every due delivery once; returns how many were attempted."""
    with anyio.CancelScope(shield=True):  # see cortex.server._background: app-table work finishes
        due = await webhooks.due_deliveries(db, limit)
    for delivery, hook in due:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(hook.secret, body),
            "Cortex-Event-Id": delivery.event_id,
            "Cortex-Event-Type": delivery.event_type,
            "Cortex-Delivery-Attempt": str(delivery.attempts + 1),
        }
        status: int | None = None
        error: str | None = None
        try:
            response = await client.post(hook.url, content=body, headers=headers)
            status = response.status_code
            if not response.is_success:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        retry_in = None if error is None else retry_delay(delivery.attempts + 1, max_attempts, backoff_s)
        with anyio.CancelScope(shield=True):
            await webhooks.record_attempt(
                db, delivery, ok=error is None, status_code=status, error=error, retry_in=retry_in
            )
    return len(due)
