"""Answers first: an update from a chat holds that chat's scheduled sends until its answer is out.

Registered before the session middleware, so the hold is on before the update waits for the write
gate or its handling starts: the answer then finds the chat's 1/s slot free instead of waiting
behind the task messages a dispatch queued for it (bot/telegram/claims.py, Claims.hold).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EVENT_CHAT_KEY
from aiogram.types import Chat, TelegramObject


class AnswerFirstMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender = data.get("sender")
        chat: Chat | None = data.get(EVENT_CHAT_KEY)
        if sender is not None and chat is not None:
            sender.hold_for_answer(chat.id)
        return await handler(event, data)
