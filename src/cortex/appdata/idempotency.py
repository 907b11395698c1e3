"""Idempotency records: the first response to a POST with an `Idempotency-Key`, kept for replays.

A key is claimed before the request runs (a unique row), so two concurrent requests with the same
key cannot both create something: the second sees the claim and is told to retry.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from cortex.appdata._ids import utcnow
from cortex.appdata._tables import idempotency_keys

__all__ = ["Claimed", "InProgress", "Mismatch", "Stored", "claim", "complete", "release"]


@dataclass(frozen=True)
class Claimed:
    """The key is new: run the request, then `complete` (or `release` on failure)."""


@dataclass(frozen=True)
class Stored:
    """The key was used before with the same request: answer this again."""

    status_code: int
    response: str


@dataclass(frozen=True)
class InProgress:
    """A request with this key is still running."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used before with a different request."""


async def claim(
    db: AsyncEngine, principal: str, key: str, request_hash: str
) -> Claimed | Stored | InProgress | Mismatch:
    """Claim a key for a request, or report what happened to it before."""
    try:
        async with db.begin() as conn:
            await conn.execute(
                idempotency_keys.insert().values(
                    principal=principal, key=key, request_hash=request_hash, created_at=utcnow()
                )
            )
        return Claimed()
    except sa.exc.IntegrityError:
        pass
    query = sa.select(idempotency_keys).where(idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
    async with db.connect() as conn:
        row = (await conn.execute(query)).first()
    if row is None:  # released between our insert and this read
        return InProgress()
    if row.request_hash != request_hash:
        return Mismatch()
    if row.status_code is None:
        return InProgress()
    return Stored(row.status_code, row.response or "")


async def complete(db: AsyncEngine, principal: str, key: str, status_code: int, response: str) -> None:
    """Keep the response of a claimed request."""
    async with db.begin() as conn:
        await conn.execute(
            idempotency_keys.update()
            .where(idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
            .values(status_code=status_code, response=response)
        )


async def release(db: AsyncEngine, principal: str, key: str) -> None:
    """Forget a claim whose request failed, so that a retry runs it."""
    async with db.begin() as conn:
        await conn.execute(
            idempotency_keys.delete().where(idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
        )
