"""The FastAPI app factory: `create_app()` for `cortex serve`, tests and embedding."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI

from cortex.agents import AgentRegistry
from cortex.appdata import migrate, open_app_db
from cortex.auth import TokenSigner
from cortex.config import Settings, get_settings
from cortex.engine import Runtime
from cortex.exceptions import ConfigurationError
from cortex.projections import Recorded
from cortex.server._background import start_background
from cortex.server._chunks import ChunkBus, LocalChunkBus, RedisChunkBus
from cortex.server._errors import install_error_handlers
from cortex.server._metrics import Metrics
from cortex.server._middleware import BodyLimit, Idempotency, RequestMetrics
from cortex.server._ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from cortex.server._state import AppState
from cortex.server.routes import agents, auth, keys, ops, sessions, webhooks, workspaces

__all__ = ["create_app", "jwt_secret"]

API_PREFIX = "/api/v1"


def jwt_secret(settings: Settings) -> str:
    """The token-signing secret: configured, or in development one kept in the data directory.

    Raises:
        ConfigurationError: production mode without `CORTEX_JWT_SECRET`.
    """
    if settings.jwt_secret is not None:
        value = settings.jwt_secret.get_secret_value()
        if len(value) < 32:
            raise ConfigurationError("CORTEX_JWT_SECRET: use at least 32 characters")
        return value
    if settings.env == "production":
        raise ConfigurationError("CORTEX_JWT_SECRET is required when CORTEX_ENV=production")
    path = Path(settings.data_dir) / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(
    settings: Settings | None = None,
    *,
    agents_registry: AgentRegistry | None = None,
    worker: bool | None = None,
) -> FastAPI:
    """Build the app; stores, tables and background tasks open when it starts (lifespan).

    Args:
        settings: configuration (default: from the environment).
        agents_registry: the agents to serve (default: `CORTEX_AGENTS_MODULE` or the built-in one).
        worker: run sessions in this process; default: yes with SQLite, no with PostgreSQL.
    """
    settings = settings or get_settings()
    signer = TokenSigner(jwt_secret(settings))
    metrics = Metrics.create()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.from_settings(settings, agents=agents_registry)
        db = open_app_db(settings.resolved_database_url)
        limiter: RateLimiter
        chunks: ChunkBus
        if settings.redis_url:
            limiter, chunks = RedisRateLimiter(settings.redis_url), RedisChunkBus(settings.redis_url)
        else:
            limiter, chunks = MemoryRateLimiter(), LocalChunkBus()
        state = AppState(settings, runtime, db, signer, limiter, chunks, metrics)
        app.state.cortex = state

        def on_recorded(thread_id: str, recorded: Recorded) -> None:
            metrics.observe_event(thread_id, recorded)
            state.written.notify(thread_id)

        runtime.on_recorded = on_recorded
        runtime.on_text = chunks.publish
        try:
            await migrate(db)
            run_worker = worker if worker is not None else not settings.resolved_database_url.startswith("postgres")
            async with anyio.create_task_group() as group:
                start_background(state, group, worker=run_worker)
                try:
                    yield
                finally:
                    group.cancel_scope.cancel()
        finally:
            for closable in (limiter, chunks):
                close = getattr(closable, "close", None)
                if close is not None:
                    await close()
            await db.dispose()
            await runtime.close()

    app = FastAPI(
        title="Cortex",
        version="0.1.0",
        description="Durable LLM agents over HTTP: every step of every session is a stored event.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (auth, workspaces, agents, sessions, keys, webhooks):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(ops.router)

    # Outermost first: metrics see every answer; the limit guards the body before anything reads it.
    app.add_middleware(Idempotency)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=metrics)
    return app
