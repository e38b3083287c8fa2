"""Progress replies: each one update, one transaction, stored verbatim before it is read, answered once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.services import reports as reports_service
from models import Assignment, Event, Followup, OutboxMessage, ProcessedUpdate, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import COORD, NANCHANG_GROUP, NANCHANG_MEMBER, STRANGER, YICHUN, dispatch_and_find

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (3).to_bytes(4, "big") + (2).to_bytes(4, "big") + b"rest"


def _tasks(h: Harness, chat_id: int) -> list[Any]:
    return [s for s in h.srv.messages_to(chat_id) if "交办任务" in (s.text or "")]


async def _replies_in_one_delivery(h: Harness) -> None:
    task_msg = await dispatch_and_find(h)
    other = next(s for s in _tasks(h, YICHUN) if s.message_id != task_msg.message_id)
    group_task = _tasks(h, NANCHANG_GROUP)[0]
    h.srv.send_text(YICHUN, "本周完成选址，完成60%", reply_to=task_msg)
    h.srv.send_text(NANCHANG_MEMBER, "受阻，需协调用地指标", chat_id=NANCHANG_GROUP, reply_to=group_task)
    h.srv.send_photo(YICHUN, PNG, caption="现场照片", reply_to=other)
    h.srv.send_text(YICHUN, "已完成", reply_to=task_msg)
    await h.deliver()


async def _snapshot(h: Harness) -> dict[str, Any]:
    """Everything a reply can change, without anything two databases may number differently."""
    seen = {
        chat: [(s.text, s.button_texts) for s in h.srv.messages_to(chat)]
        for chat in (YICHUN, NANCHANG_GROUP, COORD)
    }
    async with h.app.sessions() as session:
        reports = [
            (
                r.assignment_id,
                r.contact_id,
                r.chat_id,
                r.message_id,
                r.author,
                r.raw_text,
                r.attachment_kind,
                r.attachment_file_id,
                r.parsed_status,
                r.parsed_percent,
                r.parse_ok,
                r.review_state,
                r.notified_at,
                r.created_at,
            )
            for r in (await session.scalars(select(ProgressReport).order_by(ProgressReport.id))).all()
        ]
        assignments = [
            (a.id, a.status, a.percent, a.acknowledged_at, a.last_report_at, a.claimed_done_at, a.updated_at)
            for a in (await session.scalars(select(Assignment).order_by(Assignment.id))).all()
        ]
        events = sorted(
            (
                e.at,
                e.actor,
                e.kind,
                e.entity,
                e.entity_id,
                e.from_state,
                e.to_state,
                e.reason,
                repr(sorted((e.data or {}).items())),
            )
            for e in (await session.scalars(select(Event))).all()
        )
        outbox = [
            (m.chat_id, m.text, m.purpose, m.reply_markup, m.reply_to_message_id, m.state, m.assignment_id)
            for m in (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        ]
        followups = sorted(
            (f.assignment_id, f.kind, f.key, f.due_at, f.state)
            for f in (await session.scalars(select(Followup))).all()
        )
        claimed = sorted((await session.scalars(select(ProcessedUpdate.update_id))).all())
    return {
        "seen": seen,
        "reports": reports,
        "assignments": assignments,
        "events": events,
        "outbox": outbox,
        "followups": followups,
        "claimed": claimed,
    }


async def test_each_reply_is_stored_read_and_answered(harness: Harness) -> None:
    h = harness
    await _replies_in_one_delivery(h)
    async with h.app.sessions() as session:
        reports = list((await session.scalars(select(ProgressReport).order_by(ProgressReport.id))).all())
        received = (
            await session.scalars(select(Event.entity_id).where(Event.kind == "report.received"))
        ).all()
    assert [r.raw_text for r in reports] == [
        "本周完成选址，完成60%",
        "受阻，需协调用地指标",
        "现场照片",
        "已完成",
    ]
    assert [(r.parsed_status, r.parsed_percent) for r in reports][:2] == [("progress", 60), ("blocked", None)]
    assert reports[2].attachment_kind == "photo" and reports[3].parsed_status == "done"
    assert sorted(received) == [r.id for r in reports]
    # Each reply is answered in its own chat, as a reply to it; the coordinator hears of each.
    acks = [
        s for chat in (YICHUN, NANCHANG_GROUP) for s in h.srv.messages_to(chat) if "已收到" in (s.text or "")
    ]
    assert len(acks) == 4 and all(any(f"报送#{r.id}" in a.text for a in acks) for r in reports)
    notices = [s for s in h.srv.messages_to(COORD) if "📨" in (s.text or "")]
    assert len(notices) == 4


async def test_replies_to_closed_tasks_and_other_messages_get_the_usual_answers(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = int(task_msg.text.split("#")[1].split()[0])
    h.srv.command(COORD, f"/close #{aid}")
    await h.deliver()
    notice = h.srv.messages_to(YICHUN)[-1]  # a bot message that carries no task
    h.srv.send_text(YICHUN, "补充：验收材料已归档", reply_to=task_msg)  # the task is closed now
    h.srv.send_text(YICHUN, "这条回复的不是任务消息", reply_to=notice)
    await h.deliver()
    assert "已办结" in h.srv.messages_to(YICHUN)[-2].text
    # Not a task message: a plain report, on 宜春's one task still open.
    assert (
        "已收到任务 " in h.srv.messages_to(YICHUN)[-1].text
        and f"#{aid} " not in h.srv.messages_to(YICHUN)[-1].text
    )
    async with h.app.sessions() as session:
        kept = (await session.scalars(select(ProgressReport.raw_text))).all()
    assert "补充：验收材料已归档" in kept  # nothing a unit sends is thrown away
    assert "这条回复的不是任务消息" in kept


async def test_a_stranger_replying_is_refused_as_usual(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.user(STRANGER + 7, first_name="路人")
    # A stranger cannot reply to a task message in their own chat, so they reply to what the bot
    # said to them.
    h.srv.send_text(STRANGER + 7, "你好")
    await h.deliver()
    refusal = h.srv.messages_to(STRANGER + 7)[-1]
    h.srv.send_text(STRANGER + 7, "完成60%", reply_to=refusal)
    await h.deliver()
    # Answered once per period, not once per message.
    assert len(h.srv.messages_to(STRANGER + 7)) == 1
    assert "仅供已受邀的单位使用" in refusal.text
    async with h.app.sessions() as session:
        assert (await session.scalars(select(ProgressReport))).all() == []


async def test_a_command_behind_a_reply_sees_it(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = int(task_msg.text.split("#")[1].split()[0])
    h.app.settings.report_notify = "digest"  # so the only new message the coordinator gets is /task's
    seen = len(h.srv.messages_to(COORD))
    # One polling batch: the reply, then the coordinator's command.
    h.srv.send_text(YICHUN, "完成45%", reply_to=task_msg)
    h.srv.command(COORD, f"/task #{aid}")
    await h.deliver()
    new = h.srv.messages_to(COORD)[seen:]
    assert len(new) == 1 and "报送记录" in new[0].text and "完成45%" in new[0].text


async def test_the_same_update_twice_counts_once(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_text(YICHUN, "完成30%", reply_to=task_msg)
    raw = h.srv.take_updates()
    for _ in range(2):  # twice in one batch, and once more in the next
        for update in raw + raw:
            h.srv._enqueue(dict(update), forced=True)
        await h.deliver()
    async with h.app.sessions() as session:
        assert len((await session.scalars(select(ProgressReport))).all()) == 1
    assert sum("30%" in (s.text or "") for s in h.srv.messages_to(YICHUN)) == 1


async def test_a_reply_that_cannot_be_read_is_kept_and_the_others_go_on(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    group_task = _tasks(h, NANCHANG_GROUP)[0]
    real = reports_service.reading_of

    def brittle(raw_text: str, explicit: Any = None) -> Any:
        if "炸" in raw_text:
            raise RuntimeError("reader bug")
        return real(raw_text, explicit)

    monkeypatch.setattr(reports_service, "reading_of", brittle)
    h.srv.send_text(YICHUN, "格式炸了的报送", reply_to=task_msg)
    h.srv.send_text(NANCHANG_MEMBER, "完成80%", chat_id=NANCHANG_GROUP, reply_to=group_task)
    await h.deliver()
    async with h.app.sessions() as session:
        reports = {r.raw_text: r for r in (await session.scalars(select(ProgressReport))).all()}
    assert set(reports) == {"格式炸了的报送", "完成80%"}
    assert reports["完成80%"].parsed_percent == 80
    assert reports["格式炸了的报送"].parse_ok is False and reports["格式炸了的报送"].review_state == "pending"
    assert "出了点问题" in h.srv.messages_to(YICHUN)[-1].text


async def test_a_caption_command_is_not_a_report(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_photo(YICHUN, PNG, caption="/tasks", reply_to=task_msg)
    await h.deliver()
    async with h.app.sessions() as session:
        assert (await session.scalars(select(ProgressReport))).all() == []


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the harness on SQLite, the other on PostgreSQL
async def test_replies_on_postgresql_change_what_they_change_on_sqlite(pg_url: str, harness: Harness) -> None:
    import asyncio

    from bot.app import App
    from bot.migrate import upgrade
    from config.settings import Settings
    from tests.conftest import _harness

    await asyncio.to_thread(upgrade, pg_url)
    pg_app = App.build(
        Settings(_env_file=None, database_url=pg_url, bot_token=None, notice_window_seconds=0),
        clock=harness.app.clock,
    )
    try:
        async for on_pg in _harness(pg_app):
            await _replies_in_one_delivery(harness)
            await _replies_in_one_delivery(on_pg)
            expected, got = await _snapshot(harness), await _snapshot(on_pg)
            assert len(got["reports"]) == 4
            for key in expected:
                assert got[key] == expected[key], key
    finally:
        await pg_app.close()
