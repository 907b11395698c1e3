"""One model request through `pydantic_ai.direct`, with provider errors turned into `ModelCallError`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic_ai import exceptions as pai_errors
from pydantic_ai.direct import model_request, model_request_stream
from pydantic_ai.messages import ModelMessage, ModelResponse, PartDeltaEvent, PartStartEvent, TextPart, TextPartDelta
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.settings import ModelSettings

from cortex.exceptions import ModelCallError

__all__ = ["request_model"]

TextSink = Callable[[str], None]


def _classify(exc: BaseException) -> ModelCallError:
    """Retryable: rate limits, overload, server errors, timeouts, dropped connections, garbled output."""
    retryable_types: tuple[type[BaseException], ...] = (
        pai_errors.ModelRateLimitError,
        pai_errors.ModelUnavailableError,
        pai_errors.ModelServerError,
        pai_errors.ModelConnectionError,
        pai_errors.ModelRequestTimeout,
        pai_errors.UnexpectedModelBehavior,
        TimeoutError,
        ConnectionError,
    )
    if isinstance(exc, pai_errors.ModelHTTPError):
        retryable = exc.status_code in (408, 409, 425, 429) or exc.status_code >= 500
    else:
        retryable = isinstance(exc, retryable_types)
    return ModelCallError(type(exc).__name__, str(exc) or type(exc).__name__, retryable=retryable)


async def request_model(
    model: Model,
    messages: Sequence[ModelMessage],
    parameters: ModelRequestParameters,
    settings: dict[str, Any] | None = None,
    on_text: TextSink | None = None,
) -> ModelResponse:
    """Call the model; stream text deltas to `on_text` when given.

    Raises:
        ModelCallError: the call failed; `retryable` tells the engine whether to try again.
    """
    model_settings = ModelSettings(**settings) if settings else None  # type: ignore[typeddict-item]
    try:
        if on_text is None:
            return await model_request(
                model, list(messages), model_settings=model_settings, model_request_parameters=parameters
            )
        async with model_request_stream(
            model, list(messages), model_settings=model_settings, model_request_parameters=parameters
        ) as stream:
            async for event in stream:
                if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart) and event.part.content:
                    on_text(event.part.content)
                elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                    on_text(event.delta.content_delta)
            return stream.get()
    except ModelCallError:
        raise
    except Exception as exc:  # every provider failure becomes one typed error for the engine
        raise _classify(exc) from exc
