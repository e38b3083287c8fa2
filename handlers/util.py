"""Small helpers shared by the routers: replies go through the outbox like every message."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.i18n import t
from bot.services import outbox
from bot.services.access import Actor
from bot.services.coordination import CoordinationError


def say(session: AsyncSession, app: App, chat_id: int, text: str, *, markup: dict[str, Any] | None = None,
        reply_to: int | None = None, purpose: str = "reply") -> None:
    outbox.enqueue(session, chat_id=chat_id, text=text, now=app.clock.now(), reply_markup=markup,
                   reply_to_message_id=reply_to, purpose=purpose)


def refusal(actor: Actor, error: CoordinationError) -> str:
    return t(actor.language, error.key, **error.values)


def parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip().lstrip("#")
    return int(value) if value.isdigit() else None
