"""OpenTelemetry spans for the loop, the model step and the tool step, with model, tokens and errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cortex.agents import Agent, AgentRegistry
from cortex.engine import Backoff, Runtime, process_thread, start_session
from cortex.store.sqlite import SQLiteEventStore
from cortex.testing import ScriptedModel, reply, tool_calls
from cortex.tools import calculate

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


async def test_spans_for_loop_model_and_tool(spans: InMemorySpanExporter, tmp_path: Path) -> None:
    model = ScriptedModel([tool_calls(("calculate", {"expression": "1/0"})), reply("cannot")], name="traced")
    runtime = Runtime(
        store=SQLiteEventStore(tmp_path / "t.db"),
        agents=AgentRegistry([Agent(name="m", model=model, tools=[calculate])]),
        backoff=Backoff(base_s=0),
    )
    thread = await start_session(runtime, "m", "divide")
    await process_thread(runtime, thread)
    finished = {
        s.name: s for s in spans.get_finished_spans() if s.attributes and s.attributes.get("cortex.thread_id") == thread
    }
    assert set(finished) == {"process_thread", "llm_step", "tool_step"}
    assert finished["llm_step"].attributes["cortex.model"] == "scripted:traced"  # type: ignore[index]
    assert finished["tool_step"].attributes["cortex.tool"] == "calculate"  # type: ignore[index]
    assert finished["tool_step"].status.status_code is trace.StatusCode.ERROR
    assert finished["llm_step"].parent is not None
    assert finished["llm_step"].parent.span_id == finished["process_thread"].context.span_id
    await runtime.close()
