"""Which updates may join a batch of progress replies (bot/services/ingest.py), and the hook that
commits the batch before the next getUpdates confirms its updates to Telegram."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.enums import ChatType
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Update

from bot.app import App
from bot.services.coordination import IncomingReport
from bot.services.ingest import QueuedReply, ReplyIngest
from handlers.contact import attachment_of

BATCHABLE_CHATS = (ChatType.PRIVATE, ChatType.GROUP, ChatType.SUPERGROUP)


def queued_reply(update: Update, data: dict[str, Any]) -> QueuedReply | None:
    """A reply to one of the bot's messages, outside any guided flow; None for everything else.

    Only what the update itself shows is checked here; who may report on what is decided with
    the database, for the whole batch (declined replies come back through `fallback`)."""
    message = update.message
    bot: Bot = data["bot"]
    if message is None or message.reply_to_message is None or message.from_user is None:
        return None
    replied_author = message.reply_to_message.from_user
    if (replied_author is None or replied_author.id != bot.id or message.from_user.is_bot
            or message.chat.type not in BATCHABLE_CHATS or message.sticker is not None
            or (message.text or message.caption or "").startswith("/")  # as aiogram's Command reads it
            or data.get("raw_state") is not None):
        return None
    name = message.from_user.full_name or str(message.from_user.id)
    kind, file_id, file_name = attachment_of(message)
    incoming = IncomingReport(chat_id=message.chat.id, message_id=message.message_id,
                              text=message.text or message.caption or "", author=name, attachment_kind=kind,
                              attachment_file_id=file_id, attachment_name=file_name)
    return QueuedReply(update_id=update.update_id, user_id=message.from_user.id, chat_id=message.chat.id,
                       name=name, replied_message_id=message.reply_to_message.message_id, incoming=incoming,
                       token=(bot, update))


def attach_ingest(dispatcher: Dispatcher, app: App) -> ReplyIngest:
    """Turns batching on for this dispatcher; the caller must flush before each getUpdates
    (`FlushBeforePolling`) and close it at shutdown."""

    async def the_usual_way(item: QueuedReply) -> None:
        bot, update = item.token
        await dispatcher.feed_update(bot, update, ingest_fallback=True)

    sender = dispatcher.workflow_data.get("sender")
    ingest = ReplyIngest(app, fallback=the_usual_way, on_commit=sender.wake if sender is not None else None)
    dispatcher["ingest"] = ingest
    return ingest


class FlushBeforePolling(BaseRequestMiddleware):
    """getUpdates with a higher offset tells Telegram the earlier updates were handled: commit first."""

    def __init__(self, ingest: ReplyIngest) -> None:
        self.ingest = ingest

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):
            await self.ingest.flush()
        return await make_request(bot, method)
