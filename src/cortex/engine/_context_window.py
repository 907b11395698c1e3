"""Choosing which part of the conversation is sent to the model."""

from __future__ import annotations

import hashlib

from cortex.projections import ContextMessage, LLMContext, Summary, UserTurn

__all__ = ["context_digest", "context_window"]


def context_window(context: LLMContext, max_messages: int) -> list[ContextMessage]:
    """The latest messages, at most `max_messages`, starting at a turn boundary.

    Reads only the tail, so its cost does not grow with the history. A window never starts with a
    tool result or an answer whose question was cut off; the newest summary, if it is older than
    the window, leads it.
    """
    tail = context.messages.tail(max(max_messages, 1))
    start = next((i for i, m in enumerate(tail) if isinstance(m, UserTurn | Summary)), None)
    if start is None:
        # One turn longer than the window: keep it whole from its question.
        messages = list(context.messages)
        start_full = max((i for i, m in enumerate(messages) if isinstance(m, UserTurn | Summary)), default=0)
        return messages[start_full:]
    window = tail[start:]
    first = context.messages[0] if len(context.messages) else None
    if isinstance(first, Summary) and first not in window:
        window = [first, *window]
    return window


def context_digest(window: list[ContextMessage]) -> str:
    """A short fingerprint of what the model was shown (positions), for audits and replay checks."""
    if not window:
        return "empty"
    # The window is contiguous after an optional leading summary: its bounds and size identify it.
    second = window[1].position if len(window) > 1 else -1
    spec = f"{window[0].position},{second},{window[-1].position},{len(window)}"
    return hashlib.sha256(spec.encode()).hexdigest()[:16]
