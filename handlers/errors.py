"""The last word on an update that failed: a polite answer in the user's language, never silence."""

from __future__ import annotations

import logging

from aiogram.types import ErrorEvent

from bot.app import App
from bot.i18n import t
from bot.services import outbox
from bot.services.access import resolve_actor
from handlers.util import quietly

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, app: App) -> bool:
    update = event.update
    log.error("update %s failed: %s", update.update_id, event.exception, exc_info=event.exception)
    source = update.message or update.edited_message or (update.callback_query.message if update.callback_query
                                                        else None)
    user = (update.message or update.edited_message or update.callback_query)
    user_id = user.from_user.id if user is not None and user.from_user is not None else None
    chat_id = source.chat.id if source is not None else user_id
    if chat_id is None or user_id is None:
        return True
    async with app.work() as uow:
        actor = await resolve_actor(uow, user_id=user_id, chat_id=chat_id, name="",
                                    default_language=app.settings.default_language)
        text = t(actor.language, "error.generic")
        if update.callback_query is not None:
            await quietly(update.callback_query.answer(text, show_alert=True))
        else:
            outbox.enqueue(uow.session, chat_id=chat_id, text=text, now=uow.now, purpose="error")
    return True
