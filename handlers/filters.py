"""Role filters. Roles come from the database (ActorMiddleware), never from the update.

They are coroutines because aiogram runs a plain function filter in a worker thread (a thread
hop per filter, per update, for a comparison)."""

from __future__ import annotations

from aiogram.types import Message, TelegramObject

from bot.services.access import Actor


async def is_stranger(_event: TelegramObject, actor: Actor | None = None) -> bool:
    return actor is not None and not actor.known


async def is_coordinator(_event: TelegramObject, actor: Actor | None = None) -> bool:
    return actor is not None and actor.is_coordinator


async def is_member(_event: TelegramObject, actor: Actor | None = None) -> bool:
    return actor is not None and actor.known


async def is_reply(message: Message) -> bool:
    """`F.reply_to_message`, awaited on the event loop instead of in a worker thread."""
    return message.reply_to_message is not None
