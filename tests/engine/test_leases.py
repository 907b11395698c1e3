"""Leases: one holder per key — in the process (SQLite, memory), across processes (PostgreSQL)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cortex.agents import Agent, AgentRegistry
from cortex.engine import (
    Backoff,
    LocalLeases,
    Runtime,
    WorkerOptions,
    leases_for,
    load_view,
    run_worker,
    start_session,
)
from cortex.store.sqlite import SQLiteEventStore
from cortex.testing import ScriptedModel, reply
from tests.conftest import connect_messagedb

pytestmark = pytest.mark.anyio


async def test_local_leases_exclude_within_a_namespace_and_release_on_exit() -> None:
    a, b, other = LocalLeases("db-1"), LocalLeases("db-1"), LocalLeases("db-2")
    async with a.hold("thread:t") as first:
        async with b.hold("thread:t") as second, other.hold("thread:t") as elsewhere:
            assert (first, second, elsewhere) == (True, False, True)
    async with b.hold("thread:t") as again:
        assert again


async def test_postgres_leases_exclude_across_connections_and_vanish_with_a_dead_holder() -> None:
    store_a, store_b = await connect_messagedb(), await connect_messagedb()
    key = f"thread:{uuid.uuid4().hex}"
    try:
        leases_a, leases_b = await leases_for(store_a), await leases_for(store_b)
        async with leases_a.hold(key) as held:
            assert held
            async with leases_b.hold(key) as contended:
                assert not contended
        async with leases_b.hold(key) as after_release:
            assert after_release
        async with leases_a.hold(key) as held_again:
            assert held_again
            await leases_a.close()  # the holder's connection dies (a killed worker)
            async with leases_b.hold(key) as taken_over:
                assert taken_over
    finally:
        await store_a.close()
        await store_b.close()


async def test_a_worker_leaves_a_session_whose_lease_another_worker_holds(tmp_path: Path) -> None:
    store = SQLiteEventStore(tmp_path / "l.db")
    runtime = Runtime(
        store=store,
        agents=AgentRegistry([Agent(name="a", model=ScriptedModel(lambda m: reply("hi"), name="s"))]),
        backoff=Backoff(base_s=0),
    )
    thread = await start_session(runtime, "a", "hello")
    other_worker = LocalLeases(str(store.path.resolve()))
    async with other_worker.hold(f"thread:{thread}") as held:
        assert held
        busy = await run_worker(runtime, WorkerOptions(consumer="first"), once=True)
    assert (busy.threads_skipped, busy.threads_processed) == (1, 0)
    assert (await load_view(runtime, thread)).state.last_answer is None
    free = await run_worker(runtime, WorkerOptions(consumer="second"), once=True)
    assert free.threads_skipped == 0
    assert (await load_view(runtime, thread)).state.last_answer == "hi"
    await runtime.close()
