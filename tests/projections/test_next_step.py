"""Every next-step rule of DESIGN.md §5, on folded states (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cortex.events import (
    ApprovalDenied,
    ApprovalGranted,
    ApprovalRequested,
    EventPayload,
    LLMCallFailed,
    LLMCallRequested,
    LLMResponseReceived,
    SessionCompleted,
    SessionStarted,
    SessionTerminationRequested,
    ToolCall,
    ToolExecutionCompleted,
    ToolExecutionFailed,
    ToolExecutionRequested,
    TripwireTriggered,
    UserMessageAdded,
)
from cortex.projections import Recorded, SessionState, StepKind, StepPolicy, apply_session, next_step

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = StepPolicy(max_llm_attempts=3, max_iterations=4, idempotent_tools=frozenset({"lookup"}))


def state_of(*events: EventPayload) -> SessionState:
    state = SessionState()
    for position, event in enumerate([SessionStarted(thread_id="t", agent="a", agent_version="1"), *events]):
        state = apply_session(state, Recorded(position, T0, event))
    return state


def response(*calls: tuple[str, str]) -> LLMResponseReceived:
    return LLMResponseReceived(text="" if calls else "answer", tool_calls=[ToolCall(id=i, name=n) for i, n in calls])


def test_a_new_session_awaits_input() -> None:
    assert next_step(state_of(), POLICY).kind is StepKind.AWAIT_INPUT


def test_user_message_asks_the_model() -> None:
    decision = next_step(state_of(UserMessageAdded(message="hi")), POLICY)
    assert (decision.kind, decision.attempt) == (StepKind.LLM_CALL, 1)


def test_a_request_without_response_is_asked_again() -> None:
    state = state_of(UserMessageAdded(message="hi"), LLMCallRequested(model="m", message_count=1, context_digest="d"))
    assert next_step(state, POLICY).kind is StepKind.LLM_CALL


def test_an_answer_without_tool_calls_awaits_input_never_another_call() -> None:
    state = state_of(UserMessageAdded(message="hi"), response())
    assert next_step(state, POLICY).kind is StepKind.AWAIT_INPUT
    assert state.status == "idle" and state.last_answer == "answer"


def test_unfinished_tool_calls_are_executed() -> None:
    state = state_of(UserMessageAdded(message="hi"), response(("c1", "calc"), ("c2", "lookup")))
    decision = next_step(state, POLICY)
    assert decision.kind is StepKind.TOOL_EXECUTION
    assert [c.id for c in decision.run] == ["c1", "c2"] and decision.fail == ()


def test_when_every_call_finished_the_model_is_asked_again() -> None:
    state = state_of(
        UserMessageAdded(message="hi"),
        response(("c1", "calc"), ("c2", "lookup")),
        ToolExecutionRequested(tool_call_id="c1", tool_name="calc"),
        ToolExecutionCompleted(tool_call_id="c1", tool_name="calc", result=1),
    )
    assert [c.id for c in next_step(state, POLICY).run] == ["c2"]
    state = apply_session(
        state, Recorded(9, T0, ToolExecutionFailed(tool_call_id="c2", tool_name="lookup", error_message="x"))
    )
    assert next_step(state, POLICY).kind is StepKind.LLM_CALL


def test_retryable_failure_with_attempts_left_retries_then_terminates() -> None:
    failed = [LLMCallFailed(error_type="E", error_message="503", attempt=n, retryable=True) for n in (1, 2, 3)]
    state = state_of(UserMessageAdded(message="hi"), failed[0])
    assert (next_step(state, POLICY).kind, next_step(state, POLICY).attempt) == (StepKind.LLM_CALL, 2)
    state = state_of(UserMessageAdded(message="hi"), *failed)
    decision = next_step(state, POLICY)
    assert (decision.kind, decision.reason) == (StepKind.TERMINATION, "failure")


def test_non_retryable_failure_terminates_at_once() -> None:
    state = state_of(
        UserMessageAdded(message="hi"), LLMCallFailed(error_type="E", error_message="400", attempt=1, retryable=False)
    )
    assert next_step(state, POLICY).reason == "failure"


def test_approval_is_requested_awaited_granted_or_denied() -> None:
    policy = StepPolicy(approval_tools=frozenset({"pay"}))
    asked = state_of(UserMessageAdded(message="pay"), response(("p", "pay")))
    decision = next_step(asked, policy)
    assert decision.kind is StepKind.AWAIT_APPROVAL and [c.id for c in decision.request_approval] == ["p"]
    waiting = apply_session(asked, Recorded(4, T0, ApprovalRequested(tool_call_id="p")))
    assert waiting.status == "awaiting_approval"
    assert next_step(waiting, policy).request_approval == ()
    granted = apply_session(waiting, Recorded(5, T0, ApprovalGranted(tool_call_id="p")))
    assert [c.id for c in next_step(granted, policy).run] == ["p"]
    denied = apply_session(waiting, Recorded(5, T0, ApprovalDenied(tool_call_id="p")))
    assert [(c.id, r) for c, r in next_step(denied, policy).fail] == [("p", "denied")]


@pytest.mark.parametrize(
    ("recovery", "tool", "expected"),
    [
        ("fail", "calc", ("fail", "interrupted")),
        ("fail", "lookup", ("run", None)),
        ("ask", "calc", ("ask", None)),
    ],
    ids=["non-idempotent-fail", "idempotent-rerun", "non-idempotent-ask"],
)
def test_interrupted_calls_follow_the_recovery_policy(
    recovery: str, tool: str, expected: tuple[str, str | None]
) -> None:
    policy = StepPolicy(recovery=recovery, idempotent_tools=frozenset({"lookup"}))  # type: ignore[arg-type]
    state = state_of(
        UserMessageAdded(message="go"), response(("c", tool)), ToolExecutionRequested(tool_call_id="c", tool_name=tool)
    )
    decision = next_step(state, policy)
    kind, reason = expected
    if kind == "fail":
        assert decision.kind is StepKind.TOOL_EXECUTION and [(c.id, r) for c, r in decision.fail] == [("c", reason)]
    elif kind == "run":
        assert decision.kind is StepKind.TOOL_EXECUTION and [c.id for c in decision.run] == ["c"]
    else:
        assert decision.kind is StepKind.AWAIT_APPROVAL and [c.id for c in decision.request_approval] == ["c"]


def test_an_approval_given_before_an_interrupted_run_does_not_allow_a_second_run() -> None:
    policy = StepPolicy(approval_tools=frozenset({"pay"}), recovery="ask")
    state = state_of(
        UserMessageAdded(message="pay"),
        response(("p", "pay")),
        ApprovalRequested(tool_call_id="p"),
        ApprovalGranted(tool_call_id="p"),
        ToolExecutionRequested(tool_call_id="p", tool_name="pay"),
    )
    decision = next_step(state, policy)
    assert decision.kind is StepKind.AWAIT_APPROVAL and [c.id for c in decision.request_approval] == ["p"]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (SessionTerminationRequested(reason="stop"), "terminated"),
        (TripwireTriggered(kind="tokens", value=2, threshold=1, action="halt"), "tripwire"),
    ],
    ids=["termination-requested", "halting-tripwire"],
)
def test_termination_wins_over_everything(event: EventPayload, reason: str) -> None:
    state = state_of(UserMessageAdded(message="hi"), response(("c", "calc")), event)
    decision = next_step(state, POLICY)
    assert (decision.kind, decision.reason) == (StepKind.TERMINATION, reason)


def test_a_warning_tripwire_does_not_stop() -> None:
    state = state_of(
        UserMessageAdded(message="hi"), TripwireTriggered(kind="tokens", value=2, threshold=1, action="warn")
    )
    assert next_step(state, POLICY).kind is StepKind.LLM_CALL


def test_a_completed_session_only_terminates_without_writing() -> None:
    state = state_of(UserMessageAdded(message="hi"), SessionCompleted(reason="success"))
    decision = next_step(state, POLICY)
    assert (decision.kind, decision.reason) == (StepKind.TERMINATION, None)
    assert state.status == "completed"


def test_max_iterations_per_turn() -> None:
    loop = []
    for n in range(4):
        loop += [response((f"c{n}", "calc")), ToolExecutionCompleted(tool_call_id=f"c{n}", tool_name="calc", result=n)]
    state = state_of(UserMessageAdded(message="hi"), *loop)
    decision = next_step(state, POLICY)
    assert (decision.kind, decision.reason) == (StepKind.TERMINATION, "failure")
    assert "max iterations" in decision.detail
    # A new user message starts a new turn with a fresh budget.
    fresh = apply_session(state, Recorded(99, T0, UserMessageAdded(message="again")))
    assert next_step(fresh, POLICY).kind is StepKind.LLM_CALL


def test_pending_calls_finish_before_a_new_user_message_is_answered() -> None:
    state = state_of(UserMessageAdded(message="job"), response(("j", "calc")), UserMessageAdded(message="still there?"))
    assert next_step(state, POLICY).kind is StepKind.TOOL_EXECUTION
