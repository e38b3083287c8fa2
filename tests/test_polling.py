"""The polling loop (bot/telegram/polling.py) with a fake bot: the offset never moves past an update that
failed unless it was parked, retries are bounded, parked updates are kept whole and replayed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiogram.types import Update
from aiogram.utils.backoff import BackoffConfig

from bot.telegram.polling import DeadLetterFile, Outcome, Poller, RetryPolicy, UpdateHandler, replay_parked

FAST = BackoffConfig(min_delay=0.01, max_delay=0.02, factor=1.5, jitter=0.0)


def update(update_id: int, text: str = "hi", user: int = 7) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_700_000_000,
                "text": text,
                "chat": {"id": user, "type": "private"},
                "from": {"id": user, "is_bot": False, "first_name": f"U{user}"},
            },
        }
    )


class FakeBot:
    """Telegram's side of getUpdates: an update stays until a call carries an offset past it."""

    def __init__(self, updates: list[Update]) -> None:
        self.pending = list(updates)
        self.offsets: list[int | None] = []

    async def get_updates(
        self,
        *,
        offset: int | None,
        timeout: int,  # noqa: ASYNC109
        allowed_updates: Any,
        request_timeout: int,
    ) -> list[Update]:
        self.offsets.append(offset)
        if offset is not None:
            self.pending = [u for u in self.pending if u.update_id >= offset]
        await asyncio.sleep(0)
        return list(self.pending)


class Feed:
    def __init__(self, failing: set[int]) -> None:
        self.failing = failing
        self.calls: list[int] = []
        self.handled: list[int] = []

    async def __call__(self, u: Update) -> None:
        self.calls.append(u.update_id)
        if u.update_id in self.failing:
            raise OSError("disk I/O error")
        self.handled.append(u.update_id)


async def no_sleep(_: float) -> None:
    return None


async def run_until(poller: Poller, condition: Any, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    task = asyncio.create_task(poller.run())
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            assert asyncio.get_running_loop().time() < deadline, "condition not reached"
            assert not task.done(), task
            await asyncio.sleep(0.005)
    finally:
        poller.stop()
        await asyncio.wait_for(task, 5)


async def test_a_failing_update_is_not_confirmed_while_it_cannot_be_parked(tmp_path: Path) -> None:
    told: list[tuple[int, bool]] = []

    async def on_failure(u: Update, error: BaseException, saved: bool) -> None:
        told.append((u.update_id, saved))

    unwritable = DeadLetterFile(tmp_path / "missing-dir" / "dead.jsonl")  # its directory does not exist
    feed = Feed(failing={11})
    handler = UpdateHandler(
        feed, unwritable, policy=RetryPolicy(delays=(0.0, 0.0)), on_failure=on_failure, sleep=no_sleep
    )
    bot = FakeBot([update(10), update(11), update(12)])
    poller = Poller(bot, handler, backoff=FAST)
    await run_until(poller, lambda: feed.calls.count(11) >= 6)

    assert feed.handled == [10], "nothing after the failing update is handled out of order"
    assert 11 in [u.update_id for u in bot.pending], "the failing update is still Telegram's"
    assert all(offset is None or offset <= 11 for offset in bot.offsets), bot.offsets
    assert told == [(11, False)], "the sender is told once, and not that it was saved"


async def test_retries_are_bounded_and_then_the_update_is_parked_and_confirmed(tmp_path: Path) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    told: list[tuple[int, bool]] = []

    async def on_failure(u: Update, error: BaseException, saved: bool) -> None:
        told.append((u.update_id, saved))

    dead = DeadLetterFile(tmp_path / "duban.db.deadletter.jsonl")
    feed = Feed(failing={21})
    handler = UpdateHandler(
        feed, dead, policy=RetryPolicy(delays=(3.0, 7.0)), on_failure=on_failure, sleep=sleep
    )
    bot = FakeBot([update(20), update(21, "进度 50%", user=8), update(22)])
    poller = Poller(bot, handler, backoff=FAST)
    await run_until(poller, lambda: feed.handled == [20, 22] and not bot.pending and len(bot.offsets) > 2)

    assert feed.calls.count(21) == 3 and waits == [3.0, 7.0], (feed.calls, waits)
    assert told == [(21, True)]
    records = dead.read()
    assert [r["update_id"] for r in records] == [21]
    assert records[0]["update"]["message"]["text"] == "进度 50%"
    assert "disk I/O error" in records[0]["error"]
    assert records[0]["update"]["message"]["from"]["first_name"] == "U8", "Telegram's own field names"
    assert Update.model_validate(records[0]["update"]) == update(21, "进度 50%", user=8)


async def test_handled_updates_leave_the_dead_letter_file_on_replay_and_the_rest_stay(tmp_path: Path) -> None:
    dead = DeadLetterFile(tmp_path / "dead.jsonl")
    feed = Feed(failing={31, 32, 33})
    handler = UpdateHandler(feed, dead, policy=RetryPolicy(delays=()), sleep=no_sleep)
    for n in (31, 32, 33):
        assert await handler.handle(update(n)) is Outcome.PARKED
    feed.failing = {32}  # the database works again, but 32 fails for its own reasons
    feed.calls.clear()

    result = await replay_parked(handler, Update.model_validate)

    assert [r["update_id"] for r in result.handled] == [31, 33]
    assert [r["update_id"] for r in result.still_parked] == [32]
    assert feed.calls == [31, 32, 33], "one try each on replay"
    assert [r["update_id"] for r in dead.read()] == [32]
    feed.failing = set()
    await replay_parked(handler, Update.model_validate)
    assert not dead.path.exists()


async def test_network_errors_back_off_and_polling_resumes(tmp_path: Path) -> None:
    class FlakyBot(FakeBot):
        failures = 3

        async def get_updates(self, **kwargs: Any) -> list[Update]:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("no route")
            return await super().get_updates(**kwargs)

    feed = Feed(failing=set())
    bot = FlakyBot([update(40)])
    poller = Poller(
        bot,
        UpdateHandler(feed, DeadLetterFile(tmp_path / "d.jsonl")),
        backoff=FAST,
        allowed_updates=["message"],
    )
    await run_until(poller, lambda: feed.handled == [40] and not bot.pending)
    assert bot.failures == 0
