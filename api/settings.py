"""Server configuration from flags or PRECEDENT_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRECEDENT_")

    index: Path = Field(Path(".precedent"), description="Index directory to serve.")
    model: str | None = Field(None, description="Embedding model; default: the index's model.")
    api_key: SecretStr | None = Field(
        None, description="Key for write endpoints (X-API-Key header); unset: writes are off."
    )
    max_upload_bytes: int = Field(25 * 1024 * 1024, description="Largest accepted upload.")
    lock_timeout: float = Field(120, description="Seconds an upload waits for the write lock.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
