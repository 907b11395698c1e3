"""Workers consume the agent category: consumer groups, positions, error isolation, wake-ups."""

from __future__ import annotations

import anyio
import pytest

from cortex.agents import Agent, AgentRegistry
from cortex.engine import (
    Backoff,
    Runtime,
    WorkerOptions,
    agent_stream,
    position_stream,
    run_worker,
    start_session,
)
from cortex.events import decode_event
from cortex.store import consumer_group_member_of, iter_stream
from cortex.store.sqlite import SQLiteEventStore
from cortex.testing import ScriptedModel, reply
from tests.conftest import connect_messagedb

pytestmark = pytest.mark.anyio

# Worker tests own their whole category, so they run on a SQLite file of their own: the shared
# PostgreSQL test database holds every other test's sessions. SQLite shards consumer groups with
# Message DB's exact hash (tests/store/test_cross_adapter.py).


@pytest.fixture
def make_runtime(tmp_path):  # type: ignore[no-untyped-def]
    def make(*agents: Agent) -> Runtime:
        return Runtime(
            store=SQLiteEventStore(tmp_path / "w.db"), agents=AgentRegistry(agents), backoff=Backoff(base_s=0)
        )

    return make


def echo_model() -> ScriptedModel:
    return ScriptedModel(lambda messages: reply("answered"), name="echo")


async def answers(runtime, thread_id: str) -> int:  # type: ignore[no-untyped-def]
    return len(
        [m async for m in iter_stream(runtime.store, agent_stream(thread_id)) if m.type == "LLMResponseReceived"]
    )


async def test_a_worker_runs_every_new_session_once_and_resumes_from_its_position(make_runtime) -> None:  # type: ignore[no-untyped-def]
    model = echo_model()
    runtime = make_runtime(Agent(name="w", model=model))
    consumer = f"c{id(runtime)}"
    before = await runtime.store.last_message(position_stream(WorkerOptions(consumer=consumer)))
    assert before is None
    threads = [await start_session(runtime, "w", f"q{n}") for n in range(4)]
    options = WorkerOptions(consumer=consumer, position_every=3)
    stats = await run_worker(runtime, options, once=True)
    assert [await answers(runtime, t) for t in threads] == [1, 1, 1, 1]
    assert stats.messages_read > 0 and stats.errors == 0
    recorded = await runtime.store.last_message(position_stream(options))
    assert recorded is not None and recorded.data["position"] == stats.position

    again = await run_worker(runtime, options, once=True)
    assert again.threads_processed == 0, "a restarted worker goes on from its recorded position"
    newer = await start_session(runtime, "w", "late")
    await run_worker(runtime, options, once=True)
    assert await answers(runtime, newer) == 1
    assert model.calls == 5


async def test_consumer_group_members_share_the_sessions(make_runtime) -> None:  # type: ignore[no-untyped-def]
    model = echo_model()
    runtime = make_runtime(Agent(name="w", model=model))
    threads = [await start_session(runtime, "w", f"q{n}") for n in range(12)]
    consumer = f"g{id(runtime)}"
    processed: dict[int, set[str]] = {0: set(), 1: set()}

    async def member(index: int) -> None:
        from cortex.engine import _worker

        original = _worker.process_thread

        async def spy(rt, thread_id, **kwargs):  # type: ignore[no-untyped-def]
            processed[index].add(thread_id)
            return await original(rt, thread_id, **kwargs)

        _worker.process_thread = spy  # type: ignore[assignment]
        try:
            await run_worker(runtime, WorkerOptions(consumer=consumer, member=index, size=2), once=True)
        finally:
            _worker.process_thread = original

    for index in (0, 1):  # one after the other: the spy is module-wide
        await member(index)
    mine = set(threads)
    assert (processed[0] | processed[1]) & mine == mine
    assert not processed[0] & processed[1], "no session reached both members"
    for index in (0, 1):
        assert all(consumer_group_member_of(agent_stream(t), 2) == index for t in processed[index] & mine)
    assert [await answers(runtime, t) for t in threads] == [1] * 12


async def test_a_broken_session_does_not_stop_the_worker(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(Agent(name="w", model=echo_model()))
    good = await start_session(runtime, "w", "hello")
    runtime.agents.register(Agent(name="gone", model=echo_model()))
    broken = await start_session(runtime, "gone", "hello")
    runtime.agents._agents.pop(("gone", "1"))  # the definition disappears before a worker runs it
    stats = await run_worker(runtime, WorkerOptions(consumer=f"e{id(runtime)}"), once=True)
    assert stats.errors >= 1
    assert await answers(runtime, good) == 1
    events = [decode_event(m) async for m in iter_stream(runtime.store, agent_stream(broken))]
    assert type(events[-1]).__name__ == "ErrorOccurred" and "no agent 'gone@1'" in events[-1].error_message  # type: ignore[union-attr]


@pytest.mark.integration
async def test_postgres_notify_wakes_a_waiting_worker() -> None:
    store = await connect_messagedb()
    try:
        wakeup = await store.listen()
        woke = anyio.Event()

        async def wait() -> None:
            await wakeup(300)  # far longer than the test allows: only a notification ends it in time
            woke.set()

        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await anyio.sleep(0.1)
            await store.write(f"wake:v0-{id(group)}", "Poke", {})
            with anyio.fail_after(20):
                await woke.wait()
    finally:
        await store.close()


async def test_one_worker_runs_several_sessions_at_once(make_runtime) -> None:  # type: ignore[no-untyped-def]
    """Each session's tool waits until all four are running: a worker taking them one by one never gets there."""
    from cortex.testing import tool_calls
    from cortex.tools import tool

    arrived = [0]
    everyone = anyio.Event()

    @tool(idempotent=True)
    async def rendezvous() -> str:
        """Wait for the other sessions."""
        arrived[0] += 1
        if arrived[0] == 4:
            everyone.set()
        await everyone.wait()
        return "met"

    def script(messages):  # type: ignore[no-untyped-def]
        from pydantic_ai.messages import ModelRequest, ToolReturnPart

        last = messages[-1]
        if isinstance(last, ModelRequest) and any(isinstance(p, ToolReturnPart) for p in last.parts):
            return reply("all met")
        return tool_calls(("rendezvous", {}))

    runtime = make_runtime(Agent(name="meet", model=ScriptedModel(script, name="meet"), tools=[rendezvous]))
    threads = [await start_session(runtime, "meet", f"s{n}") for n in range(4)]
    with anyio.fail_after(20):
        await run_worker(runtime, WorkerOptions(consumer=f"m{id(runtime)}", concurrency=4), once=True)
    assert [await answers(runtime, t) for t in threads] == [2, 2, 2, 2]
    assert arrived[0] == 4
