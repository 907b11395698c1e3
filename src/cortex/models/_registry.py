"""Model strings → pydantic-ai models (DESIGN.md §6). Adding a provider is one branch here."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from pydantic_ai.exceptions import UserError as PydanticAIUserError
from pydantic_ai.models import Model, infer_model

from cortex.exceptions import ModelConfigurationError

__all__ = ["ModelSpec", "describe_model", "resolve_model"]

ModelSpec = str | Model

_cache: dict[tuple[str, str | None], Model] = {}
_cache_lock = threading.Lock()


def describe_model(spec: ModelSpec) -> str:
    """A printable name for a model spec."""
    return spec if isinstance(spec, str) else f"{spec.system}:{spec.model_name}"


def _openai_compatible(model_name: str, base_url: str) -> Model:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    if not base_url.startswith(("http://", "https://")):
        raise ModelConfigurationError(
            f"OpenAI-compatible base URL must start with http:// or https://, got {base_url!r}"
        )
    api_key = os.environ.get("OPENAI_API_KEY") or "not-needed"
    return OpenAIChatModel(model_name, provider=OpenAIProvider(base_url=base_url, api_key=api_key))


def _local(target: str) -> Model:
    from cortex.models.local import LocalModel, smollm2_path

    if target == "smollm2":
        return LocalModel(smollm2_path(), name="smollm2")
    return LocalModel(Path(target).expanduser())


def _build(spec: str, openai_base_url: str | None) -> Model:
    if spec == "test":
        return infer_model("test")  # pydantic-ai's TestModel: answers without any provider, for tests and demos
    provider, colon, name = spec.partition(":")
    if not colon or not name:
        raise ModelConfigurationError(
            f"model {spec!r} is not of the form provider:name (e.g. openai:gpt-4o, local:smollm2)"
        )
    if provider == "local":
        return _local(name)
    if provider == "openai-compatible":
        model_name, at, base_url = name.rpartition("@")
        if not at or not model_name:
            raise ModelConfigurationError(f"{spec!r}: use openai-compatible:<model>@<base_url>")
        return _openai_compatible(model_name, base_url)
    if provider == "openai" and openai_base_url:
        return _openai_compatible(name, openai_base_url)
    try:
        return infer_model(spec)
    except PydanticAIUserError as exc:
        raise ModelConfigurationError(f"model {spec!r}: {exc}") from exc
    except ImportError as exc:
        raise ModelConfigurationError(f"model {spec!r} needs an optional package: {exc}") from exc


def resolve_model(spec: ModelSpec, *, openai_base_url: str | None = None) -> Model:
    """Return the model a spec names, building it once per process (clients and weights are reused).

    Raises:
        ModelConfigurationError: unknown provider, malformed string, or missing credentials.
    """
    if isinstance(spec, Model):
        return spec
    key = (spec, openai_base_url)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _build(spec, openai_base_url)
        return _cache[key]
