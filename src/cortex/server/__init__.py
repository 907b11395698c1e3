"""The HTTP API (DESIGN.md §11): FastAPI under `/api/v1`, plus `/health`, `/ready`, `/metrics`."""

from cortex.server.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
