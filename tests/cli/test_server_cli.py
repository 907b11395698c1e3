"""`cortex users create`, `cortex db migrate`, `cortex projections rebuild`."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from cortex.appdata import accounts, open_app_db
from cortex.appdata.sessions import clear_sessions, count_sessions, list_sessions
from cortex.config import Settings
from cortex.engine import Runtime, start_session
from tests.cli.test_cli import run
from tests.server.agents import agents


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CORTEX_DATABASE_URL", url)
    monkeypatch.setenv("CORTEX_DATA_DIR", str(tmp_path))
    return url


def test_users_create_makes_an_admin_who_can_log_in_and_refuses_a_duplicate(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["users", "create", "Root@Example.com", "--password", "s3cret-pass", "--admin", "--workspace", "ops"], capsys
    )
    assert code == 0 and "created user root@example.com" in out and "as admin" in out and "workspace 'ops'" in out

    async def check() -> None:
        engine = open_app_db(db)
        user = await accounts.find_user_by_email(engine, "root@example.com")
        assert user is not None and user.is_admin
        assert [role for _, role in await accounts.workspaces_of(engine, user.id)] == ["owner"]
        await engine.dispose()

    anyio.run(check)
    code, _, err = run(["users", "create", "root@example.com", "--password", "another-pass"], capsys)
    assert code == 2 and err.strip() == "error: a user with email root@example.com exists already"
    code, _, err = run(["users", "create", "x@example.com", "--password", "short"], capsys)
    assert code == 2 and "at least 8 characters" in err


def test_db_migrate_is_idempotent(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        code, out, _ = run(["db", "migrate"], capsys)
        assert code == 0 and "up to date" in out


def test_projections_rebuild_recreates_the_sessions_read_model_from_the_streams(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORTEX_AGENTS_MODULE", "tests.server.agents:agents")

    async def seed() -> list[str]:
        runtime = await Runtime.from_settings(Settings(database_url=db), agents=agents())
        ids = [await start_session(runtime, "calc", f"{n}+{n}", workspace="w1") for n in range(3)]
        ids.append(await start_session(runtime, "calc", "no workspace"))
        await runtime.close()
        return ids

    ids = anyio.run(seed)
    assert run(["db", "migrate"], capsys)[0] == 0
    code, out, _ = run(["projections", "rebuild"], capsys)
    assert code == 0 and "4 sessions" in out

    async def check() -> None:
        engine = open_app_db(db)
        page = await list_sessions(engine, "w1")
        assert sorted(r.thread_id for r in page.items) == sorted(ids[:3])
        assert {r.status for r in page.items} == {"active"} and {r.user_messages for r in page.items} == {1}
        await clear_sessions(engine)
        assert await count_sessions(engine) == 0
        await engine.dispose()

    anyio.run(check)
    code, out, _ = run(["projections", "rebuild"], capsys)  # again, from nothing: same rows
    assert code == 0 and "4 sessions" in out
