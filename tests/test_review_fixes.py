"""Regressions for defects a review found: each test failed before its fix."""

from __future__ import annotations

from sqlalchemy import select

from models import Assignment, Contact, ExtensionRequest, Followup, OutboxMessage, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    GONGXIN,
    NANCHANG_GROUP,
    STRANGER,
    YICHUN,
    _setup,
    assignment_id_of,
    dispatch_and_find,
)


async def test_invitations_never_go_to_a_group(harness: Harness) -> None:
    h = harness
    await _setup(h)
    h.srv.group(-5000, title="督办办公室群")
    before = len(h.srv.messages_to(-5000))
    h.srv.command(COORD, "/invite coordinator", chat_id=-5000)
    await h.deliver()
    assert len(h.srv.messages_to(-5000)) == before
    assert "邀请码" in h.srv.messages_to(COORD)[-1].text  # it went to the coordinator's private chat


async def test_an_old_correction_button_cannot_undo_a_review(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_text(YICHUN, "已完成", reply_to=task_msg)
    await h.deliver()
    confirmation = h.srv.messages_to(YICHUN)[-1]
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "退回")
    await h.deliver()
    h.srv.send_text(COORD, "材料不全")
    await h.deliver()
    rid = int(confirmation.callback_data[0].split(":")[-1])
    h.srv.press(YICHUN, confirmation, f"rv:set-done:{rid}")
    await h.deliver()
    async with h.app.sessions() as session:
        report = await session.get(ProgressReport, rid)
        assignment = await session.get(Assignment, report.assignment_id)
        pending = (await session.scalars(select(Followup).where(Followup.assignment_id == assignment.id,
                                                                Followup.state == "pending"))).all()
    assert assignment.status == "returned" and report.review_state == "returned"
    assert pending  # still chased
    assert "失效" in h.srv.callback_answers[-1]["text"]


async def test_a_member_cannot_show_another_units_tasks_in_a_group(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.command(GONGXIN, "/tasks", chat_id=NANCHANG_GROUP)
    await h.deliver()
    listing = h.srv.messages_to(NANCHANG_GROUP)[-1].text
    assert "支持南昌、抚州、上饶" in listing and "打造产业发展核心区" not in listing


async def test_a_failed_button_edit_does_not_undo_the_acknowledgement(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.fail_next("editMessageReplyMarkup", status=429, retry_after=5)
    h.srv.press_button(YICHUN, task_msg, "签收")
    await h.deliver()
    aid = assignment_id_of(task_msg)
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, aid)).acknowledged_at is not None


async def test_odd_numbers_get_polite_answers(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    for text in ("/task ²", "/task 99999999999999999999999"):
        h.srv.command(COORD, text)
    h.srv.press(YICHUN, task_msg, "as:det:99999999999999999999999")
    await h.deliver()
    assert [s.text for s in h.srv.messages_to(COORD)[-2:]] == ["编号应为数字，例如 /task 12。"] * 2
    assert h.srv.callback_answers[-1]["text"]


async def test_extension_far_future_and_after_close_are_refused(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    h.srv.press_button(YICHUN, task_msg, "申请延期")
    await h.deliver()
    h.srv.send_text(YICHUN, "9999-12-31 永远")
    await h.deliver()
    assert "合理范围" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.send_text(YICHUN, "2026-03-31 用地待批")
    await h.deliver()
    request_msg = h.srv.messages_to(COORD)[-1]
    h.srv.command(COORD, f"/close {aid}")
    await h.deliver()
    h.srv.press_button(COORD, request_msg, "同意")
    await h.deliver()
    assert "失效" in h.srv.callback_answers[-1]["text"]
    async with h.app.sessions() as session:
        request = await session.scalar(select(ExtensionRequest))
        assert request.state == "pending" and (await session.get(Assignment, aid)).status == "done"


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
