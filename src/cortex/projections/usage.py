"""The usage projection: tokens and latency totals, per model."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cortex.events import LLMResponseReceived
from cortex.projections._recorded import Recorded

__all__ = ["Usage", "apply_usage"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token and latency totals over a session."""

    input_tokens: int = 0
    output_tokens: int = 0
    llm_calls: int = 0
    llm_latency_ms: float = 0.0
    by_model: tuple[tuple[str, int, int], ...] = ()
    """(model name, input tokens, output tokens), one entry per model used."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


def apply_usage(usage: Usage, recorded: Recorded) -> Usage:
    """Fold one event into the usage totals."""
    if not isinstance(recorded.event, LLMResponseReceived):
        return usage
    event = recorded.event
    tokens_in, tokens_out = event.token_usage.input, event.token_usage.output
    by_model = {name: (i, o) for name, i, o in usage.by_model}
    before = by_model.get(event.model_name, (0, 0))
    by_model[event.model_name] = (before[0] + tokens_in, before[1] + tokens_out)
    return replace(
        usage,
        input_tokens=usage.input_tokens + tokens_in,
        output_tokens=usage.output_tokens + tokens_out,
        llm_calls=usage.llm_calls + 1,
        llm_latency_ms=usage.llm_latency_ms + event.latency_ms,
        by_model=tuple((name, i, o) for name, (i, o) in by_model.items()),
    )
