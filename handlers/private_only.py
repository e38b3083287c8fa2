"""Coordinator listings asked in a group: answered with a pointer to the private chat, not the data.

Placed before the coordinator's and members' routers, so no listing handler needs its own check;
the rule itself is `access.answers_in_private_only`.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.i18n import t
from bot.services.access import PRIVATE_LISTINGS, Actor, answers_in_private_only
from bot.services.uow import UnitOfWork
from handlers.callbacks import PageAction
from handlers.util import quietly, say


def _listing_in_group(_message: Message, command: CommandObject, actor: Actor | None = None) -> bool:
    return actor is not None and answers_in_private_only(actor, command.command)


def _page_in_group(_query: CallbackQuery, actor: Actor | None = None) -> bool:
    return actor is not None and answers_in_private_only(actor, "board")


async def listing_in_group(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor) -> None:
    say(
        uow,
        message.chat.id,
        t(actor.language, "private_only", command=command.command.lower()),
        reply_to=message.message_id,
    )


async def page_in_group(query: CallbackQuery, actor: Actor) -> None:
    await quietly(query.answer(t(actor.language, "private_only.button"), show_alert=True))


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="private-only")
    router.message.register(listing_in_group, Command(*PRIVATE_LISTINGS), _listing_in_group)
    router.callback_query.register(page_in_group, PageAction.filter(), _page_in_group)
    return router
