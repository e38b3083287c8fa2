"""Time comes from an injected clock so services and jobs can be tested at any instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at.astimezone(UTC)

    def advance(self, **kwargs: float) -> datetime:
        self._now += timedelta(**kwargs)
        return self._now


class ScaledClock:
    """Time that runs `speed` times faster than the wall clock, from `start` (default: now).

    For trying the follow-up rules by hand: at speed 720 a working day passes in two real
    minutes, so a new user sees reminders, working-hour waits and escalations in one sitting.
    """

    def __init__(self, speed: float, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._origin_real = datetime.now(UTC)
        self._origin = (start or self._origin_real).astimezone(UTC)

    def now(self) -> datetime:
        elapsed = datetime.now(UTC) - self._origin_real
        return self._origin + elapsed * self.speed
