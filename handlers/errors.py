"""The last word on an update that failed: a polite answer in the user's language, never silence,
and never a claim that did not come true (the message is said to be saved only when it was parked)."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.types import ErrorEvent, Update

from bot.app import App
from bot.i18n import normalise_language, t
from bot.services import outbox
from bot.services.access import resolve_actor
from handlers.util import quietly

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, app: App, bot: Bot) -> bool:
    """For dispatchers fed directly (tests, tools): the update was rolled back and kept nowhere."""
    update = event.update
    log.error("update %s failed: %s", update.update_id, event.exception, exc_info=event.exception)
    await apologise(app, bot, update, saved=False)
    return True


def _who(update: Update) -> tuple[int | None, int | None]:
    source = (
        update.message
        or update.edited_message
        or (update.callback_query.message if update.callback_query else None)
    )
    user: Any = update.message or update.edited_message or update.callback_query
    user_id = user.from_user.id if user is not None and user.from_user is not None else None
    chat_id = source.chat.id if source is not None else user_id
    return user_id, chat_id


async def apologise(app: App, bot: Bot, update: Update, *, saved: bool) -> None:
    """Tells the sender their update failed: through the outbox when the database takes it, else
    straight to Telegram (the database may be the very thing that failed)."""
    user_id, chat_id = _who(update)
    if chat_id is None or user_id is None:
        return
    key = "error.parked" if saved else "error.generic"
    language = normalise_language(app.settings.default_language)
    try:
        async with app.work() as uow:
            actor = await resolve_actor(
                uow, user_id=user_id, chat_id=chat_id, name="", default_language=language
            )
            language = actor.language
            if update.callback_query is None:
                outbox.enqueue(
                    uow.session, chat_id=chat_id, text=t(language, key), now=uow.now, purpose="error"
                )
                return
    except Exception as exc:
        log.warning(
            "the apology for update %s could not be queued (%s); sent directly", update.update_id, exc
        )
        if update.callback_query is None:
            await quietly(bot.send_message(chat_id, t(language, key), parse_mode=None))
            return
    if update.callback_query is not None:
        await quietly(update.callback_query.answer(t(language, key), show_alert=True))
