"""The aiogram edge: building the Bot and delivering outbox rows through it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters

from bot.services import sealed
from bot.telegram.redact import Redactor
from bot.telegram.sender import BadRequest, Forbidden, Migrated, RetryAfter, Temporary
from models import OutboxMessage


def make_bot(token: str, api_base: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else AiohttpSession()
    return Bot(
        token=token,
        session=session,
        default=DefaultBotProperties(link_preview=LinkPreviewOptions(is_disabled=True)),
    )


class AiogramTransport:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # Errors become the outbox row's last_error and log lines; a network error quotes the URL.
        self.clean = Redactor([bot.token])

    async def send(self, message: OutboxMessage) -> int:
        markup = InlineKeyboardMarkup.model_validate(message.reply_markup) if message.reply_markup else None
        reply = (
            ReplyParameters(message_id=message.reply_to_message_id, allow_sending_without_reply=True)
            if message.reply_to_message_id
            else None
        )
        try:
            if message.method == "sendMessage":
                sent = await self.bot.send_message(
                    message.chat_id,
                    sealed.for_sending(message.text) or "",
                    parse_mode=message.parse_mode,
                    reply_markup=markup,
                    reply_parameters=reply,
                )
            elif message.method == "editMessageText":
                edited = await self.bot.edit_message_text(
                    sealed.for_sending(message.text),
                    chat_id=message.chat_id,
                    message_id=message.edits_message_id or 0,
                    parse_mode=message.parse_mode,
                    reply_markup=markup,
                )
                sealed.delivered(message.text)
                return edited.message_id if not isinstance(edited, bool) else message.edits_message_id or 0
            elif message.telegram_file_id is not None:
                send = {
                    "sendDocument": self.bot.send_document,
                    "sendPhoto": self.bot.send_photo,
                    "sendVideo": self.bot.send_video,
                    "sendVoice": self.bot.send_voice,
                    "sendAudio": self.bot.send_audio,
                    "sendAnimation": self.bot.send_animation,
                }.get(message.method)
                if message.method == "sendVideoNote":
                    sent = await self.bot.send_video_note(message.chat_id, message.telegram_file_id)
                elif send is None:
                    raise BadRequest(f"unknown method {message.method}")
                else:
                    # The bound methods differ in their file parameter's name, so the dict's value type is object;
                    # each takes the chat and the file first.
                    sent = await send(
                        message.chat_id,
                        message.telegram_file_id,  # type: ignore[operator]
                        caption=message.text or None,
                        parse_mode=message.parse_mode,
                    )
            elif message.method == "sendDocument":
                sent = await self.bot.send_document(
                    message.chat_id,
                    BufferedInputFile(message.file_bytes or b"", message.file_name or "file"),
                    caption=message.text or None,
                    parse_mode=message.parse_mode,
                )
            elif message.method == "sendPhoto":
                sent = await self.bot.send_photo(
                    message.chat_id,
                    BufferedInputFile(message.file_bytes or b"", message.file_name or "photo.png"),
                    caption=message.text or None,
                    parse_mode=message.parse_mode,
                )
            else:
                raise BadRequest(f"unknown method {message.method}")
        except TelegramRetryAfter as exc:
            raise RetryAfter(float(exc.retry_after)) from exc
        except TelegramMigrateToChat as exc:
            raise Migrated(exc.migrate_to_chat_id) from exc
        except TelegramForbiddenError as exc:
            raise Forbidden(self.clean(exc.message)) from exc
        except (TelegramBadRequest, TelegramNotFound) as exc:
            raise BadRequest(self.clean(exc.message)) from exc
        except (TelegramNetworkError, TelegramServerError, OSError, TimeoutError) as exc:
            raise Temporary(self.clean(str(exc))) from exc
        except TelegramAPIError as exc:
            # Unauthorized (a revoked token), conflicts and the like: nothing is wrong with the
            # message itself, so it waits and is retried rather than thrown away.
            raise Temporary(self.clean(f"{type(exc).__name__}: {exc.message}")) from exc
        sealed.delivered(message.text)
        return sent.message_id

    async def download(self, file_id: str, destination: Path) -> None:
        """A file a user sent, fetched through getFile into `destination`."""
        await asyncio.to_thread(destination.parent.mkdir, parents=True, exist_ok=True)
        try:
            await self.bot.download(file_id, destination=destination)
        except (TelegramNetworkError, TelegramServerError, OSError, TimeoutError) as exc:
            raise Temporary(self.clean(str(exc))) from exc
        except (TelegramBadRequest, TelegramNotFound) as exc:
            raise BadRequest(self.clean(exc.message)) from exc
