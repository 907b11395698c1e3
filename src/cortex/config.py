"""One settings object for the whole process (env prefix `CORTEX_`, optional `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cortex.exceptions import ConfigurationError

__all__ = ["Settings", "get_settings"]

_SCHEMES = ("sqlite://", "postgresql://", "postgres://", "memory://")


class Settings(BaseSettings):
    """Cortex configuration; every field reads `CORTEX_<NAME>` from the environment."""

    model_config = SettingsConfigDict(env_prefix="CORTEX_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".cortex")
    """Where the embedded SQLite database and local state live."""
    database_url: str | None = None
    """`postgresql://…` for Message DB, `sqlite:///path`; default: the SQLite file in `data_dir`."""

    model: str = "local:smollm2"
    """The default model for agents that name none (`openai:gpt-4o`, `openai-compatible:llama3@http://…`)."""
    fallback_models: list[str] = []
    """Models tried after the default one fails (JSON list or comma-separated)."""
    openai_base_url: str | None = None
    """Send `openai:` models to this OpenAI-compatible server (LM Studio, Ollama, vLLM, llama.cpp)."""
    files_dir: Path | None = None
    """Root of the built-in file tools; default `<data_dir>/files`."""
    agents_module: str | None = None
    """`package.module:attribute` holding the agents to serve (an `AgentRegistry`, a list of `Agent`s,
    or a function returning either); default: the built-in assistant."""

    env: Literal["development", "production"] = "development"
    """`production` refuses to serve without `CORTEX_JWT_SECRET`."""
    jwt_secret: SecretStr | None = None
    """Signs access and refresh tokens; required in production (development makes one per data dir)."""
    redis_url: str | None = None
    """Rate limits and live token chunks shared across processes (in-process without it)."""
    rate_limit_per_minute: int = Field(default=600, ge=1)
    """Requests per minute per API key or user."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Largest accepted request body."""
    webhook_max_attempts: int = Field(default=6, ge=1)
    """Attempts before a webhook delivery is dead-lettered."""
    webhook_backoff_s: float = Field(default=2.0, ge=0)
    """Delay before the first retry of a webhook delivery; doubles with every attempt."""

    @field_validator("fallback_models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def resolved_files_dir(self) -> Path:
        """Where the built-in file tools may read and write."""
        return self.files_dir or self.data_dir / "files"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(_SCHEMES):
            raise ValueError(f"expected a URL starting with one of {', '.join(_SCHEMES)}")
        return value or None

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use, defaulting to `sqlite:///<data_dir>/cortex.db`."""
        return self.database_url or f"sqlite:///{self.data_dir / 'cortex.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Load settings once; a bad value fails with the variable's name and what was expected."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = "CORTEX_" + str(error["loc"][0]).upper() if error["loc"] else "CORTEX_*"
        raise ConfigurationError(f"{name}: {error['msg']}") from exc
