"""The FSM storage remembers committed states, and never one that was rolled back."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from bot.app import App
from bot.telegram import SqlStorage, update_session

KEY = StorageKey(bot_id=1, chat_id=10, user_id=10)


async def test_states_are_remembered_only_once_committed(app: App) -> None:
    storage = SqlStorage(app.sessions, app.clock, gate=app.gate)
    assert await storage.get_state(KEY) is None  # now remembered as "no state"
    await storage.set_state(KEY, "Flow:text")
    await storage.set_data(KEY, {"aid": 7})
    assert await storage.get_state(KEY) == "Flow:text"
    assert await storage.get_data(KEY) == {"aid": 7}

    # Written inside an update whose transaction then fails: the update itself sees it, no one after.
    async with app.sessions() as session:
        token = update_session.set(session)
        try:
            await storage.set_state(KEY, "Flow:percent")
            assert await storage.get_state(KEY) == "Flow:percent"
            await session.rollback()
        finally:
            update_session.reset(token)
            storage.forget(session.info.get("fsm_written", ()))
    assert await storage.get_state(KEY) == "Flow:text"

    # Committed inside an update: seen afterwards, and by a new process over the same database.
    async with app.sessions() as session:
        token = update_session.set(session)
        try:
            await storage.set_state(KEY, None)
            await session.commit()
        finally:
            update_session.reset(token)
            storage.forget(session.info.get("fsm_written", ()))
    assert await storage.get_state(KEY) is None
    assert await SqlStorage(app.sessions, app.clock, gate=app.gate).get_state(KEY) is None
    assert await SqlStorage(app.sessions, app.clock, gate=app.gate).get_data(KEY) == {"aid": 7}


async def test_a_read_that_overlaps_a_write_is_not_remembered(app: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A read starts, a write commits, then the read returns the old value: it must not be cached."""
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession

    storage = SqlStorage(app.sessions, app.clock, gate=app.gate)
    real_get = AsyncSession.get
    pause_next = asyncio.Event()
    paused, release = asyncio.Event(), asyncio.Event()

    async def slow_get(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = await real_get(self, *args, **kwargs)
        if pause_next.is_set():
            pause_next.clear()
            paused.set()
            await release.wait()
        return result

    monkeypatch.setattr(AsyncSession, "get", slow_get)
    pause_next.set()
    reader = asyncio.create_task(storage.get_state(KEY))
    await paused.wait()  # the reader has the old row (none) in hand
    async with app.sessions() as writer:
        token = update_session.set(writer)
        try:
            await storage.set_state(KEY, "Flow:status")
            await writer.commit()
        finally:
            update_session.reset(token)
            storage.forget(writer.info.get("fsm_written", ()))
    release.set()
    assert await reader is None  # what it read was true when it read it
    assert await storage.get_state(KEY) == "Flow:status"


async def test_data_handed_out_cannot_change_what_is_remembered(app: App) -> None:
    storage = SqlStorage(app.sessions, app.clock, gate=app.gate)
    await storage.set_data(KEY, {"draft": {"percent": 10}})
    first = await storage.get_data(KEY)
    first["draft"]["percent"] = 99
    assert (await storage.get_data(KEY))["draft"]["percent"] == 10
