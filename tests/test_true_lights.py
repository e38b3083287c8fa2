"""True lights: undelivered assignments, leaders' help and board, through the Dispatcher."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import followups
from bot.services.board import assignment_lines, light_of
from bot.services.units import find_unit
from models import Assignment, Contact, Unit
from tests.conftest import Harness
from tests.test_bot_flow import COORD, YICHUN, _invite, dispatch_and_find

LEADER = 2500


async def _aid(h: Harness, unit: str) -> int:
    async with h.app.sessions() as session:
        return int(
            await session.scalar(
                select(Assignment.id)
                .join(Unit, Unit.id == Assignment.unit_id)
                .where(Unit.name == unit, Assignment.status == "assigned")
                .order_by(Assignment.id)
                .limit(1)
            )
            or 0
        )


async def test_unbound_units_are_undelivered_on_the_board_and_escalated_as_such(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)  # measure 2: 宜春 and 南昌 are bound, 抚州 is not
    fuzhou = await _aid(h, "抚州市人民政府")
    yichun = await _aid(h, "宜春市人民政府")
    now = h.app.clock.now()
    async with h.app.work() as uow:
        assert await light_of(uow, fuzhou) == "undelivered"
        assert await light_of(uow, yichun) == "green"
    h.srv.command(COORD, "/board")
    await h.deliver()
    assert "⚫未送达" in h.srv.messages_to(COORD)[-1].text
    # A paused contact does not count as delivered either.
    async with h.app.sessions() as session, session.begin():
        for c in (await session.scalars(select(Contact).where(Contact.chat_id == YICHUN))).all():
            c.paused_at = now
    async with h.app.work() as uow:
        assert await light_of(uow, yichun) == "undelivered"
    # The escalation two working days on names the reason, not "仍未签收".
    h.app.clock.advance(days=3)
    mark = len(h.srv.messages_to(COORD))
    async with h.app.work() as uow:
        await followups.replan(uow, None)
    async with h.app.work() as uow:
        await followups.tick(uow, batch=500)
    await h.sender.drain(timeout=20)
    escalation = "\n".join(s.text for s in h.srv.messages_to(COORD)[mark:])
    assert (
        "未送达" in escalation and "尚无联络员" in escalation and "抚州市人民政府（#" in escalation
    )  # with 上饶, once for P1-2.5
    assert "南昌市人民政府 的任务" in escalation  # bound and silent: still the ordinary escalation
    assert "抚州市人民政府 的任务" not in escalation


async def test_a_leader_gets_its_own_help_and_a_read_only_board(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    h.srv.user(LEADER, first_name="分管领导")
    h.srv.command(LEADER, f"/start {await _invite(h, '宜春市人民政府', role='leader')}")
    await h.deliver()
    h.srv.command(LEADER, "/help")
    h.srv.command(LEADER, "/board")
    await h.deliver()
    help_text, board = (s.text for s in h.srv.messages_to(LEADER)[-2:])
    assert "分管领导" in help_text and "/board" in help_text and "点“签收”" not in help_text
    assert "宜春市人民政府 督办看板" in board and "没有权限" not in board
    async with h.app.work() as uow:
        unit = await find_unit(uow, "宜春市人民政府")
        rows = await assignment_lines(uow, unit_ids={unit.id})
    assert all(f"#{r.assignment_id}" in board for r in rows if r.status != "draft")
    assert "南昌" not in board
    # Read-only: the coordinator's other commands stay refused.
    h.srv.command(LEADER, f"/remind #{rows[0].assignment_id}")
    await h.deliver()
    assert "没有权限" in h.srv.messages_to(LEADER)[-1].text
