"""Shared fixtures: real stores on real databases.

`store` is parametrized over every adapter, so a test written against it is a contract test. The
Message DB adapter talks to the PostgreSQL named by `CORTEX_TEST_DATABASE_URL`; when it is
unreachable those cases skip with the reason, unless `CORTEX_REQUIRE_SERVICES=1` (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from cortex.exceptions import StoreError
from cortex.store import EventStore
from cortex.store.memory import MemoryEventStore
from cortex.store.messagedb import MessageDBEventStore
from cortex.store.sqlite import SQLiteEventStore

TEST_DATABASE_URL = os.environ.get("CORTEX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cortex_test")
REQUIRE_SERVICES = os.environ.get("CORTEX_REQUIRE_SERVICES") == "1"

StoreFactory = Callable[[], Awaitable[EventStore]]
ADAPTERS = ["memory", "sqlite", "messagedb"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def service_missing(reason: str) -> None:
    """Skip, or fail when services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


async def connect_messagedb(**kwargs: int) -> MessageDBEventStore:
    try:
        return await MessageDBEventStore.connect(TEST_DATABASE_URL, **kwargs)
    except StoreError as exc:
        service_missing(f"Message DB at {TEST_DATABASE_URL}: {exc}")
        raise


@pytest.fixture(params=ADAPTERS)
async def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Opens more stores on the same backend (separate connections), closed after the test."""
    opened: list[EventStore] = []
    shared_memory = MemoryEventStore()

    async def open_one() -> EventStore:
        store: EventStore
        if request.param == "memory":
            store = shared_memory
        elif request.param == "sqlite":
            store = SQLiteEventStore(tmp_path / "events.db")
        else:
            store = await connect_messagedb(min_size=1, max_size=4)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(store_factory: StoreFactory) -> EventStore:
    return await store_factory()


@pytest.fixture
def category() -> str:
    """A category no other test uses: the Message DB role may not delete, so tests isolate by name."""
    return f"t{uuid.uuid4().hex[:12]}:v0"
