"""The zero-latency agent `bench/http_load.py` serves (`CORTEX_AGENTS_MODULE=bench.http_agents:agents`)."""

from __future__ import annotations

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from cortex.agents import Agent, AgentRegistry


def _answer(messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[TextPart(content=f"turn {len(messages)} answered")])


def agents() -> AgentRegistry:
    """One agent answering at once, so the bench measures Cortex and HTTP, not a model."""
    return AgentRegistry([Agent(name="bench", model=FunctionModel(_answer, model_name="zero-latency"))])
