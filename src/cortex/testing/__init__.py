"""Test doubles users need too: a scripted model that answers without any provider.

pydantic-ai's `FunctionModel` and `TestModel` work with Cortex as well; `ScriptedModel` is leaner
(no token estimation, no thread hop) for benchmarks and for tests that count every microsecond.
"""

from cortex.testing._scripted import ScriptedModel, Turn, reply, tool_calls

__all__ = ["ScriptedModel", "Turn", "reply", "tool_calls"]
