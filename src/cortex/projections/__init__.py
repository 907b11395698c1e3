"""Pure projections of a thread's events (DESIGN.md §5): no I/O, no clock, no randomness."""

from cortex.projections._recorded import AppendOnly, Recorded, record
from cortex.projections._thread import ThreadView, apply, fold
from cortex.projections.llm_context import (
    AssistantTurn,
    ContextMessage,
    LLMContext,
    Summary,
    ToolResult,
    UserTurn,
    apply_context,
)
from cortex.projections.next_step import Decision, StepKind, StepPolicy, next_step
from cortex.projections.session_state import SessionState, SessionStatus, apply_session
from cortex.projections.usage import Usage, apply_usage

__all__ = [
    "AppendOnly",
    "AssistantTurn",
    "ContextMessage",
    "Decision",
    "LLMContext",
    "Recorded",
    "SessionState",
    "SessionStatus",
    "StepKind",
    "StepPolicy",
    "Summary",
    "ThreadView",
    "ToolResult",
    "Usage",
    "UserTurn",
    "apply",
    "apply_context",
    "apply_session",
    "apply_usage",
    "fold",
    "next_step",
    "record",
]
