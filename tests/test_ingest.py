"""Progress replies batched per polling batch (as under `duban run`) against one update at a time."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.methods import GetUpdates, SendMessage
from sqlalchemy import select

from bot.services import coordination as co
from bot.services.ingest import ReplyIngest
from handlers.ingest import FlushBeforePolling
from models import Assignment, Event, Followup, OutboxMessage, ProcessedUpdate, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import COORD, NANCHANG_GROUP, NANCHANG_MEMBER, STRANGER, YICHUN, dispatch_and_find

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (3).to_bytes(4, "big") + (2).to_bytes(4, "big") + b"rest"


def _spy_on_declined(h: Harness) -> list[str]:
    """The texts the batch hands back to be handled one at a time."""
    assert h.ingest is not None
    declined: list[str] = []
    handle = h.ingest.fallback

    async def spy(item: Any) -> None:
        declined.append(item.incoming.text)
        await handle(item)

    h.ingest.fallback = spy
    return declined


def _tasks(h: Harness, chat_id: int) -> list[Any]:
    return [s for s in h.srv.messages_to(chat_id) if "交办任务" in (s.text or "")]


async def _replies_in_one_batch(h: Harness) -> None:
    task_msg = await dispatch_and_find(h)
    other = next(s for s in _tasks(h, YICHUN) if s.message_id != task_msg.message_id)
    group_task = _tasks(h, NANCHANG_GROUP)[0]
    h.srv.send_text(YICHUN, "本周完成选址，完成60%", reply_to=task_msg)
    h.srv.send_text(NANCHANG_MEMBER, "受阻，需协调用地指标", chat_id=NANCHANG_GROUP, reply_to=group_task)
    h.srv.send_photo(YICHUN, PNG, caption="现场照片", reply_to=other)
    h.srv.send_text(YICHUN, "已完成", reply_to=task_msg)
    await h.deliver()


async def _snapshot(h: Harness) -> dict[str, Any]:
    """Everything a reply can change, without row ids or anything else the path may number differently."""
    seen = {chat: [(s.text, s.button_texts) for s in h.srv.messages_to(chat)]
            for chat in (YICHUN, NANCHANG_GROUP, COORD)}
    async with h.app.sessions() as session:
        reports = [(r.assignment_id, r.contact_id, r.chat_id, r.message_id, r.author, r.raw_text, r.attachment_kind,
                    r.attachment_file_id, r.parsed_status, r.parsed_percent, r.parse_ok, r.review_state,
                    r.notified_at, r.created_at)
                   for r in (await session.scalars(select(ProgressReport).order_by(ProgressReport.id))).all()]
        assignments = [(a.id, a.status, a.percent, a.acknowledged_at, a.last_report_at, a.claimed_done_at,
                        a.updated_at)
                       for a in (await session.scalars(select(Assignment).order_by(Assignment.id))).all()]
        events = sorted((e.at, e.actor, e.kind, e.entity, e.entity_id, e.from_state, e.to_state, e.reason,
                         repr(sorted((e.data or {}).items())))
                        for e in (await session.scalars(select(Event))).all())
        outbox = [(m.chat_id, m.text, m.purpose, m.reply_markup, m.reply_to_message_id, m.state, m.assignment_id)
                  for m in (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()]
        # What is scheduled. Follow-ups planned and cancelled between two replies to the same task
        # exist only when each reply commits on its own, so cancelled rows are not compared.
        followups = sorted((f.assignment_id, f.kind, f.key, f.due_at)
                           for f in (await session.scalars(select(Followup).where(Followup.state == "pending"))).all())
        claimed = sorted((await session.scalars(select(ProcessedUpdate.update_id))).all())
    return {"seen": seen, "reports": reports, "assignments": assignments, "events": events, "outbox": outbox,
            "followups": followups, "claimed": claimed}


async def _same_script_both_ways(one_by_one: Harness, batched: Harness) -> None:
    """Two separate databases and fake servers, the same script; the clock is shared and still."""
    await _replies_in_one_batch(one_by_one)
    await _replies_in_one_batch(batched)
    assert batched.ingest is not None and batched.ingest.accepted == 4 and batched.ingest.failed == 0
    expected, got = await _snapshot(one_by_one), await _snapshot(batched)
    assert len(got["reports"]) == 4
    for key in expected:
        assert got[key] == expected[key], key


async def test_a_batch_changes_exactly_what_one_update_at_a_time_changes(
        harness: Harness, other_batched_harness: Harness) -> None:
    await _same_script_both_ways(harness, other_batched_harness)


async def test_replies_the_batch_declines_get_the_usual_answers(batched_harness: Harness) -> None:
    h = batched_harness
    task_msg = await dispatch_and_find(h)
    aid = int(task_msg.text.split("#")[1].split()[0])
    h.srv.command(COORD, f"/close #{aid}")
    await h.deliver()
    notice = h.srv.messages_to(YICHUN)[-1]  # a bot message that carries no task
    declined = _spy_on_declined(h)
    h.srv.send_text(YICHUN, "补充：验收材料已归档", reply_to=task_msg)  # the task is closed now
    h.srv.send_text(YICHUN, "这条回复的不是任务消息", reply_to=notice)
    await h.deliver()
    assert declined == ["补充：验收材料已归档", "这条回复的不是任务消息"]
    assert "已办结" in h.srv.messages_to(YICHUN)[-2].text
    assert "回复" in h.srv.messages_to(YICHUN)[-1].text  # report.no_task
    async with h.app.sessions() as session:
        kept = (await session.scalars(select(ProgressReport.raw_text))).all()
    assert "补充：验收材料已归档" in kept  # nothing a unit sends is thrown away
    assert "这条回复的不是任务消息" not in kept


async def test_a_stranger_replying_is_refused_as_usual(batched_harness: Harness) -> None:
    h = batched_harness
    await dispatch_and_find(h)
    h.srv.user(STRANGER + 7, first_name="路人")
    # A stranger cannot reply to a task message in their own chat, so they reply to what the bot
    # said to them.
    h.srv.send_text(STRANGER + 7, "你好")
    await h.deliver()
    refusal = h.srv.messages_to(STRANGER + 7)[-1]
    declined = _spy_on_declined(h)
    h.srv.send_text(STRANGER + 7, "完成60%", reply_to=refusal)
    await h.deliver()
    assert declined == ["完成60%"]
    # Answered once per period, not once per message (issue 12).
    assert len(h.srv.messages_to(STRANGER + 7)) == 1
    assert "仅供已受邀的单位使用" in refusal.text
    async with h.app.sessions() as session:
        assert (await session.scalars(select(ProgressReport))).all() == []


async def test_a_command_behind_a_queued_reply_sees_it(batched_harness: Harness) -> None:
    h = batched_harness
    task_msg = await dispatch_and_find(h)
    aid = int(task_msg.text.split("#")[1].split()[0])
    async with h.app.sessions() as session:
        await co.coordinators(session)
    h.app.settings.report_notify = "digest"  # so the only new message the coordinator gets is /task's
    seen = len(h.srv.messages_to(COORD))
    # One polling batch: the reply is queued, then the coordinator's command arrives.
    h.srv.send_text(YICHUN, "完成45%", reply_to=task_msg)
    h.srv.command(COORD, f"/task #{aid}")
    await h.deliver()
    new = h.srv.messages_to(COORD)[seen:]
    assert len(new) == 1 and "报送记录" in new[0].text and "完成45%" in new[0].text
    assert h.ingest is not None and h.ingest.accepted == 1


async def test_the_same_update_twice_counts_once(batched_harness: Harness) -> None:
    h = batched_harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_text(YICHUN, "完成30%", reply_to=task_msg)
    raw = h.srv.take_updates()
    for _ in range(2):  # twice in one batch, and once more in the next
        for update in raw + raw:
            h.srv._enqueue(dict(update), forced=True)
        await h.deliver()
    async with h.app.sessions() as session:
        assert len((await session.scalars(select(ProgressReport))).all()) == 1
    assert sum("30%" in (s.text or "") for s in h.srv.messages_to(YICHUN)) == 1


async def test_claims_are_looked_up_only_for_ids_not_above_those_handled(batched_harness: Harness) -> None:
    from sqlalchemy import event

    h = batched_harness
    assert h.ingest is not None
    task_msg = await dispatch_and_find(h)
    lookups: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM processedupdate" in statement:
            lookups.append(statement)

    event.listen(h.app.engine.sync_engine, "before_cursor_execute", count)
    try:
        h.srv.send_text(YICHUN, "完成10%", reply_to=task_msg)
        await h.deliver()
        first = len(lookups)
        assert first == 1  # nothing handled yet in this process: the claims are looked up
        h.srv.send_text(YICHUN, "完成20%", reply_to=task_msg)
        await h.deliver()
        assert len(lookups) == first  # every id above the highest handled: no lookup
        # Telegram's numbering is what the shortcut trusts; if it ever failed, the claims' key
        # still refuses the duplicate and the batch goes the usual way, counted once.
        h.srv.send_text(YICHUN, "完成30%", reply_to=task_msg)
        raw = h.srv.take_updates()
        for update in raw:
            h.srv._enqueue(dict(update), forced=True)
        await h.deliver()
        assert h.ingest.failed == 0
        h.ingest.handled_up_to = raw[0]["update_id"] - 1
        for update in raw:
            h.srv._enqueue(dict(update), forced=True)
        await h.deliver()
        assert h.ingest.failed == 1
    finally:
        event.remove(h.app.engine.sync_engine, "before_cursor_execute", count)
    async with h.app.sessions() as session:
        texts = sorted(r.raw_text for r in (await session.scalars(select(ProgressReport))).all())
    assert texts == ["完成10%", "完成20%", "完成30%"]
    assert sum("30%" in (s.text or "") for s in h.srv.messages_to(YICHUN)) == 1


async def test_a_failing_batch_falls_back_and_keeps_every_text(batched_harness: Harness,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    h = batched_harness
    task_msg = await dispatch_and_find(h)
    group_task = _tasks(h, NANCHANG_GROUP)[0]
    real = co.reading_of

    def brittle(raw_text: str, explicit: Any = None) -> Any:
        if "炸" in raw_text:
            raise RuntimeError("reader bug")
        return real(raw_text, explicit)

    monkeypatch.setattr(co, "reading_of", brittle)
    h.srv.send_text(YICHUN, "格式炸了的报送", reply_to=task_msg)
    h.srv.send_text(NANCHANG_MEMBER, "完成80%", chat_id=NANCHANG_GROUP, reply_to=group_task)
    await h.deliver()
    async with h.app.sessions() as session:
        reports = {r.raw_text: r for r in (await session.scalars(select(ProgressReport))).all()}
    assert set(reports) == {"格式炸了的报送", "完成80%"}
    assert reports["完成80%"].parsed_percent == 80
    assert reports["格式炸了的报送"].parse_ok is False and reports["格式炸了的报送"].review_state == "pending"
    assert h.ingest is not None and h.ingest.batches == 0 and h.ingest.failed == 1  # rolled back; each went alone


async def test_an_interrupted_flush_keeps_the_replies_and_holds_back_get_updates(
        batched_harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import bot.services.ingest as ingest_module

    h = batched_harness
    task_msg = await dispatch_and_find(h)
    assert h.ingest is not None
    real = ingest_module.ingest_batch

    async def cancelled(*args: Any, **kwargs: Any) -> Any:
        raise asyncio.CancelledError  # as when shutdown cancels polling in the middle of the commit

    monkeypatch.setattr(ingest_module, "ingest_batch", cancelled)
    h.srv.send_text(YICHUN, "完成70%", reply_to=task_msg)
    h.srv.send_text(YICHUN, "完成75%", reply_to=task_msg)
    from aiogram.types import Update

    for raw in h.srv.take_updates():
        await h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot}))
    requests: list[str] = []

    async def make_request(bot: Any, method: Any) -> str:
        requests.append(type(method).__name__)
        return "ok"

    with pytest.raises(asyncio.CancelledError):
        await FlushBeforePolling(h.ingest)(make_request, h.bot, GetUpdates(offset=99))
    assert requests == [] and [i.incoming.text for i in h.ingest.pending] == ["完成70%", "完成75%"]
    monkeypatch.setattr(ingest_module, "ingest_batch", real)
    await FlushBeforePolling(h.ingest)(make_request, h.bot, GetUpdates(offset=99))
    assert requests == ["GetUpdates"] and h.ingest.accepted == 2
    async with h.app.sessions() as session:
        assert sorted((await session.scalars(select(ProgressReport.raw_text))).all()) == ["完成70%", "完成75%"]


async def test_a_caption_command_is_not_a_report(batched_harness: Harness) -> None:
    h = batched_harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_photo(YICHUN, PNG, caption="/tasks", reply_to=task_msg)
    await h.deliver()
    async with h.app.sessions() as session:
        assert (await session.scalars(select(ProgressReport))).all() == []
    assert h.ingest is not None and h.ingest.pending == [] and h.ingest.accepted == 0


class _CountingIngest:
    def __init__(self) -> None:
        self.flushes = 0

    async def flush(self) -> None:
        self.flushes += 1


async def test_get_updates_waits_for_the_batch_to_commit() -> None:
    ingest = _CountingIngest()
    middleware = FlushBeforePolling(ingest)  # type: ignore[arg-type]
    order: list[str] = []

    async def make_request(bot: Any, method: Any) -> str:
        order.append(f"{type(method).__name__} after {ingest.flushes} flushes")
        return "ok"

    await middleware(make_request, None, SendMessage(chat_id=1, text="x"))  # type: ignore[arg-type]
    await middleware(make_request, None, GetUpdates(offset=5))  # type: ignore[arg-type]
    assert order == ["SendMessage after 0 flushes", "GetUpdates after 1 flushes"]


async def test_a_reply_left_queued_is_committed_by_the_timer(batched_harness: Harness) -> None:
    h = batched_harness
    task_msg = await dispatch_and_find(h)
    assert isinstance(h.ingest, ReplyIngest)
    h.ingest.max_delay = 0.05
    h.srv.send_text(YICHUN, "完成20%", reply_to=task_msg)
    from aiogram.types import Update

    for raw in h.srv.take_updates():  # fed, but no getUpdates follows
        await h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot}))
    assert h.ingest.pending
    import asyncio

    for _ in range(100):
        if not h.ingest.pending and h.ingest.batches:
            break
        await asyncio.sleep(0.02)
    async with h.app.sessions() as session:
        assert [r.raw_text for r in (await session.scalars(select(ProgressReport))).all()] == ["完成20%"]


async def test_a_batch_on_postgresql_matches_one_at_a_time_on_sqlite(pg_url: str, harness: Harness) -> None:
    import asyncio

    from bot.app import App
    from bot.migrate import upgrade
    from config.settings import Settings
    from tests.conftest import _harness

    await asyncio.to_thread(upgrade, pg_url)
    pg_app = App.build(Settings(_env_file=None, database_url=pg_url, bot_token=None), clock=harness.app.clock)
    try:
        async for batched in _harness(pg_app, batched=True):
            await _same_script_both_ways(harness, batched)
    finally:
        await pg_app.close()
