from __future__ import annotations

from datetime import UTC, datetime

from cortex.events import (
    ContextSummarized,
    EventPayload,
    LLMResponseReceived,
    SessionStarted,
    ToolCall,
    ToolExecutionCompleted,
    ToolExecutionFailed,
    UnknownEvent,
    UserMessageAdded,
)
from cortex.projections import AssistantTurn, Recorded, Summary, ToolResult, UserTurn, fold

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def view_of(*events: EventPayload):  # type: ignore[no-untyped-def]
    return fold(Recorded(i, T0, e) for i, e in enumerate(events))


def test_events_become_an_ordered_conversation() -> None:
    call = ToolCall(id="c", name="calculate", arguments={"expression": "12*7"})
    view = view_of(
        SessionStarted(thread_id="t", agent="a", agent_version="1"),
        UserMessageAdded(message="12*7?"),
        LLMResponseReceived(text="", tool_calls=[call]),
        ToolExecutionCompleted(tool_call_id="c", tool_name="calculate", result=84),
        UnknownEvent(type="Future", data={}),
        LLMResponseReceived(text="84"),
        UserMessageAdded(message="/0?"),
        ToolExecutionFailed(tool_call_id="d", tool_name="calculate", error_message="division by zero"),
    )
    assert list(view.context.messages) == [
        UserTurn("12*7?", 1),
        AssistantTurn("", (call,), 2),
        ToolResult("c", "calculate", 84, False, 3),
        AssistantTurn("84", (), 5),
        UserTurn("/0?", 6),
        ToolResult("d", "calculate", "division by zero", True, 7),
    ]


def test_a_summary_replaces_what_it_covers() -> None:
    view = view_of(
        SessionStarted(thread_id="t", agent="a", agent_version="1"),
        UserMessageAdded(message="one"),
        LLMResponseReceived(text="1"),
        UserMessageAdded(message="two"),
        ContextSummarized(summary="counted to one", covers_until_position=2),
        LLMResponseReceived(text="2"),
    )
    assert list(view.context.messages) == [
        Summary("counted to one", 4),
        UserTurn("two", 3),
        AssistantTurn("2", (), 5),
    ]
