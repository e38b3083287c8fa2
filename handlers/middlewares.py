"""One unit of work per update, the update claimed once, and the acting user resolved."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import CallbackQuery, TelegramObject, Update
from sqlalchemy.exc import IntegrityError

from bot.app import App
from bot.i18n import normalise_language, t
from bot.services import events, paused
from bot.services.access import actor_from_contacts, read_contacts
from bot.services.uow import UnitOfWork
from bot.telegram.fsm import SqlStorage
from bot.telegram.inflight import InFlight
from models import ProcessedUpdate

log = logging.getLogger(__name__)


class SessionMiddleware(BaseMiddleware):
    """Outer middleware on updates: opens the unit of work, claims update_id, commits, wakes the sender.

    It also gives the handlers their FSM context, bound to the update's session (the Dispatcher is
    built with aiogram's own FSM middleware turned off), so a flow's step commits or rolls back with
    the update that made it."""

    def __init__(self, fsm: FSMContextMiddleware) -> None:
        self.fsm = fsm

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        app: App = data["app"]
        assert isinstance(event, Update)
        inflight: InFlight | None = data.get("inflight")
        async with contextlib.AsyncExitStack() as stack:
            if inflight is not None:
                await stack.enter_async_context(inflight.track())
            await stack.enter_async_context(app.gate())
            return await self._handle(handler, event, data, app)

    async def _handle(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: Update,
        data: dict[str, Any],
        app: App,
    ) -> Any:
        async with app.sessions() as session:
            uow = app.unit_of_work(session)
            # The claim commits with the handling, so a crash mid-way leaves the update
            # unclaimed and Telegram's redelivery is handled, not dropped.
            session.add(ProcessedUpdate(update_id=event.update_id, processed_at=uow.now))
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                log.info("update %s delivered twice; ignored", event.update_id)
                return None
            data["uow"] = uow
            await self._read_who_and_state(data, uow)
            try:
                result = await handler(event, data)
                await events.write_added(session)
                await uow.commit()
            except IntegrityError:
                # A concurrent delivery of the same update won the claim.
                await session.rollback()
                log.info("update %s handled concurrently; this copy dropped", event.update_id)
                return None
            except Exception:
                await session.rollback()
                raise
        sender = data.get("sender")
        if sender is not None:
            sender.wake()
        return result

    async def _read_who_and_state(self, data: dict[str, Any], uow: UnitOfWork) -> None:
        """Reads who writes (for `ActorMiddleware`) and the chat's flow state in one query, and
        provides what aiogram's FSMContextMiddleware would, with the storage bound to this session."""
        storage = self.fsm.storage
        data["fsm_storage"] = storage
        context = self.fsm.resolve_event_context(data["bot"], data)
        flow_key = None
        if isinstance(storage, SqlStorage) and context is not None:
            context = FSMContext(storage=storage.bound(uow.session), key=context.key)
            flow_key = storage.key_of(context.key)
        user = data.get("event_from_user")
        if user is not None:
            chat = data.get("event_chat")
            data[CONTACTS], flow = await read_contacts(
                uow, user_id=user.id, chat_id=chat.id if chat else user.id, flow_key=flow_key
            )
            if flow_key is not None:
                # The flow's row came with the contacts: no row, no flow.
                data["state"], data["raw_state"] = context, flow.state if flow is not None else None
                return
        if context is not None:
            data["state"], data["raw_state"] = context, await context.get_state()


# Where the session middleware leaves the acting user's bindings for `ActorMiddleware`.
CONTACTS = "actor_contacts"


def _implausible(data: str | None) -> bool:
    return data is None or any(part.isdigit() and len(part) > 12 for part in data.split(":"))


class ActorMiddleware(BaseMiddleware):
    """Resolves who is acting from the database; handlers decide what that role may do."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        chat = data.get("event_chat")
        if user is None:
            return await handler(event, data)
        app: App = data["app"]
        if isinstance(event, CallbackQuery) and _implausible(event.data):
            # Forged ids past the database's integer range would fail deep in a query.
            await event.answer(
                t(normalise_language(app.settings.default_language), "button.forged"), show_alert=True
            )
            return None
        data["actor"] = actor_from_contacts(
            data[CONTACTS],
            user_id=user.id,
            chat_id=chat.id if chat else user.id,
            name=user.full_name or str(user.id),
            default_language=normalise_language(app.settings.default_language),
        )
        if any(contact.paused_at is not None for contact in data["actor"].contacts):
            await paused.resume(data["uow"], data["actor"])
        return await handler(event, data)
