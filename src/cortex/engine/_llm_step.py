"""The LLM step: pick the model for this attempt, call it, record the response or the failure."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
from opentelemetry import trace
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.function import FunctionModel

from cortex.agents import Agent
from cortex.engine._context_window import context_digest, context_window
from cortex.engine._runtime import Runtime
from cortex.engine._streams import EventSink, append, event_metadata
from cortex.events import LLMCallFailed, LLMCallRequested
from cortex.exceptions import ModelCallError, ModelConfigurationError
from cortex.models import (
    describe_model,
    from_model_response,
    request_model,
    resolve_model,
    to_model_messages,
    tool_definitions,
)
from cortex.observability.tracing import start_span
from cortex.projections import Decision, ThreadView

__all__ = ["llm_step"]

tracer = trace.get_tracer("cortex.engine")
TextSink = Callable[[str], None]


def _streams(model: Model) -> bool:
    if type(model).request_stream is Model.request_stream:
        return False
    # pydantic-ai's FunctionModel overrides streaming but can stream only when given a stream function.
    return not isinstance(model, FunctionModel) or model.stream_function is not None


async def llm_step(
    runtime: Runtime,
    thread_id: str,
    agent: Agent,
    view: ThreadView,
    decision: Decision,
    *,
    on_event: EventSink | None = None,
    on_text: TextSink | None = None,
) -> ThreadView:
    """Run one model attempt and append its events (non-durable: a lost response is asked again)."""
    chain = agent.model_chain(runtime.default_model, view.state.model_override, runtime.fallback_models)
    index = min((decision.attempt - 1) // max(agent.attempts_per_model, 1), len(chain) - 1)
    spec = chain[index]
    name = describe_model(spec)
    if decision.attempt > 1:
        await anyio.sleep(runtime.backoff.delay(decision.attempt - 1, runtime.rng))
    window = context_window(view.context, agent.context_messages)
    messages = to_model_messages(agent.instructions, window, key=thread_id)
    metadata = event_metadata(view)
    requested = LLMCallRequested(
        model=name, message_count=len(messages), context_digest=context_digest(window), attempt=decision.attempt
    )
    view = await append(runtime, thread_id, view, [requested], durable=False, metadata=metadata, on_event=on_event)
    with start_span(tracer, "llm_step") as span:
        span.set_attributes({"cortex.thread_id": thread_id, "cortex.model": name, "cortex.attempt": decision.attempt})
        start = time.perf_counter()
        try:
            model = resolve_model(spec, openai_base_url=runtime.openai_base_url)
            # The instructions travel as the first request's system prompt; saying there are no
            # `ModelRequest.instructions` spares pydantic-ai a search through the whole window.
            parameters = ModelRequestParameters(function_tools=tool_definitions(agent.tools), instruction_parts=[])
            sink = on_text if on_text is not None and _streams(model) else None
            response = await request_model(model, messages, parameters, agent.model_settings or None, sink)
        except (ModelCallError, ModelConfigurationError) as exc:
            retryable = isinstance(exc, ModelCallError) and exc.retryable
            failed = LLMCallFailed(
                error_type=exc.error_type if isinstance(exc, ModelCallError) else type(exc).__name__,
                error_message=str(exc.message if isinstance(exc, ModelCallError) else exc),
                attempt=decision.attempt,
                # Another model further down the chain may succeed where this one cannot.
                retryable=retryable or index < len(chain) - 1,
            )
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR, str(exc))
            return await append(runtime, thread_id, view, [failed], durable=False, metadata=metadata, on_event=on_event)
        event = from_model_response(response, latency_ms=(time.perf_counter() - start) * 1000, fallback_name=name)
        span.set_attributes(
            {
                "cortex.tokens.input": event.token_usage.input,
                "cortex.tokens.output": event.token_usage.output,
                "cortex.tool_calls": len(event.tool_calls),
                "cortex.latency_ms": event.latency_ms,
            }
        )
    return await append(runtime, thread_id, view, [event], durable=False, metadata=metadata, on_event=on_event)
