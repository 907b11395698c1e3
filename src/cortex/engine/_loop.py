"""`process_thread`: decide, act, record — until the session waits or ends."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from opentelemetry import trace

from cortex.agents import Agent
from cortex.engine._llm_step import llm_step
from cortex.engine._runtime import Runtime
from cortex.engine._streams import EventSink, append, event_metadata, load_view
from cortex.engine._tool_step import tool_step
from cortex.events import ApprovalRequested, EventPayload, SessionCompleted
from cortex.exceptions import ConcurrencyError
from cortex.observability import ensure_logging
from cortex.observability.tracing import start_span
from cortex.projections import StepKind, StepPolicy, ThreadView, next_step

__all__ = ["process_thread"]

tracer = trace.get_tracer("cortex.engine")
ensure_logging()
log = structlog.get_logger("cortex.engine")


def _policy(runtime: Runtime, agent: Agent, view: ThreadView) -> StepPolicy:
    chain = agent.model_chain(runtime.default_model, view.state.model_override, runtime.fallback_models)
    return agent.policy(len(chain))


async def process_thread(
    runtime: Runtime,
    thread_id: str,
    *,
    on_event: EventSink | None = None,
    on_text: Callable[[str], None] | None = None,
    stop_at_version: int | None = None,
) -> ThreadView:
    """Drive one thread until it awaits input or approval, terminates, or `runtime.max_steps` is reached.

    Any worker may call this for any thread at any time: the view is folded incrementally from
    the stream, every write carries the expected version, and on `ConcurrencyError` the loop
    re-reads and decides again.

    Args:
        runtime: store, agents and model defaults.
        thread_id: the session.
        on_event: called with every event this call writes.
        on_text: called with text deltas while a streaming model answers.
        stop_at_version: stop before a step once the stream has reached this version (replay).
    """
    view = await load_view(runtime, thread_id)
    agent = runtime.agents.get(view.state.agent, view.state.agent_version or None)
    if on_text is None and runtime.on_text is not None:
        publish = runtime.on_text

        def on_text(delta: str) -> None:
            publish(thread_id, delta)

    bound = log.bind(thread_id=thread_id, agent=agent.name)
    with start_span(tracer, "process_thread") as span:
        span.set_attributes({"cortex.thread_id": thread_id, "cortex.agent": agent.name})
        trace_id = format(span.get_span_context().trace_id, "032x")
        policy = _policy(runtime, agent, view)
        for _ in range(runtime.max_steps):
            if stop_at_version is not None and view.version >= stop_at_version:
                break
            decision = next_step(view.state, policy)
            bound.debug("step", kind=decision.kind.value, version=view.version, trace_id=trace_id)
            try:
                match decision.kind:
                    case StepKind.AWAIT_INPUT:
                        break
                    case StepKind.AWAIT_APPROVAL:
                        if decision.request_approval:
                            asks: list[EventPayload] = [
                                ApprovalRequested(tool_call_id=c.id) for c in decision.request_approval
                            ]
                            view = await append(
                                runtime,
                                thread_id,
                                view,
                                asks,
                                durable=True,
                                metadata=event_metadata(view),
                                on_event=on_event,
                            )
                        break
                    case StepKind.TERMINATION:
                        if decision.reason is not None:
                            done = SessionCompleted(
                                reason=decision.reason, final_output=decision.detail or view.state.last_answer
                            )
                            view = await append(
                                runtime,
                                thread_id,
                                view,
                                [done],
                                durable=True,
                                metadata=event_metadata(view),
                                on_event=on_event,
                            )
                            bound.info("session completed", reason=decision.reason, detail=decision.detail)
                        break
                    case StepKind.LLM_CALL:
                        view = await llm_step(
                            runtime, thread_id, agent, view, decision, on_event=on_event, on_text=on_text
                        )
                    case StepKind.TOOL_EXECUTION:
                        view = await tool_step(runtime, thread_id, agent, view, decision, on_event=on_event)
            except ConcurrencyError:
                bound.debug("concurrent write; re-reading", version=view.version)
                view = await load_view(runtime, thread_id)
                agent = runtime.agents.get(view.state.agent, view.state.agent_version or None)
                policy = _policy(runtime, agent, view)
        span.set_attribute("cortex.version", view.version)
    return view
