"""Prometheus metrics of the server process (one registry per app, so tests can run many apps)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from cortex.events import LLMResponseReceived, ToolExecutionCompleted, ToolExecutionFailed
from cortex.projections import Recorded

__all__ = ["Metrics"]


@dataclass
class Metrics:
    """HTTP requests, events written, LLM tokens and latency, tool outcomes."""

    registry: CollectorRegistry
    http_requests: Counter
    http_latency: Histogram
    events_written: Counter
    llm_tokens: Counter
    llm_latency: Histogram
    tool_outcomes: Counter

    @classmethod
    def create(cls) -> Metrics:
        """A fresh registry with Cortex's metrics."""
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            http_requests=Counter(
                "cortex_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
            ),
            http_latency=Histogram(
                "cortex_http_request_seconds", "HTTP request latency", ["method", "route"], registry=registry
            ),
            events_written=Counter("cortex_events_written", "Events written", ["type"], registry=registry),
            llm_tokens=Counter("cortex_llm_tokens", "LLM tokens", ["model", "direction"], registry=registry),
            llm_latency=Histogram("cortex_llm_latency_seconds", "LLM call latency", ["model"], registry=registry),
            tool_outcomes=Counter("cortex_tool_outcomes", "Tool call outcomes", ["tool", "outcome"], registry=registry),
        )

    def observe_event(self, _thread_id: str, recorded: Recorded) -> None:
        """Count an event the engine wrote in this process."""
        event = recorded.event
        self.events_written.labels(type=event.type).inc()
        if isinstance(event, LLMResponseReceived):
            model = event.model_name or "unknown"
            self.llm_tokens.labels(model=model, direction="input").inc(event.token_usage.input)
            self.llm_tokens.labels(model=model, direction="output").inc(event.token_usage.output)
            self.llm_latency.labels(model=model).observe((event.latency_ms or 0) / 1000)
        elif isinstance(event, ToolExecutionCompleted):
            self.tool_outcomes.labels(tool=event.tool_name, outcome="completed").inc()
        elif isinstance(event, ToolExecutionFailed):
            self.tool_outcomes.labels(tool=event.tool_name, outcome=event.reason or "failed").inc()
