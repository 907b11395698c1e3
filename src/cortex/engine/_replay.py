"""Replay and fork: every run can be rebuilt at any event, re-driven without a model, or branched."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from cortex.agents import Agent, AgentRegistry
from cortex.engine._loop import process_thread
from cortex.engine._runtime import Backoff, Runtime
from cortex.engine._streams import agent_stream
from cortex.events import (
    LLMResponseReceived,
    Message,
    NewMessage,
    ToolExecutionCompleted,
    ToolExecutionFailed,
    decode_event,
)
from cortex.exceptions import SessionNotFoundError, ToolFailed, UserError
from cortex.projections import ThreadView, fold, record
from cortex.store import iter_stream
from cortex.store.memory import MemoryEventStore
from cortex.tools import Tool

__all__ = ["INPUT_EVENT_TYPES", "ReplayReport", "fork", "replay", "replay_check"]

INPUT_EVENT_TYPES = frozenset(
    {"SessionStarted", "UserMessageAdded", "ApprovalGranted", "ApprovalDenied", "SessionTerminationRequested"}
)
"""Events that come from outside the loop; everything else the loop derives from them."""

# What a stand-in model reports differently from the recorded one, by design (not a decision).
_VOLATILE = {"latency_ms", "execution_time_ms", "token_usage", "model_name"}


async def _read(runtime: Runtime, thread_id: str, until_position: int | None) -> list[Message]:
    messages = []
    async for message in iter_stream(runtime.store, agent_stream(thread_id)):
        if until_position is not None and message.position > until_position:
            break
        messages.append(message)
    if not messages:
        raise SessionNotFoundError(thread_id)
    return messages


async def replay(runtime: Runtime, thread_id: str, until_position: int | None = None) -> ThreadView:
    """Rebuild every projection of a thread as it was at `until_position` (default: now)."""
    return fold(record(m) for m in await _read(runtime, thread_id, until_position))


@dataclass(frozen=True)
class ReplayReport:
    """The outcome of re-driving a thread from its recorded model responses and tool results."""

    thread_id: str
    events_compared: int
    divergence: int | None
    """Position of the first event the re-drive produced differently, or None if all matched."""
    expected: str = ""
    produced: str = ""

    @property
    def matches(self) -> bool:
        """True when the loop, fed the recorded responses, wrote exactly the recorded events."""
        return self.divergence is None


def _recorded_model(responses: list[LLMResponseReceived]) -> FunctionModel:
    remaining = list(responses)

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if not remaining:
            raise UserError("replay asked the model more often than the recording did")
        event = remaining.pop(0)
        parts: list[TextPart | ToolCallPart] = [TextPart(content=event.text)] if event.text else []
        parts += [ToolCallPart(tool_name=c.name, args=c.arguments, tool_call_id=c.id) for c in event.tool_calls]
        return ModelResponse(
            parts=parts,
            model_name=event.model_name,
            usage=RequestUsage(input_tokens=event.token_usage.input, output_tokens=event.token_usage.output),
            finish_reason=event.finish_reason,  # type: ignore[arg-type]
        )

    return FunctionModel(respond, model_name="replay")


def _recorded_tools(agent: Agent, outcomes: dict[str, list[Any]]) -> list[Tool]:
    """The agent's tools with their functions replaced by the recorded outcomes (no side effects)."""
    tools = []
    for item in agent.tools:
        queue = outcomes.setdefault(item.name, [])

        def recorded(*_: Any, _queue: list[Any] = queue, _name: str = item.name, **__: Any) -> Any:
            if not _queue:
                raise RuntimeError(f"replay ran {_name} more often than the recording did")
            outcome = _queue.pop(0)
            if isinstance(outcome, ToolExecutionFailed):
                raise ToolFailed(outcome.error_message, reason=outcome.reason)
            return outcome.result

        tools.append(replace(item, function=recorded, takes_context=False, timeout_s=max(item.timeout_s, 60)))
    return tools


def _comparable(message: Message) -> tuple[str, str]:
    data = {k: v for k, v in message.data.items() if k not in _VOLATILE}
    if message.type == "SessionStarted":
        data.pop("thread_id", None)
    if message.type == "LLMCallRequested":
        data.pop("model", None)  # replay answers with a stand-in for the recorded model, by design
    return message.type, json.dumps(data, sort_keys=True)


async def replay_check(runtime: Runtime, thread_id: str, until_position: int | None = None) -> ReplayReport:
    """Re-drive the loop with no model or tool call, and compare what it writes with the recording.

    Inputs (user messages, approvals, termination requests) are fed in at their recorded positions;
    the model answers with the recorded responses and each tool returns its recorded result. A
    divergence means the engine now decides differently than it did (deterministic replay).
    """
    original = await _read(runtime, thread_id, until_position)
    agent = runtime.agents.get(original[0].data.get("agent", ""), original[0].data.get("agent_version"))
    responses = [e for m in original if isinstance(e := decode_event(m), LLMResponseReceived)]
    outcomes: dict[str, list[Any]] = {}
    for message in original:
        event = decode_event(message)
        # Only outcomes the tool's function produced are replayed by it; the loop derives the others
        # (interrupted, denied, unknown tool, invalid arguments) without calling the function.
        ran = isinstance(event, ToolExecutionCompleted) or (
            isinstance(event, ToolExecutionFailed) and event.reason in ("error", "timeout")
        )
        if ran and isinstance(event, ToolExecutionCompleted | ToolExecutionFailed):
            outcomes.setdefault(event.tool_name, []).append(event)
    model = _recorded_model(responses)
    replay_agent = replace(agent, model=model, fallback_models=(), tools=tuple(_recorded_tools(agent, outcomes)))
    sandbox = Runtime(store=MemoryEventStore(), agents=AgentRegistry([replay_agent]), backoff=Backoff(base_s=0))
    replay_id = f"replay{uuid.uuid4().hex[:12]}"
    stream = agent_stream(replay_id)
    for message in original:
        if message.type not in INPUT_EVENT_TYPES:
            continue
        if message.position:
            await process_thread(sandbox, replay_id, stop_at_version=message.position - 1)
        data = dict(message.data)
        if message.type == "SessionStarted":
            data = {**data, "thread_id": replay_id, "initial_context": None}
        version = await sandbox.store.stream_version(stream)
        if (-1 if version is None else version) + 1 != message.position:
            break
        await sandbox.store.write(stream, message.type, data, message.metadata)
        sandbox.views.forget(replay_id)
    await process_thread(sandbox, replay_id, stop_at_version=original[-1].position)
    produced = [m async for m in iter_stream(sandbox.store, stream)]
    for index, expected in enumerate(original):
        got = produced[index] if index < len(produced) else None
        if got is None or _comparable(got) != _comparable(expected):
            return ReplayReport(
                thread_id,
                index,
                expected.position,
                expected=f"{expected.type} {_comparable(expected)[1]}",
                produced="nothing" if got is None else f"{got.type} {_comparable(got)[1]}",
            )
    return ReplayReport(thread_id, len(original), None)


async def fork(runtime: Runtime, thread_id: str, at_position: int, *, model: str | None = None) -> str:
    """Copy a thread's events up to `at_position` into a new thread and return its id.

    Each copied event carries `forkedFrom` (`<stream>@<position>`) in its metadata; with `model`,
    the new session uses that model from then on.
    """
    original = await _read(runtime, thread_id, at_position)
    if original[-1].position < at_position:
        raise UserError(f"session {thread_id} has no position {at_position} (last is {original[-1].position})")
    new_id = uuid.uuid4().hex
    source = agent_stream(thread_id)
    copies = []
    for message in original:
        data = dict(message.data)
        if message.type == "SessionStarted":
            context = dict(data.get("initial_context") or {})
            if model:
                context["model"] = model
            data.update(thread_id=new_id, initial_context=context or None)
        metadata = {**message.metadata, "forkedFrom": f"{source}@{message.position}"}
        copies.append(NewMessage(message.type, data, metadata))
    await runtime.store.write_batch(agent_stream(new_id), copies, expected_version=-1)
    return new_id
