"""Coordinators' notices joined per window, through the real Dispatcher and sender."""

from __future__ import annotations

from sqlalchemy import select

from bot.jobs import Jobs
from models import ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    NANCHANG_GROUP,
    NANCHANG_MEMBER,
    YICHUN,
    assignment_id_of,
    dispatch_and_find,
)

WINDOW = 120


async def _release(h: Harness) -> None:
    await Jobs(h.app).release_notices()
    await h.sender.drain(timeout=20)


async def test_a_units_quick_reports_become_one_card(harness: Harness) -> None:
    h = harness
    h.app.settings.notice_window_seconds = WINDOW
    task = await dispatch_and_find(h)
    second = next(s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text and s.message_id != task.message_id)
    mark = len(h.srv.messages_to(COORD))
    replies = ["完成30%", "完成40%，已完成选址", "完成50%"]
    h.srv.send_text(YICHUN, replies[0], reply_to=task)
    h.srv.send_text(YICHUN, replies[1], reply_to=second)
    h.srv.send_text(YICHUN, replies[2], reply_to=task)
    await h.deliver()
    assert h.srv.messages_to(COORD)[mark:] == []  # nothing yet: the window is open
    await _release(h)
    assert h.srv.messages_to(COORD)[mark:] == []  # released only once the window has ended
    h.app.clock.advance(seconds=WINDOW + 1)
    await _release(h)
    cards = h.srv.messages_to(COORD)[mark:]
    assert len(cards) == 1
    card = cards[0]
    assert all(r in card.text for r in replies) and "宜春市人民政府" in card.text and "3" in card.text
    labels = card.button_texts
    assert len(labels) == 6 and all("#" in x for x in labels)
    # A button of the joined card decides its own report only.
    first_ok = next(x for x in labels if "通过" in x)
    rid = int(first_ok.rsplit("#", 1)[1])
    h.srv.press_button(COORD, card, first_ok)
    await h.deliver()
    async with h.app.sessions() as session:
        states = dict((await session.execute(select(ProgressReport.id, ProgressReport.review_state))).all())
    assert states[rid] == "approved"
    assert sorted(v for k, v in states.items() if k != rid) == ["pending", "pending"]


async def test_acknowledgements_of_a_window_are_one_notice(harness: Harness) -> None:
    h = harness
    h.app.settings.notice_window_seconds = WINDOW
    task = await dispatch_and_find(h)
    group_task = next(s for s in h.srv.messages_to(NANCHANG_GROUP) if "交办任务" in s.text)
    mark = len(h.srv.messages_to(COORD))
    h.srv.press_button(YICHUN, task, "签收")
    h.srv.press_button(NANCHANG_MEMBER, group_task, "签收", chat_id=NANCHANG_GROUP)
    await h.deliver()
    h.app.clock.advance(seconds=WINDOW + 1)
    await _release(h)
    notices = h.srv.messages_to(COORD)[mark:]
    assert len(notices) == 1
    assert f"#{assignment_id_of(task)}" in notices[0].text and f"#{assignment_id_of(group_task)}" in notices[0].text
