"""What `duban run` does about updates that could not be handled: the apology, parking them (the
dead-letter table, or the file beside the database when the database is the problem), replaying
them once the database takes writes again, and the notice that tells the coordinators. Used by the
polling runner and the webhook mode alike."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.app import App
from bot.services import parked
from bot.telegram.polling import DeadLetterFile, RetryPolicy, UpdateHandler, dead_letter_path, replay
from bot.telegram.writable import sqlite_file
from config.settings import Settings

log = logging.getLogger("duban")

TABLE = "parkedupdate"


def dead_letters_for(settings: Settings) -> DeadLetterFile:
    return DeadLetterFile(dead_letter_path(sqlite_file(settings.database_url), Path.cwd()))


class Recovery:
    def __init__(
        self,
        app: App,
        bot: Bot,
        dispatcher: Dispatcher,
        settings: Settings,
        *,
        wake: Callable[[], None] | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        from handlers.errors import apologise

        self.app = app
        self.bot = bot
        self.wake = wake

        async def feed(update: Update) -> Any:
            return await dispatcher.feed_update(bot, update)

        async def store(record: dict[str, Any]) -> None:
            async with app.work() as uow:
                await parked.store(uow, record)

        async def on_failure(update: Update, error: BaseException, saved: bool) -> None:
            await apologise(app, bot, update, saved=saved)

        spread = settings.update_retry_seconds
        self.handler = UpdateHandler(
            feed,
            dead_letters_for(settings),
            store=store,
            on_failure=on_failure,
            policy=policy or RetryPolicy(delays=(spread * 0.3, spread * 0.7)),
        )
        self._parked_seen = 0

    def _load(self, data: dict[str, Any]) -> Update:
        return Update.model_validate(data, context={"bot": self.bot})

    async def replay(self) -> None:
        """Feeds the parked updates again. What is still not handled moves from the file into the
        table; the coordinators hear of what was parked (once for the table's rows)."""
        app = self.app
        dead = self.handler.dead_letters
        from_file = dead.read()
        try:
            async with app.work() as uow:
                from_table = await parked.waiting(uow)
        except Exception as exc:
            log.warning("parked updates in the database cannot be read (%s); the file's only", exc)
            from_table = []
        if not from_file and not from_table:
            return
        result = await replay(self.handler, self._load, [*from_file, *from_table])
        log.info("replayed %d parked updates, %d still parked", len(result.handled), len(result.still_parked))
        handled_rows = [r["row_id"] for r in result.handled if "row_id" in r]
        unannounced = [r for r in [*result.handled, *result.still_parked] if not r.get("announced")]
        try:
            async with app.work() as uow:
                # First, so that of two instances replaying the table at once only one announces
                # a row: its mark decides, and the other's finds the row marked.
                ours = await parked.claim_announcement(
                    uow, [r["row_id"] for r in unannounced if "row_id" in r]
                )
                told = [r for r in unannounced if "row_id" not in r or r["row_id"] in ours]
                for record in result.still_parked:
                    if "row_id" not in record:
                        await parked.store(uow, record)
                await uow.session.flush()
                await parked.mark_handled(uow, handled_rows)
                if told:
                    still = {r["update_id"] for r in result.still_parked}
                    left = sum(1 for r in told if r["update_id"] in still)
                    await parked.notify_coordinators(
                        uow, parked=told, handled=len(told) - left, left=left, where=TABLE
                    )
                # The newly stored ones are announced with this notice.
                await parked.mark_announced_by_update(
                    uow, [r["update_id"] for r in result.still_parked if "row_id" not in r]
                )
        except Exception:
            log.exception("the parked updates could not be recorded; the file keeps them")
            if result.handled and from_file:
                dead.replace([r for r in result.still_parked if "row_id" not in r])
            return
        if from_file:
            dead.replace([])  # handled, or in the table now
        if self.wake is not None:
            self.wake()

    async def after_batch(self) -> None:
        """Once updates are handled again after some were parked, the database works: replay them."""
        if self.handler.parked > self._parked_seen and self.handler.handled_since_park:
            self._parked_seen = self.handler.parked
            await self.replay()
