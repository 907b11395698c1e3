"""`ScriptedModel`: a pydantic-ai `Model` that answers from a script or a function of the messages."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.settings import ModelSettings

__all__ = ["ScriptedModel", "Turn", "reply", "tool_calls"]

Turn = ModelResponse | Callable[[list[ModelMessage]], ModelResponse] | Exception


def reply(text: str) -> ModelResponse:
    """A response with text only."""
    return ModelResponse(parts=[TextPart(content=text)])


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> ModelResponse:
    """A response asking for tool calls (fresh ids)."""
    return ModelResponse(
        parts=[ToolCallPart(tool_name=name, args=args, tool_call_id=uuid.uuid4().hex) for name, args in calls]
    )


class ScriptedModel(Model):
    """Answers with the next scripted turn; a callable turn is called with the messages each time.

    Exceptions in the script are raised, as a failing provider would. `calls` counts requests.
    """

    def __init__(
        self, script: Iterable[Turn] | Callable[[list[ModelMessage]], ModelResponse], *, name: str = "scripted"
    ) -> None:
        super().__init__()
        self._responder = script if callable(script) else None
        self._script = [] if callable(script) else list(script)
        self._name = name
        self.calls = 0

    @property
    def model_name(self) -> str:
        """The scripted model's name."""
        return self._name

    @property
    def system(self) -> str:
        """Provider name for telemetry."""
        return "scripted"

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        """The next scripted answer."""
        self.calls += 1
        if self._responder is not None:
            turn: Turn = self._responder(messages)
        elif self._script:
            turn = self._script.pop(0)
        else:
            raise AssertionError(f"ScriptedModel {self._name!r} was called more often than scripted ({self.calls})")
        if isinstance(turn, Exception):
            raise turn
        response = turn(messages) if callable(turn) else turn
        return ModelResponse(
            parts=response.parts, model_name=self._name, usage=response.usage, finish_reason=response.finish_reason
        )
