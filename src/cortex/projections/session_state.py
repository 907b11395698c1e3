"""The session-state projection: status, counters and what the next step depends on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias

from cortex.events import (
    ApprovalDenied,
    ApprovalGranted,
    ApprovalRequested,
    ErrorOccurred,
    HandoffOccurred,
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
from cortex.projections._recorded import Recorded

__all__ = ["ApprovalStatus", "LastRelevant", "SessionState", "SessionStatus", "apply_session"]

SessionStatus: TypeAlias = Literal["new", "active", "idle", "awaiting_approval", "completed", "failed"]
ApprovalStatus: TypeAlias = Literal["requested", "granted", "denied"]
LastRelevant: TypeAlias = Literal["none", "user_message", "llm_response", "llm_failed"]


@dataclass(frozen=True)
class SessionState:
    """Everything about a session except its conversation, folded from its events."""

    thread_id: str = ""
    agent: str = ""
    agent_version: str = ""
    active_agent: str = ""
    parent_thread_id: str | None = None
    workspace: str | None = None
    """The workspace that owns the session (sessions started over HTTP)."""
    status: SessionStatus = "new"
    version: int = -1
    """Position of the last folded event: the `expected_version` of the next write."""
    started_at: datetime | None = None
    last_activity: datetime | None = None
    last_relevant: LastRelevant = "none"
    user_messages: int = 0
    llm_calls: int = 0
    llm_calls_this_turn: int = 0
    tool_calls_completed: int = 0
    tool_calls_failed: int = 0
    failed_attempts: int = 0
    """Consecutive failed LLM attempts since the last response."""
    last_failure_retryable: bool = False
    last_response_had_calls: bool = False
    pending_calls: tuple[ToolCall, ...] = ()
    """Tool calls of the last response that have no result yet, in the model's order."""
    requested_calls: frozenset[str] = frozenset()
    """Calls with `ToolExecutionRequested` and no result: running, or interrupted by a crash."""
    approvals: tuple[tuple[str, ApprovalStatus], ...] = ()
    model_override: str | None = None
    """A model chosen for this session (`cortex run --model`, fork with another model)."""
    termination_requested: str | None = None
    halted_by_tripwire: str | None = None
    completed_reason: str | None = None
    final_output: str | None = None
    last_answer: str | None = None
    errors: int = 0

    def approval(self, tool_call_id: str) -> ApprovalStatus | None:
        """The approval status of a tool call, if any was requested or given."""
        for call_id, status in reversed(self.approvals):
            if call_id == tool_call_id:
                return status
        return None


def _settle(state: SessionState, tool_call_id: str) -> dict[str, Any]:
    remaining = tuple(c for c in state.pending_calls if c.id != tool_call_id)
    return {
        "pending_calls": remaining,
        "requested_calls": state.requested_calls - {tool_call_id},
        "status": "active" if state.status not in ("completed", "failed") else state.status,
    }


def _apply_tools(state: SessionState, recorded: Recorded) -> dict[str, Any]:
    match recorded.event:
        case ToolExecutionRequested(tool_call_id=call_id):
            # A request consumes the call's approval: if the run is interrupted, re-running it needs a
            # new decision, never the approval given for the first run.
            approvals = tuple(a for a in state.approvals if a[0] != call_id)
            return {"requested_calls": state.requested_calls | {call_id}, "approvals": approvals}
        case ToolExecutionCompleted(tool_call_id=call_id):
            return {**_settle(state, call_id), "tool_calls_completed": state.tool_calls_completed + 1}
        case ToolExecutionFailed(tool_call_id=call_id):
            return {**_settle(state, call_id), "tool_calls_failed": state.tool_calls_failed + 1}
        case ApprovalRequested(tool_call_id=call_id):
            return {"approvals": (*state.approvals, (call_id, "requested")), "status": "awaiting_approval"}
        case ApprovalGranted(tool_call_id=call_id):
            return {"approvals": (*state.approvals, (call_id, "granted")), "status": "active"}
        case ApprovalDenied(tool_call_id=call_id):
            return {"approvals": (*state.approvals, (call_id, "denied")), "status": "active"}
    return {}


def _apply_llm(state: SessionState, recorded: Recorded) -> dict[str, Any]:
    match recorded.event:
        case LLMCallRequested():
            return {"status": "active"}
        case LLMResponseReceived(text=text, tool_calls=calls):
            return {
                "last_relevant": "llm_response",
                "llm_calls": state.llm_calls + 1,
                "llm_calls_this_turn": state.llm_calls_this_turn + 1,
                "failed_attempts": 0,
                "pending_calls": tuple(calls),
                "last_response_had_calls": bool(calls),
                "requested_calls": frozenset(),
                "status": "active" if calls else "idle",
                "last_answer": text if not calls else state.last_answer,
            }
        case LLMCallFailed(retryable=retryable):
            return {
                "last_relevant": "llm_failed",
                "failed_attempts": state.failed_attempts + 1,
                "last_failure_retryable": retryable,
            }
    return {}


def _context_text(initial_context: dict[str, object] | None, key: str) -> str | None:
    value = (initial_context or {}).get(key)
    return value if isinstance(value, str) and value else None


def apply_session(state: SessionState, recorded: Recorded) -> SessionState:
    """Fold one event into the session state (one copy per event: states are immutable)."""
    changes = _changes(state, recorded)
    changes["version"] = recorded.position
    changes["last_activity"] = recorded.time
    return _evolve(state, changes)


def _evolve(state: SessionState, changes: dict[str, Any]) -> SessionState:
    """`dataclasses.replace(state, **changes)` at a tenth of the cost: two dict updates, no `__init__`.

    Every event makes one copy, so this is on the hot path of every step. (The state keeps a
    `__dict__` rather than slots for this: copying thirty slots one by one cost more than the rest
    of the fold.)
    """
    new = object.__new__(SessionState)
    attributes = new.__dict__
    attributes.update(state.__dict__)
    attributes.update(changes)
    return new


def _changes(state: SessionState, recorded: Recorded) -> dict[str, Any]:
    event = recorded.event
    match event:
        case SessionStarted():
            return {
                "thread_id": event.thread_id,
                "agent": event.agent,
                "agent_version": event.agent_version,
                "active_agent": event.agent,
                "parent_thread_id": event.parent_thread_id,
                "model_override": _context_text(event.initial_context, "model"),
                "workspace": _context_text(event.initial_context, "workspace"),
                "started_at": recorded.time,
                "status": "idle",
            }
        case UserMessageAdded():
            return {
                "last_relevant": "user_message",
                "user_messages": state.user_messages + 1,
                "llm_calls_this_turn": 0,
                "failed_attempts": 0,
                "status": "active" if state.status not in ("completed", "failed") else state.status,
            }
        case LLMCallRequested() | LLMResponseReceived() | LLMCallFailed():
            return _apply_llm(state, recorded)
        case HandoffOccurred(to_agent=to_agent):
            return {"active_agent": to_agent}
        case SessionTerminationRequested(reason=reason):
            return {"termination_requested": reason or "requested"}
        case TripwireTriggered(kind=kind, action="halt"):
            return {"halted_by_tripwire": kind}
        case SessionCompleted(reason=reason, final_output=output):
            status: SessionStatus = "completed" if reason in ("success", "terminated") else "failed"
            final = output if isinstance(output, str) or output is None else str(output)
            return {"status": status, "completed_reason": reason, "final_output": final}
        case ErrorOccurred():
            return {"errors": state.errors + 1}
    return _apply_tools(state, recorded)
