"""Routers, assembled into a Dispatcher with its middlewares and workflow data."""

from __future__ import annotations

from typing import Any

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage

from bot.app import App
from bot.services.throttle import AttemptThrottle
from handlers import (
    common,
    contact,
    coordinator,
    corrections,
    import_chat,
    items,
    leader,
    private_only,
    workspace,
)
from handlers.answer_first import AnswerFirstMiddleware
from handlers.errors import on_error
from handlers.middlewares import ActorMiddleware, SessionMiddleware


def get_routers() -> list[Router]:
    """Fresh routers for one Dispatcher, in the order that matters."""
    # Order matters: strangers are stopped before any member handler, listings asked in a group are
    # turned to the private chat before anything answers them, coordinators' commands come before the
    # generic refusals, and the fallback answers whatever is left.
    return [
        common.make_router(),
        common.make_stranger_router(),
        private_only.make_router(),
        workspace.make_router(),
        items.make_router(),
        import_chat.make_router(),
        corrections.make_router(),
        coordinator.make_router(),
        leader.make_router(),
        coordinator.make_denied_router(),
        corrections.make_denied_router(),
        contact.make_router(),
        common.make_fallback_router(),
    ]


def build_dispatcher(
    app: App, *, storage: BaseStorage | None = None, errors_handled: bool = True, **workflow_data: Any
) -> Dispatcher:
    """`errors_handled=False` lets a failed update's exception reach the caller (bot/telegram/polling.py
    retries and parks it, then apologises knowing whether it was kept)."""
    # Failed invitation attempts, per user, for this process (bot/services/throttle.py says why).
    workflow_data.setdefault("invite_throttle", AttemptThrottle())
    # Background work handlers start (a summary asked for): `duban run` passes the one its
    # scheduler uses, so shutdown waits for both.
    if "jobs" not in workflow_data:
        from bot.jobs import Jobs

        sender = workflow_data.get("sender")
        workflow_data["jobs"] = Jobs(app, wake_sender=sender.wake if sender is not None else None)
    # The session middleware provides the FSM context itself, bound to the update's session.
    dispatcher = Dispatcher(storage=storage or MemoryStorage(), disable_fsm=True, app=app, **workflow_data)
    dispatcher.update.outer_middleware(AnswerFirstMiddleware())  # before the update waits for the gate
    dispatcher.update.outer_middleware(SessionMiddleware(dispatcher.fsm))
    for observer in (dispatcher.message, dispatcher.edited_message, dispatcher.callback_query):
        observer.outer_middleware(ActorMiddleware())
    dispatcher.include_routers(*get_routers())
    if errors_handled:
        dispatcher.errors.register(on_error)
    return dispatcher
