"""All projections of one thread folded together, incrementally."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cortex.projections._recorded import Recorded
from cortex.projections.llm_context import LLMContext, apply_context
from cortex.projections.session_state import SessionState, apply_session
from cortex.projections.usage import Usage, apply_usage

__all__ = ["ThreadView", "apply", "fold"]


@dataclass(frozen=True, slots=True)
class ThreadView:
    """Every projection of a thread at one position."""

    state: SessionState = field(default_factory=SessionState)
    context: LLMContext = field(default_factory=LLMContext)
    usage: Usage = field(default_factory=Usage)

    @property
    def version(self) -> int:
        """Position of the last event folded in (-1 before any)."""
        return self.state.version


def apply(view: ThreadView, recorded: Recorded) -> ThreadView:
    """Fold one event into every projection."""
    return ThreadView(
        state=apply_session(view.state, recorded),
        context=apply_context(view.context, recorded),
        usage=apply_usage(view.usage, recorded),
    )


def fold(events: Iterable[Recorded], view: ThreadView | None = None) -> ThreadView:
    """Fold events, starting from `view` (incremental) or from nothing."""
    current = view or ThreadView()
    for recorded in events:
        current = apply(current, recorded)
    return current
