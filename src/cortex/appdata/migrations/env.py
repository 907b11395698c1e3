"""Alembic environment: Cortex runs migrations in-process on a connection it passes in."""

from __future__ import annotations

from alembic import context

from cortex.appdata._tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run Cortex migrations with `cortex db migrate` (they need Cortex's connection)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
