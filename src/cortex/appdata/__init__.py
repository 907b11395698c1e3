"""App data (DESIGN.md §15): users, workspaces, keys, webhooks, idempotency, the sessions read model."""

from cortex.appdata._db import SCHEMA, migrate, open_app_db, sqlalchemy_url

__all__ = ["SCHEMA", "migrate", "open_app_db", "sqlalchemy_url"]
