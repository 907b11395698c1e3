"""Every error Cortex raises, under one root so callers can catch at any level.

Hierarchy::

    CortexError
    ├── UserError                      API misuse; the message says how to call it instead
    │   └── InvalidStreamNameError     (also a ValueError) a stream name breaks Message DB's rules
    │   ├── UnknownAgentError          no agent definition with that name/version
    │   ├── SessionNotFoundError       no session with that thread id
    │   └── NothingToApproveError      approve/deny for a call that awaits no approval
    ├── ConfigurationError             a setting has a bad value; names the variable
    │   └── ModelConfigurationError    a model string is unknown or its provider lacks credentials
    ├── ModelCallError                 a model call failed (typed: retryable or not)
    ├── SessionFailed                  a session ended in failure (the CLI exits 1)
    ├── ToolFailed                     signal: a tool ends its call with this exact message for the model
    ├── EventSchemaError               a stored event does not fit its type, or is from a newer schema
    └── StoreError                     the event store could not do what was asked
        ├── ConcurrencyError           expected_version did not match the stream's version
        ├── DuplicateMessageIdError    a message id is already used in another stream
        ├── StoreUnavailableError      the database cannot be reached or stayed locked
        └── MessageDBNotInstalledError the PostgreSQL database has no Message DB
"""

from __future__ import annotations

from typing import Any


class CortexError(Exception):
    """Root of every error Cortex raises."""


class UserError(CortexError):
    """The API was called in a way it does not support."""


class InvalidStreamNameError(UserError, ValueError):
    """A stream, category or id breaks the naming rules of Message DB."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"invalid stream name {name!r}: {problem}")

    def __reduce__(self) -> tuple[type[InvalidStreamNameError], tuple[str, str]]:
        return (type(self), (self.name, self.problem))


class UnknownAgentError(UserError):
    """No agent definition is registered under that name (and version)."""

    def __init__(self, name: str, version: str | None, known: list[str]) -> None:
        self.agent_name = name
        self.version = version
        self.known = known
        shown = name if version is None else f"{name}@{version}"
        super().__init__(f"no agent {shown!r} is defined; known agents: {', '.join(known) or 'none'}")

    def __reduce__(self) -> tuple[type[UnknownAgentError], tuple[str, str | None, list[str]]]:
        return (type(self), (self.agent_name, self.version, self.known))


class SessionNotFoundError(UserError):
    """No session exists with that thread id."""

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        super().__init__(f"no session {thread_id!r}: `cortex list` shows the sessions")

    def __reduce__(self) -> tuple[type[SessionNotFoundError], tuple[str]]:
        return (type(self), (self.thread_id,))


class NothingToApproveError(UserError):
    """An approval decision names a tool call that is not waiting for one."""


class ConfigurationError(CortexError):
    """A configuration value is missing or malformed."""


class ModelConfigurationError(ConfigurationError):
    """A model string is unknown, or its provider is missing credentials or a server URL."""


class SessionFailed(CortexError):
    """A session ended in failure, or a replay of it diverged; the message says why."""


class ToolFailed(CortexError):
    """Raised by a tool to fail its call with exactly this message (no exception type prefixed).

    A control-flow signal, not a Cortex failure: the model reads `message` in `ToolExecutionFailed`.
    """

    def __init__(self, message: str, *, reason: str = "error") -> None:
        self.message = message
        self.reason = reason
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_tool_failed, (self.message, self.reason))


def _rebuild_tool_failed(message: str, reason: str) -> ToolFailed:
    return ToolFailed(message, reason=reason)


class ModelCallError(CortexError):
    """A model call failed; `retryable` says whether trying again may help."""

    def __init__(self, error_type: str, message: str, *, retryable: bool) -> None:
        self.error_type = error_type
        self.message = message
        self.retryable = retryable
        super().__init__(f"{error_type}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_model_call_error, (self.error_type, self.message, self.retryable))


def _rebuild_model_call_error(error_type: str, message: str, retryable: bool) -> ModelCallError:
    return ModelCallError(error_type, message, retryable=retryable)


class EventSchemaError(CortexError):
    """A stored event cannot be read as its declared type.

    Unknown *types* are not an error (they are kept and skipped); a known type with data that does
    not validate, or a `schemaVersion` newer than this code understands, is.
    """


class StoreError(CortexError):
    """The event store failed."""


class ConcurrencyError(StoreError):
    """Another writer got there first: the stream is not at the expected version.

    The text matches Message DB's own (`Wrong expected version: … (Stream: …, Stream Version: …)`)
    so operators see one message whatever the adapter. Re-read the stream and decide again.
    """

    def __init__(self, stream_name: str, expected_version: int, actual_version: int | None) -> None:
        self.stream_name = stream_name
        self.expected_version = expected_version
        self.actual_version = actual_version
        shown = -1 if actual_version is None else actual_version
        super().__init__(f"Wrong expected version: {expected_version} (Stream: {stream_name}, Stream Version: {shown})")

    def __reduce__(self) -> tuple[type[ConcurrencyError], tuple[str, int, int | None]]:
        return (type(self), (self.stream_name, self.expected_version, self.actual_version))


class DuplicateMessageIdError(StoreError):
    """A message id was reused for a different stream; ids must be unique across the store."""

    def __init__(self, message_id: str, stream_name: str, existing_stream_name: str) -> None:
        self.message_id = message_id
        self.stream_name = stream_name
        self.existing_stream_name = existing_stream_name
        super().__init__(
            f"message id {message_id} is already written to stream {existing_stream_name!r}; "
            f"cannot write it to {stream_name!r} (generate a fresh id per message)"
        )

    def __reduce__(self) -> tuple[type[DuplicateMessageIdError], tuple[str, str, str]]:
        return (type(self), (self.message_id, self.stream_name, self.existing_stream_name))


class StoreUnavailableError(StoreError):
    """The database could not be reached, or stayed locked longer than allowed."""


class MessageDBNotInstalledError(StoreError):
    """The PostgreSQL database is reachable but Message DB is not installed in it."""

    def __init__(self, database: str) -> None:
        self.database = database
        super().__init__(
            f"Message DB is not installed in database {database!r}: run "
            f"`scripts/install-message-db.sh postgresql://…/{database}` (installs @eventide/message-db 1.3.1)"
        )

    def __reduce__(self) -> tuple[type[MessageDBNotInstalledError], tuple[str]]:
        return (type(self), (self.database,))
