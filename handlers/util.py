"""Small helpers shared by the routers: replies go through the outbox like every message."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import Any

from bot.i18n import t
from bot.services import outbox
from bot.services.access import Actor
from bot.services.coordination import CoordinationError
from bot.services.uow import UnitOfWork

log = logging.getLogger(__name__)


def say(
    uow: UnitOfWork,
    chat_id: int,
    text: str,
    *,
    markup: dict[str, Any] | None = None,
    reply_to: int | None = None,
    purpose: str = "reply",
) -> None:
    outbox.enqueue(
        uow.session,
        chat_id=chat_id,
        text=text,
        now=uow.now,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        purpose=purpose,
    )


def refusal(actor: Actor, error: CoordinationError) -> str:
    return t(actor.language, error.key, **error.values)


def parse_int(value: str | None) -> int | None:
    """An id or a measure number: ASCII digits only (str.isdigit accepts '²'), within SQLite's range."""
    if value is None:
        return None
    value = value.strip().lstrip("#")
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


async def quietly(call: Awaitable[Any]) -> None:
    """Cosmetic Telegram calls (removing a pressed button): their failure must not undo the change
    the user was just told about, so it is logged and ignored."""
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

    try:
        await call
    except (TelegramAPIError, TelegramNetworkError) as exc:
        log.info("cosmetic Telegram call failed: %s", exc)
