from __future__ import annotations

import anyio
import pytest

from tests.server.conftest import Api

pytestmark = pytest.mark.anyio


async def test_a_session_over_http_is_answered_by_the_in_process_worker(api: Api) -> None:
    owner = await api.user()
    ws = await api.workspace(owner)
    created = await api.client.post(
        f"/api/v1/workspaces/{ws}/sessions", json={"agent": "calc", "message": "12*7"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    with anyio.fail_after(10):
        while True:
            state = (await api.client.get(f"/api/v1/workspaces/{ws}/sessions/{sid}", headers=owner.headers)).json()
            if state["status"] == "idle":
                break
            await anyio.sleep(0.05)
    assert state["last_answer"] == "The answer is 84."
