"""Opening the app database and bringing its schema up to date (Alembic, run in-process).

The app tables live in the same database as the events: the SQLite file, or PostgreSQL's
`cortex` schema beside Message DB's `message_store`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from cortex.exceptions import ConfigurationError, StoreUnavailableError
from cortex.store import sqlite_path

__all__ = ["SCHEMA", "migrate", "open_app_db", "sqlalchemy_url"]

SCHEMA = "cortex"
_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x636F7274  # advisory lock id: one migrating process at a time on PostgreSQL


def sqlalchemy_url(database_url: str) -> str:
    """The SQLAlchemy async URL of a Cortex database URL."""
    if database_url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + database_url.removeprefix("sqlite://")
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if database_url.startswith("memory://"):
        return "sqlite+aiosqlite://"
    raise ConfigurationError(f"CORTEX_DATABASE_URL: no app database for {database_url.split(':', 1)[0]!r} URLs")


def open_app_db(database_url: str) -> AsyncEngine:
    """An async engine on the app tables (not yet migrated: call `migrate`)."""
    url = sqlalchemy_url(database_url)
    kwargs: dict[str, Any] = {}
    if url.startswith("postgresql"):
        kwargs["connect_args"] = {"options": f"-c search_path={SCHEMA}"}
        kwargs["pool_size"] = 10
    elif url == "sqlite+aiosqlite://":
        kwargs["poolclass"] = StaticPool
    else:
        # Waits for another connection's write lock instead of failing at once.
        kwargs["connect_args"] = {"timeout": 30}
        sqlite_path(database_url).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK})
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Create or upgrade the app tables to the newest schema (safe to run concurrently).

    Raises:
        StoreUnavailableError: the database cannot be reached.
    """
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)
    except (OSError, sa.exc.OperationalError) as exc:
        raise StoreUnavailableError(f"cannot prepare the app tables: {str(exc).splitlines()[0]}") from exc
