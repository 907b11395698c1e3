"""The README's main command, through the real local model (SmolLM2 in llama.cpp), offline."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def cortex(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(cwd)),
        # No network and no key: the default model must be the bundled local one.
        "HF_HUB_OFFLINE": "1",
        "NO_PROXY": "*",
    }
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "cortex"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cortex_run_uses_the_calculator_and_answers_84(tmp_path: Path) -> None:
    result = cortex("run", "What is 12*7? Use the calculator.", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "84" in result.stdout
    assert "→ calculate(expression='12*7')" in result.stderr
    thread = result.stderr.strip().splitlines()[-1].removeprefix("thread ").strip()

    shown = cortex("show", thread, "--json", cwd=tmp_path)
    events = [json.loads(line) for line in shown.stdout.splitlines()]
    completed = [e for e in events if e["type"] == "ToolExecutionCompleted"]
    assert [(e["data"]["tool_name"], e["data"]["result"]) for e in completed] == [("calculate", 84)]
    assert events[0]["type"] == "SessionStarted" and (tmp_path / ".cortex" / "cortex.db").exists()

    replayed = cortex("replay", thread, "--check", cwd=tmp_path)
    assert replayed.returncode == 0 and "replay matches" in replayed.stdout, replayed.stderr
