"""Folding is pure and incremental: one pass, arbitrary chunks and a replay give the same view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cortex.events import (
    ApprovalGranted,
    ApprovalRequested,
    ContextSummarized,
    EventPayload,
    LLMCallFailed,
    LLMCallRequested,
    LLMResponseReceived,
    SessionStarted,
    SessionTerminationRequested,
    TokenUsage,
    ToolCall,
    ToolExecutionCompleted,
    ToolExecutionFailed,
    ToolExecutionRequested,
    UnknownEvent,
    UserMessageAdded,
)
from cortex.projections import Recorded, ThreadView, fold

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def sessions(draw: st.DrawFn) -> list[Recorded]:
    """A valid event sequence: turns of model calls, tool calls (some interrupted), failures, approvals."""
    events: list[EventPayload] = [SessionStarted(thread_id="t", agent="a", agent_version="1")]
    for turn in range(draw(st.integers(1, 4))):
        events.append(UserMessageAdded(message=draw(st.text(max_size=20))))
        for _ in range(draw(st.integers(0, 3))):
            events.append(LLMCallRequested(model="m", message_count=len(events), context_digest="d"))
            if draw(st.booleans()) and draw(st.booleans()):
                events.append(
                    LLMCallFailed(error_type="E", error_message="x", attempt=1, retryable=draw(st.booleans()))
                )
                continue
            n_calls = draw(st.integers(0, 3))
            calls = [
                ToolCall(id=f"{turn}-{len(events)}-{i}", name=draw(st.sampled_from(["a", "b"]))) for i in range(n_calls)
            ]
            usage = TokenUsage(input=draw(st.integers(0, 500)), output=draw(st.integers(0, 100)))
            events.append(
                LLMResponseReceived(text="" if calls else "answer", tool_calls=calls, model_name="m", token_usage=usage)
            )
            for call in calls:
                if draw(st.booleans()):
                    events += [ApprovalRequested(tool_call_id=call.id), ApprovalGranted(tool_call_id=call.id)]
                events.append(ToolExecutionRequested(tool_call_id=call.id, tool_name=call.name))
                outcome = draw(st.sampled_from(["ok", "error", "interrupted"]))
                if outcome == "ok":
                    events.append(ToolExecutionCompleted(tool_call_id=call.id, tool_name=call.name, result=len(events)))
                else:
                    events.append(
                        ToolExecutionFailed(
                            tool_call_id=call.id, tool_name=call.name, error_message=outcome, reason=outcome
                        )
                    )
            if not calls:
                break
        if draw(st.booleans()):
            events.append(UnknownEvent(type="FromTheFuture", data={"x": 1}))
        if len(events) > 6 and draw(st.booleans()):
            events.append(
                ContextSummarized(summary="so far", covers_until_position=draw(st.integers(1, len(events) - 1)))
            )
    if draw(st.booleans()):
        events.append(SessionTerminationRequested(reason="stop"))
    return [Recorded(i, T0 + timedelta(seconds=i), e) for i, e in enumerate(events)]


@settings(max_examples=150, deadline=None)
@given(sessions(), st.data())
def test_folding_in_chunks_equals_one_pass(events: list[Recorded], data: st.DataObject) -> None:
    whole = fold(events)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=6)))
    view = ThreadView()
    start = 0
    for cut in [*cuts, len(events)]:
        view = fold(events[start:cut], view)
        start = max(start, cut)
    assert view == whole
    assert view.version == len(events) - 1


@settings(max_examples=50, deadline=None)
@given(sessions(), st.integers(0, 30))
def test_an_old_view_is_never_changed_by_folding_on(events: list[Recorded], cut: int) -> None:
    cut = min(cut, len(events))
    early = fold(events[:cut])
    snapshot = (list(early.context.messages), early.state, early.usage)
    fold(events[cut:], early)  # continue from the early view...
    fold(events[cut:][:1], early)  # ...twice, differently
    assert (list(early.context.messages), early.state, early.usage) == snapshot


@settings(max_examples=50, deadline=None)
@given(sessions())
def test_usage_totals_match_the_responses(events: list[Recorded]) -> None:
    view = fold(events)
    responses = [r.event for r in events if isinstance(r.event, LLMResponseReceived)]
    assert view.usage.llm_calls == len(responses)
    assert view.usage.input_tokens == sum(r.token_usage.input for r in responses)
    assert view.usage.total_tokens == sum(r.token_usage.input + r.token_usage.output for r in responses)
