"""Live streaming over a real socket: resume with Last-Event-ID, token chunks, the client's iterator."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest

from cortex.client import AsyncClient
from tests.server.conftest import PASSWORD, LiveServer, create_user_in

pytestmark = pytest.mark.anyio


async def logged_in(server: LiveServer) -> tuple[AsyncClient, str]:
    email, password = await create_user_in(server.settings.resolved_database_url)
    client = AsyncClient(server.url)
    await client.login(email, password)
    workspace = await client.create_workspace("sse")
    return client, workspace.id


async def read_ids(response: httpx.Response, limit: int | None = None) -> list[int]:
    ids: list[int] = []
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            ids.append(int(line[4:]))
            if limit is not None and len(ids) == limit:
                break
    return ids


async def test_reconnecting_with_last_event_id_continues_with_no_gap_and_no_duplicate(live_server: LiveServer) -> None:
    client, ws = await logged_in(live_server)
    async with client:
        session = await client.create_session(ws, "6*7", agent="calc")
        stored = [item.event async for item in client.stream(ws, session.id, until="idle") if item.event]
        assert [e.type for e in stored][-1] == "LLMResponseReceived"
        positions = [e.position for e in stored]
        assert positions == list(range(len(stored)))
        headers = {"Authorization": client._headers()["Authorization"]}
        url = f"{live_server.url}/api/v1/workspaces/{ws}/sessions/{session.id}/stream"
        async with httpx.AsyncClient(timeout=10) as http:
            for k in range(1, len(stored)):
                async with http.stream("GET", url, headers=headers, params={"until": "idle"}) as first:
                    head = await read_ids(first, limit=k)  # then disconnect mid-stream
                resume = {**headers, "Last-Event-ID": str(head[-1])}
                async with http.stream("GET", url, headers=resume, params={"until": "idle"}) as second:
                    tail = await read_ids(second)
                assert head + tail == positions, k
        page = await client.events(ws, session.id, limit=1000)
        assert [e.position for e in page.items] == positions
        assert [e.model_dump() for e in page.items] == [e.model_dump() for e in stored]


async def test_model_tokens_arrive_as_chunks_before_the_stored_response(live_server: LiveServer) -> None:
    client, ws = await logged_in(live_server)
    async with client:
        session = await client.create_session(ws, "warm up", agent="echo")
        chunks: list[str] = []
        answers = 0
        with anyio.fail_after(20):
            async for item in client.stream(ws, session.id):
                if item.chunk is not None:
                    chunks.append(item.chunk)
                elif item.event and item.event.type == "LLMResponseReceived":
                    answers += 1
                    if answers == 1:  # subscribed for sure now: ask something whose tokens we watch
                        chunks.clear()
                        await client.send_message(ws, session.id, "one two three")
                    else:
                        assert item.event.data["text"] == "one two three"
                        break
        assert chunks == ["one", " two", " three"]


async def test_a_bad_last_event_id_is_a_clear_error(live_server: LiveServer) -> None:
    client, ws = await logged_in(live_server)
    async with client:
        session = await client.create_session(ws, "1+1", agent="calc")
        url = f"{live_server.url}/api/v1/workspaces/{ws}/sessions/{session.id}/stream"
        headers = {"Authorization": client._headers()["Authorization"], "Last-Event-ID": "yesterday"}
        async with httpx.AsyncClient() as http:
            answer = await http.get(url, headers=headers)
        assert answer.status_code == 422
        assert "Last-Event-ID" in json.loads(answer.text)["error"]["message"]


def test_the_sync_client_streams_too(live_server: LiveServer) -> None:
    from cortex.client import Client

    email, password = anyio.run(create_user_in, live_server.settings.resolved_database_url)
    with Client(live_server.url) as client:
        client.login(email, password)
        ws = client.create_workspace("sync").id
        session = client.create_session(ws, "3*3", agent="calc")
        types = [item.event.type for item in client.stream(ws, session.id, until="idle") if item.event]
        assert types[-1] == "LLMResponseReceived"
        assert client.session(ws, session.id).last_answer == "The answer is 9."
    assert password == PASSWORD


async def test_an_idle_stream_sends_heartbeats_and_is_cleaned_up_when_the_client_leaves(
    live_server: LiveServer,
) -> None:
    client, ws = await logged_in(live_server)
    state = live_server.app.state.cortex
    state.sse_heartbeat_s = 0.05
    async with client:
        session = await client.create_session(ws, "2+2", agent="calc")
        url = f"{live_server.url}/api/v1/workspaces/{ws}/sessions/{session.id}/stream"
        headers = {"Authorization": client._headers()["Authorization"]}
        async with httpx.AsyncClient(timeout=10) as http:
            async with http.stream("GET", url, headers=headers) as response:
                pings = 0
                async for line in response.aiter_lines():
                    pings += line == ": ping"
                    if pings == 3:
                        break
                assert session.id in state.chunks._subscribers
        # The server (another thread's loop: no event to await) notices the disconnect and unsubscribes.
        for _ in range(500):
            if session.id not in state.chunks._subscribers:
                break
            await anyio.sleep(0.02)
        assert session.id not in state.chunks._subscribers
