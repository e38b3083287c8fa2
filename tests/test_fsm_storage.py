"""The FSM storage remembers committed states, and never one that was rolled back."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from bot.app import App
from bot.telegram import SqlStorage, update_session

KEY = StorageKey(bot_id=1, chat_id=10, user_id=10)


async def test_states_are_remembered_only_once_committed(app: App) -> None:
    storage = SqlStorage(app.sessions, app.clock)
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
    assert await SqlStorage(app.sessions, app.clock).get_state(KEY) is None
    assert await SqlStorage(app.sessions, app.clock).get_data(KEY) == {"aid": 7}


async def test_a_read_racing_an_uncommitted_write_is_forgotten(app: App) -> None:
    storage = SqlStorage(app.sessions, app.clock)
    async with app.sessions() as writer:
        token = update_session.set(writer)
        try:
            await storage.set_state(KEY, "Flow:status")
        finally:
            update_session.reset(token)
        # Another task reads meanwhile: it sees (and remembers) the committed "no state".
        assert await storage.get_state(KEY) is None
        await writer.commit()
        storage.forget(writer.info.get("fsm_written", ()))
    assert await storage.get_state(KEY) == "Flow:status"
