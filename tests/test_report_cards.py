"""Messages people want: decided cards say so in place, 更正 edits the card,
/remind asks for what is missing, and in groups the person who acted is named."""

from __future__ import annotations

from sqlalchemy import select

from models import Event
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    NANCHANG_GROUP,
    NANCHANG_MEMBER,
    YICHUN,
    assignment_id_of,
    dispatch_and_find,
)


def _card(h: Harness, aid: int):  # type: ignore[no-untyped-def]
    return next(s for s in reversed(h.srv.messages_to(COORD)) if "报送" in s.text and f" #{aid}" in s.text)


async def test_an_approved_card_says_so_in_place_and_a_correction_edits_it(harness: Harness) -> None:
    h = harness
    task = await dispatch_and_find(h)
    aid = assignment_id_of(task)
    h.srv.send_text(YICHUN, "完成60%，已完成选址", reply_to=task)
    await h.deliver()
    card = _card(h, aid)
    assert "60%" in card.text
    cards_before = len([s for s in h.srv.messages_to(COORD) if "报送" in s.text and f" #{aid}" in s.text])
    # The contact corrects the reading: the same card changes, no second card arrives.
    ack = h.srv.messages_to(YICHUN)[-1]
    h.srv.press_button(YICHUN, ack, "更正")
    await h.deliver()
    h.srv.press_button(YICHUN, h.srv.message(YICHUN, ack.message_id), "受阻")
    await h.deliver()
    assert (
        len([s for s in h.srv.messages_to(COORD) if "报送" in s.text and f" #{aid}" in s.text])
        == cards_before
    )
    current = h.srv.message(COORD, card.message_id)
    assert "受阻" in current["text"] and current.get("reply_markup")
    # Approved: the card keeps its text, loses its buttons, and names who decided and when.
    h.srv.press_button(COORD, card, "通过")
    await h.deliver()
    current = h.srv.message(COORD, card.message_id)
    assert "已通过" in current["text"] and "Coord" in current["text"] and "受阻" in current["text"]
    assert not current.get("reply_markup")


async def test_remind_words_itself_by_state(harness: Harness) -> None:
    h = harness
    task = await dispatch_and_find(h)
    aid = assignment_id_of(task)
    h.srv.command(COORD, f"/remind #{aid}")
    await h.deliver()
    assert "请尽快签收" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.press_button(YICHUN, task, "签收")
    await h.deliver()
    h.srv.command(COORD, f"/remind #{aid}")
    await h.deliver()
    after_ack = h.srv.messages_to(YICHUN)[-1].text
    assert "催办" in after_ack and "请尽快签收" not in after_ack and "报送最新进展" in after_ack


async def test_in_a_group_the_person_who_acknowledged_is_named(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h)
    task = next(s for s in h.srv.messages_to(NANCHANG_GROUP) if "交办任务" in s.text)
    aid = assignment_id_of(task)
    h.srv.press_button(NANCHANG_MEMBER, task, "签收", chat_id=NANCHANG_GROUP)
    await h.deliver()
    assert any(f"南昌市人民政府（南昌联络员）已签收任务 #{aid}" in s.text for s in h.srv.messages_to(COORD))
    assert "南昌联络员" in h.srv.messages_to(NANCHANG_GROUP)[-1].text
    async with h.app.sessions() as session:
        event = (
            await session.scalars(
                select(Event).where(Event.kind == "assignment.acknowledge", Event.entity_id == aid)
            )
        ).first()
    assert event is not None and event.actor == f"tg:{NANCHANG_MEMBER}"
