"""What `duban run` does about updates that could not be handled: the apology, the dead-letter
file beside the database, replaying it when the database takes writes again, and the notice that
tells the coordinators. Used by the polling runner (and the webhook mode to come)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.app import App
from bot.polling import DeadLetterFile, RetryPolicy, UpdateHandler, dead_letter_path, replay_parked
from bot.services import parked
from bot.writable import sqlite_file
from config.settings import Settings

log = logging.getLogger("duban")


def dead_letters_for(settings: Settings) -> DeadLetterFile:
    return DeadLetterFile(dead_letter_path(sqlite_file(settings.database_url), Path.cwd()))


class Recovery:
    def __init__(self, app: App, bot: Bot, dispatcher: Dispatcher, settings: Settings, *,
                 wake: Callable[[], None] | None = None, policy: RetryPolicy | None = None) -> None:
        from handlers.errors import apologise

        self.app = app
        self.bot = bot
        self.wake = wake

        async def feed(update: Update) -> Any:
            return await dispatcher.feed_update(bot, update)

        async def on_failure(update: Update, error: BaseException, saved: bool) -> None:
            await apologise(app, bot, update, saved=saved)

        spread = settings.update_retry_seconds
        self.handler = UpdateHandler(feed, dead_letters_for(settings), on_failure=on_failure,
                                     policy=policy or RetryPolicy(delays=(spread * 0.3, spread * 0.7)))
        self._parked_seen = 0

    def _load(self, data: dict[str, Any]) -> Update:
        return Update.model_validate(data, context={"bot": self.bot})

    async def replay(self) -> None:
        """Feeds the parked updates again; the coordinators hear of what was parked."""
        if not self.handler.dead_letters.path.exists() or not self.handler.dead_letters.path.stat().st_size:
            return
        result = await replay_parked(self.handler, self._load)
        log.info("replayed %d parked updates, %d still parked", len(result.handled), len(result.still_parked))
        if not result.total:
            return
        try:
            async with self.app.gate(), self.app.sessions() as session, session.begin():
                await parked.notify_coordinators(
                    session, parked=[*result.handled, *result.still_parked], handled=len(result.handled),
                    left=len(result.still_parked), where=str(self.handler.dead_letters.path), now=self.app.clock.now())
        except Exception:
            log.exception("the coordinators could not be told about the parked updates")
            return
        if self.wake is not None:
            self.wake()

    async def after_batch(self) -> None:
        """Once updates are handled again after some were parked, the database works: replay them."""
        if self.handler.parked > self._parked_seen and self.handler.handled_since_park:
            self._parked_seen = self.handler.parked
            await self.replay()
