"""What a unit's leader (分管领导) may do: read its unit's board. Nothing here changes state."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.domain.statuses import Status
from bot.services import access
from bot.services import board as board_service
from bot.services.uow import UnitOfWork
from bot.views import board as views
from handlers.util import say


async def is_leader(_event: object, actor: access.Actor | None = None) -> bool:
    return actor is not None and bool(actor.leader_unit_ids) and not actor.is_coordinator


async def leader_board(message: Message, uow: UnitOfWork, actor: access.Actor) -> None:
    """The leader's own units, read-only: each task with its light, state and deadline."""
    lang = actor.language
    units = sorted(actor.leader_unit_ids | actor.contact_unit_ids)
    names = await access.unit_names(uow, set(units))
    rows = await board_service.assignment_lines(uow, unit_ids=set(units))
    rows = [r for r in rows if r.status != Status.DRAFT]
    for text in views.leader_board(lang, names, rows):
        say(uow, message.chat.id, text)


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="leader")
    router.message.filter(is_leader)
    router.message.register(leader_board, Command("board"))
    return router
