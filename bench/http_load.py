"""HTTP load: N concurrent clients each running sessions of 3 turns against `cortex serve`.

A turn is a POST (create or message) followed by the session's SSE stream until the answer is
stored; its latency is measured from the POST to that event. The model answers instantly, so the
figures are Cortex's: HTTP, auth, event writes, the worker, the read model, SSE.

    uv run python bench/http_load.py [--clients 50] [--sessions 2] [--only sqlite|messagedb]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import anyio
import httpx

from cortex.client import AsyncClient

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("CORTEX_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cortex_bench")
TURNS = 3


def start_server(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CORTEX_DATABASE_URL": database_url,
        "CORTEX_DATA_DIR": str(data_dir),
        "CORTEX_AGENTS_MODULE": "bench.http_agents:agents",
        "CORTEX_RATE_LIMIT_PER_MINUTE": "100000000",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "cortex", "serve", "--port", str(port), "--worker"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"cortex serve did not start on {database_url}")


def create_user(database_url: str, data_dir: Path) -> tuple[str, str]:
    email, password = f"bench{uuid.uuid4().hex[:8]}@example.com", "bench-password"
    env = {**os.environ, "CORTEX_DATABASE_URL": database_url, "CORTEX_DATA_DIR": str(data_dir)}
    subprocess.run(
        [sys.executable, "-m", "cortex", "users", "create", email, "--password", password],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return email, password


async def one_client(client: AsyncClient, workspace: str, sessions: int, latencies: list[float]) -> None:
    for _ in range(sessions):
        session_id, seen = "", -1
        for turn in range(TURNS):
            start = time.perf_counter()
            if turn == 0:
                state = await client.create_session(workspace, "hello", agent="bench")
                session_id = state.id
            else:
                await client.send_message(workspace, session_id, f"turn {turn}")
            async for item in client.stream(workspace, session_id, last_event_id=seen, until="idle"):
                if item.event is not None:
                    seen = item.event.position
            latencies.append(time.perf_counter() - start)


async def run(database_url: str, clients: int, sessions: int) -> tuple[float, float, float, float]:
    data_dir = Path(tempfile.mkdtemp())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    email, password = create_user(database_url, data_dir)
    server = start_server(database_url, data_dir, port)
    try:
        url = f"http://127.0.0.1:{port}"
        async with AsyncClient(url, timeout=120) as admin:
            await admin.login(email, password)
            workspace = (await admin.create_workspace("bench")).id
            latencies: list[float] = []
            connections = [AsyncClient(url, timeout=120) for _ in range(clients)]
            for connection in connections:
                await connection.login(email, password)
            start = time.perf_counter()
            async with anyio.create_task_group() as group:
                for connection in connections:
                    group.start_soon(one_client, connection, workspace, sessions, latencies)
            elapsed = time.perf_counter() - start
            for connection in connections:
                await connection.aclose()
    finally:
        server.terminate()
        server.wait(timeout=30)
    quantiles = statistics.quantiles(latencies, n=100)
    total_sessions = clients * sessions
    return total_sessions / elapsed, len(latencies) / elapsed, statistics.median(latencies), quantiles[98]


def main() -> None:
    parser = argparse.ArgumentParser(description="Sessions and turns per second through the HTTP API.")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=2, help="sessions per client")
    parser.add_argument("--only", choices=["sqlite", "messagedb"])
    args = parser.parse_args()
    backends = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/cortex.db", "messagedb": PG_URL}
    print(f"{args.clients} clients x {args.sessions} sessions x {TURNS} turns, zero-latency model")
    print(f"{'backend':<10} {'sessions/s':>10} {'turns/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for backend, url in backends.items():
        if args.only and backend != args.only:
            continue
        if backend == "messagedb":
            subprocess.run([str(ROOT / "scripts" / "install-message-db.sh"), url], check=True, capture_output=True)
        sessions_s, turns_s, p50, p99 = anyio.run(run, url, args.clients, args.sessions)
        print(f"{backend:<10} {sessions_s:>10.1f} {turns_s:>8.1f} {p50 * 1000:>7.0f} {p99 * 1000:>7.0f}")


if __name__ == "__main__":
    main()
