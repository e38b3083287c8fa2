"""The coordination loop through the real Dispatcher, with replies delivered to a fake Bot API."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.services.invites import add_coordinator, create_invite
from bot.services.units import find_unit
from models import Assignment, Event, ProgressReport, Unit
from tests.conftest import Harness, import_seed

COORD = 1001
YICHUN = 2001
GONGXIN = 2002
NANCHANG_GROUP = -3001
NANCHANG_MEMBER = 2003
STRANGER = 9999


async def _invite(h: Harness, unit_name: str, role: str = "contact") -> str:
    async with h.app.work() as uow:
        unit = await find_unit(uow, unit_name)
        invite = await create_invite(uow, unit=unit, role=role, ttl_hours=72, actor="test")
    return invite.code


async def _setup(h: Harness) -> None:
    await import_seed(h.app)
    async with h.app.work() as uow:
        await add_coordinator(uow, user_id=COORD, name="督办人", actor="test")
    for uid, name in (
        (COORD, "Coord"),
        (YICHUN, "宜春联络员"),
        (GONGXIN, "工信联络员"),
        (NANCHANG_MEMBER, "南昌联络员"),
        (STRANGER, "陌生人"),
    ):
        h.srv.user(uid, first_name=name)
    h.srv.group(NANCHANG_GROUP, title="南昌市工作群")
    h.srv.command(YICHUN, f"/start {await _invite(h, '宜春市人民政府')}")
    h.srv.command(GONGXIN, f"/start {await _invite(h, '省工信厅')}")
    h.srv.command(NANCHANG_MEMBER, f"/start {await _invite(h, '南昌')}", chat_id=NANCHANG_GROUP)
    await h.deliver()


async def dispatch_and_find(h: Harness, measure: str = "2", text: str = "宜春做大做强产业链"):  # type: ignore[no-untyped-def]
    """Sets up the units, dispatches a measure through preview and confirm, returns 宜春's task message."""
    await _setup(h)
    h.srv.command(COORD, f"/dispatch {measure}")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "确认")
    await h.deliver()
    return next(s for s in h.srv.messages_to(YICHUN) if text in s.text)


def assignment_id_of(task_msg) -> int:  # type: ignore[no-untyped-def]
    return int(task_msg.text.split("#")[1].split()[0])


async def test_invitations_bind_users_and_groups(harness: Harness) -> None:
    h = harness
    await _setup(h)
    assert "宜春市人民政府" in h.srv.messages_to(YICHUN)[-1].text
    assert "工作群" in h.srv.messages_to(NANCHANG_GROUP)[-1].text
    code = await _invite(h, "省商务厅")
    h.srv.command(STRANGER, f"/start {code}")
    await h.deliver()
    h.srv.command(STRANGER + 1, f"/start {code}")
    h.srv.command(STRANGER + 2, "/start not-a-real-code")
    await h.deliver()
    assert "已被使用" in h.srv.messages_to(STRANGER + 1)[-1].text
    assert "无效" in h.srv.messages_to(STRANGER + 2)[-1].text


async def test_dispatch_measure_two_routes_city_tasks(harness: Harness) -> None:
    h = harness
    await _setup(h)
    h.srv.command(COORD, "/dispatch 2")
    await h.deliver()
    preview = h.srv.messages_to(COORD)[-1]
    assert "交办预览" in preview.text
    h.srv.press_button(COORD, preview, "确认")
    await h.deliver()
    yichun_tasks = [s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text]
    # 宜春: its own task 2.2 plus its share of 2.1 (the core-area task naming 宜春、新余、赣州).
    assert len(yichun_tasks) == 2
    assert any("宜春做大做强产业链" in s.text for s in yichun_tasks)
    assert not any("新余巩固提升" in s.text for s in yichun_tasks)
    nanchang = [s for s in h.srv.messages_to(NANCHANG_GROUP) if "交办任务" in s.text]
    assert len(nanchang) == 1 and "支持南昌、抚州、上饶" in nanchang[0].text
    gongxin = [s for s in h.srv.messages_to(GONGXIN) if "交办任务" in s.text]
    assert len(gongxin) == 1 and "牵头" in gongxin[0].text
    # Pressing confirm again (a double tap, or a stale copy of the button) dispatches nothing twice.
    h.srv.press(COORD, preview, "cf:dispatch:2")
    await h.deliver()
    assert len([s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text]) == 2


async def test_acknowledge_reply_review_and_board(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.press_button(YICHUN, task_msg, "签收")
    await h.deliver()
    h.srv.send_text(YICHUN, "本周完成选址，完成60%", reply_to=task_msg)
    await h.deliver()
    confirmation = h.srv.messages_to(YICHUN)[-1]
    assert "60%" in confirmation.text and "更正" in confirmation.button_texts
    notice = h.srv.messages_to(COORD)[-1]
    assert "宜春市人民政府" in notice.text and "本周完成选址" in notice.text
    async with h.app.sessions() as session:
        report = await session.scalar(select(ProgressReport).order_by(ProgressReport.id.desc()))
        assignment = await session.get(Assignment, report.assignment_id)
        assert report.raw_text == "本周完成选址，完成60%" and report.parsed_percent == 60
        assert assignment.status == "in_progress" and assignment.percent == 60
    # The coordinator returns it with a comment; the contact receives the comment.
    h.srv.press_button(COORD, notice, "退回")
    await h.deliver()
    h.srv.send_text(COORD, "请补充选址批复文件")
    await h.deliver()
    assert "请补充选址批复文件" in h.srv.messages_to(YICHUN)[-1].text
    async with h.app.sessions() as session:
        assignment = await session.get(Assignment, report.assignment_id)
        assert assignment.status == "returned"
    # A group member replies in the group on the group's task.
    group_task = next(s for s in h.srv.messages_to(NANCHANG_GROUP) if "交办任务" in s.text)
    h.srv.send_text(NANCHANG_MEMBER, "已完成", chat_id=NANCHANG_GROUP, reply_to=group_task)
    await h.deliver()
    assert "办结" in h.srv.messages_to(NANCHANG_GROUP)[-1].text
    h.srv.command(COORD, "/board")
    await h.deliver()
    board = h.srv.messages_to(COORD)[-1].text
    assert "措施P1-2" in board and "待交办" in board


async def test_strangers_and_forged_buttons_are_refused(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.command(STRANGER, "/board")
    h.srv.send_text(STRANGER, "你好")
    await h.deliver()
    assert all("邀请" in s.text for s in h.srv.messages_to(STRANGER))
    async with h.app.sessions() as session:
        xinyu = await find_unit(h.app.unit_of_work(session), "新余市人民政府")
        foreign = await session.scalar(
            select(Assignment.id).where(Assignment.unit_id == xinyu.id, Assignment.status == "assigned")
        )
        before = await session.scalar(select(func.count(Event.id)))
    task_msg = next(s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text)
    # 宜春's contact forges a press on 新余's assignment, and some garbage.
    h.srv.press(YICHUN, task_msg, f"as:ack:{foreign}")
    h.srv.press(YICHUN, task_msg, "as:ack:notanumber")
    h.srv.press(YICHUN, task_msg, "rv:ok:1")
    h.srv.press(STRANGER, task_msg, f"as:ack:{foreign}")
    await h.deliver()
    answers = [a["text"] for a in h.srv.callback_answers[-4:]]
    assert all(answers), answers
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, foreign)).status == "assigned"
        assert await session.scalar(select(func.count(Event.id))) == before


async def test_duplicate_update_is_processed_once(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_text(YICHUN, "完成30%", reply_to=task_msg)
    h.srv.duplicate_last_update()
    await h.deliver()
    async with h.app.sessions() as session:
        assert await session.scalar(select(func.count(ProgressReport.id))) == 1


async def test_odd_messages_get_polite_answers(harness: Harness) -> None:
    h = harness
    await _setup(h)
    h.srv.send_sticker(YICHUN)
    h.srv.send_text(YICHUN, "x" * 5000)
    h.srv.command(YICHUN, "/nonsense")
    h.srv.command(YICHUN, "/board")
    await h.deliver()
    texts = [s.text for s in h.srv.messages_to(YICHUN)[-4:]]
    assert "贴纸" in texts[0]
    assert "没有在办任务" in texts[1]  # nothing dispatched yet: no task the text could be about
    assert "未知命令" in texts[2]
    assert "没有权限" in texts[3]
    async with h.app.sessions() as session:
        assert await session.scalar(select(func.count(Unit.id))) > 30
