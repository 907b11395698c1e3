"""Liveness, readiness and Prometheus metrics (no credentials: for orchestrators and scrapers)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from cortex.server._errors import ApiError
from cortex.server.routes._common import State

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """The process answers."""

    status: str


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Liveness: the process is up."""
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses={503: {"description": "The store is unreachable"}})
async def ready(state: State) -> Health:
    """Readiness: the event store and the app tables answer."""
    try:
        await state.runtime.store.stream_version("agent:v0:ready-probe")
        async with state.db.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure means: do not send traffic here
        raise ApiError(503, f"not ready: {type(exc).__name__}") from exc
    return Health(status="ready")


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(state: State) -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
