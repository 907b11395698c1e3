from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from cortex.agents import Agent, AgentRegistry
from cortex.engine import Backoff, Runtime
from cortex.store import EventStore
from cortex.store.sqlite import SQLiteEventStore
from tests.conftest import connect_messagedb

RuntimeFactory = Callable[..., Runtime]


@pytest.fixture(params=["sqlite", "messagedb"])
async def engine_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventStore]:
    store: EventStore = (
        SQLiteEventStore(tmp_path / "engine.db") if request.param == "sqlite" else await connect_messagedb()
    )
    yield store
    await store.close()


@pytest.fixture
def make_runtime(engine_store: EventStore) -> RuntimeFactory:
    """A runtime over the real store with the given agents, no backoff sleeps."""

    def make(*agents: Agent) -> Runtime:
        return Runtime(
            store=engine_store, agents=AgentRegistry(agents), default_model="test", backoff=Backoff(base_s=0)
        )

    return make
