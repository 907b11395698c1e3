"""Live model-token chunks: published by whoever runs a session, read by its SSE streams.

Chunks are ephemeral (never persisted). In one process they travel in memory; across processes
(`cortex worker` beside `cortex serve`) through Redis pub/sub when `CORTEX_REDIS_URL` is set.
Without Redis, separate workers' chunks are not seen live — the persisted response still is.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Protocol

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = ["ChunkBus", "LocalChunkBus", "RedisChunkBus"]


class ChunkBus(Protocol):
    """Publish and subscribe to a session's text deltas."""

    def publish(self, thread_id: str, text: str) -> None:
        """Send a delta to the session's current subscribers (never blocks, may drop)."""
        ...

    def subscribe(self, thread_id: str) -> contextlib.AbstractAsyncContextManager[MemoryObjectReceiveStream[str]]:
        """Receive the session's deltas while the context is open."""
        ...


class LocalChunkBus:
    """In-process delivery."""

    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[MemoryObjectSendStream[str]]] = defaultdict(set)

    def publish(self, thread_id: str, text: str) -> None:
        """Send to every subscriber of the session; a subscriber that is behind loses the delta."""
        for stream in list(self._subscribers.get(thread_id, ())):
            with contextlib.suppress(anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                stream.send_nowait(text)

    @contextlib.asynccontextmanager
    async def subscribe(self, thread_id: str) -> AsyncIterator[MemoryObjectReceiveStream[str]]:
        """Receive the session's deltas."""
        send, receive = anyio.create_memory_object_stream[str](1000)
        self._subscribers[thread_id].add(send)
        try:
            yield receive
        finally:
            self._subscribers[thread_id].discard(send)
            if not self._subscribers[thread_id]:
                del self._subscribers[thread_id]
            send.close()
            receive.close()


class RedisChunkBus:
    """Delivery through Redis pub/sub (channel `cortex:chunks:<thread>`), shared by every process."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)
        self._local = LocalChunkBus()
        self._pending: list[tuple[str, str]] = []
        self._wake = anyio.Event()

    def publish(self, thread_id: str, text: str) -> None:
        """Queue the delta for the background publisher (the engine's callback is synchronous)."""
        self._pending.append((thread_id, text))
        self._wake.set()

    async def run_publisher(self) -> None:
        """Forward queued deltas to Redis (runs as a background task of the process)."""
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            pending, self._pending = self._pending, []
            for thread_id, text in pending:
                await self._redis.publish(f"cortex:chunks:{thread_id}", json.dumps(text))

    @contextlib.asynccontextmanager
    async def subscribe(self, thread_id: str) -> AsyncIterator[MemoryObjectReceiveStream[str]]:
        """Receive the session's deltas from any process."""
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(f"cortex:chunks:{thread_id}")
        send, receive = anyio.create_memory_object_stream[str](1000)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_forward, pubsub, send)
                try:
                    yield receive
                finally:
                    group.cancel_scope.cancel()
        finally:
            receive.close()
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        """Close the connection."""
        await self._redis.aclose()


async def _forward(pubsub: object, send: MemoryObjectSendStream[str]) -> None:
    async with send:
        async for message in pubsub.listen():  # type: ignore[attr-defined]
            if message.get("type") == "message":
                with contextlib.suppress(anyio.WouldBlock):
                    send.send_nowait(json.loads(message["data"]))
