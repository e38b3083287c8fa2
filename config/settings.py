"""Runtime configuration, read from the environment and an optional `.env` file.

Nothing here is created at import time: callers build `Settings()` when they start,
so tests can construct their own with explicit values.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_prefix=""
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///duban.db",
        description="SQLAlchemy async URL; sqlite+aiosqlite (default) or postgresql+asyncpg",
    )
    # SecretStr keeps the token out of reprs and logs.
    bot_token: SecretStr | None = None
    telegram_api_base: str | None = Field(
        default=None, description="Bot API server base URL, e.g. http://127.0.0.1:8081"
    )
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    work_start: str = "09:00"
    work_end: str = "18:00"
    invite_ttl_hours: int = 72
    # How coordinators hear about new reports: "instant" or "digest".
    report_notify: str = "instant"
    # Checked against China's working days when it fires.
    digest_cron: str = "30 16 * * *"
    summary_cron: str = "0 9 * * mon"
    scheduler_tick_seconds: float = 15.0
    # For trials only: run Duban's clock this many times faster than real time, optionally from a
    # given instant (ISO 8601). CLOCK_SPEED=720 makes a working day pass in two real minutes.
    clock_speed: float = 1.0
    clock_start: datetime | None = None
    # Follow-up rule defaults as JSON, e.g. FOLLOWUPS='{"ack_remind_after_wd": 2, "warn_before_wd": [5, 2]}'.
    # Per policy and per task: `duban followups set --policy ID key=value`.
    followups: dict[str, Any] = Field(default_factory=dict)
    # Outbox pacing, per Telegram's published limits.
    rate_global_per_sec: float = 30.0
    rate_per_chat_per_sec: float = 1.0
    rate_per_group_per_min: int = 20
    sqlite_synchronous: str = "NORMAL"
    holiday_notice_dir: Path | None = None
    log_level: str = "INFO"

    @field_validator("report_notify")
    @classmethod
    def _check_notify(cls, value: str) -> str:
        if value not in {"instant", "digest"}:
            raise ValueError("REPORT_NOTIFY must be 'instant' or 'digest'")
        return value

    @field_validator("sqlite_synchronous")
    @classmethod
    def _check_sync(cls, value: str) -> str:
        value = value.upper()
        if value not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError("SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA")
        return value

    def token_value(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None
