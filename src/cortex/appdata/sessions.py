"""The `sessions` read model: one row per session for listing and filtering.

Derived data (DESIGN.md §15): rows are computed from a session's projected view by a pure
function and upserted; `rebuild` recreates them all from the streams. Never the source of truth.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cortex.appdata._ids import utcnow
from cortex.appdata._tables import sessions
from cortex.exceptions import UserError
from cortex.projections import ThreadView

__all__ = [
    "SessionRow",
    "SessionsPage",
    "clear_sessions",
    "count_sessions",
    "get_session_row",
    "list_sessions",
    "row_of",
    "upsert_sessions",
]


@dataclass(frozen=True)
class SessionRow:
    """A session as listed."""

    thread_id: str
    workspace_id: str | None
    agent: str
    status: str
    parent_thread_id: str | None
    user_messages: int
    llm_calls: int
    tool_calls: int
    input_tokens: int
    output_tokens: int
    version: int
    created_at: datetime
    last_activity: datetime | None


@dataclass(frozen=True)
class SessionsPage:
    """One page of a listing; `next_cursor` fetches the next (None at the end)."""

    items: list[SessionRow]
    next_cursor: str | None


def row_of(view: ThreadView) -> dict[str, Any]:
    """The read-model row of a session (pure)."""
    state = view.state
    return {
        "thread_id": state.thread_id,
        "workspace_id": state.workspace,
        "agent": state.agent,
        "status": state.status,
        "parent_thread_id": state.parent_thread_id,
        "user_messages": state.user_messages,
        "llm_calls": state.llm_calls,
        "tool_calls": state.tool_calls_completed + state.tool_calls_failed,
        "input_tokens": view.usage.input_tokens,
        "output_tokens": view.usage.output_tokens,
        "version": state.version,
        "created_at": state.started_at or utcnow(),
        "last_activity": state.last_activity,
    }


async def upsert_sessions(db: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    """Insert or update rows; an older version never overwrites a newer one (workers race)."""
    if not rows:
        return
    async with db.begin() as conn:
        for row in rows:
            await _upsert(conn, row)


async def _upsert(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """One atomic statement (`ON CONFLICT … DO UPDATE … WHERE newer`): the API and the projector race."""
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(sessions).values(**row)
    changes = {k: statement.excluded[k] for k in row if k not in ("thread_id", "created_at")}
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[sessions.c.thread_id],
            set_=changes,
            where=sessions.c.version <= statement.excluded.version,
        )
    )


def _row(r: sa.Row[tuple[object, ...]]) -> SessionRow:
    m = r._mapping
    return SessionRow(**{name: m[name] for name in SessionRow.__dataclass_fields__})


async def get_session_row(db: AsyncEngine, thread_id: str) -> SessionRow | None:
    """A session's row, if the read model has it."""
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(sessions).where(sessions.c.thread_id == thread_id))).first()
    return _row(row) if row else None


def _encode_cursor(row: SessionRow) -> str:
    raw = json.dumps([row.created_at.isoformat(), row.thread_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, thread_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created), str(thread_id)
    except (ValueError, TypeError) as exc:
        raise UserError("invalid cursor; use the next_cursor of a previous page") from exc


async def list_sessions(
    db: AsyncEngine,
    workspace_id: str,
    *,
    status: str | None = None,
    agent: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> SessionsPage:
    """Sessions of a workspace, newest first, filtered, one page at a time (keyset pagination)."""
    query = sa.select(sessions).where(sessions.c.workspace_id == workspace_id)
    if status:
        query = query.where(sessions.c.status == status)
    if agent:
        query = query.where(sessions.c.agent == agent)
    if cursor:
        created, thread_id = _decode_cursor(cursor)
        query = query.where(
            sa.or_(
                sessions.c.created_at < created,
                sa.and_(sessions.c.created_at == created, sessions.c.thread_id < thread_id),
            )
        )
    query = query.order_by(sessions.c.created_at.desc(), sessions.c.thread_id.desc()).limit(limit + 1)
    async with db.connect() as conn:
        rows = [_row(r) for r in (await conn.execute(query)).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    return SessionsPage(rows, _encode_cursor(rows[-1]) if more and rows else None)


async def clear_sessions(db: AsyncEngine) -> None:
    """Delete every row (before a rebuild)."""
    async with db.begin() as conn:
        await conn.execute(sessions.delete())


async def count_sessions(db: AsyncEngine) -> int:
    """How many sessions the read model holds."""
    async with db.connect() as conn:
        value = await conn.scalar(sa.select(sa.func.count()).select_from(sessions))
    return int(value or 0)
