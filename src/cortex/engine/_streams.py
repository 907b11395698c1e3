"""Reading and appending a thread's events, keeping its projected view in step."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cortex.engine._runtime import Runtime
from cortex.events import SCHEMA_VERSION, EventPayload, NewMessage, build_stream_name, encode_event
from cortex.exceptions import SessionNotFoundError
from cortex.projections import Recorded, ThreadView, apply, record
from cortex.store import iter_stream

__all__ = ["AGENT_CATEGORY", "EventSink", "agent_stream", "append", "load_view"]

AGENT_CATEGORY = "agent:v0"
EventSink = Callable[[Recorded], None]


@lru_cache(maxsize=4096)
def agent_stream(thread_id: str) -> str:
    """The stream of an agent session: `agent:v0-<thread_id>`."""
    return build_stream_name("agent", "v0", thread_id)


async def load_view(runtime: Runtime, thread_id: str, *, required: bool = True) -> ThreadView:
    """The thread's view, folding only the events after the cached one (incremental)."""
    view = runtime.views.get(thread_id) or ThreadView()
    async for message in iter_stream(runtime.store, agent_stream(thread_id), view.version + 1):
        view = apply(view, record(message))
    if view.version < 0:
        if required:
            raise SessionNotFoundError(thread_id)
        return view
    runtime.views.put(thread_id, view)
    return view


def event_metadata(view: ThreadView, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Metadata every engine write carries."""
    metadata: dict[str, Any] = {"schemaVersion": SCHEMA_VERSION}
    if view.state.active_agent:
        metadata["agent"] = view.state.active_agent
    if extra:
        metadata.update(extra)
    return metadata


async def append(
    runtime: Runtime,
    thread_id: str,
    view: ThreadView,
    payloads: Sequence[EventPayload],
    *,
    durable: bool,
    metadata: dict[str, Any] | None = None,
    on_event: EventSink | None = None,
) -> ThreadView:
    """Write events atomically at the view's version and fold them in.

    Raises:
        ConcurrencyError: another writer appended first; reload the view and decide again.
    """
    messages = [NewMessage(*encode_event(p), metadata=metadata) for p in payloads]
    await runtime.store.write_batch(agent_stream(thread_id), messages, expected_version=view.version, durable=durable)
    now = datetime.now(UTC)
    for payload in payloads:
        recorded = Recorded(position=view.version + 1, time=now, event=payload)
        view = apply(view, recorded)
        if on_event is not None:
            on_event(recorded)
        if runtime.on_recorded is not None:
            runtime.on_recorded(thread_id, recorded)
    runtime.views.put(thread_id, view)
    return view
