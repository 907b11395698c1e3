"""API keys of a workspace: created (shown once), looked up by prefix, revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from cortex.appdata._ids import new_id, utcnow
from cortex.appdata._tables import api_keys
from cortex.auth import new_api_key, secret_matches, split_api_key

__all__ = ["ApiKey", "authenticate_key", "create_key", "list_keys", "revoke_key"]


@dataclass(frozen=True)
class ApiKey:
    """A key's record (never its secret)."""

    id: str
    prefix: str
    name: str
    user_id: str
    workspace_id: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def _key(row: sa.Row[tuple[object, ...]]) -> ApiKey:
    m = row._mapping
    return ApiKey(
        m["id"],
        m["prefix"],
        m["name"],
        m["user_id"],
        m["workspace_id"],
        frozenset(m["scopes"]),
        m["created_at"],
        m["expires_at"],
        m["revoked_at"],
    )


async def create_key(
    db: AsyncEngine,
    *,
    user_id: str,
    workspace_id: str,
    name: str,
    scopes: frozenset[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns its record and the token, which is not stored and cannot be shown again."""
    made = new_api_key()
    record = ApiKey(new_id(), made.prefix, name, user_id, workspace_id, scopes, utcnow(), expires_at, None)
    async with db.begin() as conn:
        await conn.execute(
            api_keys.insert().values(
                id=record.id,
                prefix=made.prefix,
                secret_hash=made.secret_hash,
                user_id=user_id,
                workspace_id=workspace_id,
                name=name,
                scopes=sorted(scopes),
                created_at=record.created_at,
                expires_at=expires_at,
            )
        )
    return record, made.token


async def authenticate_key(db: AsyncEngine, token: str) -> ApiKey | None:
    """The key a token belongs to, if it is well formed, matches, and is neither revoked nor expired."""
    parts = split_api_key(token)
    if parts is None:
        return None
    prefix, secret = parts
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(api_keys).where(api_keys.c.prefix == prefix))).first()
    if row is None or not secret_matches(secret, row.secret_hash):
        return None
    key = _key(row)
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= utcnow()):
        return None
    return key


async def list_keys(db: AsyncEngine, workspace_id: str) -> list[ApiKey]:
    """The workspace's keys, newest first."""
    query = sa.select(api_keys).where(api_keys.c.workspace_id == workspace_id).order_by(api_keys.c.created_at.desc())
    async with db.connect() as conn:
        return [_key(r) for r in (await conn.execute(query)).all()]


async def revoke_key(db: AsyncEngine, workspace_id: str, key_id: str) -> ApiKey | None:
    """Revoke a key of the workspace (idempotent); None when there is no such key."""
    async with db.begin() as conn:
        await conn.execute(
            api_keys.update()
            .where(api_keys.c.id == key_id, api_keys.c.workspace_id == workspace_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        row = (
            await conn.execute(
                sa.select(api_keys).where(api_keys.c.id == key_id, api_keys.c.workspace_id == workspace_id)
            )
        ).first()
    return _key(row) if row else None
