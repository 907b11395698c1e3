"""The server's background work: the in-process worker, the sessions read model, webhooks, wake-ups.

Each is a consumer of the agent category with its own position stream, so any of them can also
run in another process (`cortex worker`) and all go on from where they stopped after a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import httpx
import structlog
from anyio.abc import TaskGroup
from sqlalchemy.ext.asyncio import AsyncEngine

from cortex.appdata import sessions as read_model
from cortex.engine import Runtime, WorkerOptions, consume_category, load_view, run_worker, threads_of
from cortex.events import Message
from cortex.server._chunks import RedisChunkBus
from cortex.server._state import AppState
from cortex.store.messagedb import MessageDBEventStore
from cortex.webhooks import deliver_due, enqueue_for_batch

__all__ = ["start_background", "update_sessions"]

log = structlog.get_logger("cortex.server")


async def update_sessions(runtime: Runtime, db: AsyncEngine, batch: list[Message]) -> None:
    """Bring the read-model rows of the sessions in a batch up to date."""
    rows = []
    for thread_id in threads_of(batch):
        view = await load_view(runtime, thread_id, required=False)
        if view.version >= 0 and view.state.thread_id:
            rows.append(read_model.row_of(view))
    await read_model.upsert_sessions(db, rows)


async def _relay_notifications(state: AppState, store: MessageDBEventStore) -> None:
    """PostgreSQL NOTIFY (writes by any process) → the app's write signal."""
    wait = await store.listen()
    while True:
        await wait(30.0)
        state.written.notify()


async def _deliver_webhooks(state: AppState) -> None:
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        while True:
            try:
                attempted = await deliver_due(
                    state.db,
                    client,
                    max_attempts=state.settings.webhook_max_attempts,
                    backoff_s=state.settings.webhook_backoff_s,
                )
            except Exception as exc:  # a database hiccup must not end webhook delivery
                log.warning("webhook delivery round failed", error=str(exc))
                attempted = 0
            if not attempted:
                await anyio.sleep(state.webhook_poll_s)


async def _consume(
    runtime: Runtime, options: WorkerOptions, handle: Callable[[list[Message]], Awaitable[None]], state: AppState
) -> None:
    await consume_category(runtime, options, handle, wakeup=state.written.wait)


def start_background(state: AppState, group: TaskGroup, *, worker: bool) -> None:
    """Start the background tasks in `group` (cancelled when the app stops)."""
    runtime = state.runtime
    poll = 0.5
    if isinstance(runtime.store, MessageDBEventStore):
        group.start_soon(_relay_notifications, state, runtime.store)
        poll = 5.0  # NOTIFY wakes everyone; polling is only a safety net
    if isinstance(state.chunks, RedisChunkBus):
        group.start_soon(state.chunks.run_publisher)
    if worker:
        group.start_soon(
            lambda: run_worker(
                runtime, WorkerOptions(consumer="serve", poll_interval_s=poll), wakeup=state.written.wait
            )
        )

    # App-table work is shielded: a statement cancelled half-way leaves aiosqlite's connection
    # unable to close, so shutdown lets a round finish (milliseconds) instead.
    async def sessions(batch: list[Message]) -> None:
        with anyio.CancelScope(shield=True):
            await update_sessions(runtime, state.db, batch)

    async def dispatch(batch: list[Message]) -> None:
        with anyio.CancelScope(shield=True):
            await enqueue_for_batch(runtime, state.db, batch)

    for consumer, handle in (("sessions", sessions), ("webhooks", dispatch)):
        group.start_soon(_consume, runtime, WorkerOptions(consumer=consumer, poll_interval_s=poll), handle, state)
    group.start_soon(_deliver_webhooks, state)
