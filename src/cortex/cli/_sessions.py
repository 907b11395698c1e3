"""`cortex run|chat|start|continue|show|list|replay|fork|approve|deny` and `cortex agents list`."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
import typer
from rich.table import Table

from cortex.cli._common import DatabaseOption, JsonOption, app, console, err_console, run_sync
from cortex.cli._events import print_messages
from cortex.config import get_settings
from cortex.engine import (
    AGENT_CATEGORY,
    Runtime,
    agent_stream,
    approve,
    deny,
    fork,
    load_view,
    post_message,
    process_thread,
    replay,
    replay_check,
    start_session,
)
from cortex.events import (
    LLMCallFailed,
    SessionStarted,
    ToolExecutionCompleted,
    ToolExecutionFailed,
    ToolExecutionRequested,
    decode_event,
)
from cortex.exceptions import SessionFailed
from cortex.projections import Recorded, ThreadView
from cortex.store import iter_category, iter_stream

__all__ = ["agents_app"]

T = TypeVar("T")
agents_app = typer.Typer(help="Agent definitions.", no_args_is_help=True)
app.add_typer(agents_app, name="agents")

ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Model for this session, e.g. openai:gpt-4o (default: $CORTEX_MODEL)."),
]
AgentOption = Annotated[str | None, typer.Option("--agent", "-a", help="Agent name (default: assistant).")]
ThreadArgument = Annotated[str, typer.Argument(help="The session's thread id.")]


async def _with_runtime(database_url: str | None, work: Callable[[Runtime], Awaitable[T]]) -> T:
    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    runtime = await Runtime.from_settings(settings)
    try:
        return await work(runtime)
    finally:
        await runtime.close()


class _Printer:
    """Shows a run as it happens: tool calls and results on stderr, the answer on stdout."""

    def __init__(self, *, quiet: bool, prefix: str = "") -> None:
        self.quiet = quiet
        self.prefix = prefix
        self.streamed = False
        self.calls: list[dict[str, Any]] = []

    def on_event(self, recorded: Recorded) -> None:
        event = recorded.event
        if isinstance(event, ToolExecutionRequested):
            args = ", ".join(f"{k}={v!r}" for k, v in event.arguments.items())
            self.calls.append({"tool": event.tool_name, "arguments": event.arguments})
            self._note(f"[dim]→ {event.tool_name}({args})[/dim]")
        elif isinstance(event, ToolExecutionCompleted):
            self._record(event.tool_call_id, result=event.result)
            self._note(f"[dim]← {event.tool_name}: {json.dumps(event.result, ensure_ascii=False)[:200]}[/dim]")
        elif isinstance(event, ToolExecutionFailed):
            self._record(event.tool_call_id, error=event.error_message)
            self._note(f"[yellow]← {event.tool_name} failed: {event.error_message}[/yellow]")
        elif isinstance(event, LLMCallFailed):
            self._note(f"[yellow]model call failed (attempt {event.attempt}): {event.error_message[:200]}[/yellow]")

    def on_text(self, delta: str) -> None:
        if not self.quiet:
            if not self.streamed and self.prefix:
                sys.stdout.write(self.prefix)
            self.streamed = True
            sys.stdout.write(delta)
            sys.stdout.flush()

    def _record(self, call_id: str, **outcome: Any) -> None:
        if self.calls:
            self.calls[-1].update(outcome)

    def _note(self, text: str) -> None:
        if not self.quiet:
            err_console.print(text, highlight=False)


def _finish(view: ThreadView, printer: _Printer, *, as_json: bool) -> None:
    """Print the outcome; a failed session raises `SessionFailed` (exit 1)."""
    state = view.state
    answer = state.last_answer or ""
    if as_json:
        payload = {
            "thread_id": state.thread_id,
            "status": state.status,
            "answer": answer,
            "tool_calls": printer.calls,
            "usage": {"input_tokens": view.usage.input_tokens, "output_tokens": view.usage.output_tokens},
            "completed_reason": state.completed_reason,
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    elif printer.streamed:
        sys.stdout.write("\n")
    elif state.status != "failed":
        console.print(answer, highlight=False, markup=False)
    if not as_json:
        err_console.print(f"[dim]thread {state.thread_id}[/dim]", highlight=False)
    if state.status == "failed":
        raise SessionFailed(f"session {state.thread_id} failed: {state.final_output or state.completed_reason}")


@app.command("run")
def run(
    message: Annotated[str, typer.Argument(help="What to ask the agent.")],
    model: ModelOption = None,
    agent: AgentOption = None,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Start a session, run it to its answer and print it (tool calls go to stderr)."""
    printer = _Printer(quiet=as_json)

    async def work(runtime: Runtime) -> ThreadView:
        thread_id = await start_session(runtime, agent, message, model=model)
        return await process_thread(runtime, thread_id, on_event=printer.on_event, on_text=printer.on_text)

    _finish(run_sync(lambda: _with_runtime(database_url, work)), printer, as_json=as_json)


@app.command("chat")
def chat(
    thread_id: Annotated[str | None, typer.Argument(help="Continue this session instead of a new one.")] = None,
    model: ModelOption = None,
    agent: AgentOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Talk to an agent interactively (empty line or Ctrl-D to leave)."""

    async def work(runtime: Runtime) -> None:
        current = thread_id or await start_session(runtime, agent, None, model=model)
        err_console.print(f"[dim]thread {current} — empty line or Ctrl-D to leave[/dim]")
        while True:
            try:
                line = await anyio.to_thread.run_sync(input, "you> ")
            except EOFError:
                break
            if not line.strip():
                break
            view = await load_view(runtime, current)
            printer = _Printer(quiet=False, prefix=f"{view.state.active_agent}> ")
            await post_message(runtime, current, line)
            view = await process_thread(runtime, current, on_event=printer.on_event, on_text=printer.on_text)
            if printer.streamed:
                sys.stdout.write("\n")
            else:
                console.print(
                    f"[bold]{view.state.active_agent}>[/bold] {view.state.last_answer or ''}", highlight=False
                )
            if view.state.completed_reason:
                err_console.print(f"session ended: {view.state.completed_reason}")
                break

    run_sync(lambda: _with_runtime(database_url, work))


@app.command("start")
def start(
    message: Annotated[str, typer.Argument(help="The first message.")],
    model: ModelOption = None,
    agent: AgentOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Start a session without running it (a worker or `cortex continue` picks it up); prints its id."""

    async def work(runtime: Runtime) -> str:
        return await start_session(runtime, agent, message, model=model)

    console.print(run_sync(lambda: _with_runtime(database_url, work)), highlight=False)


@app.command("continue")
def continue_(
    thread_id: ThreadArgument,
    message: Annotated[str | None, typer.Argument(help="A new message (omit to resume where it stopped).")] = None,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Resume a session (after a crash, an approval, or with a new message) and print the answer."""
    printer = _Printer(quiet=as_json)

    async def work(runtime: Runtime) -> ThreadView:
        if message is not None:
            await post_message(runtime, thread_id, message)
        return await process_thread(runtime, thread_id, on_event=printer.on_event, on_text=printer.on_text)

    _finish(run_sync(lambda: _with_runtime(database_url, work)), printer, as_json=as_json)


def _summary(view: ThreadView) -> str:
    s = view.state
    waiting = [c for c, status in s.approvals if status == "requested"]
    parts = [
        f"thread {s.thread_id}",
        f"agent {s.active_agent}@{s.agent_version}",
        f"status {s.status}" + (f" ({s.completed_reason})" if s.completed_reason else ""),
        f"events {s.version + 1}",
        f"tokens {view.usage.input_tokens}+{view.usage.output_tokens}",
    ]
    if waiting:
        parts.append(f"awaiting approval: {', '.join(waiting)}")
    return " · ".join(parts)


@app.command("show")
def show(thread_id: ThreadArgument, as_json: JsonOption = False, database_url: DatabaseOption = None) -> None:
    """Show a session's events and state."""

    async def work(runtime: Runtime) -> tuple[ThreadView, list[Any]]:
        view = await load_view(runtime, thread_id)
        return view, [m async for m in iter_stream(runtime.store, agent_stream(thread_id))]

    view, messages = run_sync(lambda: _with_runtime(database_url, work))
    print_messages(messages, as_json=as_json, title=_summary(view))


@app.command("list")
def list_sessions(
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest first.")] = 50,
    database_url: DatabaseOption = None,
) -> None:
    """List sessions, newest first."""

    async def work(runtime: Runtime) -> list[dict[str, Any]]:
        sessions: dict[str, dict[str, Any]] = {}
        async for message in iter_category(runtime.store, AGENT_CATEGORY):
            event = decode_event(message)
            if isinstance(event, SessionStarted):
                sessions[message.stream_name] = {
                    "thread_id": event.thread_id,
                    "agent": event.agent,
                    "started": message.time.isoformat(timespec="seconds"),
                }
            entry = sessions.get(message.stream_name)
            if entry is not None:
                entry["events"] = message.position + 1
                entry["last"] = message.type
        return list(sessions.values())[::-1][:limit]

    sessions = run_sync(lambda: _with_runtime(database_url, work))
    if as_json:
        sys.stdout.write(json.dumps(sessions) + "\n")
        return
    table = Table(title="sessions")
    for column in ("thread", "agent", "started", "events", "last event"):
        table.add_column(column)
    for entry in sessions:
        table.add_row(entry["thread_id"], entry["agent"], entry["started"], str(entry["events"]), entry["last"])
    console.print(table)


@app.command("replay")
def replay_command(
    thread_id: ThreadArgument,
    until: Annotated[int | None, typer.Option(help="Rebuild the state as it was at this position.")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Re-drive the loop from the recording (no model or tool call) and compare.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Rebuild a session at any position; with --check, verify the engine still decides the same way."""

    async def work(runtime: Runtime) -> tuple[ThreadView, Any]:
        view = await replay(runtime, thread_id, until)
        report = await replay_check(runtime, thread_id, until) if check else None
        return view, report

    view, report = run_sync(lambda: _with_runtime(database_url, work))
    console.print(_summary(view), highlight=False)
    if view.state.last_answer:
        console.print(f"last answer: {view.state.last_answer}", highlight=False, markup=False)
    if report is not None:
        if report.matches:
            console.print(f"[green]replay matches[/green] ({report.events_compared} events, no model or tool called)")
        else:
            raise SessionFailed(
                f"replay diverges at position {report.divergence}: recorded {report.expected[:160]}; "
                f"replayed {report.produced[:160]}"
            )


@app.command("fork")
def fork_command(
    thread_id: ThreadArgument,
    at: Annotated[int, typer.Option("--at", help="Copy events up to and including this position.")],
    model: ModelOption = None,
    message: Annotated[str | None, typer.Option("--message", help="Post this message to the fork and run it.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Branch a session at any event into a new one (optionally with another model); prints the new id."""

    async def work(runtime: Runtime) -> tuple[str, ThreadView | None]:
        new_id = await fork(runtime, thread_id, at, model=model)
        if message is None:
            return new_id, None
        await post_message(runtime, new_id, message)
        return new_id, await process_thread(runtime, new_id)

    new_id, view = run_sync(lambda: _with_runtime(database_url, work))
    console.print(new_id, highlight=False)
    if view is not None:
        console.print(view.state.last_answer or "", highlight=False, markup=False)


def _decide_command(
    thread_id: str, tool_call_id: str, comment: str | None, database_url: str | None, *, grant: bool
) -> None:
    printer = _Printer(quiet=False)

    async def work(runtime: Runtime) -> ThreadView:
        decide = approve if grant else deny
        await decide(runtime, thread_id, tool_call_id, by="cli", comment=comment)
        return await process_thread(runtime, thread_id, on_event=printer.on_event, on_text=printer.on_text)

    _finish(run_sync(lambda: _with_runtime(database_url, work)), printer, as_json=False)


@app.command("approve")
def approve_command(
    thread_id: ThreadArgument,
    tool_call_id: Annotated[str, typer.Argument(help="The tool call awaiting approval (see `cortex show`).")],
    comment: Annotated[str | None, typer.Option(help="Why.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Allow a tool call that awaits approval, then continue the session."""
    _decide_command(thread_id, tool_call_id, comment, database_url, grant=True)


@app.command("deny")
def deny_command(
    thread_id: ThreadArgument,
    tool_call_id: Annotated[str, typer.Argument(help="The tool call awaiting approval (see `cortex show`).")],
    comment: Annotated[str | None, typer.Option(help="Why.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Refuse a tool call that awaits approval, then continue the session (the model sees the refusal)."""
    _decide_command(thread_id, tool_call_id, comment, database_url, grant=False)


@agents_app.command("list")
def agents_list(as_json: JsonOption = False) -> None:
    """List the agent definitions and their tools."""
    from cortex.agents import default_registry

    registry = default_registry(get_settings().resolved_files_dir)
    rows = []
    for name in registry.names():
        agent_name, _, version = name.partition("@")
        agent = registry.get(agent_name, version)
        rows.append({"name": agent.name, "version": agent.version, "tools": [t.name for t in agent.tools]})
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    for row in rows:
        console.print(f"[bold]{row['name']}[/bold]@{row['version']}: {', '.join(row['tools'])}", highlight=False)


@app.command("worker")
def worker_command(
    member: Annotated[
        int | None, typer.Option(help="This worker's member number in a consumer group (0-based).")
    ] = None,
    size: Annotated[int | None, typer.Option(help="How many workers share the sessions (consumer group size).")] = None,
    consumer: Annotated[str, typer.Option(help="Name under which the read position is kept.")] = "worker",
    once: Annotated[bool, typer.Option("--once", help="Process what is there, then exit.")] = False,
    poll_interval: Annotated[float, typer.Option(help="Seconds between polls when nothing wakes the worker.")] = 0.5,
    concurrency: Annotated[int, typer.Option(min=1, help="Sessions this worker runs at once.")] = 16,
    database_url: DatabaseOption = None,
) -> None:
    """Run sessions as their events arrive; start any number, sharded with --member/--size."""
    from cortex.engine import WorkerOptions, run_worker
    from cortex.store.messagedb import MessageDBEventStore

    if (member is None) != (size is None):
        raise typer.BadParameter("give --member and --size together", param_hint="--member/--size")
    if size is not None and member is not None and not 0 <= member < size:
        raise typer.BadParameter(f"--member must be in 0..{size - 1}", param_hint="--member")
    options = WorkerOptions(
        consumer=consumer, member=member, size=size, poll_interval_s=poll_interval, concurrency=concurrency
    )

    async def work(runtime: Runtime) -> None:
        from cortex.server import RedisChunkBus

        wakeup = await runtime.store.listen() if isinstance(runtime.store, MessageDBEventStore) else None
        where = "all sessions" if size is None else f"member {member} of {size}"
        err_console.print(f"[dim]worker {consumer}: {where}; Ctrl-C to stop[/dim]")
        redis_url = get_settings().redis_url
        chunks = RedisChunkBus(redis_url) if redis_url else None  # live tokens for `cortex serve`'s streams
        async with anyio.create_task_group() as group:
            if chunks is not None:
                runtime.on_text = chunks.publish
                group.start_soon(chunks.run_publisher)
            stats = await run_worker(runtime, options, once=once, wakeup=wakeup)
            group.cancel_scope.cancel()
        if chunks is not None:
            await chunks.close()
        err_console.print(f"[dim]read {stats.messages_read} events, ran {stats.threads_processed} session steps[/dim]")

    try:
        run_sync(lambda: _with_runtime(database_url, work))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
