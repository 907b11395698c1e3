"""Real `cortex serve` / `cortex worker` processes on a PostgreSQL database of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from tests.conftest import TEST_DATABASE_URL, service_missing
from tests.server.conftest import SECRET, free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def fresh_message_db() -> Iterator[str]:
    """A new database with Message DB installed (a worker there sees only this test's sessions)."""
    base = TEST_DATABASE_URL.rsplit("/", 1)[0]
    name = f"cortex_e2e_{uuid.uuid4().hex[:10]}"
    url = f"{base}/{name}"
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-message-db.sh"), url], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or "installed" not in done.stdout + done.stderr:
        service_missing(f"cannot install Message DB into {name}: {done.stderr.strip()[-300:]}")
    try:
        yield url
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cortex_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CORTEX_DATABASE_URL": database_url,
        "CORTEX_DATA_DIR": str(data_dir),
        "CORTEX_AGENTS_MODULE": "tests.server.agents:agents",
        "CORTEX_JWT_SECRET": SECRET,
        "CORTEX_RATE_LIMIT_PER_MINUTE": "1000000",
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra)
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cortex", *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )


def serve(env: dict[str, str], log: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = start(["serve", "--port", str(port), *extra], env, log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"cortex serve did not become ready:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
