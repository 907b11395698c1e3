"""Models: the registry over pydantic-ai, event ↔ message conversion, and the local llama.cpp adapter."""

from cortex.models._call import request_model
from cortex.models._convert import from_model_response, to_model_messages, tool_definitions
from cortex.models._registry import ModelSpec, describe_model, resolve_model

__all__ = [
    "ModelSpec",
    "describe_model",
    "from_model_response",
    "request_model",
    "resolve_model",
    "to_model_messages",
    "tool_definitions",
]
