"""Cost of one persisted agent turn, and whether it grows with history.

A turn: a user message, a model call that asks for a tool, the tool, a model call that answers —
with a zero-latency scripted model, so what is measured is Cortex: projections, decisions, event
writes. It writes 7 events: 3 durable commits (the user message, `ToolExecutionRequested`,
`ToolExecutionCompleted`) and 4 non-durable ones (two `LLMCallRequested`, two `LLMResponseReceived`).

For each backend it prints the median microseconds per turn at 100 and at 10,000 events of
history and their ratio (target <= 1.2: a turn must not get slower as history grows), beside a
raw baseline measured in the same run: the same 3 durable + 4 non-durable commits done with plain
SQL (target on sqlite: <= 1.5 x baseline).

    uv run python bench/step_overhead.py [--quick] [--only memory|sqlite|messagedb]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import anyio
import psycopg
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart

from cortex.agents import Agent, AgentRegistry
from cortex.engine import Backoff, Runtime, agent_stream, post_message, process_thread, start_session
from cortex.events import LLMResponseReceived, NewMessage, UserMessageAdded, encode_event
from cortex.observability import configure_logging
from cortex.store import EventStore
from cortex.store.memory import MemoryEventStore
from cortex.store.messagedb import SEARCH_PATH_OPTION, MessageDBEventStore
from cortex.store.sqlite import SQLiteEventStore, messages_table_ddl
from cortex.testing import ScriptedModel
from cortex.tools import calculate

DATABASE_URL = os.environ.get("CORTEX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cortex_test")
HISTORIES = (100, 10_000)


def scripted(messages: list[ModelMessage]) -> ModelResponse:
    last = messages[-1]
    if isinstance(last, ModelRequest) and any(isinstance(p, ToolReturnPart) for p in last.parts):
        return ModelResponse(parts=[TextPart(content="84")])
    return ModelResponse(
        parts=[ToolCallPart(tool_name="calculate", args={"expression": "12*7"}, tool_call_id=uuid.uuid4().hex)]
    )


AGENT = Agent(name="bench", model=ScriptedModel(scripted, name="zero-latency"), tools=[calculate])


async def fill_history(store: EventStore, thread_id: str, events: int) -> None:
    """Prior turns (question, answer) written in batches, until the stream holds `events` events."""
    version = await store.stream_version(agent_stream(thread_id)) or 0
    batch: list[NewMessage] = []
    while version + len(batch) + 1 < events:
        payload = UserMessageAdded(message="hi") if len(batch) % 2 == 0 else LLMResponseReceived(text="hello")
        batch.append(NewMessage(*encode_event(payload)))
        if len(batch) == 500 or version + len(batch) + 1 >= events:
            await store.write_batch(agent_stream(thread_id), batch, durable=False)
            version += len(batch)
            batch = []


async def prepared_thread(runtime: Runtime, history: int) -> str:
    """A session with `history` events, folded once (as a worker that has seen it would have)."""
    thread_id = await start_session(runtime, "bench")
    await fill_history(runtime.store, thread_id, history)
    runtime.views.forget(thread_id)
    await post_message(runtime, thread_id, "warm up")
    await process_thread(runtime, thread_id)
    return thread_id


async def one_turn(runtime: Runtime, thread_id: str) -> float:
    start = time.perf_counter()
    await post_message(runtime, thread_id, "What is 12*7?")
    view = await process_thread(runtime, thread_id)
    elapsed = (time.perf_counter() - start) * 1e6
    assert view.state.last_answer == "84"
    return elapsed


DURABLE = (True, False, False, True, True, False, False)  # the commits of one turn, in order


def sqlite_raw_turn(path: Path) -> Callable[[], Awaitable[float]]:
    """One turn's commits with plain SQL on SQLite (same table, same pragmas)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(messages_table_ddl())
    stream, counter = f"agent:v0-{uuid.uuid4().hex}", [0]

    async def turn() -> float:
        start = time.perf_counter()
        for durable in DURABLE:
            position = counter[0]
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO messages (position, time, stream_name, type, data, metadata, id) VALUES (?,?,?,?,?,?,?)",
                (
                    position,
                    datetime.now(UTC).isoformat(),
                    stream,
                    "E",
                    json.dumps({"n": position}),
                    "{}",
                    str(uuid.uuid4()),
                ),
            )
            conn.execute("COMMIT")
            counter[0] += 1
        return (time.perf_counter() - start) * 1e6

    return turn


async def messagedb_raw_turn() -> Callable[[], Awaitable[float]]:
    """One turn's commits with `write_message` called directly."""
    sync = await psycopg.AsyncConnection.connect(DATABASE_URL, options=SEARCH_PATH_OPTION, autocommit=True)
    lazy = await psycopg.AsyncConnection.connect(
        DATABASE_URL, options=SEARCH_PATH_OPTION + " -c synchronous_commit=off", autocommit=True
    )
    stream = f"agent:v0-{uuid.uuid4().hex}"

    async def turn() -> float:
        start = time.perf_counter()
        for durable in DURABLE:
            await (sync if durable else lazy).execute(
                "SELECT write_message(%s, %s, %s, %s, %s, %s)",
                (str(uuid.uuid4()), stream, "E", json.dumps({"n": 1}), "{}", None),
            )
        return (time.perf_counter() - start) * 1e6

    return turn


async def main() -> None:
    parser = argparse.ArgumentParser(description="Microseconds per persisted agent turn.")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["memory", "sqlite", "messagedb"])
    args = parser.parse_args()
    configure_logging("ERROR")
    turns = {"memory": 300, "sqlite": 150, "messagedb": 60}
    if args.quick:
        turns = {k: max(10, v // 10) for k, v in turns.items()}
    directory = Path(tempfile.mkdtemp())
    openers: dict[str, Callable[[], Awaitable[EventStore]]] = {}

    async def memory() -> EventStore:
        return MemoryEventStore()

    async def sqlite() -> EventStore:
        return SQLiteEventStore(directory / f"{uuid.uuid4().hex}.db")

    async def messagedb() -> EventStore:
        return await MessageDBEventStore.connect(DATABASE_URL, min_size=1, max_size=2)

    openers = {"memory": memory, "sqlite": sqlite, "messagedb": messagedb}
    print(f"{'backend':<10} {'us/turn @100':>13} {'@10,000':>10} {'ratio':>6}  {'raw us/turn':>11} {'x raw':>6}")
    for backend, opener in openers.items():
        if args.only and backend != args.only:
            continue
        store = await opener()
        runtime = Runtime(store=store, agents=AgentRegistry([AGENT]), backoff=Backoff(base_s=0))
        short, long = [await prepared_thread(runtime, history) for history in HISTORIES]
        raw_turn = None
        if backend == "sqlite":
            raw_turn = sqlite_raw_turn(directory / "raw.db")
        elif backend == "messagedb":
            raw_turn = await messagedb_raw_turn()
        # Interleaved rounds, so that drift in the machine's speed hits every column alike.
        timings: dict[str, list[float]] = {"short": [], "long": [], "raw": []}
        for _ in range(turns[backend]):
            timings["short"].append(await one_turn(runtime, short))
            timings["long"].append(await one_turn(runtime, long))
            if raw_turn is not None:
                timings["raw"].append(await raw_turn())
        await store.close()
        at_100, at_10k = statistics.median(timings["short"]), statistics.median(timings["long"])
        raw = statistics.median(timings["raw"]) if timings["raw"] else float("nan")
        growth, versus = at_10k / at_100, at_100 / raw
        print(
            f"{backend:<10} {at_100:>13,.0f} {at_10k:>10,.0f} {growth:>6.2f}  {raw:>11,.0f} {versus:>6.2f}"
            + ("" if growth <= 1.2 else "  growth above 1.2")
            + ("" if backend != "sqlite" or versus <= 1.5 else "  above 1.5 x raw")
        )


if __name__ == "__main__":
    anyio.run(main)
