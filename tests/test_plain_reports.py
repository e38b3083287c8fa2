"""Reports without the reply gesture, through the real Dispatcher."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain import callbacks as cb
from models import Assignment, ProgressReport, Unit, UnplacedReport
from tests.conftest import Harness
from tests.test_bot_flow import COORD, GONGXIN, NANCHANG_GROUP, NANCHANG_MEMBER, YICHUN, dispatch_and_find

REPORT = "本周已召开推进会，完成70%"


async def _reports(h: Harness, unit: str) -> list[ProgressReport]:
    async with h.app.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(ProgressReport)
                    .join(Assignment, Assignment.id == ProgressReport.assignment_id)
                    .join(Unit, Unit.id == Assignment.unit_id)
                    .where(Unit.name == unit)
                    .order_by(ProgressReport.id)
                )
            ).all()
        )


async def test_a_group_with_one_open_task_reports_by_plain_message(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)  # measure 2: 南昌 has one task, 宜春 two
    h.srv.send_text(NANCHANG_MEMBER, "大家好，下午三点开会", chat_id=NANCHANG_GROUP)
    await h.deliver()
    before = len(h.srv.messages_to(NANCHANG_GROUP))
    assert await _reports(h, "南昌市人民政府") == []  # chit-chat in the group is not a report
    h.srv.send_text(NANCHANG_MEMBER, REPORT, chat_id=NANCHANG_GROUP)
    await h.deliver()
    reports = await _reports(h, "南昌市人民政府")
    assert [r.raw_text for r in reports] == [REPORT]
    assert reports[0].parsed_percent == 70
    saved = h.srv.messages_to(NANCHANG_GROUP)[before:]
    assert len(saved) == 1 and f"#{reports[0].assignment_id}" in saved[0].text and "70%" in saved[0].text
    assert any(REPORT in s.text for s in h.srv.messages_to(COORD))


async def test_several_open_tasks_ask_which_and_attach_on_choice(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.send_text(YICHUN, REPORT)
    await h.deliver()
    question = h.srv.messages_to(YICHUN)[-1]
    assert "哪一项" in question.text
    data = question.callback_data
    assert len(data) == 2 and all(d.startswith(cb.PLACE + ":") for d in data)
    # The choices are written in the one reference format, with the policy's code.
    assert all(b.startswith("P1-") for b in question.button_texts), question.button_texts
    assert await _reports(h, "宜春市人民政府") == []
    async with h.app.sessions() as session:
        held = (await session.scalars(select(UnplacedReport))).one()
    assert held.raw_text == REPORT and held.placed_at is None  # kept before anybody chose
    chosen = int(data[1].split(":")[2])
    h.srv.press(YICHUN, question, data[1])
    await h.deliver()
    reports = await _reports(h, "宜春市人民政府")
    assert [(r.assignment_id, r.raw_text, r.parsed_percent) for r in reports] == [(chosen, REPORT, 70)]
    assert f"#{chosen}" in h.srv.message(YICHUN, question.message_id)["text"]
    # Pressed again (or the other button): nothing is attached twice.
    h.srv.press(YICHUN, question, data[0])
    await h.deliver()
    assert len(await _reports(h, "宜春市人民政府")) == 1
    assert h.srv.callback_answers[-1].show_alert


async def test_forged_choices_are_refused(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.send_text(YICHUN, REPORT)
    await h.deliver()
    question = h.srv.messages_to(YICHUN)[-1]
    held_id = int(question.callback_data[0].split(":")[1])
    async with h.app.sessions() as session:
        nanchang_aid = await session.scalar(
            select(Assignment.id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Unit.name == "南昌市人民政府", Assignment.status == "assigned")
        )
    # Another unit's task offered for 宜春's message, and 宜春's message claimed by another unit.
    h.srv.press(YICHUN, question, cb.pack(cb.PLACE, held_id, nanchang_aid))
    h.srv.command(GONGXIN, "/help")
    await h.deliver()
    gongxin_msg = h.srv.messages_to(GONGXIN)[-1]
    own = int(question.callback_data[0].split(":")[2])
    h.srv.press(GONGXIN, gongxin_msg, cb.pack(cb.PLACE, held_id, own))
    await h.deliver()
    assert all(a.show_alert for a in h.srv.callback_answers[-2:])
    async with h.app.sessions() as session:
        assert await session.scalar(select(func.count(ProgressReport.id))) == 0
        assert await session.scalar(select(func.count(UnplacedReport.id))) == 1
        assert (await session.scalars(select(UnplacedReport))).one().placed_at is None
