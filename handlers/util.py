"""Small helpers shared by the routers: replies go through the outbox like every message."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from bot.i18n import t
from bot.services import outbox
from bot.services.access import Actor
from bot.services.coordination import CoordinationError
from bot.services.uow import UnitOfWork

if TYPE_CHECKING:
    from aiogram.types import CallbackQuery

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


async def answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answers a pressed button (the spinner stops), with a toast or, for a refusal, an alert."""
    await quietly(query.answer(text, show_alert=alert))


async def edit(query: CallbackQuery, text: str, markup: dict[str, Any] | None) -> None:
    """Rewrites the pressed button's message in place (a listing's next page, a picker's choice)."""
    from aiogram.types import InlineKeyboardMarkup

    if query.message is not None:
        await quietly(
            query.message.edit_text(  # type: ignore[union-attr]  # our own message; one over 48 h old cannot be edited
                text, reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None
            )
        )


async def unmark(query: CallbackQuery) -> None:
    """Takes the buttons off the pressed message once they have done their work."""
    if query.message is not None:
        await quietly(query.message.edit_reply_markup(reply_markup=None))  # type: ignore[union-attr]  # our own message; one over 48 h old cannot be edited


async def rekey(query: CallbackQuery, markup: dict[str, Any]) -> None:
    """Replaces the pressed message's buttons (a task acknowledged, a report to be re-read)."""
    from aiogram.types import InlineKeyboardMarkup

    if query.message is not None:
        await quietly(
            query.message.edit_reply_markup(  # type: ignore[union-attr]  # our own message; one over 48 h old cannot be edited
                reply_markup=InlineKeyboardMarkup.model_validate(markup)
            )
        )
