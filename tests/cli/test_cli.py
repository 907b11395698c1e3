"""The `cortex` CLI: exit codes 0/1/2, one-line errors, events written and shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cortex
from cortex.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CORTEX_DATABASE_URL", url)
    return url


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"cortex {cortex.__version__}"


def test_db_init_append_show_and_tail(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["db", "init"], capsys)[0] == 0
    code, out, _ = run(["events", "append", "demo:v0-1", "UserMessageAdded", '{"message": "héllo"}'], capsys)
    assert code == 0 and "position 0" in out
    run(["events", "append", "demo:v0-1", "LLMResponseReceived", '{"text": "hi"}', "--expected-version", "0"], capsys)
    code, out, _ = run(["events", "show", "demo:v0-1", "--json"], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [(r["position"], r["type"]) for r in rows] == [(0, "UserMessageAdded"), (1, "LLMResponseReceived")]
    assert rows[0]["data"] == {"message": "héllo"}
    code, out, _ = run(["events", "show", "demo:v0-1"], capsys)
    assert code == 0 and "UserMessageAdded" in out and "LLMResponseRecei" in out
    code, out, _ = run(["events", "tail", "demo:v0", "--no-follow", "--json"], capsys)
    assert code == 0 and [json.loads(line)["type"] for line in out.splitlines()] == [
        "UserMessageAdded",
        "LLMResponseReceived",
    ]


def test_runtime_failure_is_one_line_and_exit_1(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(["events", "append", "demo:v0-2", "A", "{}"], capsys)
    code, _, err = run(["events", "append", "demo:v0-2", "B", "{}", "--expected-version", "-1"], capsys)
    assert code == 1
    assert err.strip() == "error: Wrong expected version: -1 (Stream: demo:v0-2, Stream Version: 0)"
    code, _, err = run(["events", "show", "demo:v0-missing"], capsys)
    assert code == 1 and "has no events" in err


def test_usage_errors_exit_2(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["events", "append", "demo:v0-3", "A", "[1, 2]"], capsys)
    assert code == 2 and "must be a JSON object" in err
    code, _, err = run(["events", "append", "demo:v0-3", "A", "{nope"], capsys)
    assert code == 2 and "not JSON" in err
    code, _, err = run(["events", "show", "just_a_category"], capsys)
    assert code == 2 and err.count("\n") == 1 and "not a category" in err
    code, _, _ = run(["events", "frobnicate"], capsys)
    assert code == 2


def test_bad_database_url_names_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cortex", "db", "init"],
        env={"CORTEX_DATABASE_URL": "mysql://nope", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: CORTEX_DATABASE_URL:")
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cortex", "--debug", "events", "show", "x:v0-1"],
        env={"CORTEX_DATABASE_URL": "mysql://nope", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_start_then_a_worker_runs_the_session(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORTEX_DATA_DIR", str(tmp_path / "data"))
    code, out, _ = run(["start", "--model", "test", "hello"], capsys)
    assert code == 0
    thread = out.strip()
    code, _, err = run(["worker", "--once", "--member", "0", "--size", "1"], capsys)
    assert code == 0 and "member 0 of 1" in err
    code, out, _ = run(["show", thread, "--json"], capsys)
    types = [json.loads(line)["type"] for line in out.splitlines()]
    assert types[-2:] == ["LLMCallRequested", "LLMResponseReceived"]
    code, _, err = run(["worker", "--member", "3", "--size", "2"], capsys)
    assert code == 2 and "--member must be in 0..1" in err
    code, _, err = run(["continue", "no-such-thread"], capsys)
    assert code == 2 and "no session 'no-such-thread'" in err


def cortex_cli(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cortex", *args],
        input=stdin,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "CORTEX_MODEL": "test"},
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )


def test_chat_replay_and_fork_from_the_command_line(tmp_path: Path) -> None:
    chat = cortex_cli("chat", cwd=tmp_path, stdin="hello\nand again\n\n")
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.count("assistant>") == 2
    thread = chat.stderr.split("thread ", 1)[1].split()[0]

    at_first = cortex_cli("replay", thread, "--until", "1", cwd=tmp_path)
    assert at_first.returncode == 0 and "events 2" in at_first.stdout
    checked = cortex_cli("replay", thread, "--check", cwd=tmp_path)
    assert checked.returncode == 0 and "replay matches" in checked.stdout

    forked = cortex_cli("fork", thread, "--at", "1", "--message", "a different question", cwd=tmp_path)
    assert forked.returncode == 0, forked.stderr
    new_thread = forked.stdout.split()[0]
    assert new_thread != thread
    shown = cortex_cli("show", new_thread, "--json", cwd=tmp_path)
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    assert rows[1]["metadata"]["forkedFrom"] == f"agent:v0-{thread}@1"
    assert [r["type"] for r in rows].count("UserMessageAdded") == 2
    listed = cortex_cli("list", "--json", cwd=tmp_path)
    assert {s["thread_id"] for s in json.loads(listed.stdout)} == {thread, new_thread}
    bad = cortex_cli("fork", thread, "--at", "999", cwd=tmp_path)
    assert bad.returncode == 2 and "has no position 999" in bad.stderr


def test_deny_and_approve_need_a_waiting_call(tmp_path: Path) -> None:
    started = cortex_cli("start", "hi", cwd=tmp_path)
    thread = started.stdout.strip()
    denied = cortex_cli("deny", thread, "call-1", cwd=tmp_path)
    assert denied.returncode == 2
    assert denied.stderr.strip() == f"error: tool call 'call-1' of session {thread} awaits no approval; awaiting: none"
