"""Long polling on aiogram's public API, where Telegram is told an update was handled only once it
was handled and committed, or parked where it survives.

aiogram's `start_polling` moves the getUpdates offset past every update it has fed, whether its
handler succeeded or raised, so an update that failed (a full disk, a database gone read-only) was
confirmed and lost. Here one update is handled by `UpdateHandler.handle` (feed, retry with backoff,
park), a step the webhook mode can call too; `Poller` advances the offset only past updates that
step accounts for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from aiogram.utils.backoff import Backoff, BackoffConfig

log = logging.getLogger(__name__)

# What aiogram's start_polling uses between failed getUpdates calls.
NETWORK_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)
POLL_TIMEOUT = 10


class Outcome(StrEnum):
    HANDLED = "handled"  # handled and committed (or a duplicate already handled)
    PARKED = "parked"  # could not be handled; its raw content is kept in the dead-letter store
    KEPT = "kept"  # could not be handled nor parked: Telegram must keep it and deliver it again


@dataclass(frozen=True)
class RetryPolicy:
    """Waits between the tries of one update: three tries over about ten seconds by default."""

    delays: tuple[float, ...] = (3.0, 7.0)

    @property
    def tries(self) -> int:
        return len(self.delays) + 1


class DeadLetterFile:
    """Updates that could not be handled, one JSON object a line, appended and fsynced: the place
    that survives when the database itself is the problem."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode()
        with self.path.open("ab") as f:
            written = f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if written != len(data):  # pragma: no cover - buffered writes raise instead
            raise OSError(f"short write to {self.path}")

    def read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records = []
        for line in text.splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:  # a line cut short by a crash mid-append: nothing after it is lost
                log.warning("unreadable line in %s skipped", self.path)
        return records

    def replace(self, records: Sequence[dict[str, Any]]) -> None:
        """Keeps only `records` (those still not handled); atomically, so a crash keeps the old file."""
        if not records:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("wb") as f:
            for record in records:
                f.write((json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def __len__(self) -> int:
        return len(self.read())


def dead_letter_path(database_path: Path | None, fallback_dir: Path) -> Path:
    """Beside the database file (duban.db → duban.db.deadletter.jsonl), else in the working directory."""
    if database_path is not None:
        return database_path.with_name(database_path.name + ".deadletter.jsonl")
    return fallback_dir / "duban.deadletter.jsonl"


def parked_record(update: Any, error: BaseException | None, now: datetime | None = None) -> dict[str, Any]:
    """The update's raw JSON as Telegram sent it (aiogram's model dumped without defaults), and why."""
    return {
        "update_id": update.update_id,
        "update": update.model_dump(mode="json", exclude_unset=True, by_alias=True),
        "error": f"{type(error).__name__}: {error}"[:500] if error is not None else None,
        "parked_at": (now or datetime.now(UTC)).isoformat(),
    }


Feed = Callable[[Any], Awaitable[Any]]
OnFailure = Callable[[Any, BaseException, bool], Awaitable[None]]
Store = Callable[[dict[str, Any]], Awaitable[None]]


class UpdateHandler:
    """Handles one update: feed it, retry what fails, park what still fails, tell the user once."""

    def __init__(
        self,
        feed: Feed,
        dead_letters: DeadLetterFile,
        *,
        store: Store | None = None,
        policy: RetryPolicy | None = None,
        on_failure: OnFailure | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`store`: parks a record in the database (the dead-letter table); the file is for when
        that fails too."""
        self.feed = feed
        self.dead_letters = dead_letters
        self.store = store
        self.policy = policy or RetryPolicy()
        self.on_failure = on_failure
        self.sleep = sleep
        self.parked = 0  # since start: parked updates make the caller look for a chance to replay
        self.handled_since_park = False
        # Updates that could not be parked come back with the next getUpdates; their sender was
        # told once already.
        self._told: set[int] = set()

    async def handle(self, update: Any) -> Outcome:
        error = await self.attempt(update, tries=self.policy.tries)
        if error is None:
            self._told.discard(update.update_id)
            self.handled_since_park = True
            return Outcome.HANDLED
        saved = await self.park(update, error)
        if self.on_failure is not None and update.update_id not in self._told:
            try:
                await self.on_failure(update, error, saved)
            except Exception:
                log.exception("telling the sender of update %s about the failure failed", update.update_id)
        if saved:
            self._told.discard(update.update_id)
            self.parked += 1
            self.handled_since_park = False
            return Outcome.PARKED
        self._told.add(update.update_id)
        return Outcome.KEPT

    async def attempt(self, update: Any, *, tries: int) -> BaseException | None:
        """Feeds the update up to `tries` times; None once it was handled, else the last error."""
        error: BaseException | None = None
        for n in range(tries):
            if n:
                await self.sleep(self.policy.delays[min(n - 1, len(self.policy.delays) - 1)])
            try:
                await self.feed(update)
                return None
            except Exception as exc:
                error = exc
                log.warning(
                    "update %s failed (try %d of %d): %s: %s",
                    update.update_id,
                    n + 1,
                    tries,
                    type(exc).__name__,
                    exc,
                )
        return error

    async def park(self, update: Any, error: BaseException | None) -> bool:
        record = parked_record(update, error)
        if self.store is not None:
            try:
                await self.store(record)
                log.error("update %s could not be handled; parked in the database", update.update_id)
                return True
            except Exception as exc:
                log.warning(
                    "update %s could not be parked in the database (%s: %s); trying %s",
                    update.update_id,
                    type(exc).__name__,
                    exc,
                    self.dead_letters.path,
                )
        try:
            self.dead_letters.append(record)
        except OSError as exc:
            log.error(
                "update %s could not be parked in %s (%s); Telegram keeps it",
                update.update_id,
                self.dead_letters.path,
                exc,
            )
            return False
        log.error("update %s could not be handled; parked in %s", update.update_id, self.dead_letters.path)
        return True


@dataclass
class Replay:
    """What replaying the parked updates did."""

    handled: list[dict[str, Any]]
    still_parked: list[dict[str, Any]]

    @property
    def total(self) -> int:
        return len(self.handled) + len(self.still_parked)


async def replay(
    handler: UpdateHandler, load: Callable[[dict[str, Any]], Any], records: Sequence[dict[str, Any]]
) -> Replay:
    """Feeds parked updates once more, in their order (one try each: they had their retries)."""
    done: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    for record in records:
        try:
            update = load(record["update"])
        except Exception as exc:
            log.error("parked update %s cannot be read: %s", record.get("update_id"), exc)
            left.append(record)
            continue
        error = await handler.attempt(update, tries=1)
        (left if error is not None else done).append(record)
    return Replay(handled=done, still_parked=left)


async def replay_parked(handler: UpdateHandler, load: Callable[[dict[str, Any]], Any]) -> Replay:
    """Replays the dead-letter file: those handled leave it, the others stay, in their order."""
    result = await replay(handler, load, handler.dead_letters.read())
    if result.handled:
        handler.dead_letters.replace(result.still_parked)
    return result


class Poller:
    """getUpdates in a loop: the offset moves past an update only once `handler` has accounted for
    it (handled or parked). An update it could do neither with stops the batch; after a pause it is
    fetched again."""

    def __init__(
        self,
        bot: Any,
        handler: UpdateHandler,
        *,
        allowed_updates: list[str] | None = None,
        timeout: int = POLL_TIMEOUT,
        backoff: BackoffConfig = NETWORK_BACKOFF,
        after_batch: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.handler = handler
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.backoff_config = backoff
        self.after_batch = after_batch
        self.offset: int | None = None
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Stops at the next getUpdates, or after the update being handled."""
        self._stop.set()

    async def run(self) -> None:
        network = Backoff(self.backoff_config)
        kept = Backoff(self.backoff_config)
        failed = False
        while not self._stop.is_set():
            try:
                updates = await self._until_stopped(
                    self.bot.get_updates(
                        offset=self.offset,
                        timeout=self.timeout,
                        allowed_updates=self.allowed_updates,
                        request_timeout=self.timeout + 30,
                    )
                )
            except _Stopped:
                return
            except Exception as exc:
                failed = True
                delay = next(network)
                log.error(
                    "getUpdates failed (%s: %s); trying again in %.1f s", type(exc).__name__, exc, delay
                )
                await self._pause(delay)
                continue
            if failed:
                log.info("getUpdates works again")
                network.reset()
                failed = False
            stuck = False
            for update in updates:
                if self._stop.is_set():
                    return  # the rest stays unconfirmed; Telegram delivers it again after the restart
                outcome = await self.handler.handle(update)
                if outcome is Outcome.KEPT:
                    stuck = True
                    break
                self.offset = update.update_id + 1
            if stuck:
                await self._pause(next(kept))
                continue
            kept.reset()
            if self.after_batch is not None:
                try:
                    await self.after_batch()
                except Exception:
                    log.exception("after-batch step failed")

    async def _until_stopped(self, call: Awaitable[Any]) -> Any:
        fetch = asyncio.ensure_future(call)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetch
            raise _Stopped
        return fetch.result()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=max(0.0, seconds))


class _Stopped(Exception):
    pass
