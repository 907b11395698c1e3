"""Typed event payloads: one frozen dataclass per event type, one `TypeAdapter` for all of them.

Each payload carries a `type` discriminator equal to its event type name (not `kind`: the
catalog's `TripwireTriggered` has a data field of that name). On the wire the discriminator is the
message's `type` and is not repeated inside `data`.

Schema versioning policy: every message is written with `metadata.schemaVersion =
SCHEMA_VERSION`. Every released version stays readable forever (the event log outlives the
code); a message whose `schemaVersion` is *newer* than this code's fails fast with
`EventSchemaError` instead of being half-understood. Adding an optional field is not a new
version; renaming or removing one is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import Field, TypeAdapter, ValidationError

from cortex.events._envelope import JsonObject, Message
from cortex.exceptions import EventSchemaError

__all__ = [
    "KNOWN_EVENT_TYPES",
    "SCHEMA_VERSION",
    "ApprovalDenied",
    "ApprovalGranted",
    "ApprovalRequested",
    "ChildAgentCompleted",
    "ChildAgentSpawned",
    "ContextSummarized",
    "ErrorOccurred",
    "Event",
    "EventPayload",
    "GuardrailTriggered",
    "HandoffOccurred",
    "LLMCallFailed",
    "LLMCallRequested",
    "LLMResponseReceived",
    "SessionCompleted",
    "SessionStarted",
    "SessionTerminationRequested",
    "TokenUsage",
    "ToolCall",
    "ToolExecutionCompleted",
    "ToolExecutionFailed",
    "ToolExecutionRequested",
    "TripwireTriggered",
    "UnknownEvent",
    "UserMessageAdded",
    "decode_event",
    "encode_event",
]

SCHEMA_VERSION = 1
"""The event schema version this code writes and the newest it reads."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolCall:
    """One tool call requested by a model."""

    id: str
    name: str
    arguments: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenUsage:
    """Tokens a model call consumed."""

    input: int = 0
    output: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionStarted:
    """A new agent session (thread) began."""

    thread_id: str
    agent: str
    agent_version: str
    parent_thread_id: str | None = None
    initial_context: JsonObject | None = None
    type: Literal["SessionStarted"] = "SessionStarted"


@dataclass(frozen=True, kw_only=True, slots=True)
class UserMessageAdded:
    """A person (or a parent agent) said something to the agent."""

    message: str
    attachments: list[JsonObject] | None = None
    type: Literal["UserMessageAdded"] = "UserMessageAdded"


@dataclass(frozen=True, kw_only=True, slots=True)
class LLMCallRequested:
    """The engine decided to call the model; written before the call."""

    model: str
    message_count: int
    context_digest: str
    attempt: int = 1
    type: Literal["LLMCallRequested"] = "LLMCallRequested"


@dataclass(frozen=True, kw_only=True, slots=True)
class LLMResponseReceived:
    """The model answered: text, tool calls or both."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    model_name: str = ""
    token_usage: TokenUsage = field(default_factory=TokenUsage)
    finish_reason: str | None = None
    latency_ms: float = 0.0
    type: Literal["LLMResponseReceived"] = "LLMResponseReceived"


@dataclass(frozen=True, kw_only=True, slots=True)
class LLMCallFailed:
    """A model call failed; `retryable` tells the next-step rule whether to try again."""

    error_type: str
    error_message: str
    attempt: int
    retryable: bool
    type: Literal["LLMCallFailed"] = "LLMCallFailed"


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolExecutionRequested:
    """A tool call is about to run; written durably *before* the side effect."""

    tool_call_id: str
    tool_name: str
    arguments: JsonObject = field(default_factory=dict)
    type: Literal["ToolExecutionRequested"] = "ToolExecutionRequested"


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolExecutionCompleted:
    """A tool call returned a result."""

    tool_call_id: str
    tool_name: str
    result: Any
    execution_time_ms: float = 0.0
    type: Literal["ToolExecutionCompleted"] = "ToolExecutionCompleted"


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolExecutionFailed:
    """A tool call failed; the model sees `error_message`."""

    tool_call_id: str
    tool_name: str
    error_message: str
    retry_count: int = 0
    reason: str = "error"
    type: Literal["ToolExecutionFailed"] = "ToolExecutionFailed"


@dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalRequested:
    """A tool call waits for an operator's decision."""

    tool_call_id: str
    by: str | None = None
    comment: str | None = None
    type: Literal["ApprovalRequested"] = "ApprovalRequested"


@dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalGranted:
    """An operator allowed a tool call."""

    tool_call_id: str
    by: str | None = None
    comment: str | None = None
    type: Literal["ApprovalGranted"] = "ApprovalGranted"


@dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalDenied:
    """An operator refused a tool call."""

    tool_call_id: str
    by: str | None = None
    comment: str | None = None
    type: Literal["ApprovalDenied"] = "ApprovalDenied"


@dataclass(frozen=True, kw_only=True, slots=True)
class GuardrailTriggered:
    """A guardrail policy acted on input, output or a tool call."""

    policy: str
    stage: Literal["input", "output", "tool_call"]
    action: Literal["block", "redact", "warn"]
    detail: str = ""
    type: Literal["GuardrailTriggered"] = "GuardrailTriggered"


@dataclass(frozen=True, kw_only=True, slots=True)
class TripwireTriggered:
    """A run-level limit was crossed."""

    kind: str
    """What was measured: wall_time, tokens, tool_calls, turns, output_pattern, anomaly."""
    value: float
    threshold: float
    action: Literal["halt", "warn"]
    type: Literal["TripwireTriggered"] = "TripwireTriggered"


@dataclass(frozen=True, kw_only=True, slots=True)
class ContextSummarized:
    """Older turns were summarized; the summary replaces them in the LLM context."""

    summary: str
    covers_until_position: int
    type: Literal["ContextSummarized"] = "ContextSummarized"


@dataclass(frozen=True, kw_only=True, slots=True)
class ChildAgentSpawned:
    """A parent started a child agent session."""

    child_thread_id: str
    agent: str
    task: str
    type: Literal["ChildAgentSpawned"] = "ChildAgentSpawned"


@dataclass(frozen=True, kw_only=True, slots=True)
class ChildAgentCompleted:
    """A child agent session finished; its result goes back to the parent."""

    child_thread_id: str
    agent: str
    result: str | None = None
    status: str = "success"
    type: Literal["ChildAgentCompleted"] = "ChildAgentCompleted"


@dataclass(frozen=True, kw_only=True, slots=True)
class HandoffOccurred:
    """The conversation moved to another agent."""

    from_agent: str
    to_agent: str
    reason: str = ""
    type: Literal["HandoffOccurred"] = "HandoffOccurred"


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionTerminationRequested:
    """Someone asked the session to stop."""

    reason: str = ""
    type: Literal["SessionTerminationRequested"] = "SessionTerminationRequested"


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionCompleted:
    """The session ended; nothing is processed after this."""

    reason: Literal["success", "failure", "timeout", "terminated", "tripwire"]
    final_output: Any = None
    type: Literal["SessionCompleted"] = "SessionCompleted"


@dataclass(frozen=True, kw_only=True, slots=True)
class ErrorOccurred:
    """An unexpected error, recorded so an operator can see it in the stream."""

    error_type: str
    error_message: str
    stack_trace: str | None = None
    type: Literal["ErrorOccurred"] = "ErrorOccurred"


EventPayload: TypeAlias = Annotated[
    SessionStarted
    | UserMessageAdded
    | LLMCallRequested
    | LLMResponseReceived
    | LLMCallFailed
    | ToolExecutionRequested
    | ToolExecutionCompleted
    | ToolExecutionFailed
    | ApprovalRequested
    | ApprovalGranted
    | ApprovalDenied
    | GuardrailTriggered
    | TripwireTriggered
    | ContextSummarized
    | ChildAgentSpawned
    | ChildAgentCompleted
    | HandoffOccurred
    | SessionTerminationRequested
    | SessionCompleted
    | ErrorOccurred,
    Field(discriminator="type"),
]
"""Every event type Cortex knows."""

_ADAPTER: TypeAdapter[EventPayload] = TypeAdapter(EventPayload)
KNOWN_EVENT_TYPES: frozenset[str] = frozenset(cls.__name__ for cls in get_args(get_args(EventPayload)[0]))
"""The `type` names `decode_event` turns into typed payloads."""


@dataclass(frozen=True, kw_only=True, slots=True)
class UnknownEvent:
    """An event of a type this code does not know; kept intact and skipped by projections."""

    type: str
    data: JsonObject


Event: TypeAlias = EventPayload | UnknownEvent
"""What `decode_event` returns."""


def encode_event(payload: EventPayload) -> tuple[str, JsonObject]:
    """Return the message `type` and JSON `data` for a payload."""
    data: JsonObject = _ADAPTER.dump_python(payload, mode="json")
    return data.pop("type"), data


def decode_event(message: Message) -> Event:
    """Turn a stored message into its typed payload.

    Raises:
        EventSchemaError: the message's `schemaVersion` is newer than `SCHEMA_VERSION`, or its data
            does not validate as its (known) type.
    """
    version = message.metadata.get("schemaVersion", 1)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise EventSchemaError(
            f"{message.stream_name}@{message.position} ({message.type}) has schemaVersion {version}; this Cortex "
            f"reads up to {SCHEMA_VERSION}: upgrade Cortex to read it"
        )
    if message.type not in KNOWN_EVENT_TYPES:
        return UnknownEvent(type=message.type, data=message.data)
    try:
        return _ADAPTER.validate_python({**message.data, "type": message.type})
    except ValidationError as exc:
        raise EventSchemaError(
            f"{message.stream_name}@{message.position} is not a valid {message.type}: "
            f"{exc.errors(include_url=False)[0]['msg']}"
        ) from exc
