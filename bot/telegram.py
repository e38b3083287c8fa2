"""The aiogram edge: building the Bot and delivering outbox rows through it."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

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
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db import WriteGate
from bot.redact import Redactor
from bot.sender import BadRequest, Forbidden, Migrated, RetryAfter, Temporary
from bot.services import sealed
from models import FsmState, OutboxMessage


def make_bot(token: str, api_base: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else AiohttpSession()
    return Bot(token=token, session=session, default=DefaultBotProperties(
        link_preview=LinkPreviewOptions(is_disabled=True)))


class AiogramTransport:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # Errors become the outbox row's last_error and log lines; a network error quotes the URL.
        self.clean = Redactor([bot.token])

    async def send(self, message: OutboxMessage) -> int:
        markup = InlineKeyboardMarkup.model_validate(message.reply_markup) if message.reply_markup else None
        reply = (ReplyParameters(message_id=message.reply_to_message_id, allow_sending_without_reply=True)
                 if message.reply_to_message_id else None)
        try:
            if message.method == "sendMessage":
                sent = await self.bot.send_message(message.chat_id, sealed.for_sending(message.text),
                                                   parse_mode=message.parse_mode, reply_markup=markup,
                                                   reply_parameters=reply)
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


class SqlStorage(BaseStorage):
    """aiogram FSM storage in the database, so a half-finished flow survives a restart.

    Bound to an update's session (`bound`, which the session middleware does for every update), a
    step's state joins that transaction: SQLite has one writer, and a step of a flow should commit
    (or roll back) with the update that made it. Unbound, each call is its own short transaction.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 gate: WriteGate, session: AsyncSession | None = None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.gate = gate  # required, as for the sender: its writes take turns with everyone's
        self.session = session

    def bound(self, session: AsyncSession) -> SqlStorage:
        return SqlStorage(self.sessions, self.clock, self.gate, session)

    @staticmethod
    def _key(key: StorageKey) -> str:
        return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or ''}:{key.destiny}"

    async def _write(self, key: StorageKey, **values: Any) -> None:
        if self.session is not None:
            await self._write_in(self.session, key, values)
            return
        async with self.gate(), self.sessions() as session, session.begin():
            await self._write_in(session, key, values)

    async def _write_in(self, session: AsyncSession, key: StorageKey, values: dict[str, Any]) -> None:
        row = await session.get(FsmState, self._key(key))
        if row is None:
            row = FsmState(key=self._key(key), data={})
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = self.clock.now()
        await session.flush()

    async def _read(self, key: StorageKey) -> FsmState | None:
        if self.session is not None:
            return await self.session.get(FsmState, self._key(key))
        async with self.sessions() as session:
            return await session.get(FsmState, self._key(key))
    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        # A copy: what the handler changes is written only through set_data.
        return copy.deepcopy(row.data or {}) if row else {}

    async def close(self) -> None:
        return None
