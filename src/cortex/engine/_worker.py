"""Workers: consume the agent category and run `process_thread` for every session with new events.

Any number of workers on any number of machines: with a consumer group (`member`, `size`) each
session belongs to exactly one member (Message DB's hash of the thread id); without one, the
store's optimistic concurrency makes double processing harmless. A worker records how far it has
read in its own position stream, `agent:v0:position-<consumer>` (Eventide's convention), so a
restarted worker goes on from there; a session whose events it re-reads is simply asked again
what to do next, which writes nothing when nothing is to be done.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import structlog

from cortex.engine._leases import leases_for
from cortex.engine._loop import process_thread
from cortex.engine._runtime import Runtime
from cortex.engine._streams import AGENT_CATEGORY, agent_stream, append, load_view
from cortex.events import ErrorOccurred, Message, stream_id
from cortex.exceptions import CortexError

__all__ = ["WorkerOptions", "WorkerStats", "consume_category", "position_stream", "run_worker", "threads_of"]

log = structlog.get_logger("cortex.worker")

Wakeup = Callable[[float], Awaitable[None]]
"""Waits until new events may have arrived, or the timeout passes (polling fallback)."""


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker reads the agent category."""

    consumer: str = "worker"
    member: int | None = None
    size: int | None = None
    batch_size: int = 100
    poll_interval_s: float = 0.5
    position_every: int = 20
    """Record the read position after this many messages (and whenever the worker goes idle)."""
    keep_position: bool = True
    """False: start from the beginning and record nothing (a one-off rebuild)."""
    concurrency: int = 16
    """Sessions run at once: model calls wait on the network, so one worker keeps many going."""


@dataclass
class WorkerStats:
    """What a worker did, for logs, tests and `cortex worker` output."""

    messages_read: int = 0
    threads_processed: int = 0
    threads_skipped: int = 0
    """Sessions left alone because another worker held their lease (it runs them)."""
    errors: int = 0
    position: int = 0


def position_stream(options: WorkerOptions) -> str:
    """Where a consumer keeps its read position (one per consumer and group member)."""
    suffix = options.consumer if options.member is None else f"{options.consumer}+{options.member}"
    return f"{AGENT_CATEGORY}:position-{suffix}"


async def _read_position(runtime: Runtime, options: WorkerOptions) -> int:
    if not options.keep_position:
        return 0
    last = await runtime.store.last_message(position_stream(options))
    return int(last.data["position"]) if last is not None else 0


async def _record_position(runtime: Runtime, options: WorkerOptions, position: int) -> None:
    if not options.keep_position:
        return
    await runtime.store.write(position_stream(options), "Read", {"position": position}, durable=False)


async def _process(runtime: Runtime, thread_id: str, stats: WorkerStats) -> None:
    """Run one session; its failure is recorded on that session and never stops the worker."""
    try:
        await process_thread(runtime, thread_id)
        stats.threads_processed += 1
    except CortexError as exc:
        stats.errors += 1
        log.error("session failed", thread_id=thread_id, error=str(exc))
        view = await load_view(runtime, thread_id, required=False)
        last_error = f"{type(exc).__name__}: {exc}"
        # Record it once: the error event is itself new work for this worker, which must not loop.
        last = await runtime.store.last_message(agent_stream(thread_id))
        repeated = last is not None and last.type == "ErrorOccurred" and last.data.get("error_message") == str(exc)
        if view.version >= 0 and view.state.completed_reason is None and not repeated:
            error = ErrorOccurred(
                error_type=type(exc).__name__, error_message=str(exc), stack_trace=traceback.format_exc()
            )
            try:
                await append(runtime, thread_id, view, [error], durable=True)
            except CortexError:
                log.warning("could not record the error", thread_id=thread_id, error=last_error)


async def run_worker(
    runtime: Runtime,
    options: WorkerOptions = WorkerOptions(),
    *,
    once: bool = False,
    wakeup: Wakeup | None = None,
    stats: WorkerStats | None = None,
) -> WorkerStats:
    """Consume the agent category, running every session with new events, until cancelled.

    Args:
        runtime: store and agent definitions.
        options: consumer name, group membership, batch size, polling interval.
        once: return as soon as no new message is left (tests, cron-style runs).
        wakeup: waits for a sign of new events (PostgreSQL `LISTEN`); default: sleep and poll.
        stats: counters to update (a caller can watch them while the worker runs).
    """
    stats = stats or WorkerStats()
    limiter = anyio.CapacityLimiter(max(1, options.concurrency))
    leases = await leases_for(runtime.store)

    async def run_one(thread_id: str) -> None:
        async with limiter, leases.hold(f"thread:{thread_id}") as held:
            if not held:
                # Another worker is running it now and reads the same events, so it sees this one too.
                stats.threads_skipped += 1
                return
            await _process(runtime, thread_id, stats)

    async def handle(batch: list[Message]) -> None:
        # Each session of a batch at most once, several sessions at a time; the batch is done (and
        # the position may move past it) only when all of them are.
        async with anyio.create_task_group() as group:
            for thread_id in threads_of(batch):
                group.start_soon(run_one, thread_id)

    try:
        return await consume_category(runtime, options, handle, once=once, wakeup=wakeup, stats=stats)
    finally:
        with anyio.CancelScope(shield=True):
            await leases.close()


def threads_of(batch: list[Message]) -> list[str]:
    """The sessions a batch of agent-category messages touches, in order of first appearance."""
    return list(dict.fromkeys(tid for m in batch if (tid := stream_id(m.stream_name)) is not None))


async def consume_category(
    runtime: Runtime,
    options: WorkerOptions,
    handle: Callable[[list[Message]], Awaitable[None]],
    *,
    once: bool = False,
    wakeup: Wakeup | None = None,
    stats: WorkerStats | None = None,
) -> WorkerStats:
    """Feed batches of the agent category to `handle`, keeping the consumer's position.

    The one loop behind workers, read models and webhook dispatch: each is a consumer with its
    own name, so each keeps its own position stream and goes on from there after a restart.
    """
    stats = stats or WorkerStats()
    position = await _read_position(runtime, options)
    stats.position = position
    unrecorded = 0
    bound = log.bind(consumer=options.consumer, member=options.member, size=options.size)
    bound.info("consumer started", position=position)
    while True:
        batch = await runtime.store.read_category(
            AGENT_CATEGORY,
            position + 1,
            options.batch_size,
            consumer_group_member=options.member,
            consumer_group_size=options.size,
        )
        if not batch:
            if unrecorded:
                await _record_position(runtime, options, position)
                unrecorded = 0
            if once:
                return stats
            await (wakeup or anyio.sleep)(options.poll_interval_s)
            continue
        await handle(batch)
        position = batch[-1].global_position
        stats.messages_read += len(batch)
        stats.position = position
        unrecorded += len(batch)
        if unrecorded >= options.position_every:
            await _record_position(runtime, options, position)
            unrecorded = 0
