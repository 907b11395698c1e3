"""End to end: `cortex serve --no-worker` and two `cortex worker` processes on PostgreSQL.

20 sessions are created and streamed over SSE through the client; one worker is killed mid-run
and restarted, and every session still completes exactly once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import anyio
import pytest

from cortex.client import AsyncClient
from tests.server.conftest import create_user_in
from tests.server.processes import cortex_env, fresh_message_db, serve, start, stop

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.integration]
SESSIONS = 20


async def test_serve_and_two_workers_finish_every_session_exactly_once_despite_a_killed_worker(tmp_path: Path) -> None:
    with fresh_message_db() as database_url:
        env = cortex_env(database_url, tmp_path)
        log = tmp_path / "processes.log"
        server, url = serve(env, log, "--no-worker")
        # Two sessions at a time per worker: each takes half a second of tool time, so the kill after
        # the first answer surely finds sessions still running.
        worker = ["worker", "--size", "2", "--concurrency", "2", "--member"]
        workers = [start([*worker, str(i)], env, log) for i in (0, 1)]
        restarted = None
        try:
            email, password = await create_user_in(database_url)
            async with AsyncClient(url, timeout=60) as client:
                await client.login(email, password)
                ws = (await client.create_workspace("e2e")).id
                created = [
                    await client.create_session(ws, f"compute {n}*{n}", agent="slow-calc") for n in range(SESSIONS)
                ]
                answers: dict[str, str] = {}
                first_answer, all_answered = anyio.Event(), anyio.Event()

                async def follow(session_id: str) -> None:
                    async for item in client.stream(ws, session_id, until="idle"):
                        if item.event and item.event.type == "LLMResponseReceived" and item.event.data["text"]:
                            answers[session_id] = item.event.data["text"]
                            first_answer.set()
                            if len(answers) == SESSIONS:
                                all_answered.set()

                async with anyio.create_task_group() as group:
                    for session in created:
                        group.start_soon(follow, session.id)
                    # Kill member 0 as soon as some session is answered (others are mid-run), then restart it.
                    with anyio.fail_after(60):
                        await first_answer.wait()
                    stop(workers[0], kill=True)
                    assert len(answers) < SESSIONS, "the kill must happen mid-run"
                    restarted = start([*worker, "0"], env, log)
                    with anyio.fail_after(120):
                        await all_answered.wait()
                for n, session in enumerate(created):
                    assert answers[session.id] == f"The answer is {n * n}.", log.read_text()[-2000:]
                    events = (await client.events(ws, session.id, limit=1000)).items
                    assert [e.position for e in events] == list(range(len(events)))
                    finals = [e for e in events if e.type == "LLMResponseReceived" and not e.data["tool_calls"]]
                    assert len(finals) == 1, [e.type for e in events]
                    results = Counter(
                        e.data["tool_call_id"]
                        for e in events
                        if e.type in ("ToolExecutionCompleted", "ToolExecutionFailed")
                    )
                    assert results and set(results.values()) == {1}, results
                    state = await client.session(ws, session.id)
                    assert state.status == "idle" and state.tool_calls_completed == 1
                listed = await client.sessions(ws, limit=200)
                assert len(listed.items) == SESSIONS
        finally:
            for process in [server, *workers, *([restarted] if restarted else [])]:
                stop(process)
