"""A contact who blocked the bot is paused, not unbound; writing again resumes them and offers
what they missed. Through the real Dispatcher and the fake Bot API's 403."""

from __future__ import annotations

from sqlalchemy import select

from models import Contact, Event, OutboxMessage, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import COORD, YICHUN, _setup


async def test_a_contact_who_blocked_the_bot_comes_back_by_writing_and_gets_the_missed_tasks(
    harness: Harness,
) -> None:
    h = harness
    await _setup(h)
    h.srv.block_chat(YICHUN)
    h.srv.command(COORD, "/dispatch 2")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "确认")
    await h.deliver()

    assert not [s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text]
    async with h.app.sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.chat_id == YICHUN))
        assert contact is not None and contact.active and contact.paused_at is not None
        failed = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.chat_id == YICHUN, OutboxMessage.state == "failed")
            )
        ).all()
    missed_tasks = {r.assignment_id for r in failed if r.assignment_id is not None}
    assert len(missed_tasks) >= 2
    assert any("暂停" in s.text for s in h.srv.messages_to(COORD))

    # They unblock the bot and write: answered as the unit's contact, not as a stranger.
    h.srv.block_chat(YICHUN, blocked=False)
    before = len(h.srv.messages_to(YICHUN))
    h.srv.send_text(YICHUN, "我回来了")
    await h.deliver()
    got = h.srv.messages_to(YICHUN)[before:]
    assert "欢迎回来" in got[0].text and f"{len(failed)} 条消息未能送达" in got[0].text
    assert not any("仅供已受邀的单位使用" in s.text for s in got)
    resent = [s for s in got if "交办任务" in s.text]
    assert {int(s.text.split("#")[1].split()[0]) for s in resent} == missed_tasks
    async with h.app.sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.chat_id == YICHUN))
        assert contact is not None and contact.paused_at is None
        kinds = list((await session.scalars(select(Event.kind))).all())
        states = set(
            (
                await session.scalars(
                    select(OutboxMessage.state).where(OutboxMessage.id.in_([r.id for r in failed]))
                )
            ).all()
        )
    assert "contact.resumed" in kinds and states == {"offered"}

    # A reply to a resent task message is stored as usual; writing again offers nothing twice.
    h.srv.send_text(YICHUN, "完成40%，已开工", reply_to=resent[0])
    await h.deliver()
    async with h.app.sessions() as session:
        reports = (await session.scalars(select(ProgressReport))).all()
    assert [r.raw_text for r in reports] == ["完成40%，已开工"]
    assert not any("欢迎回来" in s.text for s in h.srv.messages_to(YICHUN)[before + len(got) :])
