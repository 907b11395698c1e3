"""Live token chunks across processes travel through Redis pub/sub."""

from __future__ import annotations

import anyio
import pytest
import redis

from cortex.server._chunks import LocalChunkBus, RedisChunkBus
from tests.conftest import service_missing
from tests.server.test_protection import REDIS_URL

pytestmark = pytest.mark.anyio


async def test_chunks_published_by_one_process_reach_another_through_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {REDIS_URL}: {exc}")
    worker_side, server_side = RedisChunkBus(REDIS_URL), RedisChunkBus(REDIS_URL)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(worker_side.run_publisher)
            async with server_side.subscribe("t1") as chunks:
                for text in ("Hel", "lo"):
                    worker_side.publish("t1", text)
                worker_side.publish("t2", "another session")
                with anyio.fail_after(10):
                    received = [await chunks.receive(), await chunks.receive()]
            group.cancel_scope.cancel()
        assert received == ["Hel", "lo"]
    finally:
        await worker_side.close()
        await server_side.close()


async def test_a_local_subscriber_gets_only_its_session_and_leaves_nothing_behind() -> None:
    bus = LocalChunkBus()
    async with bus.subscribe("a") as chunks:
        bus.publish("b", "not for a")
        bus.publish("a", "for a")
        assert chunks.receive_nowait() == "for a"
        with pytest.raises(anyio.WouldBlock):
            chunks.receive_nowait()
    bus.publish("a", "nobody listens")  # no error, nothing kept
    assert not bus._subscribers
