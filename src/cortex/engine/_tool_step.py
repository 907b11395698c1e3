"""The tool step: record the request durably, run the calls, record every outcome."""

from __future__ import annotations

import anyio
from opentelemetry import trace

from cortex.agents import Agent
from cortex.engine._runtime import Runtime
from cortex.engine._streams import EventSink, agent_stream, append, event_metadata, load_view
from cortex.events import EventPayload, ToolCall, ToolExecutionCompleted, ToolExecutionFailed, ToolExecutionRequested
from cortex.exceptions import ConcurrencyError
from cortex.observability.tracing import start_span
from cortex.projections import Decision, ThreadView
from cortex.tools import Tool, ToolContext, ToolOutcome, execute_tool, idempotency_key

__all__ = ["tool_step"]

tracer = trace.get_tracer("cortex.engine")

_REASONS = {
    "interrupted": "the call was interrupted (the worker stopped) and is not safe to run again",
    "denied": "an operator denied this call",
}


async def _run(thread_id: str, call: ToolCall, item: Tool) -> ToolOutcome:
    with start_span(tracer, "tool_step") as span:
        span.set_attributes({"cortex.thread_id": thread_id, "cortex.tool": item.name, "cortex.tool_call_id": call.id})
        context = ToolContext(
            thread_id=thread_id, tool_call_id=call.id, idempotency_key=idempotency_key(thread_id, call.id)
        )
        outcome = await execute_tool(item, call.arguments, context)
        span.set_attribute("cortex.tool.ok", outcome.ok)
        if not outcome.ok:
            span.set_status(trace.StatusCode.ERROR, outcome.error)
        return outcome


def _outcome_event(call: ToolCall, outcome: ToolOutcome) -> EventPayload:
    if outcome.ok:
        return ToolExecutionCompleted(
            tool_call_id=call.id, tool_name=call.name, result=outcome.result, execution_time_ms=outcome.elapsed_ms
        )
    return ToolExecutionFailed(
        tool_call_id=call.id, tool_name=call.name, error_message=outcome.error, reason=outcome.reason
    )


async def tool_step(
    runtime: Runtime,
    thread_id: str,
    agent: Agent,
    view: ThreadView,
    decision: Decision,
    *,
    on_event: EventSink | None = None,
) -> ThreadView:
    """Run the decided tool calls concurrently; `ToolExecutionRequested` is durable before any runs."""
    metadata = event_metadata(view)
    failures: list[EventPayload] = [
        ToolExecutionFailed(tool_call_id=c.id, tool_name=c.name, error_message=_REASONS.get(r, r), reason=r)
        for c, r in decision.fail
    ]
    runnable: list[tuple[ToolCall, Tool]] = []
    for call in decision.run:
        item = agent.tool(call.name)
        if item is None:
            allowed = ", ".join(t.name for t in agent.tools) or "none"
            failures.append(
                ToolExecutionFailed(
                    tool_call_id=call.id,
                    tool_name=call.name,
                    error_message=f"unknown tool {call.name!r}; this agent may call: {allowed}",
                    reason="unknown_tool",
                )
            )
        else:
            runnable.append((call, item))
    if failures:
        view = await append(runtime, thread_id, view, failures, durable=True, metadata=metadata, on_event=on_event)
    if not runnable:
        return view
    requests: list[EventPayload] = [
        ToolExecutionRequested(tool_call_id=c.id, tool_name=c.name, arguments=c.arguments) for c, _ in runnable
    ]
    view = await append(runtime, thread_id, view, requests, durable=True, metadata=metadata, on_event=on_event)
    outcomes: dict[str, ToolOutcome] = {}

    async def run_one(call: ToolCall, item: Tool) -> None:
        outcomes[call.id] = await _run(thread_id, call, item)

    if len(runnable) == 1:
        await run_one(*runnable[0])
    else:
        async with anyio.create_task_group() as group:
            for call, item in runnable:
                group.start_soon(run_one, call, item)
    results = [_outcome_event(call, outcomes[call.id]) for call, _ in runnable]
    return await _record_results(runtime, thread_id, view, results, metadata, on_event)


async def _record_results(
    runtime: Runtime,
    thread_id: str,
    view: ThreadView,
    results: list[EventPayload],
    metadata: dict[str, object],
    on_event: EventSink | None,
) -> ThreadView:
    """Write the outcomes; if another writer got in first, keep those still awaited and try again.

    A side effect has happened by now, so its record must not be lost to a concurrent user message.
    """
    for _ in range(20):
        try:
            return await append(runtime, thread_id, view, results, durable=True, metadata=metadata, on_event=on_event)
        except ConcurrencyError:
            view = await load_view(runtime, thread_id)
            awaited = {c.id for c in view.state.pending_calls}
            results = [r for r in results if getattr(r, "tool_call_id", None) in awaited]
            if not results:
                return view
    raise ConcurrencyError(agent_stream(thread_id), view.version, None)
