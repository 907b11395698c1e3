"""The HTTP API (DESIGN.md §11): FastAPI under `/api/v1`, plus `/health`, `/ready`, `/metrics`."""

from cortex.server._background import update_sessions
from cortex.server._chunks import ChunkBus, LocalChunkBus, RedisChunkBus
from cortex.server.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "ChunkBus", "LocalChunkBus", "RedisChunkBus", "create_app", "update_sessions"]
