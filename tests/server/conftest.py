"""Fixtures: the real app (lifespan, migrations, background tasks) on a real SQLite file or PostgreSQL.

`api` talks to the app in-process through httpx's ASGI transport; `live_server` runs it under
uvicorn on a free port (SSE needs a real socket: the ASGI transport buffers whole responses).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from cortex.appdata import accounts, migrate, open_app_db
from cortex.config import Settings
from cortex.server import create_app
from tests.server.agents import agents

pytestmark = pytest.mark.anyio
SECRET = "test-secret-" + "x" * 32
PASSWORD = "correct horse battery"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'cortex.db'}",
        "jwt_secret": SECRET,
        "rate_limit_per_minute": 100_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class User:
    id: str
    email: str
    headers: dict[str, str]


@dataclass
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    settings: Settings

    async def user(self, *, admin: bool = False) -> User:
        """A new user, logged in."""
        email = f"u{uuid.uuid4().hex[:10]}@example.com"
        db = self.app.state.cortex.db
        made = await accounts.create_user(db, email, PASSWORD, admin=admin)
        answer = await self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return User(made.id, email, {"Authorization": f"Bearer {answer.json()['access_token']}"})

    async def workspace(self, owner: User, name: str = "team") -> str:
        answer = await self.client.post("/api/v1/workspaces", json={"name": name}, headers=owner.headers)
        assert answer.status_code == 201, answer.text
        workspace_id: str = answer.json()["id"]
        return workspace_id


@asynccontextmanager
async def running_api(settings: Settings, **kwargs: object) -> AsyncIterator[Api]:
    app = create_app(settings, agents_registry=agents(), **kwargs)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cortex.test") as client:
            yield Api(client, app, settings)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(make_settings(tmp_path)) as running:
        yield running


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    settings: Settings
    app: FastAPI


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app under uvicorn in a thread (its own event loop), with the test agents."""
    settings = make_settings(tmp_path)
    port = free_port()
    app = create_app(settings, agents_registry=agents())
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", settings, app)
    server.should_exit = True
    thread.join(timeout=10)


async def create_user_in(database_url: str, *, admin: bool = False) -> tuple[str, str]:
    """A user made straight in the app tables (what `cortex users create` does): (email, password)."""
    db = open_app_db(database_url)
    try:
        await migrate(db)
        email = f"u{uuid.uuid4().hex[:10]}@example.com"
        await accounts.create_user(db, email, PASSWORD, admin=admin)
        return email, PASSWORD
    finally:
        await db.dispose()
