"""The LLM context projection: events → the ordered conversation a model sees.

Cortex's own message types, not a provider's: conversion to pydantic-ai happens in `cortex.models`.
A `ContextSummarized` event replaces everything it covers with its summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from cortex.events import (
    ContextSummarized,
    LLMResponseReceived,
    ToolCall,
    ToolExecutionCompleted,
    ToolExecutionFailed,
    UserMessageAdded,
)
from cortex.projections._recorded import AppendOnly, Recorded

__all__ = ["AssistantTurn", "ContextMessage", "LLMContext", "Summary", "ToolResult", "UserTurn", "apply_context"]


@dataclass(frozen=True, slots=True)
class UserTurn:
    """Something the user said."""

    text: str
    position: int


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    """What the model answered: text and/or tool calls."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    position: int


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The outcome of one tool call, as the model will see it."""

    tool_call_id: str
    tool_name: str
    content: Any
    is_error: bool
    position: int


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary standing in for the turns it covers."""

    text: str
    position: int


ContextMessage: TypeAlias = UserTurn | AssistantTurn | ToolResult | Summary


@dataclass(frozen=True, slots=True)
class LLMContext:
    """The conversation so far; `messages` only grows, except when a summary replaces a prefix."""

    messages: AppendOnly[ContextMessage] = field(default_factory=AppendOnly)


def apply_context(context: LLMContext, recorded: Recorded) -> LLMContext:
    """Fold one event into the context."""
    event, position = recorded.event, recorded.position
    message: ContextMessage
    match event:
        case UserMessageAdded(message=text):
            message = UserTurn(text=text, position=position)
        case LLMResponseReceived(text=text, tool_calls=calls):
            message = AssistantTurn(text=text, tool_calls=tuple(calls), position=position)
        case ToolExecutionCompleted(tool_call_id=call_id, tool_name=name, result=result):
            message = ToolResult(call_id, name, result, is_error=False, position=position)
        case ToolExecutionFailed(tool_call_id=call_id, tool_name=name, error_message=error):
            message = ToolResult(call_id, name, error, is_error=True, position=position)
        case ContextSummarized(summary=text, covers_until_position=until):
            kept = [m for m in context.messages if m.position > until]
            return LLMContext(messages=AppendOnly([Summary(text=text, position=position), *kept]))
        case _:
            return context
    return LLMContext(messages=context.messages.append(message))
