"""Conversion between Cortex's event schema and pydantic-ai messages: the only place that knows both."""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from operator import is_
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
    """A conversion kept so that the next turn converts only what is new."""

    items: list[ContextMessage]
    messages: list[ModelMessage]
    starts: list[int]
    """Index in `items` where each message's group begins."""
    tail_start: int
    """Index in `items` where the last (possibly still growing) group begins."""
    closed: int
    """How many of `messages` come before that last group: these can be reused as they are."""


_prefixes: OrderedDict[tuple[str, object], _Converted] = OrderedDict()
_PREFIX_CACHE_SIZE = 1024


def to_model_messages(
    instructions: str, context: Sequence[ContextMessage], *, key: object = None
) -> list[ModelMessage]:
    """Turn the projected conversation into pydantic-ai request/response messages.

    Consecutive user turns and tool results are grouped into one request, as providers require
    tool results to follow the response that asked for them. Turn after turn a conversation grows
    and its window slides, so the previous conversion (found by `key`, e.g. the thread id) is
    reused: only the window's first group, the last group and the new messages are converted.
    """
    if not context:
        return [_message(instructions, ())] if instructions else []
    cache_key = (instructions, key if key is not None else id(context[0]))
    previous = _prefixes.get(cache_key)
    reused = _reusable(instructions, previous, context) if previous is not None else None
    messages, starts, index = reused or ([], [], 0)
    first = not messages and bool(instructions)
    pending_start, tail_start, closed = index, index, len(messages)
    for position in range(index, len(context)):
        item = context[position]
        if isinstance(item, AssistantTurn):
            if position > pending_start or first:
                starts.append(pending_start)
                messages.append(_message(instructions if first else None, tuple(context[pending_start:position])))
                first = False
            starts.append(position)
            messages.append(_message(None, (item,)))
            pending_start = tail_start = position + 1
            closed = len(messages)
    if pending_start < len(context) or first:
        starts.append(pending_start)
        messages.append(_message(instructions if first else None, tuple(context[pending_start:])))
    _prefixes[cache_key] = _Converted(list(context), messages, starts, tail_start, closed)
    _prefixes.move_to_end(cache_key)
    if len(_prefixes) > _PREFIX_CACHE_SIZE:
        _prefixes.popitem(last=False)
    return list(messages)


def _reusable(
    instructions: str, previous: _Converted, context: Sequence[ContextMessage]
) -> tuple[list[ModelMessage], list[int], int] | None:
    """The closed messages of `previous` that `context` still holds, re-based on it.

    Returns the messages, their group starts and the index in `context` where conversion must go
    on; None when `context` is not a suffix-and-continuation of `previous` at a group boundary.
    """
    items = previous.items
    offset = next((i for i, item in enumerate(items) if item is context[0]), None)
    if offset is None or len(context) < len(items) - offset:
        return None
    if not all(map(is_, islice(items, offset, None), context)):
        return None
    group = bisect_left(previous.starts, offset)
    if group >= previous.closed or previous.starts[group] != offset:
        return None if offset else ([], [], 0)
    messages = previous.messages[group : previous.closed]
    starts = [start - offset for start in previous.starts[group : previous.closed]]
    if offset and instructions:
        # The window's first group now carries the instructions.
        if isinstance(messages[0], ModelResponse):
            messages.insert(0, _message(instructions, ()))
            starts.insert(0, 0)
        else:
            end = starts[1] if len(starts) > 1 else previous.tail_start - offset
            messages[0] = _message(instructions, tuple(context[:end]))
    return messages, starts, previous.tail_start - offset


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
