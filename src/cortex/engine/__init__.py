"""The step loop and the commands around it (DESIGN.md §5)."""

from cortex.engine._leases import Leases, LocalLeases, leases_for
from cortex.engine._loop import process_thread
from cortex.engine._replay import INPUT_EVENT_TYPES, ReplayReport, fork, replay, replay_check
from cortex.engine._runtime import Backoff, Runtime, ViewCache
from cortex.engine._session import approve, deny, post_message, start_session, terminate
from cortex.engine._streams import AGENT_CATEGORY, agent_stream, load_view
from cortex.engine._worker import (
    WorkerOptions,
    WorkerStats,
    consume_category,
    position_stream,
    run_worker,
    threads_of,
)

__all__ = [
    "AGENT_CATEGORY",
    "INPUT_EVENT_TYPES",
    "Backoff",
    "Leases",
    "LocalLeases",
    "ReplayReport",
    "Runtime",
    "ViewCache",
    "WorkerOptions",
    "WorkerStats",
    "agent_stream",
    "approve",
    "consume_category",
    "deny",
    "fork",
    "leases_for",
    "load_view",
    "position_stream",
    "post_message",
    "process_thread",
    "replay",
    "replay_check",
    "run_worker",
    "start_session",
    "terminate",
    "threads_of",
]
