"""Progress reports through the real Dispatcher: guided flow, corrections, edits, unreadable replies."""

from __future__ import annotations

from sqlalchemy import select

from models import Assignment, Contact, OutboxMessage, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    STRANGER,
    YICHUN,
    _setup,
    assignment_id_of,
    dispatch_and_find,
)


async def test_blocked_notice_survives_html_in_names(harness: Harness) -> None:
    from bot.services.units import find_unit
    from tests.test_bot_flow import _invite

    h = harness
    await _setup(h)
    h.srv.user(STRANGER, first_name="李四<商务厅>")
    h.srv.command(STRANGER, f"/start {await _invite(h, '省商务厅')}")
    await h.deliver()
    h.srv.block_chat(STRANGER)
    async with h.app.sessions() as session, session.begin():
        unit = await find_unit(h.app.unit_of_work(session), "省商务厅")
        from bot.services import outbox

        outbox.enqueue(session, chat_id=STRANGER, text="测试", now=h.app.clock.now())
        assert unit is not None
    await h.deliver()
    async with h.app.sessions() as session:
        notice = await session.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "blocked_notice"))
        contact = await session.scalar(select(Contact).where(Contact.chat_id == STRANGER))
    assert notice is not None and notice.state == "sent" and contact.active and contact.paused_at is not None


async def test_guided_report_flow_and_correction(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    h.srv.press_button(YICHUN, task_msg, "报送进展")
    await h.deliver()
    h.srv.press_button(YICHUN, h.srv.messages_to(YICHUN)[-1], "推进中")
    await h.deliver()
    h.srv.send_text(YICHUN, "百二")
    await h.deliver()
    assert "0 到 100" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.send_text(YICHUN, "45")
    await h.deliver()
    h.srv.send_text(YICHUN, "完成土地预审，正在办理环评")
    await h.deliver()
    confirmation = h.srv.messages_to(YICHUN)[-1]
    assert "45%" in confirmation.text
    async with h.app.sessions() as session:
        a = await session.get(Assignment, aid)
        assert a.status == "in_progress" and a.percent == 45
    # The contact says it was really finished: 更正 -> 已完成 turns it into a completion claim.
    h.srv.press_button(YICHUN, confirmation, "更正")
    await h.deliver()
    h.srv.press_button(YICHUN, confirmation, "已完成")
    await h.deliver()
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, aid)).status == "claimed_done"


async def test_edit_keeps_both_versions_and_completion_is_approved(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    sent = h.srv.send_text(YICHUN, "完成50%", reply_to=task_msg)
    await h.deliver()
    # Telegram delivers an edited_message for the same message id.
    edited = dict(sent, text="已完成", edit_date=sent["date"] + 60)
    h.srv.inject_raw_update({"edited_message": edited})
    await h.deliver()
    async with h.app.sessions() as session:
        versions = (
            await session.scalars(
                select(ProgressReport).where(ProgressReport.assignment_id == aid).order_by(ProgressReport.id)
            )
        ).all()
        assert [v.raw_text for v in versions] == ["完成50%", "已完成"]
        assert versions[0].superseded and versions[1].supersedes_id == versions[0].id
        assert (await session.get(Assignment, aid)).status == "claimed_done"
    notice = next(
        s for s in reversed(h.srv.messages_to(COORD)) if "已完成" in s.text and "通过" in s.button_texts
    )
    h.srv.press_button(COORD, notice, "通过")
    await h.deliver()
    assert "已办结" in h.srv.messages_to(YICHUN)[-1].text or "办结" in h.srv.messages_to(YICHUN)[-1].text
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, aid)).status == "done"
    # Approving twice does nothing more.
    h.srv.press(COORD, notice, notice.callback_data[0])
    await h.deliver()
    assert "已处理" in h.srv.callback_answers[-1]["text"]


async def test_a_reply_the_bot_cannot_read_is_kept(harness: Harness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.services import reports

    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)

    def broken(_text: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("parser bug")

    monkeypatch.setattr(reports, "parse_progress", broken)
    h.srv.send_text(YICHUN, "本周进展：完成可研", reply_to=task_msg)
    await h.deliver()
    assert "消息已保存" in h.srv.messages_to(YICHUN)[-1].text
    async with h.app.sessions() as session:
        report = await session.scalar(select(ProgressReport).where(ProgressReport.assignment_id == aid))
        assert report.raw_text == "本周进展：完成可研" and report.review_state == "pending"
        assert (await session.get(Assignment, aid)).status == "assigned"  # the interpretation left no trace


async def test_a_reply_whose_reading_fails_half_way_leaves_only_its_text(
    harness: Harness, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Reading got as far as moving the task and queueing the confirmation when it failed: all that
    is taken back, the text is kept for a coordinator, and the sender is told so."""
    from bot.services import reports
    from models import Event

    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("card bug")

    monkeypatch.setattr(reports, "report_card_text", broken)  # the coordinators' card, read last
    h.srv.send_text(YICHUN, "本周进展：完成可研，完成40%", reply_to=task_msg)
    await h.deliver()
    assert "消息已保存" in h.srv.messages_to(YICHUN)[-1].text
    assert not any("已收到" in (s.text or "") for s in h.srv.messages_to(YICHUN))
    async with h.app.sessions() as session:
        report = await session.scalar(select(ProgressReport).where(ProgressReport.assignment_id == aid))
        assert report.raw_text == "本周进展：完成可研，完成40%" and report.review_state == "pending"
        assert (report.parsed_status, report.parsed_percent, report.notified_at) == (None, None, None)
        assignment = await session.get(Assignment, aid)
        assert (assignment.status, assignment.percent, assignment.acknowledged_at) == ("assigned", None, None)
        kinds = (await session.scalars(select(Event.kind).where(Event.kind.like("%report%")))).all()
        assert kinds == ["report.received"]
        purposes = (await session.scalars(select(OutboxMessage.purpose))).all()
        assert "report_ack" not in purposes and "report_notice" not in purposes

    # The next reply is read as usual.
    monkeypatch.undo()
    h.srv.send_text(YICHUN, "本周进展：完成可研，完成50%", reply_to=task_msg)
    await h.deliver()
    assert "已收到" in h.srv.messages_to(YICHUN)[-1].text
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, aid)).status == "in_progress"
