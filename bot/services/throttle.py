"""Failed invitation attempts per user: after a few in a window, further ones are not checked.

Kept in this process's memory, not the database. A code is 128 random bits, so the limit is about
load and noise, not about making a guess likelier: a restart that grants a user a fresh few tries
costs nothing, while a table would add a write for every failed attempt, itself a way to load the
bot. Time comes from the caller (the injected clock).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

FAILURES = 5
WINDOW = timedelta(minutes=10)
# Users remembered at once; the ones seen longest ago are dropped first.
MAX_USERS = 10_000


class AttemptThrottle:
    def __init__(
        self, failures: int = FAILURES, window: timedelta = WINDOW, max_users: int = MAX_USERS
    ) -> None:
        self.failures = failures
        self.window = window
        self.max_users = max_users
        self._failed: dict[int, deque[datetime]] = {}
        self._told: dict[int, datetime] = {}

    def _recent(self, user_id: int, now: datetime) -> deque[datetime]:
        times = self._failed.get(user_id)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failed.pop(user_id, None)
        return times

    def blocked(self, user_id: int, now: datetime) -> bool:
        return len(self._recent(user_id, now)) >= self.failures

    def retry_at(self, user_id: int, now: datetime) -> datetime:
        """When the oldest failure in the window leaves it, so one more attempt is checked."""
        times = self._recent(user_id, now)
        return times[0] + self.window if times else now

    def failed(self, user_id: int, now: datetime) -> None:
        times = self._failed.pop(user_id, None) or deque()
        times.append(now)
        while len(times) > self.failures:
            times.popleft()
        self._failed[user_id] = times  # re-inserted: the dict's order is last seen
        while len(self._failed) > self.max_users:
            self._failed.pop(next(iter(self._failed)))

    def succeeded(self, user_id: int) -> None:
        self._failed.pop(user_id, None)
        self._told.pop(user_id, None)

    def should_answer_blocked(self, user_id: int, now: datetime) -> bool:
        """One "try later" per lockout, not one per message: an answer for each guess would be
        the flood the limit is there to stop."""
        until = self.retry_at(user_id, now)
        told = self._told.get(user_id)
        if told is not None and told >= until:
            return False
        self._told[user_id] = until
        while len(self._told) > self.max_users:
            self._told.pop(next(iter(self._told)))
        return True
