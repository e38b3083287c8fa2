"""The FSM storage keeps a flow's step in the database, committed or rolled back with its update."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from bot.app import App
from bot.telegram.fsm import SqlStorage
from tests.conftest import Harness
from tests.test_bot_flow import YICHUN, dispatch_and_find

KEY = StorageKey(bot_id=1, chat_id=10, user_id=10)


async def test_a_step_commits_or_rolls_back_with_its_update(app: App) -> None:
    storage = SqlStorage(app.sessions, app.clock, gate=app.gate)
    assert await storage.get_state(KEY) is None
    await storage.set_state(KEY, "Flow:text")
    await storage.set_data(KEY, {"aid": 7})
    assert await storage.get_state(KEY) == "Flow:text"
    assert await storage.get_data(KEY) == {"aid": 7}

    # Written inside an update whose transaction then fails: the update itself sees it, no one after.
    async with app.sessions() as session:
        in_update = storage.bound(session)
        await in_update.set_state(KEY, "Flow:percent")
        assert await in_update.get_state(KEY) == "Flow:percent"
        await session.rollback()
    assert await storage.get_state(KEY) == "Flow:text"

    # Committed inside an update: seen afterwards, and by a new process over the same database.
    async with app.sessions() as session:
        await storage.bound(session).set_state(KEY, None)
        await session.commit()
    assert await storage.get_state(KEY) is None
    assert await SqlStorage(app.sessions, app.clock, gate=app.gate).get_state(KEY) is None
    assert await SqlStorage(app.sessions, app.clock, gate=app.gate).get_data(KEY) == {"aid": 7}


async def test_data_handed_out_cannot_change_what_is_stored(app: App) -> None:
    storage = SqlStorage(app.sessions, app.clock, gate=app.gate)
    await storage.set_data(KEY, {"draft": {"percent": 10}})
    first = await storage.get_data(KEY)
    first["draft"]["percent"] = 99
    assert (await storage.get_data(KEY))["draft"]["percent"] == 10


async def test_a_half_finished_flow_survives_a_restart(harness: Harness) -> None:
    from bot.telegram.fsm import SqlStorage
    from handlers import build_dispatcher

    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.press_button(YICHUN, task_msg, "申请延期")
    await h.deliver()
    # The process restarts: a new Dispatcher and storage over the same database.
    h.dispatcher = build_dispatcher(
        h.app, storage=SqlStorage(h.app.sessions, h.app.clock, gate=h.app.gate), sender=h.sender
    )
    h.srv.send_text(YICHUN, "2025-12-31 等待用地批复")
    await h.deliver()
    assert "已提交" in h.srv.messages_to(YICHUN)[-1].text
