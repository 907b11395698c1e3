"""Sessions: start, list, state, messages, events, live stream, terminate, fork, approvals."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query

from cortex.api_models import (
    ApprovalDecision,
    EventOut,
    EventsPage,
    ForkRequest,
    MessageCreate,
    SessionCreate,
    SessionOut,
    SessionsPageOut,
    SessionStateOut,
    TerminateRequest,
)
from cortex.appdata import sessions as read_model
from cortex.engine import agent_stream, approve, deny, fork, load_view, post_message, start_session, terminate
from cortex.projections import ThreadView
from cortex.server._errors import ApiError
from cortex.server._sse import SessionStream, event_out
from cortex.server._state import AppState
from cortex.server.routes._common import ERRORS, CanRead, CanWrite, State

router = APIRouter(tags=["sessions"], responses=ERRORS)
MAX_POSITION = 2**53  # positions are stored as 64-bit integers; JSON clients see exact integers up to 2**53
SSE_FRAME = {
    "type": "object",
    "description": "One frame: a stored event (`id` = its position, `event` = its type, `data` = an EventOut "
    'as JSON) or a token chunk (`event: chunk`, no id, `data` = {"text": …}).',
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "event": {"type": "string"},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
    "required": ["data"],
}
SessionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_]+$")]


def _session_out(row: read_model.SessionRow) -> SessionOut:
    return SessionOut(
        id=row.thread_id,
        agent=row.agent,
        status=row.status,
        parent_id=row.parent_thread_id,
        user_messages=row.user_messages,
        llm_calls=row.llm_calls,
        tool_calls=row.tool_calls,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        version=row.version,
        created_at=row.created_at,
        last_activity=row.last_activity,
    )


def _state_out(view: ThreadView) -> SessionStateOut:
    s = view.state
    return SessionStateOut(
        id=s.thread_id,
        agent=s.agent,
        status=s.status,
        version=s.version,
        last_answer=s.last_answer,
        final_output=s.final_output,
        completed_reason=s.completed_reason,
        awaiting_approval=[c for c, status in s.approvals if status == "requested"],
        pending_tool_calls=[c.id for c in s.pending_calls],
        user_messages=s.user_messages,
        llm_calls=s.llm_calls,
        tool_calls_completed=s.tool_calls_completed,
        tool_calls_failed=s.tool_calls_failed,
        input_tokens=view.usage.input_tokens,
        output_tokens=view.usage.output_tokens,
    )


async def _owned(state: AppState, workspace_id: str, session_id: str) -> None:
    """404 unless the session belongs to the workspace."""
    row = await read_model.get_session_row(state.db, session_id)
    if row is None or row.workspace_id != workspace_id:
        raise ApiError(404, f"session {session_id} not found")


async def _written(state: AppState, view: ThreadView) -> None:
    """After a command: update the read model and wake whoever runs or streams sessions."""
    await read_model.upsert_sessions(state.db, [read_model.row_of(view)])
    state.written.notify(view.state.thread_id)


@router.post("/workspaces/{workspace_id}/sessions", response_model=SessionStateOut, status_code=201)
async def create_session(body: SessionCreate, access: CanWrite, state: State) -> SessionStateOut:
    """Start a session with an agent and its first message; a worker answers it."""
    thread_id = await start_session(
        state.runtime, body.agent, body.message, model=body.model, workspace=access.workspace_id
    )
    view = await load_view(state.runtime, thread_id)
    await _written(state, view)
    return _state_out(view)


@router.get("/workspaces/{workspace_id}/sessions", response_model=SessionsPageOut)
async def list_sessions(
    access: CanRead,
    state: State,
    status: Annotated[
        Literal["new", "active", "idle", "awaiting_approval", "completed", "failed"] | None, Query()
    ] = None,
    agent: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> SessionsPageOut:
    """The workspace's sessions, newest first, filtered by status or agent, with cursor pagination."""
    page = await read_model.list_sessions(
        state.db, access.workspace_id, status=status, agent=agent, limit=limit, cursor=cursor
    )
    return SessionsPageOut(items=[_session_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/workspaces/{workspace_id}/sessions/{session_id}", response_model=SessionStateOut)
async def get_session(session_id: SessionId, access: CanRead, state: State) -> SessionStateOut:
    """The session's current state, folded from its events."""
    await _owned(state, access.workspace_id, session_id)
    return _state_out(await load_view(state.runtime, session_id))


@router.post(
    "/workspaces/{workspace_id}/sessions/{session_id}/messages", response_model=SessionStateOut, status_code=201
)
async def add_message(session_id: SessionId, body: MessageCreate, access: CanWrite, state: State) -> SessionStateOut:
    """Say something to the agent; a worker answers it."""
    await _owned(state, access.workspace_id, session_id)
    view = await post_message(state.runtime, session_id, body.message)
    await _written(state, view)
    return _state_out(view)


@router.get("/workspaces/{workspace_id}/sessions/{session_id}/events", response_model=EventsPage)
async def list_events(
    session_id: SessionId,
    access: CanRead,
    state: State,
    after: Annotated[int, Query(ge=-1, le=MAX_POSITION, description="return events after this position")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventsPage:
    """Stored events in stream order, one page at a time."""
    await _owned(state, access.workspace_id, session_id)
    batch = await state.runtime.store.read_stream(agent_stream(session_id), after + 1, limit)
    items: list[EventOut] = [event_out(m) for m in batch]
    return EventsPage(items=items, next_after=items[-1].position if len(items) == limit else None)


@router.get(
    "/workspaces/{workspace_id}/sessions/{session_id}/stream",
    response_class=SessionStream,
    status_code=200,
    responses={
        200: {"content": {"text/event-stream": {"schema": SSE_FRAME}}, "description": "Server-sent events"},
        **{
            status: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
            for status in ERRORS
        },
    },
)
async def stream_session(
    session_id: SessionId,
    access: CanRead,
    state: State,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
    after: Annotated[int | None, Query(ge=-1, le=MAX_POSITION, description="start after this position")] = None,
    until: Annotated[
        Literal["never", "idle", "completed"],
        Query(description="close once the session waits for input (idle) or has ended (completed)"),
    ] = "never",
) -> SessionStream:
    """Live events as SSE: each event's id is its position; reconnect with `Last-Event-ID` to resume.

    Model tokens arrive as `chunk` events without an id (they are not stored); `: ping` comments
    keep the connection alive.
    """
    await _owned(state, access.workspace_id, session_id)
    start = after if after is not None else -1
    if last_event_id is not None:
        try:
            start = int(last_event_id)
        except ValueError as exc:
            raise ApiError(422, "Last-Event-ID must be an event position (an integer)") from exc
        if not -1 <= start <= MAX_POSITION:
            raise ApiError(422, f"Last-Event-ID must be between -1 and {MAX_POSITION}")
    return SessionStream(state, session_id, start, until)


@router.post("/workspaces/{workspace_id}/sessions/{session_id}/terminate", response_model=SessionStateOut)
async def terminate_session(
    session_id: SessionId, body: TerminateRequest, access: CanWrite, state: State
) -> SessionStateOut:
    """Ask the session to stop; it records `SessionCompleted(reason="terminated")`."""
    await _owned(state, access.workspace_id, session_id)
    view = await terminate(state.runtime, session_id, body.reason)
    await _written(state, view)
    return _state_out(view)


@router.post("/workspaces/{workspace_id}/sessions/{session_id}/fork", response_model=SessionStateOut, status_code=201)
async def fork_session(session_id: SessionId, body: ForkRequest, access: CanWrite, state: State) -> SessionStateOut:
    """Copy the session up to a position into a new session (optionally with another model)."""
    await _owned(state, access.workspace_id, session_id)
    new_id = await fork(state.runtime, session_id, body.at_position, model=body.model)
    view = await load_view(state.runtime, new_id)
    await _written(state, view)
    return _state_out(view)


@router.post("/workspaces/{workspace_id}/sessions/{session_id}/approve", response_model=SessionStateOut)
async def approve_call(
    session_id: SessionId, body: ApprovalDecision, access: CanWrite, state: State
) -> SessionStateOut:
    """Allow a tool call that awaits approval."""
    await _owned(state, access.workspace_id, session_id)
    view = await approve(
        state.runtime, session_id, body.tool_call_id, by=access.principal.user_id, comment=body.comment
    )
    await _written(state, view)
    return _state_out(view)


@router.post("/workspaces/{workspace_id}/sessions/{session_id}/deny", response_model=SessionStateOut)
async def deny_call(session_id: SessionId, body: ApprovalDecision, access: CanWrite, state: State) -> SessionStateOut:
    """Refuse a tool call that awaits approval; the model is told."""
    await _owned(state, access.workspace_id, session_id)
    view = await deny(state.runtime, session_id, body.tool_call_id, by=access.principal.user_id, comment=body.comment)
    await _written(state, view)
    return _state_out(view)
