"""Runtime configuration, read from the environment and an optional `.env` file.

Nothing here is created at import time: callers build `Settings()` when they start,
so tests can construct their own with explicit values.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# What @BotFather issues: the bot's numeric id, a colon, then letters, digits, "_" and "-".
_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")


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
    invite_ttl_hours: int = Field(default=72, gt=0, le=8760)
    # How coordinators hear about new reports: "instant" or "digest".
    report_notify: str = "instant"
    # Coordinators' report cards and acknowledgement notices wait this long, so that a unit's
    # several reports (or several acknowledgements) arrive as one message; 0 sends each at once.
    notice_window_seconds: int = Field(default=120, ge=0, le=3600)
    # Where the office keeps copies of the evidence contacts send; unset: Telegram's copy only.
    evidence_dir: str | None = None
    # Checked against China's working days when it fires.
    digest_cron: str = "30 16 * * *"
    summary_cron: str = "0 9 * * mon"
    scheduler_tick_seconds: float = Field(default=15.0, gt=0)
    # For trials only: run Duban's clock this many times faster than real time, optionally from a
    # given instant (ISO 8601). CLOCK_SPEED=720 makes a working day pass in two real minutes.
    clock_speed: float = Field(default=1.0, gt=0)
    clock_start: datetime | None = None
    # Follow-up rule defaults as JSON, e.g. FOLLOWUPS='{"ack_remind_after_wd": 2, "warn_before_wd": [5, 2]}'.
    # Per policy and per task: `duban followups set --policy ID key=value`.
    followups: dict[str, Any] = Field(default_factory=dict)
    # Outbox pacing, per Telegram's published limits.
    rate_global_per_sec: float = Field(default=30.0, gt=0)
    rate_per_chat_per_sec: float = Field(default=1.0, gt=0)
    rate_per_group_per_min: int = Field(default=20, gt=0)
    # A failed update is tried three times over this many seconds before it is parked (bot/telegram/polling.py).
    update_retry_seconds: float = Field(default=10.0, ge=0, le=300)
    # FULL: a reply Duban has confirmed (and Telegram has forgotten) must survive a power cut too.
    sqlite_synchronous: str = "FULL"
    holiday_notice_dir: Path | None = None
    # The office's province ("江西省" — the bundled directory —, "广东省", "北京市" …), a city
    # ("江西省南昌市") or "central": the unit directory documents are read against. The central units
    # are there for every office.
    office_province: str = "江西省"
    # The office's own rows of the directory (`duban units import`). Default: beside the SQLite file
    # (duban.db → duban.units.json), else in the working directory.
    units_file: Path | None = None
    # Imports above these are refused with the figure in the message: a file's size, and the text
    # read from it (300,000 characters ≈ 490 pages of 616 characters).
    import_max_bytes: int = Field(default=20_000_000, gt=0)
    import_max_chars: int = Field(default=300_000, gt=0)
    log_level: str = "INFO"
    # Webhook mode (`duban run --webhook URL`): Telegram POSTs updates to WEBHOOK_URL, which a reverse
    # proxy forwards to WEBHOOK_LISTEN + WEBHOOK_PATH. Long polling is used when WEBHOOK_URL is unset.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1:8080"
    webhook_path: str = "/telegram"
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; requests without it are refused.
    webhook_secret: SecretStr | None = None
    # A self-signed certificate to upload with setWebhook (not needed behind a proxy with a CA cert).
    webhook_cert: Path | None = None

    @field_validator("bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never repeats the value: it is the one secret here.
        if value is None or not value.get_secret_value().strip():
            return None
        if not _TOKEN.fullmatch(value.get_secret_value().strip()):
            raise ValueError("BOT_TOKEN does not look like a token from @BotFather (digits:letters)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_base")
    @classmethod
    def _check_api_base(cls, value: str | None) -> str | None:
        # aiogram appends "/bot<token>/<method>" to this; a malformed base only fails at the first
        # request, in an exception whose text is the whole URL, token included.
        if value is None or not value.strip():
            return None
        value = value.strip()
        example = "e.g. http://127.0.0.1:8081"
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError as exc:  # a port out of range or not a number, a broken IPv6 literal
            raise ValueError(f"TELEGRAM_API_BASE is not a valid URL ({exc}); {example}") from None
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"TELEGRAM_API_BASE must start with http:// or https:// ({example})")
        if not parts.hostname:
            raise ValueError(f"TELEGRAM_API_BASE has no host name ({example})")
        if port == 0:
            raise ValueError(f"TELEGRAM_API_BASE: port must be between 1 and 65535 ({example})")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"TELEGRAM_API_BASE must be scheme://host[:port][/path] only ({example})")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url

        # The value is not repeated: a PostgreSQL URL may carry a password.
        try:
            driver = make_url(value).drivername
        except Exception:  # sqlalchemy's parse error quotes the whole URL
            raise ValueError(
                "DATABASE_URL is not a valid database URL, e.g. sqlite+aiosqlite:///duban.db"
            ) from None
        if driver not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(
                f"DATABASE_URL: driver {driver!r} is not supported; "
                "use sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"TIMEZONE {value!r} is not an IANA time zone name, e.g. Asia/Shanghai"
            ) from None
        return value

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        if value.lower() not in ("zh", "en"):
            raise ValueError("DEFAULT_LANGUAGE must be zh or en")
        return value.lower()

    @field_validator("work_start", "work_end")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9]{1,2}:[0-9]{2}", value.strip()):
            raise ValueError(f"{value!r} is not a time of day HH:MM, e.g. 09:00")
        try:
            return time.fromisoformat(value.strip().zfill(5)).strftime("%H:%M")
        except ValueError:
            raise ValueError(f"{value!r} is not a time of day HH:MM, e.g. 09:00") from None

    @field_validator("digest_cron", "summary_cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a crontab expression (minute hour day month weekday): {exc}"
            ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError:
            raise ValueError(
                "WEBHOOK_URL is not a valid URL, e.g. https://duban.example.gov.cn/telegram"
            ) from None
        if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            # Telegram delivers to HTTPS only; plain http is accepted for a local test API server.
            raise ValueError("WEBHOOK_URL must start with https:// (Telegram delivers to HTTPS only)")
        if not parts.hostname:
            raise ValueError("WEBHOOK_URL has no host name")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        host, sep, port = value.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("WEBHOOK_LISTEN must be host:port, e.g. 127.0.0.1:8080")
        return value.strip()

    @field_validator("webhook_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9_./-]*", value.strip()) or value.strip() == "/healthz":
            raise ValueError("WEBHOOK_PATH must be a URL path such as /telegram (not /healthz)")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token; the value is never repeated.
        if value is None or not value.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _check_webhook(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET is required in webhook mode (1 to 256 characters of "
                "A-Z, a-z, 0-9, _ and -), e.g. from: python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'"
            )
        if self.webhook_cert is not None and not self.webhook_cert.is_file():
            raise ValueError(f"WEBHOOK_CERT: no such file {self.webhook_cert}")
        return self

    def webhook_host_port(self) -> tuple[str, int]:
        host, _, port = self.webhook_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @model_validator(mode="after")
    def _check_hours(self) -> Settings:
        if self.work_start >= self.work_end:
            raise ValueError(f"WORK_START ({self.work_start}) must be before WORK_END ({self.work_end})")
        return self

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

    @field_validator("office_province")
    @classmethod
    def _check_province(cls, value: str) -> str:
        from config.directory import canonical_province

        return canonical_province(value)

    def office_units_path(self) -> Path | None:
        """Where the office's own directory rows are kept (None for an in-memory database)."""
        if self.units_file is not None:
            return self.units_file
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                return None
            return Path(url.database).with_suffix(".units.json")
        return Path("duban.units.json")

    def token_value(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None


def describe_errors(error: ValidationError) -> str:
    """One line per bad setting, named as in the environment. pydantic's own text quotes each
    input value, and BOT_TOKEN's value is a secret, so inputs are left out."""
    lines = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        name = "_".join(str(part) for part in item["loc"]).upper()
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if name and not message.startswith(name) else message)
    return "; ".join(lines)
