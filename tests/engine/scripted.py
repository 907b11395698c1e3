"""Scripted models for engine tests: pydantic-ai `FunctionModel`s that answer from a script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

Step = Callable[[list[ModelMessage], AgentInfo], ModelResponse] | ModelResponse | Exception


def text(content: str) -> ModelResponse:
    return ModelResponse(parts=[TextPart(content=content)])


def calls(*items: tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]) -> ModelResponse:
    parts = []
    for index, item in enumerate(items):
        name, args = item[0], item[1]
        call_id = item[2] if len(item) > 2 else f"call_{name}_{index}"  # type: ignore[misc]
        parts.append(ToolCallPart(tool_name=name, args=args, tool_call_id=call_id))
    return ModelResponse(parts=parts)


class Script:
    """A FunctionModel answering with the next scripted step; counts calls and keeps what it saw."""

    def __init__(self, *steps: Step, name: str = "scripted") -> None:
        self.steps = list(steps)
        self.calls = 0
        self.seen: list[list[ModelMessage]] = []
        self.model = FunctionModel(self._respond, model_name=name)

    def _respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.calls += 1
        self.seen.append(messages)
        if not self.steps:
            raise AssertionError("the scripted model was called more often than scripted")
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, ModelResponse):
            return step
        return step(messages, info)


def tool_results(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    """Every tool return the model was shown."""
    return [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)]
