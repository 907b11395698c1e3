"""Crash test: SIGKILL the worker at random points, resume in a fresh process, check every guarantee."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
from collections import Counter
from pathlib import Path

import anyio
import pytest

from cortex.agents import Agent, AgentRegistry
from cortex.engine import Runtime, agent_stream, load_view, start_session
from cortex.store import iter_stream
from cortex.store.sqlite import SQLiteEventStore
from tests.engine.crash_worker import work

pytestmark = pytest.mark.slow

FORK = multiprocessing.get_context("fork")
POINTS = ["model", "response", "requested", "tool", "completed"]


def run_worker(db: Path, ledgers: Path, point: str, after: int, *, kill_after_s: float | None = None) -> int:
    """Run the worker in a forked child (a real process, already imported) and return its exit code."""
    process = FORK.Process(target=work, args=(str(db), ledgers, point, after))
    process.start()
    process.join(kill_after_s if kill_after_s is not None else 120)
    if process.exitcode is None:
        os.kill(process.pid, signal.SIGKILL)  # from outside, at whatever line the worker was on
        process.join()
        return -9
    if process.exitcode not in (0, -signal.SIGKILL):
        raise AssertionError(f"worker failed with exit code {process.exitcode}")
    return process.exitcode


def test_sessions_survive_fifty_kills(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    db, ledgers = tmp_path / "crash.db", tmp_path / "ledgers"
    ledgers.mkdir()

    async def setup() -> list[str]:
        runtime = Runtime(store=SQLiteEventStore(db), agents=AgentRegistry([Agent(name="shop")]))
        threads = [await start_session(runtime, "shop", f"order {n}") for n in range(6)]
        await runtime.close()
        return threads

    threads = anyio.run(setup)
    kills: Counter[str] = Counter()
    attempts = 0
    while sum(kills.values()) < 50:
        attempts += 1
        assert attempts < 200, f"could not reach 50 kills: {kills}"
        if rng.random() < 0.2:
            code = run_worker(db, ledgers, "none", 1, kill_after_s=rng.uniform(0.05, 0.4))
            point = "timed"
        else:
            point = rng.choice(POINTS)
            code = run_worker(db, ledgers, point, rng.randint(1, 4))
        if code == -9:
            kills[point] += 1
        else:
            # Everything finished before the chosen point came: start a new round of turns.
            async def more() -> None:
                runtime = Runtime(store=SQLiteEventStore(db), agents=AgentRegistry([Agent(name="shop")]))
                from cortex.engine import post_message

                for thread in threads:
                    await post_message(runtime, thread, "again")
                await runtime.close()

            anyio.run(more)
    assert run_worker(db, ledgers, "none", 1) == 0, "a clean run finishes every session"
    assert all(kills[p] > 0 for p in POINTS), f"every kill point was exercised: {kills}"

    charges = Counter((ledgers / "charge").read_text().split())
    lookups = Counter((ledgers / "lookup").read_text().split()) if (ledgers / "lookup").exists() else Counter()

    async def verify() -> None:
        runtime = Runtime(store=SQLiteEventStore(db), agents=AgentRegistry([Agent(name="shop")]))
        for thread in threads:
            view = await load_view(runtime, thread)
            assert view.state.status == "idle" and view.state.last_answer == "done", view.state
            messages = [m async for m in iter_stream(runtime.store, agent_stream(thread))]
            assert [m.position for m in messages] == list(range(len(messages))), "no gaps"
            completed = Counter(m.data["tool_call_id"] for m in messages if m.type == "ToolExecutionCompleted")
            failed = {m.data["tool_call_id"]: m.data["reason"] for m in messages if m.type == "ToolExecutionFailed"}
            assert all(n == 1 for n in completed.values()), "no call completed twice"
            for call_id in completed.keys() | failed.keys():
                key = f"{thread}:{call_id}"
                if call_id.startswith("charge"):
                    assert charges[key] <= 1, f"non-idempotent {call_id} ran {charges[key]} times"
                    if call_id in completed:
                        assert charges[key] == 1
                    else:
                        assert failed[call_id] == "interrupted"
                else:
                    assert call_id in completed, "an idempotent call is re-run until it completes"
                    assert lookups[key] >= 1
        await runtime.close()

    anyio.run(verify)
    assert max(charges.values()) == 1
    assert sum(kills.values()) >= 50
