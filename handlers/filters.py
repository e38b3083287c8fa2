"""Role filters. Roles come from the database (ActorMiddleware), never from the update."""

from __future__ import annotations

from aiogram.types import TelegramObject

from bot.services.access import Actor


def is_stranger(_event: TelegramObject, actor: Actor | None = None) -> bool:
    return actor is not None and not actor.known


def is_coordinator(_event: TelegramObject, actor: Actor | None = None) -> bool:
    return actor is not None and actor.is_coordinator


def is_member(_event: TelegramObject, actor: Actor | None = None) -> bool:
    return actor is not None and actor.known
