"""Commands from outside the loop: start a session, add a message, approve, deny, terminate."""

from __future__ import annotations

import uuid
from typing import Any

from cortex.engine._runtime import Runtime
from cortex.engine._streams import append, event_metadata, load_view
from cortex.events import (
    ApprovalDenied,
    ApprovalGranted,
    EventPayload,
    SessionStarted,
    SessionTerminationRequested,
    UserMessageAdded,
)
from cortex.exceptions import ConcurrencyError, NothingToApproveError, UserError
from cortex.models import resolve_model
from cortex.projections import ThreadView

__all__ = ["approve", "deny", "post_message", "start_session", "terminate"]


async def start_session(
    runtime: Runtime,
    agent: str | None = None,
    message: str | None = None,
    *,
    thread_id: str | None = None,
    model: str | None = None,
    parent_thread_id: str | None = None,
    workspace: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> str:
    """Start a session (and post its first message); returns the thread id. The loop runs separately.

    Raises:
        UnknownAgentError: no such agent definition.
        ModelConfigurationError: `model` cannot be resolved (checked before anything is written).
    """
    definition = runtime.agents.get(agent) if agent else runtime.agents.default()
    # Fail before anything is written: an unknown model or a missing key is a configuration error.
    resolve_model(model or definition.model or runtime.default_model, openai_base_url=runtime.openai_base_url)
    thread_id = thread_id or uuid.uuid4().hex
    events: list[EventPayload] = [
        SessionStarted(
            thread_id=thread_id,
            agent=definition.name,
            agent_version=definition.version,
            parent_thread_id=parent_thread_id,
            initial_context=_initial_context(model=model, workspace=workspace),
        )
    ]
    if message is not None:
        events.append(UserMessageAdded(message=_checked_message(message)))
    extra = {"agent": definition.name, **(metadata or {})}
    await append(runtime, thread_id, ThreadView(), events, durable=True, metadata=event_metadata(ThreadView(), extra))
    return thread_id


def _initial_context(**values: str | None) -> dict[str, Any] | None:
    """What a session starts with beyond its agent: a model override, the owning workspace."""
    given = {k: v for k, v in values.items() if v}
    return given or None


def _checked_message(message: str) -> str:
    if not message.strip():
        raise UserError("the message is empty")
    return message


async def _write_command(runtime: Runtime, thread_id: str, payload: EventPayload) -> ThreadView:
    """Append a command event at the current version, re-reading on a concurrent write."""
    for attempt in range(20):
        # Optimistic first try with the cached view: the write carries its version, so a stale
        # view only costs a ConcurrencyError and a re-read, never a wrong write.
        cached = runtime.views.get(thread_id) if attempt == 0 else None
        view = cached if cached is not None else await load_view(runtime, thread_id)
        if view.state.completed_reason is not None:
            raise UserError(f"session {thread_id} has ended ({view.state.completed_reason}); fork it to go on")
        try:
            return await append(runtime, thread_id, view, [payload], durable=True, metadata=event_metadata(view))
        except ConcurrencyError:
            continue
    raise UserError(f"session {thread_id} is too busy to accept the command; try again")


async def post_message(runtime: Runtime, thread_id: str, message: str) -> ThreadView:
    """Add a user message; the next `process_thread` answers it."""
    return await _write_command(runtime, thread_id, UserMessageAdded(message=_checked_message(message)))


async def terminate(runtime: Runtime, thread_id: str, reason: str = "terminated by operator") -> ThreadView:
    """Ask the session to stop; the loop then records `SessionCompleted(reason="terminated")`."""
    return await _write_command(runtime, thread_id, SessionTerminationRequested(reason=reason))


async def _decide(runtime: Runtime, thread_id: str, tool_call_id: str, payload: EventPayload) -> ThreadView:
    view = await load_view(runtime, thread_id)
    if view.state.approval(tool_call_id) != "requested":
        waiting = [c for c, s in view.state.approvals if s == "requested"]
        raise NothingToApproveError(
            f"tool call {tool_call_id!r} of session {thread_id} awaits no approval; "
            f"awaiting: {', '.join(waiting) or 'none'}"
        )
    return await _write_command(runtime, thread_id, payload)


async def approve(
    runtime: Runtime, thread_id: str, tool_call_id: str, *, by: str | None = None, comment: str | None = None
) -> ThreadView:
    """Allow a tool call that awaits approval."""
    return await _decide(
        runtime, thread_id, tool_call_id, ApprovalGranted(tool_call_id=tool_call_id, by=by, comment=comment)
    )


async def deny(
    runtime: Runtime, thread_id: str, tool_call_id: str, *, by: str | None = None, comment: str | None = None
) -> ThreadView:
    """Refuse a tool call that awaits approval; the model sees the refusal."""
    return await _decide(
        runtime, thread_id, tool_call_id, ApprovalDenied(tool_call_id=tool_call_id, by=by, comment=comment)
    )
