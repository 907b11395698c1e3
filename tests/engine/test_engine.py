"""The step loop with a scripted model, on SQLite and on Message DB."""

from __future__ import annotations

import anyio
import pytest
from pydantic_ai.exceptions import ModelHTTPError

from cortex.agents import Agent
from cortex.engine import (
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
    terminate,
)
from cortex.events import decode_event
from cortex.exceptions import NothingToApproveError, UserError
from cortex.store import iter_stream
from cortex.tools import ToolContext, calculate, tool
from tests.engine.conftest import RuntimeFactory
from tests.engine.scripted import Script, calls, text, tool_results

pytestmark = pytest.mark.anyio


async def events_of(runtime, thread_id):  # type: ignore[no-untyped-def]
    return [(m.type, decode_event(m)) async for m in iter_stream(runtime.store, agent_stream(thread_id))]


async def types_of(runtime, thread_id) -> list[str]:  # type: ignore[no-untyped-def]
    return [t for t, _ in await events_of(runtime, thread_id)]


async def test_multi_turn_tool_use(make_runtime: RuntimeFactory) -> None:
    script = Script(
        calls(("calculate", {"expression": "12*7"})),
        text("12*7 is 84."),
        calls(("calculate", {"expression": "84+1"})),
        text("Then 85."),
    )
    runtime = make_runtime(Agent(name="math", model=script.model, tools=[calculate]))
    thread = await start_session(runtime, "math", "What is 12*7?")
    view = await process_thread(runtime, thread)
    assert view.state.status == "idle" and view.state.last_answer == "12*7 is 84."
    await post_message(runtime, thread, "And plus one?")
    view = await process_thread(runtime, thread)
    assert view.state.last_answer == "Then 85."
    assert [p.content for p in tool_results(script.seen[-1])] == ["84", "85"]
    assert await types_of(runtime, thread) == [
        "SessionStarted",
        "UserMessageAdded",
        *["LLMCallRequested", "LLMResponseReceived", "ToolExecutionRequested", "ToolExecutionCompleted"],
        *["LLMCallRequested", "LLMResponseReceived"],
        "UserMessageAdded",
        *["LLMCallRequested", "LLMResponseReceived", "ToolExecutionRequested", "ToolExecutionCompleted"],
        *["LLMCallRequested", "LLMResponseReceived"],
    ]
    assert view.usage.llm_calls == 4 and view.state.tool_calls_completed == 2
    # A finished turn waits for input: processing again calls nothing.
    again = await process_thread(runtime, thread)
    assert again.version == view.version and script.calls == 4


async def test_parallel_tool_calls_run_concurrently(make_runtime: RuntimeFactory) -> None:
    running = 0
    peak = 0

    @tool(idempotent=True)
    async def slow(n: int) -> int:
        """Wait a little, then return n."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.05)
        running -= 1
        return n * 10

    script = Script(calls(("slow", {"n": 1}, "a"), ("slow", {"n": 2}, "b"), ("slow", {"n": 3}, "c")), text("done"))
    runtime = make_runtime(Agent(name="p", model=script.model, tools=[slow]))
    thread = await start_session(runtime, "p", "go")
    await process_thread(runtime, thread)
    events = await events_of(runtime, thread)
    requested = [e.tool_call_id for t, e in events if t == "ToolExecutionRequested"]
    completed = {e.tool_call_id: e.result for t, e in events if t == "ToolExecutionCompleted"}
    assert requested == ["a", "b", "c"] and completed == {"a": 10, "b": 20, "c": 30}
    assert peak == 3, "the three calls of one response ran at the same time"
    assert sorted(p.tool_call_id for p in tool_results(script.seen[-1])) == ["a", "b", "c"]


async def test_invalid_arguments_become_a_failure_the_model_sees(make_runtime: RuntimeFactory) -> None:
    script = Script(
        calls(("calculate", {"expr": "1+1"})), calls(("calculate", {"expression": "1+1"})), text("It is 2.")
    )
    runtime = make_runtime(Agent(name="m", model=script.model, tools=[calculate]))
    thread = await start_session(runtime, "m", "1+1?")
    view = await process_thread(runtime, thread)
    failures = [e for t, e in await events_of(runtime, thread) if t == "ToolExecutionFailed"]
    assert len(failures) == 1 and failures[0].reason == "invalid_arguments"
    assert "expression: Field required" in failures[0].error_message
    shown = tool_results(script.seen[1])
    assert shown[0].outcome == "failed" and "expression" in shown[0].content
    assert view.state.last_answer == "It is 2."


async def test_a_tool_that_raises_and_an_unknown_tool(make_runtime: RuntimeFactory) -> None:
    @tool
    def explode() -> str:
        """Always fails."""
        raise RuntimeError("kaboom")

    script = Script(calls(("explode", {}, "x"), ("rm_rf", {}, "y")), text("sorry"))
    runtime = make_runtime(Agent(name="m", model=script.model, tools=[explode]))
    thread = await start_session(runtime, "m", "try")
    await process_thread(runtime, thread)
    failures = {e.tool_call_id: e for t, e in await events_of(runtime, thread) if t == "ToolExecutionFailed"}
    assert failures["x"].error_message == "RuntimeError: kaboom" and failures["x"].reason == "error"
    assert failures["y"].reason == "unknown_tool" and "may call: explode" in failures["y"].error_message
    report = await replay_check(runtime, thread)
    assert report.matches, report


async def test_tool_timeout(make_runtime: RuntimeFactory) -> None:
    @tool(timeout_s=0.1)
    async def hang() -> str:
        """Never returns in time."""
        await anyio.sleep(30)
        return "late"

    script = Script(calls(("hang", {})), text("gave up"))
    runtime = make_runtime(Agent(name="m", model=script.model, tools=[hang]))
    thread = await start_session(runtime, "m", "wait")
    await process_thread(runtime, thread)
    (failure,) = [e for t, e in await events_of(runtime, thread) if t == "ToolExecutionFailed"]
    assert failure.reason == "timeout" and "timed out after 0.1s" in failure.error_message


async def test_retry_then_fallback_model(make_runtime: RuntimeFactory) -> None:
    overloaded = ModelHTTPError(status_code=503, model_name="primary", body="overloaded")
    primary = Script(overloaded, overloaded, name="primary")
    backup = Script(text("from the backup"), name="backup")
    agent = Agent(name="m", model=primary.model, fallback_models=[backup.model], attempts_per_model=2)
    runtime = make_runtime(agent)
    thread = await start_session(runtime, "m", "hello")
    view = await process_thread(runtime, thread)
    assert view.state.last_answer == "from the backup"
    events = await events_of(runtime, thread)
    failed = [e for t, e in events if t == "LLMCallFailed"]
    assert [(f.attempt, f.retryable) for f in failed] == [(1, True), (2, True)]
    assert [e.model for t, e in events if t == "LLMCallRequested"] == [
        "function:primary",
        "function:primary",
        "function:backup",
    ]
    assert (primary.calls, backup.calls) == (2, 1)


async def test_non_retryable_failure_ends_the_session(make_runtime: RuntimeFactory) -> None:
    script = Script(ModelHTTPError(status_code=400, model_name="m", body="bad request"))
    runtime = make_runtime(Agent(name="m", model=script.model))
    thread = await start_session(runtime, "m", "hello")
    view = await process_thread(runtime, thread)
    assert view.state.status == "failed" and view.state.completed_reason == "failure"
    assert script.calls == 1
    assert (await types_of(runtime, thread))[-2:] == ["LLMCallFailed", "SessionCompleted"]


async def test_approval_flow_grant_and_deny(make_runtime: RuntimeFactory) -> None:
    ran: list[str] = []

    @tool(requires_approval=True)
    def transfer(amount: int) -> str:
        """Move money."""
        ran.append(f"transfer {amount}")
        return "ok"

    script = Script(
        calls(("transfer", {"amount": 5}, "t1")), text("sent"), calls(("transfer", {"amount": 900}, "t2")), text("no")
    )
    runtime = make_runtime(Agent(name="bank", model=script.model, tools=[transfer]))
    thread = await start_session(runtime, "bank", "send 5")
    view = await process_thread(runtime, thread)
    assert view.state.status == "awaiting_approval" and ran == []
    assert (await types_of(runtime, thread))[-1] == "ApprovalRequested"
    assert (await process_thread(runtime, thread)).version == view.version, "waiting writes nothing more"
    with pytest.raises(NothingToApproveError):
        await approve(runtime, thread, "nope")
    await approve(runtime, thread, "t1", by="ops")
    view = await process_thread(runtime, thread)
    assert ran == ["transfer 5"] and view.state.last_answer == "sent"
    await post_message(runtime, thread, "send 900")
    await process_thread(runtime, thread)
    await deny(runtime, thread, "t2", by="ops", comment="too much")
    view = await process_thread(runtime, thread)
    assert ran == ["transfer 5"]
    (denied,) = [e for t, e in await events_of(runtime, thread) if t == "ToolExecutionFailed"]
    assert denied.reason == "denied" and view.state.last_answer == "no"


async def test_termination(make_runtime: RuntimeFactory) -> None:
    script = Script(text("hi"))
    runtime = make_runtime(Agent(name="m", model=script.model))
    thread = await start_session(runtime, "m", "hello")
    await process_thread(runtime, thread)
    await terminate(runtime, thread, "operator stop")
    view = await process_thread(runtime, thread)
    assert view.state.status == "completed" and view.state.completed_reason == "terminated"
    assert (await types_of(runtime, thread))[-2:] == ["SessionTerminationRequested", "SessionCompleted"]
    with pytest.raises(UserError, match="has ended"):
        await post_message(runtime, thread, "more?")


async def test_max_iterations(make_runtime: RuntimeFactory) -> None:
    looping = Script(*[calls(("calculate", {"expression": "1+1"}, f"c{i}")) for i in range(5)])
    runtime = make_runtime(Agent(name="m", model=looping.model, tools=[calculate], max_iterations=3))
    thread = await start_session(runtime, "m", "loop forever")
    view = await process_thread(runtime, thread)
    assert looping.calls == 3
    assert view.state.completed_reason == "failure"
    assert "max iterations reached: 3" in (view.state.final_output or "")


async def test_replay_rebuilds_state_and_redrives_without_a_model(make_runtime: RuntimeFactory) -> None:
    counter = {"n": 0}

    @tool
    def count() -> int:
        """A side effect that must not happen again on replay."""
        counter["n"] += 1
        return counter["n"]

    script = Script(calls(("count", {})), text("counted 1"), calls(("count", {})), text("counted 2"))
    runtime = make_runtime(Agent(name="m", model=script.model, tools=[count]))
    thread = await start_session(runtime, "m", "count")
    first = await process_thread(runtime, thread)
    await post_message(runtime, thread, "again")
    final = await process_thread(runtime, thread)
    calls_before, effects_before = script.calls, counter["n"]

    at_first_answer = await replay(runtime, thread, first.version)
    assert at_first_answer.state.last_answer == "counted 1" and at_first_answer.version == first.version
    report = await replay_check(runtime, thread)
    assert report.matches, report
    assert report.events_compared == final.version + 1
    assert (script.calls, counter["n"]) == (calls_before, effects_before), "replay called neither model nor tool"


async def test_replay_check_reports_a_divergence(make_runtime: RuntimeFactory) -> None:
    script = Script(calls(("calculate", {"expression": "2*3"})), text("6"))
    agent = Agent(name="m", model=script.model, tools=[calculate])
    runtime = make_runtime(agent)
    thread = await start_session(runtime, "m", "2*3?")
    await process_thread(runtime, thread)
    # The same recording replayed against a definition that may no longer call the tool.
    runtime.agents.register(Agent(name="m", model=script.model, tools=[]))
    report = await replay_check(runtime, thread)
    assert not report.matches and report.divergence is not None
    assert "ToolExecutionRequested" in report.expected and "ToolExecutionFailed" in report.produced


async def test_fork_with_another_model(make_runtime: RuntimeFactory) -> None:
    original = Script(text("first answer"), name="original")
    other = Script(text("another answer"), name="other")
    runtime = make_runtime(Agent(name="m", model=original.model))
    thread = await start_session(runtime, "m", "question")
    await process_thread(runtime, thread)
    # Fork right after the user's message, and answer it with another model.
    runtime.agents.register(Agent(name="m", model=original.model, fallback_models=[]))
    forked = await fork(runtime, thread, 1, model="test")
    events = [m async for m in iter_stream(runtime.store, agent_stream(forked))]
    assert [m.type for m in events] == ["SessionStarted", "UserMessageAdded"]
    assert events[1].metadata["forkedFrom"] == f"{agent_stream(thread)}@1"
    assert events[0].data["thread_id"] == forked and events[0].data["initial_context"] == {"model": "test"}
    view = await process_thread(runtime, forked)
    assert view.state.model_override == "test"
    assert view.state.last_answer and view.state.last_answer != "first answer"  # pydantic-ai's TestModel answered
    assert original.calls == 1 and other.calls == 0
    assert (await load_view(runtime, thread)).state.last_answer == "first answer", "the original is untouched"


async def test_tool_context_carries_a_stable_idempotency_key(make_runtime: RuntimeFactory) -> None:
    keys: list[str] = []

    @tool(idempotent=True)
    def charge(ctx: ToolContext, amount: int) -> str:
        """Charge with the provider's idempotency key."""
        keys.append(ctx.idempotency_key)
        return "charged"

    assert "ctx" not in charge.parameters_schema["properties"]
    script = Script(calls(("charge", {"amount": 3}, "k1")), text("ok"))
    runtime = make_runtime(Agent(name="m", model=script.model, tools=[charge]))
    thread = await start_session(runtime, "m", "pay")
    await process_thread(runtime, thread)
    from cortex.tools import idempotency_key

    assert keys == [idempotency_key(thread, "k1")] and len(keys[0]) == 32


async def test_a_user_message_while_a_tool_runs_keeps_the_result(make_runtime: RuntimeFactory) -> None:
    started = anyio.Event()
    release = anyio.Event()

    @tool
    async def long_job() -> str:
        """Takes a while."""
        started.set()
        await release.wait()
        return "job done"

    script = Script(calls(("long_job", {}, "j")), text("answered both"))
    runtime = make_runtime(Agent(name="m", model=script.model, tools=[long_job]))
    thread = await start_session(runtime, "m", "start the job")
    async with anyio.create_task_group() as group:
        group.start_soon(process_thread, runtime, thread)
        await started.wait()
        await post_message(runtime, thread, "are you there?")
        release.set()
    view = await process_thread(runtime, thread)
    types = await types_of(runtime, thread)
    assert types.count("ToolExecutionCompleted") == 1, "the side effect's record survived the concurrent write"
    assert view.state.last_answer == "answered both"
    shown = script.seen[-1]
    assert [p.content for p in tool_results(shown)] == ["job done"]


async def test_unknown_session_is_a_clear_error(make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(Agent(name="m"))
    from cortex.exceptions import SessionNotFoundError

    with pytest.raises(SessionNotFoundError, match="no session 'missing'"):
        await process_thread(runtime, "missing")


async def test_streaming_text_deltas(make_runtime: RuntimeFactory) -> None:
    from pydantic_ai.models.function import FunctionModel

    async def stream(messages, info):  # type: ignore[no-untyped-def]
        for chunk in ["Hel", "lo ", "world"]:
            yield chunk

    runtime = make_runtime(Agent(name="m", model=FunctionModel(stream_function=stream)))
    thread = await start_session(runtime, "m", "hi")
    deltas: list[str] = []
    view = await process_thread(runtime, thread, on_text=deltas.append)
    assert "".join(deltas) == "Hello world" and view.state.last_answer == "Hello world"


async def test_steps_do_not_reread_history(make_runtime: RuntimeFactory) -> None:
    """The loop folds incrementally: a cached view is extended, never refolded from position 0."""
    script = Script(*[text(f"answer {i}") for i in range(3)])
    runtime = make_runtime(Agent(name="m", model=script.model))
    thread = await start_session(runtime, "m", "q0")
    await process_thread(runtime, thread)
    reads: list[int] = []
    original_read = runtime.store.read_stream

    async def spy(stream_name, position=0, batch_size=1000):  # type: ignore[no-untyped-def]
        reads.append(position)
        return await original_read(stream_name, position, batch_size)

    runtime.store.read_stream = spy  # type: ignore[method-assign]
    await post_message(runtime, thread, "q1")
    await process_thread(runtime, thread)
    assert reads and min(reads) > 0, f"read from {reads}"


async def test_configured_fallbacks_apply_to_agents_without_a_model(make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(Agent(name="plain"))
    runtime.default_model = "openai-compatible:nothing@http://127.0.0.1:9/v1"  # nothing listens there
    runtime.fallback_models = ("test",)
    thread = await start_session(runtime, "plain", "hello")
    view = await process_thread(runtime, thread)
    assert view.state.last_answer, "pydantic-ai's TestModel answered after the default model failed"
    failed = [e for t, e in await events_of(runtime, thread) if t == "LLMCallFailed"]
    assert failed and all(f.retryable for f in failed)


async def test_an_unusable_default_model_fails_before_anything_is_written(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cortex.exceptions import ModelConfigurationError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    runtime = make_runtime(Agent(name="plain"))
    runtime.default_model = "openai:gpt-4o-needs-a-key"
    with pytest.raises(ModelConfigurationError, match="OPENAI_API_KEY"):
        await start_session(runtime, "plain", "hello")
