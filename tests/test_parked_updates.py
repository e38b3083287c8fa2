"""A reply whose handling fails while the database works (a bug) is parked in the dead-letter
table, its sender told it was kept; replayed once the handling works, and the coordinators told once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram.types import Update
from sqlalchemy import select

from bot.telegram.fsm import SqlStorage
from bot.telegram.polling import Outcome, RetryPolicy
from bot.telegram.recovery import Recovery
from handlers import build_dispatcher
from models import ParkedUpdate, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import COORD, YICHUN, dispatch_and_find


def recovery_for(h: Harness) -> Recovery:
    dispatcher = build_dispatcher(
        h.app,
        storage=SqlStorage(h.app.sessions, h.app.clock, gate=h.app.gate),
        sender=h.sender,
        errors_handled=False,
    )
    return Recovery(
        h.app, h.bot, dispatcher, h.app.settings, wake=h.sender.wake, policy=RetryPolicy(delays=(0, 0))
    )


async def test_a_failing_reply_is_parked_in_the_table_and_replayed(
    harness: Harness, monkeypatch: Any
) -> None:
    from bot.services import reports

    h = harness
    task_msg = await dispatch_and_find(h)
    recovery = recovery_for(h)
    calls = 0
    real = reports.receive_report

    async def broken(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        raise RuntimeError("a bug")

    monkeypatch.setattr(reports, "receive_report", broken)
    h.srv.send_text(YICHUN, "本周进展：完成可研，进度40%", reply_to=task_msg)
    (raw,) = h.srv.take_updates()
    outcome = await recovery.handler.handle(Update.model_validate(raw, context={"bot": h.bot}))
    await h.sender.drain(timeout=20)

    assert outcome is Outcome.PARKED and calls == 3
    apology = h.srv.messages_to(YICHUN)[-1].text
    assert "已原样暂存" in apology and "未保存" not in apology, apology
    async with h.app.sessions() as session:
        row = (await session.scalars(select(ParkedUpdate))).one()
        assert (
            row.update_id == raw["update_id"]
            and row.payload["message"]["text"] == "本周进展：完成可研，进度40%"
        )
        assert row.sender and row.handled_at is None and "a bug" in (row.error or "")
        assert (await session.scalars(select(ProgressReport))).all() == []
    assert not recovery.handler.dead_letters.path.exists(), "the database took it; no file"

    monkeypatch.setattr(reports, "receive_report", real)
    await recovery.replay()
    await h.sender.drain(timeout=20)
    async with h.app.sessions() as session:
        report = (await session.scalars(select(ProgressReport))).one()
        assert report.raw_text == "本周进展：完成可研，进度40%"
        row = (await session.scalars(select(ParkedUpdate))).one()
        assert row.handled_at is not None and row.announced_at is not None
    notices = [s.text for s in h.srv.messages_to(COORD) if "暂存" in s.text]
    assert len(notices) == 1 and "1 条" in notices[0] and "补处理 1 条" in notices[0], notices
    assert "已收到" in h.srv.messages_to(YICHUN)[-1].text

    await recovery.replay()  # nothing left: no second notice
    await h.sender.drain(timeout=20)
    assert len([s for s in h.srv.messages_to(COORD) if "暂存" in s.text]) == 1


@pytest.mark.parametrize(
    "saved, expected, absent", [(True, "已原样暂存", "未保存"), (False, "未保存", "暂存")]
)
async def test_the_apology_says_saved_only_when_it_was(
    harness: Harness, saved: bool, expected: str, absent: str
) -> None:
    from handlers.errors import apologise

    h = harness
    h.srv.send_text(YICHUN, "随便说点什么")
    (raw,) = h.srv.take_updates()
    await apologise(h.app, h.bot, Update.model_validate(raw, context={"bot": h.bot}), saved=saved)
    await h.sender.drain(timeout=20)
    text = h.srv.messages_to(YICHUN)[-1].text
    assert expected in text and absent not in text, text


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_two_instances_starting_together_announce_the_parked_updates_once(
    engine: str, tmp_path: Any, clock: Any
) -> None:
    """Both replay what waits in the shared table at start-up; the coordinators hear of it once."""
    from bot.services import invites
    from tests.test_two_instances_jobs import _database, _harness_pair, _instance

    url = await _database(engine, tmp_path)
    a, b = await _instance(url, clock), await _instance(url, clock)
    try:
        async for pair in _harness_pair(a, b):
            async with a.work() as uow:
                await invites.add_coordinator(uow, user_id=COORD, name="督办人", actor="cli")
            pair[0].srv.user(COORD, first_name="督办人")
            pair[0].srv.user(YICHUN, first_name="宜春")
            pair[0].srv.send_text(YICHUN, "随便说点什么")
            (raw,) = pair[0].srv.take_updates()
            async with a.work() as uow:
                uow.session.add(
                    ParkedUpdate(update_id=raw["update_id"], payload=raw, sender="?", parked_at=uow.now)
                )
            recoveries = [
                Recovery(h.app, h.bot, h.dispatcher, h.app.settings, policy=RetryPolicy(delays=(0, 0)))
                for h in pair
            ]
            await asyncio.gather(*(r.replay() for r in recoveries))
            await pair[0].sender.drain(timeout=20)
            notices = [s.text for s in pair[0].srv.messages_to(COORD) if "暂存" in s.text]
            assert len(notices) == 1, notices
            async with a.sessions() as session:
                row = (await session.scalars(select(ParkedUpdate))).one()
                assert row.handled_at is not None and row.announced_at is not None
    finally:
        await a.close()
        await b.close()
