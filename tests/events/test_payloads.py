"""Typed payloads: encode/decode through one TypeAdapter; unknown types kept; newer schemas refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from cortex.events import (
    KNOWN_EVENT_TYPES,
    SCHEMA_VERSION,
    ApprovalDenied,
    ApprovalGranted,
    ApprovalRequested,
    ChildAgentCompleted,
    ChildAgentSpawned,
    ContextSummarized,
    ErrorOccurred,
    EventPayload,
    GuardrailTriggered,
    HandoffOccurred,
    LLMCallFailed,
    LLMCallRequested,
    LLMResponseReceived,
    Message,
    SessionCompleted,
    SessionStarted,
    SessionTerminationRequested,
    TokenUsage,
    ToolCall,
    ToolExecutionCompleted,
    ToolExecutionFailed,
    ToolExecutionRequested,
    TripwireTriggered,
    UnknownEvent,
    UserMessageAdded,
    decode_event,
    encode_event,
)
from cortex.exceptions import EventSchemaError

EXAMPLES: list[EventPayload] = [
    SessionStarted(
        thread_id="t1", agent="assistant", agent_version="1", parent_thread_id="p", initial_context={"a": 1}
    ),
    UserMessageAdded(message="What is 12*7?", attachments=[{"name": "a.txt"}]),
    LLMCallRequested(model="openai:gpt-4o", message_count=3, context_digest="abc", attempt=2),
    LLMResponseReceived(
        text="",
        tool_calls=[ToolCall(id="c1", name="calculate", arguments={"expression": "12*7"})],
        model_name="gpt-4o",
        token_usage=TokenUsage(input=10, output=5),
        finish_reason="tool_call",
        latency_ms=12.5,
    ),
    LLMCallFailed(error_type="ModelHTTPError", error_message="503", attempt=1, retryable=True),
    ToolExecutionRequested(tool_call_id="c1", tool_name="calculate", arguments={"expression": "12*7"}),
    ToolExecutionCompleted(tool_call_id="c1", tool_name="calculate", result=84, execution_time_ms=0.3),
    ToolExecutionFailed(tool_call_id="c1", tool_name="calculate", error_message="boom", reason="interrupted"),
    ApprovalRequested(tool_call_id="c1"),
    ApprovalGranted(tool_call_id="c1", by="ops", comment="fine"),
    ApprovalDenied(tool_call_id="c1", by="ops"),
    GuardrailTriggered(policy="pii", stage="input", action="redact", detail="email"),
    TripwireTriggered(kind="tokens", value=1200, threshold=1000, action="halt"),
    ContextSummarized(summary="earlier turns", covers_until_position=40),
    ChildAgentSpawned(child_thread_id="c", agent="researcher", task="look"),
    ChildAgentCompleted(child_thread_id="c", agent="researcher", result="found", status="success"),
    HandoffOccurred(from_agent="triage", to_agent="billing", reason="invoice"),
    SessionTerminationRequested(reason="operator"),
    SessionCompleted(reason="success", final_output="84"),
    ErrorOccurred(error_type="KeyError", error_message="x"),
]


def as_message(type_: str, data: dict[str, object], metadata: dict[str, object] | None = None) -> Message:
    return Message(
        id=uuid.uuid4(),
        stream_name="agent:v0-1",
        type=type_,
        position=0,
        global_position=1,
        time=datetime.now(UTC),
        data=data,
        metadata=metadata or {},
    )


def test_every_catalog_type_has_an_example() -> None:
    assert {type(e).__name__ for e in EXAMPLES} == KNOWN_EVENT_TYPES


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: type(p).__name__)
def test_encode_decode_round_trip(payload: EventPayload) -> None:
    type_, data = encode_event(payload)
    assert type_ == type(payload).__name__
    assert "type" not in data
    assert decode_event(as_message(type_, data)) == payload


def test_tripwire_keeps_its_kind_field() -> None:
    type_, data = encode_event(TripwireTriggered(kind="turns", value=11, threshold=10, action="warn"))
    assert type_ == "TripwireTriggered"
    assert data == {"kind": "turns", "value": 11, "threshold": 10, "action": "warn"}


def test_payloads_are_frozen() -> None:
    event = UserMessageAdded(message="hi")
    with pytest.raises(AttributeError):
        event.message = "changed"  # type: ignore[misc]


def test_unknown_type_is_kept_not_raised() -> None:
    decoded = decode_event(as_message("SomethingNew", {"x": [1, 2]}))
    assert decoded == UnknownEvent(type="SomethingNew", data={"x": [1, 2]})


def test_invalid_data_for_a_known_type_is_a_schema_error() -> None:
    with pytest.raises(EventSchemaError, match=r"agent:v0-1@0 is not a valid UserMessageAdded"):
        decode_event(as_message("UserMessageAdded", {"msg": "typo"}))


def test_newer_schema_version_fails_fast() -> None:
    type_, data = encode_event(UserMessageAdded(message="hi"))
    assert decode_event(as_message(type_, data, {"schemaVersion": SCHEMA_VERSION})) == UserMessageAdded(message="hi")
    with pytest.raises(EventSchemaError, match="upgrade Cortex"):
        decode_event(as_message(type_, data, {"schemaVersion": SCHEMA_VERSION + 1}))
