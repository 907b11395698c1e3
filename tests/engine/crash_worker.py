"""A worker process for the crash test: processes sessions and may SIGKILL itself at a chosen point.

    python -m tests.engine.crash_worker DB_PATH LEDGER_DIR KILL_POINT KILL_AFTER

The test forks it instead (`work`), so each of the many runs skips Python's start-up and imports.

KILL_POINT is one of `model` (inside the model call, before its response is recorded),
`response` (after `LLMResponseReceived`), `requested` (after `ToolExecutionRequested`, before
the tool runs), `tool` (inside the tool, after its side effect), `completed` (after
`ToolExecutionCompleted`) or `none`; the worker kills itself at the KILL_AFTER-th time it gets there.
Each session's turn: the model calls `charge` (not idempotent) and `lookup` (idempotent) in one
response, then answers "done".
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import anyio
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from cortex.agents import Agent, AgentRegistry
from cortex.engine import AGENT_CATEGORY, Backoff, Runtime, process_thread
from cortex.events import LLMResponseReceived, ToolExecutionCompleted, ToolExecutionRequested
from cortex.projections import Recorded
from cortex.store import iter_category
from cortex.store.sqlite import SQLiteEventStore
from cortex.tools import ToolContext, tool

settings: dict[str, object] = {"point": "none", "after": 1, "ledgers": Path("."), "count": 0}


def checkpoint(point: str) -> None:
    if point == settings["point"]:
        settings["count"] = int(settings["count"]) + 1  # type: ignore[call-overload]
        if int(settings["count"]) >= int(settings["after"]):  # type: ignore[call-overload]
            os.kill(os.getpid(), signal.SIGKILL)


def ledger(name: str, entry: str) -> None:
    fd = os.open(Path(str(settings["ledgers"])) / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (entry + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


@tool
def charge(ctx: ToolContext, amount: int) -> str:
    """Charge money: a side effect that must happen at most once per call."""
    ledger("charge", f"{ctx.thread_id}:{ctx.tool_call_id}")
    checkpoint("tool")
    return f"charged {amount}"


@tool(idempotent=True)
def lookup(ctx: ToolContext, key: str) -> str:
    """Read something: safe to repeat."""
    ledger("lookup", f"{ctx.thread_id}:{ctx.tool_call_id}")
    return f"value of {key}"


def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    checkpoint("model")
    last = messages[-1]
    if isinstance(last, ModelRequest) and any(isinstance(p, ToolReturnPart) for p in last.parts):
        return ModelResponse(parts=[TextPart(content="done")])
    turn = sum(1 for m in messages if isinstance(m, ModelResponse))
    return ModelResponse(
        parts=[
            ToolCallPart(tool_name="charge", args={"amount": 5}, tool_call_id=f"charge-{turn}-{os.getpid()}"),
            ToolCallPart(tool_name="lookup", args={"key": "k"}, tool_call_id=f"lookup-{turn}-{os.getpid()}"),
        ]
    )


def on_event(recorded: Recorded) -> None:
    if isinstance(recorded.event, LLMResponseReceived):
        checkpoint("response")
    elif isinstance(recorded.event, ToolExecutionRequested):
        checkpoint("requested")
    elif isinstance(recorded.event, ToolExecutionCompleted):
        checkpoint("completed")


async def main(db_path: str) -> None:
    agent = Agent(name="shop", model=FunctionModel(respond, model_name="scripted"), tools=[charge, lookup])
    runtime = Runtime(store=SQLiteEventStore(db_path), agents=AgentRegistry([agent]), backoff=Backoff(base_s=0))
    threads = sorted({m.stream_name.split("-", 1)[1] async for m in iter_category(runtime.store, AGENT_CATEGORY)})
    for thread_id in threads:
        await process_thread(runtime, thread_id, on_event=on_event)
    await runtime.close()


def work(db_path: str, ledgers: Path, point: str, after: int) -> None:
    """Process every session; called in a forked child (or as a script)."""
    settings.update(point=point, after=after, ledgers=ledgers, count=0)
    anyio.run(main, db_path)


if __name__ == "__main__":
    work(sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
