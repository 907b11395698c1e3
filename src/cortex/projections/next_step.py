"""The next-step decision: a pure function of the session state and the agent's policy.

Rules (DESIGN.md §5), by the last relevant event:

- a user message, or every tool call of the last response finished → `LLM_CALL`
- a response with unfinished tool calls → `TOOL_EXECUTION` (or `AWAIT_APPROVAL`)
- a response without tool calls → `AWAIT_INPUT`: the turn is done, never another LLM call
- a retryable `LLMCallFailed` with attempts left → `LLM_CALL`; otherwise `TERMINATION`
- termination requested, session completed, or a halting tripwire → `TERMINATION`
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from cortex.events import ToolCall
from cortex.projections.session_state import SessionState

__all__ = ["Decision", "StepKind", "StepPolicy", "next_step"]


class StepKind(enum.Enum):
    """What the loop does next."""

    LLM_CALL = "llm_call"
    TOOL_EXECUTION = "tool_execution"
    AWAIT_INPUT = "await_input"
    AWAIT_APPROVAL = "await_approval"
    TERMINATION = "termination"


@dataclass(frozen=True, slots=True)
class StepPolicy:
    """The parts of an agent definition that decide what happens next."""

    max_llm_attempts: int = 3
    """Attempts over the whole model chain before a failure terminates the session."""
    max_iterations: int = 10
    """Model calls allowed in one user turn."""
    recovery: Literal["fail", "ask"] = "fail"
    """What to do with an interrupted, non-idempotent tool call."""
    idempotent_tools: frozenset[str] = frozenset()
    approval_tools: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Decision:
    """The next step, with what the shell must write or run for it."""

    kind: StepKind
    attempt: int = 0
    """For `LLM_CALL`: the attempt number (1-based) across the model chain."""
    run: tuple[ToolCall, ...] = ()
    """For `TOOL_EXECUTION`: calls to run now."""
    fail: tuple[tuple[ToolCall, str], ...] = ()
    """For `TOOL_EXECUTION`: calls to record as failed without running, with the reason."""
    request_approval: tuple[ToolCall, ...] = ()
    """For `AWAIT_APPROVAL`: calls whose `ApprovalRequested` is still to be written."""
    reason: Literal["success", "failure", "timeout", "terminated", "tripwire"] | None = None
    """For `TERMINATION`: the `SessionCompleted` reason; None when already completed."""
    detail: str = ""


def _tool_decision(state: SessionState, policy: StepPolicy) -> Decision:
    run: list[ToolCall] = []
    fail: list[tuple[ToolCall, str]] = []
    ask: list[ToolCall] = []
    for call in state.pending_calls:
        approval = state.approval(call.id)
        interrupted = call.id in state.requested_calls
        needs_approval = call.name in policy.approval_tools or (
            interrupted and call.name not in policy.idempotent_tools and policy.recovery == "ask"
        )
        if interrupted and call.name not in policy.idempotent_tools and policy.recovery == "fail":
            fail.append((call, "interrupted"))
        elif not needs_approval or approval == "granted":
            run.append(call)
        elif approval == "denied":
            fail.append((call, "denied"))
        elif approval is None:
            ask.append(call)
    if run or fail:
        return Decision(StepKind.TOOL_EXECUTION, run=tuple(run), fail=tuple(fail))
    return Decision(StepKind.AWAIT_APPROVAL, request_approval=tuple(ask))


def _llm_call(state: SessionState, policy: StepPolicy) -> Decision:
    if state.llm_calls_this_turn >= policy.max_iterations:
        return Decision(
            StepKind.TERMINATION,
            reason="failure",
            detail=f"max iterations reached: {policy.max_iterations} model calls in one turn",
        )
    return Decision(StepKind.LLM_CALL, attempt=state.failed_attempts + 1)


def next_step(state: SessionState, policy: StepPolicy) -> Decision:
    """Decide the next step of a session."""
    if state.completed_reason is not None:
        return Decision(StepKind.TERMINATION)
    if state.termination_requested is not None:
        return Decision(StepKind.TERMINATION, reason="terminated", detail=state.termination_requested)
    if state.halted_by_tripwire is not None:
        return Decision(StepKind.TERMINATION, reason="tripwire", detail=state.halted_by_tripwire)
    if state.pending_calls and state.last_relevant != "llm_failed":
        # Calls asked for are finished first, even when a new user message arrived meanwhile: every
        # tool call must get its result before the model is called again.
        return _tool_decision(state, policy)
    match state.last_relevant:
        case "user_message":
            return _llm_call(state, policy)
        case "llm_failed":
            if state.last_failure_retryable and state.failed_attempts < policy.max_llm_attempts:
                return _llm_call(state, policy)
            return Decision(
                StepKind.TERMINATION,
                reason="failure",
                detail=f"model call failed after {state.failed_attempts} attempt(s)",
            )
        case "llm_response":
            if state.last_response_had_calls:
                return _llm_call(state, policy)
            return Decision(StepKind.AWAIT_INPUT)
        case "none":
            return Decision(StepKind.AWAIT_INPUT)
