"""The live event stream of a session as server-sent events.

Stored events are read from the stream after the client's last position, so a reconnect with
`Last-Event-ID` continues with no gap and no duplicate. Token chunks travel beside them (never
stored, no id). The stream waits on the app's write signal with a polling fallback, sends a
heartbeat comment when idle, and stops when the client goes away.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Literal

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cortex.api_models import EventOut
from cortex.engine import agent_stream, load_view
from cortex.events import Message
from cortex.server._state import AppState

__all__ = ["SessionStream", "event_out", "format_sse"]

Until = Literal["never", "idle", "completed"]
_WAITING = ("idle", "awaiting_approval", "completed", "failed")


def event_out(message: Message) -> EventOut:
    """A stored message as the API shows it."""
    return EventOut(
        position=message.position,
        global_position=message.global_position,
        type=message.type,
        data=dict(message.data),
        metadata=dict(message.metadata),
        time=message.time,
    )


def format_sse(data: str, *, event: str | None = None, id: int | None = None) -> str:
    """One SSE frame."""
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


async def _finished(state: AppState, thread_id: str, until: Until, position: int) -> bool:
    if until == "never":
        return False
    view = await load_view(state.runtime, thread_id)
    if view.version > position:
        return False  # more to send first
    if until == "completed":
        return view.state.completed_reason is not None
    return view.state.status in _WAITING


Emit = Callable[[str], Awaitable[None]]


async def _events(state: AppState, thread_id: str, position: int, until: Until, emit: Emit) -> None:
    """Stored events and token chunks, in order.

    Chunks published before an event is stored are sent before it (within one process; across
    processes through Redis the order is best effort).
    """
    stream = agent_stream(thread_id)
    async with state.chunks.subscribe(thread_id) as chunks:
        while True:
            while True:
                try:
                    text = chunks.receive_nowait()
                except (anyio.WouldBlock, anyio.EndOfStream):
                    break
                await emit(_chunk_frame(text))
            batch = await state.runtime.store.read_stream(stream, position + 1, 200)
            for message in batch:
                await emit(format_sse(event_out(message).model_dump_json(), event=message.type, id=message.position))
                position = message.position
            if batch:
                continue
            if await _finished(state, thread_id, until, position):
                return
            arrived = await _next_chunk_or_write(state, thread_id, chunks)
            if arrived is not None:
                await emit(_chunk_frame(arrived))


def _chunk_frame(text: str) -> str:
    return format_sse(json.dumps({"text": text}), event="chunk")


async def _next_chunk_or_write(state: AppState, thread_id: str, chunks: MemoryObjectReceiveStream[str]) -> str | None:
    """Wait for a token chunk (returned) or a sign that events were written (None)."""
    received: list[str] = []
    async with anyio.create_task_group() as group:

        async def chunk() -> None:
            try:
                received.append(await chunks.receive())
            except anyio.EndOfStream:
                await anyio.sleep_forever()
            group.cancel_scope.cancel()

        async def written() -> None:
            await state.written.wait(state.sse_poll_s, thread_id)
            group.cancel_scope.cancel()

        group.start_soon(chunk)
        group.start_soon(written)
    return received[0] if received else None


class SessionStream(Response):
    """An SSE response that runs its producers (events, chunks, heartbeat, disconnect watch) together."""

    media_type = "text/event-stream"

    def __init__(self, state: AppState, thread_id: str, after: int, until: Until) -> None:
        super().__init__(headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]  # a stream has no length
        self._state, self._thread_id, self._after, self._until = state, thread_id, after, until

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream until the session is done (per `until`) or the client disconnects."""
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        lock = anyio.Lock()
        state = self._state
        async with anyio.create_task_group() as group:

            async def emit(frame: str) -> None:
                async with lock:
                    try:
                        await send({"type": "http.response.body", "body": frame.encode(), "more_body": True})
                    except OSError:  # the client went away mid-write
                        group.cancel_scope.cancel()

            async def events() -> None:
                await _events(state, self._thread_id, self._after, self._until, emit)
                group.cancel_scope.cancel()

            async def heartbeat() -> None:
                while True:
                    await anyio.sleep(state.sse_heartbeat_s)
                    await emit(": ping\n\n")

            async def watch_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(heartbeat)
            group.start_soon(watch_disconnect)
            group.start_soon(events)
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
