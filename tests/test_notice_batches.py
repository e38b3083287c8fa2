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
    second = next(
        s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text and s.message_id != task.message_id
    )
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
    # The joined card says so in place: its block names the decision, its buttons are gone, the
    # other two reports keep theirs; no new message.
    assert len(h.srv.messages_to(COORD)[mark:]) == 1
    current = h.srv.message(COORD, card.message_id)
    rows = (current.get("reply_markup") or {}).get("inline_keyboard") or []
    left = [b["text"] for row in rows for b in row]
    assert len(left) == 4 and not any(x.endswith(f"#{rid}") for x in left), left
    assert current["text"].count("已通过") == 1 and "Coord" in current["text"]
    assert all(r in current["text"] for r in replies)
    # A contact's 更正 of another report in it edits the same message, not a new card.
    async with h.app.sessions() as session:
        rows_by_id = {r.id: r for r in (await session.scalars(select(ProgressReport))).all()}
    other = next(k for k, r in rows_by_id.items() if k != rid and r.raw_text == replies[2])
    ack = next(s for s in h.srv.messages_to(YICHUN) if f"报送#{other}" in s.text)
    h.srv.press_button(YICHUN, ack, "更正")
    await h.deliver()
    h.srv.press_button(YICHUN, h.srv.message(YICHUN, ack.message_id), "受阻")
    await h.deliver()
    assert len(h.srv.messages_to(COORD)[mark:]) == 1
    current = h.srv.message(COORD, card.message_id)
    assert "受阻" in current["text"] and current["text"].count("已通过") == 1
    rows = (current.get("reply_markup") or {}).get("inline_keyboard") or []
    assert len([b for row in rows for b in row]) == 4


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
    assert (
        f"#{assignment_id_of(task)}" in notices[0].text
        and f"#{assignment_id_of(group_task)}" in notices[0].text
    )
