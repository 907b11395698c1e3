"""Conversion between Cortex's event schema and pydantic-ai messages: the only place that knows both."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

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


_definitions: dict[tuple[int, ...], tuple[Sequence[Tool], list[ToolDefinition]]] = {}


def tool_definitions(tools: Sequence[Tool]) -> list[ToolDefinition]:
    """Describe tools to a model (built once per set of tools)."""
    key = tuple(map(id, tools))
    cached = _definitions.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], tools, strict=True)):
        return cached[1]
    if len(_definitions) > 1024:
        _definitions.clear()
    definitions = [
        ToolDefinition(
            name=t.name,
            description=t.description,
            parameters_json_schema=t.parameters_schema,
            # Not sent to providers; the local adapter uses the examples as few-shot exemplars.
            metadata={"examples": [{"request": r, "arguments": a} for r, a in t.examples]} if t.examples else None,
        )
        for t in tools
    ]
    _definitions[key] = (tuple(tools), definitions)
    return definitions


def _result_text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


_PartList = list[Any]

_converted: OrderedDict[int, tuple[ContextMessage, _PartList]] = OrderedDict()
_CACHE_SIZE = 20_000


def _parts(item: ContextMessage) -> _PartList:
    """The pydantic-ai parts of one context message, built once per message.

    Context messages are immutable and a window slides over the same ones turn after turn, so the
    conversion is cached by identity (the cache holds the message, so its id stays valid).
    """
    cached = _converted.get(id(item))
    if cached is not None and cached[0] is item:
        return cached[1]
    parts: _PartList
    match item:
        case UserTurn(text=text):
            parts = [UserPromptPart(content=text)]
        case Summary(text=text):
            parts = [UserPromptPart(content=f"Summary of the earlier conversation: {text}")]
        case ToolResult(tool_call_id=call_id, tool_name=name, content=content, is_error=is_error):
            outcome: Literal["failed", "success"] = "failed" if is_error else "success"
            parts = [
                ToolReturnPart(tool_name=name, content=_result_text(content), tool_call_id=call_id, outcome=outcome)
            ]
        case AssistantTurn(text=text, tool_calls=calls):
            response: list[TextPart | ToolCallPart] = [TextPart(content=text)] if text else []
            response += [ToolCallPart(tool_name=c.name, args=c.arguments, tool_call_id=c.id) for c in calls]
            parts = response
    _converted[id(item)] = (item, parts)
    if len(_converted) > _CACHE_SIZE:
        _converted.popitem(last=False)
    return parts


def _request_order(part: ModelRequestPart) -> int:
    # Tool results first: providers want them right after the response that asked for them, even
    # when the user said something while the tools ran.
    return 0 if isinstance(part, SystemPromptPart) else 1 if isinstance(part, ToolReturnPart) else 2


_messages: OrderedDict[tuple[str | None, int, int], tuple[tuple[ContextMessage, ...], ModelMessage]] = OrderedDict()


def _message(instructions: str | None, items: tuple[ContextMessage, ...]) -> ModelMessage:
    """One request or response for a group of context messages, built once per group.

    A window slides over the same groups turn after turn; building pydantic-ai messages costs more
    than everything else in a step, so they are cached by the identity of what they hold.
    """
    # A group is a run of consecutive, immutable context messages: its first message and its length
    # identify it (the cache keeps the messages, so their ids stay valid).
    key = (instructions, id(items[0]) if items else 0, len(items))
    cached = _messages.get(key)
    if cached is not None and (not items or cached[0][0] is items[0]):
        return cached[1]
    message: ModelMessage
    if len(items) == 1 and isinstance(items[0], AssistantTurn):
        message = ModelResponse(parts=list(_parts(items[0])))
    else:
        parts: list[ModelRequestPart] = [SystemPromptPart(content=instructions)] if instructions else []
        for item in items:
            parts.extend(_parts(item))
        message = ModelRequest(parts=sorted(parts, key=_request_order))
    _messages[key] = (items, message)
    if len(_messages) > _CACHE_SIZE:
        _messages.popitem(last=False)
    return message


@dataclass(slots=True)
class _Converted:
    """A conversion of a context prefix, kept so that the next turn converts only what is new."""

    items: list[ContextMessage]
    messages: list[ModelMessage]
    tail_start: int
    """Index in `items` where the last (possibly still growing) group begins."""
    tail_first: bool
    """Whether that last group carries the instructions."""


_prefixes: OrderedDict[tuple[str, int], _Converted] = OrderedDict()
_PREFIX_CACHE_SIZE = 1024


def to_model_messages(instructions: str, context: Sequence[ContextMessage]) -> list[ModelMessage]:
    """Turn the projected conversation into pydantic-ai request/response messages.

    Consecutive user turns and tool results are grouped into one request, as providers require
    tool results to follow the response that asked for them. A conversation only grows, so the
    conversion of the previous turn is reused and only its last group and the new messages are
    converted again.
    """
    if not context:
        return [_message(instructions, ())] if instructions else []
    key = (instructions, id(context[0]))
    previous = _prefixes.get(key)
    start, first, messages = 0, bool(instructions), []
    if previous is not None and _extends(previous.items, context):
        start, first = previous.tail_start, previous.tail_first
        messages = previous.messages[: _group_index(previous)]
    pending: list[ContextMessage] = []
    tail_start, tail_first = start, first
    for index in range(start, len(context)):
        item = context[index]
        if isinstance(item, AssistantTurn):
            if pending or first:
                messages.append(_message(instructions if first else None, tuple(pending)))
                pending, first = [], False
            messages.append(_message(None, (item,)))
            tail_start, tail_first = index + 1, False
        else:
            pending.append(item)
    if pending or first:
        messages.append(_message(instructions if first else None, tuple(pending)))
    _prefixes[key] = _Converted(list(context), messages, tail_start, tail_first)
    _prefixes.move_to_end(key)
    if len(_prefixes) > _PREFIX_CACHE_SIZE:
        _prefixes.popitem(last=False)
    return list(messages)


def _extends(items: list[ContextMessage], context: Sequence[ContextMessage]) -> bool:
    if len(context) < len(items):
        return False
    return all(a is b for a, b in zip(items, context, strict=False))


def _group_index(converted: _Converted) -> int:
    """How many of `converted.messages` come before its last (still growing) group."""
    has_tail = converted.tail_start < len(converted.items) or converted.tail_first
    return len(converted.messages) - (1 if has_tail else 0)


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
