"""Conversion between Cortex's event schema and pydantic-ai messages: the only place that knows both."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.tools import ToolDefinition

from cortex.events import LLMResponseReceived, TokenUsage, ToolCall
from cortex.projections import AssistantTurn, ContextMessage, Summary, ToolResult, UserTurn
from cortex.tools import Tool

__all__ = ["from_model_response", "to_model_messages", "tool_definitions"]


def tool_definitions(tools: Sequence[Tool]) -> list[ToolDefinition]:
    """Describe tools to a model."""
    return [
        ToolDefinition(
            name=t.name,
            description=t.description,
            parameters_json_schema=t.parameters_schema,
            # Not sent to providers; the local adapter uses the examples as few-shot exemplars.
            metadata={"examples": [{"request": r, "arguments": a} for r, a in t.examples]} if t.examples else None,
        )
        for t in tools
    ]


def _result_text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def to_model_messages(instructions: str, context: Sequence[ContextMessage]) -> list[ModelMessage]:
    """Turn the projected conversation into pydantic-ai request/response messages.

    Consecutive user turns and tool results are grouped into one request, as providers require
    tool results to follow the response that asked for them.
    """
    messages: list[ModelMessage] = []
    parts: list[ModelRequestPart] = [SystemPromptPart(content=instructions)] if instructions else []

    def flush() -> None:
        # Tool results first: providers want them right after the response that asked for them,
        # even when the user said something while the tools ran.
        ordered = sorted(
            parts,
            key=lambda p: 0 if isinstance(p, SystemPromptPart) else 1 if isinstance(p, ToolReturnPart) else 2,
        )
        messages.append(ModelRequest(parts=ordered))

    for item in context:
        match item:
            case UserTurn(text=text):
                parts.append(UserPromptPart(content=text))
            case Summary(text=text):
                parts.append(UserPromptPart(content=f"Summary of the earlier conversation: {text}"))
            case ToolResult(tool_call_id=call_id, tool_name=name, content=content, is_error=False):
                parts.append(ToolReturnPart(tool_name=name, content=_result_text(content), tool_call_id=call_id))
            case ToolResult(tool_call_id=call_id, tool_name=name, content=content, is_error=True):
                parts.append(
                    ToolReturnPart(
                        tool_name=name, content=_result_text(content), tool_call_id=call_id, outcome="failed"
                    )
                )
            case AssistantTurn(text=text, tool_calls=calls):
                if parts:
                    flush()
                    parts = []
                response_parts: list[TextPart | ToolCallPart] = [TextPart(content=text)] if text else []
                response_parts += [ToolCallPart(tool_name=c.name, args=c.arguments, tool_call_id=c.id) for c in calls]
                messages.append(ModelResponse(parts=response_parts))
    if parts:
        flush()
    return messages


def from_model_response(response: ModelResponse, *, latency_ms: float, fallback_name: str) -> LLMResponseReceived:
    """Record a model response as Cortex's `LLMResponseReceived`."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    for index, part in enumerate(response.parts):
        if isinstance(part, TextPart):
            texts.append(part.content)
        elif isinstance(part, ToolCallPart):
            call_id = part.tool_call_id or f"call_{index}"
            calls.append(ToolCall(id=call_id, name=part.tool_name, arguments=_arguments(part)))
    return LLMResponseReceived(
        text="".join(texts),
        tool_calls=calls,
        model_name=response.model_name or fallback_name,
        token_usage=TokenUsage(input=response.usage.input_tokens or 0, output=response.usage.output_tokens or 0),
        finish_reason=response.finish_reason,
        latency_ms=round(latency_ms, 3),
    )


def _arguments(part: ToolCallPart) -> dict[str, Any]:
    """Tool arguments as a dict; malformed JSON is kept (as `_raw`) so validation can report it."""
    try:
        return part.args_as_dict(raise_if_invalid=True)
    except ValueError:
        raw = part.args if isinstance(part.args, str) else json.dumps(part.args)
        return {"_raw": raw}
