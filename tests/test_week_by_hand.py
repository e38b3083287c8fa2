"""A week run by hand through the real Dispatcher on a movable clock (issue 14: the loop as its
people feel it): Monday's dispatch, acknowledgements in a private chat and in a group, replies of
several kinds, reminders and escalations on working days only, the coordinator's review, a leader's
/board, and the next Monday's 周报 — asserting what each person sees."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.jobs import Jobs
from bot.services.invites import create_invite
from bot.services.units import find_unit
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    GONGXIN,
    NANCHANG_GROUP,
    NANCHANG_MEMBER,
    YICHUN,
    _setup,
    assignment_id_of,
)

LEADER = 2005
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
SHANGHAI_OFFSET = timedelta(hours=8)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """October 2025, Shanghai time: the 13th is a Monday, the 18th and 19th a weekend."""
    return datetime(2025, 10, day, hour, minute, tzinfo=UTC) - SHANGHAI_OFFSET


def texts(h: Harness, chat: int, since: int = 0) -> list[str]:
    return [s.body for s in h.srv.messages_to(chat)[since:]]


async def test_a_week_by_hand(harness: Harness) -> None:
    h = harness
    jobs = Jobs(h.app)
    h.app.clock.set(at(13, 9))  # type: ignore[attr-defined]
    await _setup(h)
    async with h.app.work() as uow:
        invite = await create_invite(
            uow, unit=await find_unit(uow, "宜春市人民政府"), role="leader", ttl_hours=72, actor="test"
        )
    h.srv.user(LEADER, first_name="宜春分管领导")
    h.srv.command(LEADER, f"/start {invite.code}")
    await h.deliver()
    marks = {c: len(h.srv.messages_to(c)) for c in (COORD, YICHUN, GONGXIN, NANCHANG_GROUP, LEADER)}

    # Monday 09:00: 南昌's task is due on Thursday; measure 2 dispatched.
    h.srv.command(COORD, "/due P1-2.5 2025-10-16")
    await h.deliver()
    h.srv.command(COORD, "/dispatch 2")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "确认")
    await h.deliver()
    await jobs.plan()
    y_tasks = [s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.body]
    n_task = next(s for s in h.srv.messages_to(NANCHANG_GROUP) if "交办任务" in s.body)
    y_core = next(s for s in y_tasks if "核心区" in s.body)
    y_own = next(s for s in y_tasks if "宜春做大做强" in s.body)

    # Monday 10:00: 宜春 acknowledges both in private, 南昌's member in the group; 工信 does not.
    h.app.clock.set(at(13, 10))  # type: ignore[attr-defined]
    h.srv.press_button(YICHUN, y_core, "签收")
    h.srv.press_button(YICHUN, y_own, "签收")
    h.srv.press_button(NANCHANG_MEMBER, n_task, "签收", chat_id=NANCHANG_GROUP)
    await h.deliver()

    # Monday 15:00: replies of several kinds.
    h.app.clock.set(at(13, 15))  # type: ignore[attr-defined]
    h.srv.send_text(YICHUN, "完成30%，已完成选址", reply_to=y_own)
    h.srv.send_text(
        NANCHANG_MEMBER, "推进中遇到用地指标不足，需省里协调", chat_id=NANCHANG_GROUP, reply_to=n_task
    )
    await h.deliver()
    # Tuesday: a photo without a caption, then a completion claim, then its 更正.
    h.app.clock.set(at(14, 11))  # type: ignore[attr-defined]
    h.srv.send_photo(YICHUN, PNG, reply_to=y_core)
    await h.deliver()
    h.srv.send_text(YICHUN, "已完成，申请办结", reply_to=y_own)
    await h.deliver()
    h.srv.send_text(YICHUN, "核心区建设已完成第一批，第二批正在推进", reply_to=y_core)
    await h.deliver()

    # The week's clock: every hour to the next Monday 10:00, follow-ups ticking.
    fired: list[tuple[datetime, int, str]] = []
    now = at(14, 12)
    while now <= at(20, 8):
        h.app.clock.set(now)  # type: ignore[attr-defined]
        before = len(h.srv.sent)
        await jobs.tick()
        await h.sender.drain(timeout=20)
        for s in h.srv.sent[before:]:
            fired.append((now + SHANGHAI_OFFSET, s.chat_id, s.body))
        if now == at(15, 10):
            # Wednesday 10:00: the coordinator reviews.
            card = next(s for s in reversed(h.srv.messages_to(COORD)) if "已完成，申请办结" in s.body)
            h.srv.press_button(COORD, card, "通过")
            await h.deliver()
        if now == at(16, 10):
            h.srv.command(LEADER, "/board")
            await h.deliver()
        now += timedelta(hours=1)
    h.app.clock.set(at(20, 9))  # type: ignore[attr-defined]
    await jobs.weekly_summary()
    await h.sender.drain(timeout=20)

    coord = texts(h, COORD, marks[COORD])
    yichun = texts(h, YICHUN, marks[YICHUN])
    group = texts(h, NANCHANG_GROUP, marks[NANCHANG_GROUP])
    leader = texts(h, LEADER, marks[LEADER])
    y_own_id, n_id = assignment_id_of(y_own), assignment_id_of(n_task)

    # Private acknowledgements and confirmations name the task as everywhere else.
    assert any(x.startswith(f"已签收任务 P1-2.2 #{y_own_id}。") for x in yichun), yichun
    assert any(x.startswith(f"已收到任务 P1-2.2 #{y_own_id} 的报送") and "完成 30%" in x for x in yichun)
    # In the group nobody is unnamed: each answer to a member's act says who acted.
    person = "南昌联络员"
    answers = [
        x
        for x in group
        if "交办任务" not in x and "提醒" not in x and "催办" not in x and "待办事项" not in x
    ]
    assert answers and all(x.startswith(person) for x in answers), answers
    assert f"{person} 已代表本单位签收任务 P1-2.5 #{n_id}。" in group
    assert f"南昌市人民政府（{person}）已签收任务 #{n_id}（P1-2.5）" in "\n".join(coord)
    assert any(x.startswith(f"📨 南昌市人民政府（{person}） 报送 P1-2.5") and "受阻" in x for x in coord)
    # A photo without a caption is a photo, for the contact and for the coordinator; never "text".
    photo_ack = next(x for x in yichun if x.startswith("已收到任务 P1-2.1") and "图片" in x)
    assert "收到图片，未附文字说明" in photo_ack and "文字报送" not in photo_ack, photo_ack
    assert any("[图片]" in x and "收到图片" in x for x in coord)
    # A stage that is done is progress, not a completion claim.
    stage = next(x for x in yichun if x.startswith("已收到任务 P1-2.1") and "图片" not in x)
    assert "推进中" in stage and "申请办结" not in stage, stage
    # The completion claim was reviewed: the contact is told, with the task.
    assert any(x.startswith(f"✅ 您对任务 P1-2.2 #{y_own_id} 的报送") and "已办结" in x for x in yichun), (
        yichun
    )

    # Reminders and escalations: on working days, in working hours, and never at the weekend.
    assert fired, "a week with an unacknowledged task and a deadline sends reminders"
    assert all(when.weekday() < 5 and 9 <= when.hour < 18 for when, _, _ in fired), fired
    kinds = [(when.strftime("%a"), chat, body.splitlines()[0]) for when, chat, body in fired]
    assert any(chat == GONGXIN and "签收提醒" in first for _, chat, first in kinds), kinds
    assert any(chat == NANCHANG_GROUP and "到期提醒" in first for _, chat, first in kinds), kinds
    assert any(day == "Fri" and chat == NANCHANG_GROUP and "已逾期" in first for day, chat, first in kinds), (
        kinds
    )
    assert any(chat == COORD and "督办提示" in first for _, chat, first in kinds), kinds
    # The escalation tells units no message reaches once per task, not one block per unit.
    escalation = next(body for _, chat, body in fired if chat == COORD and "督办提示" in body)
    assert escalation.count("⚫ 未送达") == 4, escalation
    assert "任务 P1-2.1 的 省发展改革委（#" in escalation and "新余市人民政府（#" in escalation

    # The leader sees the unit's board, read-only, and a digest that does not ask them to report.
    board = next(x for x in leader if "督办看板" in x)
    assert "宜春市人民政府 督办看板（只读）" in board and "P1-2.1" in board and "P1-2.2" in board
    assert not any("回复本消息" in x for x in leader), leader
    # A contact's digest does.
    assert any("待办事项" in x and "直接回复本消息即可报送进展" in x for x in yichun)

    # Monday's 周报: one message, the official order, the 文号, no internal numbers, problems by task.
    summary = [x for x in coord if "督办周报" in x]
    assert len(summary) == 1, summary
    weekly = summary[0]
    sections = ["一、总体情况", "二、主要进展", "三、存在问题", "四、下步打算"]
    assert all(s in weekly for s in sections) and [weekly.index(s) for s in sections] == sorted(
        weekly.index(s) for s in sections
    )
    assert "赣府厅发〔2024〕15号" in weekly
    assert not re.search(r"#\d|报送#|report #", weekly), weekly
    problems = weekly[weekly.index("三、存在问题") : weekly.index("四、下步打算")]
    assert problems.count("南昌市人民政府") == 1 and "P1-2.5" in problems and "。：" not in problems
    # Never delivered is its own count, not "not acknowledged".
    assert "未签收 1，" in weekly and "未送达 7 单位次" in weekly
