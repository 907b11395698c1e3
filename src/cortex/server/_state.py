"""What the app's routes share: settings, the engine runtime, app tables, credentials, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from cortex.auth import TokenSigner
from cortex.config import Settings
from cortex.engine import Runtime
from cortex.server._chunks import ChunkBus
from cortex.server._metrics import Metrics
from cortex.server._ratelimit import RateLimiter
from cortex.server._signal import Signal

__all__ = ["AppState", "app_state"]


@dataclass
class AppState:
    """Dependencies of the HTTP layer (a bag, not an object that does the work)."""

    settings: Settings
    runtime: Runtime
    db: AsyncEngine
    signer: TokenSigner
    limiter: RateLimiter
    chunks: ChunkBus
    metrics: Metrics
    written: Signal = field(default_factory=Signal)
    """Notified whenever events may have been written (here, or by another process via NOTIFY)."""
    sse_heartbeat_s: float = 15.0
    sse_poll_s: float = 1.0
    token_users: dict[str, tuple[float, Any]] = field(default_factory=dict)
    """Users confirmed for access tokens recently: user id → (valid until, principal)."""
    webhook_poll_s: float = 0.25
    """How often due webhook deliveries are looked for."""


def app_state(request: Request) -> AppState:
    """The state of the app serving this request."""
    state: AppState = request.app.state.cortex
    return state
