"""The aiogram edge: building the Bot and delivering outbox rows through it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters

from bot.sender import BadRequest, Forbidden, RetryAfter, Temporary
from models import OutboxMessage


def make_bot(token: str, api_base: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else AiohttpSession()
    return Bot(token=token, session=session, default=DefaultBotProperties(
        link_preview=LinkPreviewOptions(is_disabled=True)))


class AiogramTransport:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: OutboxMessage) -> int:
        markup = InlineKeyboardMarkup.model_validate(message.reply_markup) if message.reply_markup else None
        reply = (ReplyParameters(message_id=message.reply_to_message_id, allow_sending_without_reply=True)
                 if message.reply_to_message_id else None)
        try:
            if message.method == "sendMessage":
                sent = await self.bot.send_message(message.chat_id, message.text, parse_mode=message.parse_mode,
                                                   reply_markup=markup, reply_parameters=reply)
            elif message.method == "sendDocument":
                sent = await self.bot.send_document(
                    message.chat_id, BufferedInputFile(message.file_bytes or b"", message.file_name or "file"),
                    caption=message.text or None, parse_mode=message.parse_mode)
            elif message.method == "sendPhoto":
                sent = await self.bot.send_photo(
                    message.chat_id, BufferedInputFile(message.file_bytes or b"", message.file_name or "photo.png"),
                    caption=message.text or None, parse_mode=message.parse_mode)
            else:
                raise BadRequest(f"unknown method {message.method}")
        except TelegramRetryAfter as exc:
            raise RetryAfter(float(exc.retry_after)) from exc
        except TelegramForbiddenError as exc:
            raise Forbidden(exc.message) from exc
        except TelegramBadRequest as exc:
            raise BadRequest(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError, OSError, TimeoutError) as exc:
            raise Temporary(str(exc)) from exc
        return sent.message_id
