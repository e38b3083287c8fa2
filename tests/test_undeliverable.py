"""Every message the bot composes can be delivered, and what cannot is reported.

Texts are split on their structure and never inside a tag or entity; long fields are clipped
where they are rendered; markup Telegram refuses is sent again as plain text; a message that
finally cannot be delivered is reported to the coordinators, once.
"""

from __future__ import annotations

import random

from aiogram import Bot
from sqlalchemy import select, update

from bot.app import App
from bot.domain.text import FIELD_LIMIT, clip_html, utf16_len
from bot.services import outbox
from bot.services.invites import add_coordinator
from models import Assignment, Contact, Event, Measure, OutboxMessage, Policy, Unit
from tests.botapi import FakeBotAPI
from tests.botapi.server import parse_html
from tests.conftest import Harness
from tests.test_bot_flow import COORD, YICHUN, _setup
from tests.test_outbox_sender import bot, make_sender, outbox_rows, srv  # noqa: F401  (fixtures)

# ----------------------------------------------------------------------------- splitting


def _random_html(rng: random.Random) -> str:
    pieces = ["锂电", "产业链", "。", "，", "&amp;", "&lt;", " ", "\n", "a", "😀"]
    opening = {"b": "<b>", "i": "<i>", "a": '<a href="https://example.cn/?a=1&amp;b=2">'}
    out: list[str] = []
    stack: list[str] = []
    for _ in range(rng.randint(50, 400)):
        roll = rng.random()
        if roll < 0.05 and len(stack) < 3:
            name = rng.choice([n for n in opening if n not in stack] or ["b"])
            if name not in stack:
                stack.append(name)
                out.append(opening[name])
        elif roll < 0.1 and stack:
            out.append(f"</{stack.pop()}>")
        else:
            out.append(rng.choice(pieces) * rng.choice([1, 1, 1, 40]))
    out.extend(f"</{name}>" for name in reversed(stack))
    return "".join(out)


def test_split_parts_are_valid_html_within_the_limit_and_lose_nothing() -> None:
    rng = random.Random(12)
    for _ in range(150):
        text = _random_html(rng)
        limit = rng.choice([80, 300, 1000, 4096])
        plain, _ = parse_html(text)
        parts = outbox.split_text(text, limit)
        shown = []
        for part in parts:
            assert utf16_len(part) <= limit
            shown.append(parse_html(part)[0])  # raises like Telegram on a cut tag or entity
        # Cuts at line ends drop that one line break; no visible character is lost or added.
        assert "".join(shown).replace("\n", "") == plain.replace("\n", "")
        clipped = clip_html(text, limit)
        assert utf16_len(clipped) <= limit and parse_html(clipped)


def test_a_long_bold_line_is_split_between_sentences_with_its_tag_on_both_sides() -> None:
    sentence = "支持锂电企业开展技术改造。"
    text = "📌 <b>" + sentence * 400 + "</b>\n尾行"
    parts = outbox.split_text(text)
    assert len(parts) == 2
    assert parts[0].endswith("。</b>") and parts[1].startswith("<b>支持")
    for part in parts:
        parse_html(part)


# -------------------------------------------------------------- long titles, whole flow


async def test_a_4200_character_title_still_reaches_every_unit_and_the_board(harness: Harness) -> None:
    h = harness
    title = "关于进一步促进锂电产业链高质量发展的若干措施" * 200  # one line, no "。"
    assert len(title) > 4200
    await _setup(h)
    async with h.app.sessions() as session, session.begin():
        await session.execute(update(Policy).values(title=title, short_title=title))
        await session.execute(update(Measure).where(Measure.number == 2).values(title="做大做强" * 600))
    h.srv.command(COORD, "/dispatch 2")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "确认")
    await h.deliver()
    task_msg = next(s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text)
    assert task_msg.parse_mode == "HTML" and "…" in task_msg.text
    assert len(task_msg.text) < 4096
    async with h.app.sessions() as session:
        dead = (await session.scalars(select(OutboxMessage).where(OutboxMessage.state != "sent"))).all()
        assigned = (await session.scalars(select(Assignment).where(Assignment.status == "assigned"))).all()
    assert dead == [] and assigned
    policy_line = next(line for line in task_msg.text.split("\n") if line.startswith("关于"))
    assert len(policy_line) == FIELD_LIMIT

    h.srv.command(COORD, "/board")
    await h.deliver()
    board = h.srv.messages_to(COORD)[-1]
    assert "督办看板" in board.text and "…" in board.text
    assert h.srv.stats["errors"].get(400, 0) == 0


# ------------------------------------------------------------------ refused by Telegram


async def _people(app: App) -> tuple[int, int]:
    contact_chat, coordinator_chat = 71_001, 71_002
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        unit = Unit(name="省商务厅", kind="provincial", created_at=now)
        session.add(unit)
        await session.flush()
        session.add(
            Contact(
                unit_id=unit.id,
                role="contact",
                chat_id=contact_chat,
                telegram_user_id=contact_chat,
                display_name="商务联络员",
                created_at=now,
            )
        )
        await add_coordinator(
            app.unit_of_work(session, now), user_id=coordinator_chat, name="督办人", actor="test"
        )
    return contact_chat, coordinator_chat


async def test_markup_telegram_refuses_is_sent_again_as_plain_text(
    app: App,
    srv: FakeBotAPI,  # noqa: F811
    bot: Bot,  # noqa: F811
) -> None:
    chat, _ = await _people(app)
    srv.user(chat)
    async with app.sessions() as session, session.begin():
        outbox.enqueue(
            session, chat_id=chat, text="<b>签收</b> 成功 &amp; 谢谢", now=app.clock.now(), purpose="reply"
        )
    srv.fail_next(
        "sendMessage",
        status=400,
        chat_id=chat,
        description='Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
    )
    sender = make_sender(app, bot, per_chat_per_sec=20)

    await sender.drain(timeout=10)

    (sent,) = srv.messages_to(chat)
    assert sent.text == "签收 成功 & 谢谢" and sent.parse_mode is None
    row = next(r for r in await outbox_rows(app) if r.chat_id == chat)
    assert (row.state, row.parse_mode, row.telegram_message_id) == ("sent", None, sent.message_id)
    async with app.sessions() as session:
        kinds = list((await session.scalars(select(Event.kind))).all())
    assert "outbox.plain_text" in kinds and "outbox.dead" not in kinds


async def test_a_message_that_cannot_be_delivered_is_reported_once(
    app: App,
    srv: FakeBotAPI,  # noqa: F811
    bot: Bot,  # noqa: F811
) -> None:
    chat, coordinator = await _people(app)
    srv.user(chat)
    srv.user(coordinator)
    async with app.sessions() as session, session.begin():
        outbox.enqueue(
            session,
            chat_id=chat,
            text="✅ 已签收任务 #7。" + "进展" * 300,
            now=app.clock.now(),
            purpose="reply",
            assignment_id=None,
        )
    srv.fail_next(
        "sendMessage", status=400, chat_id=chat, description="Bad Request: message thread not found"
    )
    # The notice about it fails too: that is not reported again.
    srv.fail_next("sendMessage", status=400, chat_id=coordinator, description="Bad Request: chat not found")
    sender = make_sender(app, bot, per_chat_per_sec=20)

    await sender.drain(timeout=10)

    rows = await outbox_rows(app)
    assert [(r.chat_id, r.state) for r in rows] == [(chat, "dead"), (coordinator, "dead")]
    notice = rows[1]
    assert notice.purpose == "undeliverable_notice"
    assert "商务联络员" in notice.text and "message thread not found" in notice.text
    assert "已签收任务 #7" in notice.text and len(notice.text) < 600

    # A second delivery of that notice works (the fault is spent) and names what it was.
    async with app.sessions() as session, session.begin():
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == notice.id).values(state="pending")
        )
    await sender.drain(timeout=10)
    (told,) = srv.messages_to(coordinator)
    assert "未能送达" in told.text and "商务联络员" in told.text
    assert len(await outbox_rows(app)) == 2
