"""Two real `duban run --webhook` processes on one PostgreSQL database behave, to every user, like
one: a fan-out shared between them (one SIGKILLed halfway) reaches everyone once within Telegram's
30 messages/s for the bot; due follow-ups fire once; the Monday summary goes out once; replies
delivered to either instance are stored once each.

The fake Bot API plays Telegram and the load balancer: it spreads the webhook's updates over both
instances round robin and delivers again what was not answered 200. Skipped without
DUBAN_TEST_PG_URL (.ci/run starts PostgreSQL and sets it).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.migrate import upgrade
from bot.services import outbox
from bot.telegram.sender import Limits
from config.settings import Settings
from tests.botapi import FakeBotAPI
from tests.botapi.server import Sent
from tests.cluster_support import Cluster, most_in_one_second, rows, scalar
from tests.e2e_support import WAIT, Timeline, run_cli, slow_method
from tests.test_e2e_process import (
    COORD,
    GONGXIN,
    GONGXIN_UNIT,
    YICHUN,
    YICHUN_UNIT,
    assert_no_traceback,
    dispatch_measure_two,
    people,
    task_messages,
)

N = 300
FIRST_CHAT = 700_000
KILL_AFTER = 120
TELEGRAM_LIMITS = {"RATE_GLOBAL_PER_SEC": "30", "RATE_PER_CHAT_PER_SEC": "1", "RATE_PER_GROUP_PER_MIN": "20"}


def text_for(chat_id: int) -> str:
    return f"催办提醒 #{chat_id}：请于本周五前报送进展。"


async def enqueue_fan_out(url: str, chats: list[int]) -> None:
    """What a big dispatch or follow-up tick leaves in the outbox, written by a third process."""
    app = App.build(Settings(_env_file=None, database_url=url, bot_token=None))  # type: ignore[call-arg]
    try:
        now = datetime.now(UTC)
        async with app.sessions() as session, session.begin():
            for chat in chats:
                outbox.enqueue(session, chat_id=chat, text=text_for(chat), now=now, purpose="followup")
    finally:
        await app.close()


async def test_fan_out_over_two_instances_one_killed_reaches_everyone_once_within_30_per_second(
    pg_url: str, tmp_path: Path
) -> None:
    import asyncio

    timeline = Timeline()
    chats = [FIRST_CHAT + i for i in range(N)]
    await asyncio.to_thread(upgrade, pg_url)
    async with FakeBotAPI() as srv:
        # The fake takes whatever comes, bar 1/s per chat: the limit of 30/s for the bot is the
        # instances' to keep together, and it is measured on what they sent.
        srv.limits.global_per_second = 10_000
        for chat in chats:
            srv.user(chat)
        cluster = Cluster(srv, pg_url, tmp_path, n=2, extra=TELEGRAM_LIMITS)
        try:
            await cluster.start()
            await cluster.wait_ready()
            timeline("both instances up")
            await enqueue_fan_out(pg_url, chats)
            timeline(f"{N} messages queued")
            await srv.wait_until(lambda: len(srv.sent) >= KILL_AFTER, timeout=60)
            await cluster.kill(0)
            killed_at = len(srv.sent)
            timeline(f"instance 0 SIGKILLed after {killed_at} sent")
            assert killed_at < N, "the fan-out finished before the kill: nothing was tested"
            await srv.wait_until(lambda: {s.chat_id for s in srv.sent} >= set(chats), timeout=90)
            for _ in range(100):
                if await scalar(pg_url, "SELECT count(*) FROM outboxmessage WHERE state != 'sent'") == 0:
                    break
                await asyncio.sleep(0.1)
            timeline(f"all {N} chats reached ({len(srv.sent)} messages)")
            assert await cluster.terminate() == [0], cluster.logs()
        finally:
            await cluster.kill_all()
        assert_no_traceback(cluster.instances[1].process)

        per_chat = Counter(s.chat_id for s in srv.sent)
        assert set(per_chat) == set(chats)
        for chat in chats:
            assert {s.text for s in srv.messages_to(chat)} == {text_for(chat)}, chat
        repeated = {chat: n for chat, n in per_chat.items() if n > 1}
        # What the killed instance had in flight: it starts no send while Limits.max_unmarked of its
        # sends are not marked sent (each mark written as soon as its send returns).
        in_flight = Limits().max_unmarked
        assert sum(n - 1 for n in repeated.values()) <= in_flight, (
            f"sent twice beyond those in flight: {repeated}"
        )
        busiest = most_in_one_second([s.time for s in srv.sent])
        timeline(f"busiest second: {busiest} messages; 429s: {srv.stats['rejected_429']}")
        assert busiest <= 30, f"{busiest} messages in one second from the two instances together"
        assert srv.stats["rejected_429"] == 0
        states = Counter(state for (state,) in await rows(pg_url, "SELECT state FROM outboxmessage"))
        assert states == {"sent": N}, states


async def _invite(cluster: Cluster, unit: str) -> str:
    result = await run_cli(cluster.env("cli"), "invite", unit, timeout=180)
    assert result.returncode == 0, result
    return result.last_line


def _next_monday_morning(after: datetime) -> datetime:
    """11:00 in Shanghai on the Monday after `after` (the summary's cron is 09:00 on Mondays)."""
    day = after.date() + timedelta(days=(7 - after.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)


async def test_two_instances_store_each_reply_once_fire_follow_ups_once_and_send_one_monday_summary(
    pg_url: str, tmp_path: Path
) -> None:
    import asyncio

    timeline = Timeline()
    async with FakeBotAPI() as srv:
        people(srv)
        srv.webhook_retry_delay = 0.2
        cluster = Cluster(srv, pg_url, tmp_path, n=2)
        init = await run_cli(cluster.env("cli"), "init", with_token=False, timeout=240)
        assert init.returncode == 0, init
        added = await run_cli(
            cluster.env("cli"), "coordinator", "add", str(COORD), with_token=False, timeout=180
        )
        assert added.returncode == 0, added
        codes = {unit: await _invite(cluster, unit) for unit in (YICHUN_UNIT, GONGXIN_UNIT)}
        timeline("database seeded")
        try:
            await cluster.start()
            await cluster.wait_ready()
            timeline("both instances up")
            srv.command(YICHUN, f"/start {codes[YICHUN_UNIT]}")
            srv.command(GONGXIN, f"/start {codes[GONGXIN_UNIT]}")
            for chat in (YICHUN, GONGXIN):
                await srv.wait_for(chat_id=chat, text_contains="绑定成功", timeout=WAIT)
            await dispatch_measure_two(srv, expected_messages=3)
            yichun_task = task_messages(srv, YICHUN)[0]
            gongxin_task = task_messages(srv, GONGXIN)[0]

            # --- replies, some delivered twice, spread over both instances
            mark = srv.mark()
            texts = []
            for i in range(12):
                who, task = (YICHUN, yichun_task) if i % 2 else (GONGXIN, gongxin_task)
                text = f"第{i + 1}次报送：进度{10 + i}%"
                texts.append(text)
                srv.send_text(who, text, reply_to=task)
                if i % 4 == 0:
                    srv.duplicate_last_update()
            await srv.wait_until(lambda: not srv.pending_updates, timeout=60)
            await srv.wait_until(
                lambda: sum(1 for s in srv.sent[mark:] if "系统理解为" in s.body) >= len(texts), timeout=WAIT
            )
            stored = [t for (t,) in await rows(pg_url, "SELECT raw_text FROM progressreport")]
            assert sorted(stored) == sorted(texts), stored
            hosts = {url for _, url, status, _ in srv.webhook_log if status == 200}
            assert len(hosts) == 2, "both instances took updates"
            await asyncio.sleep(1.0)  # a second copy of a confirmation would be out by now
            confirmations = [s for s in srv.sent[mark:] if "系统理解为" in s.body]
            assert len(confirmations) == len(texts), [c.body for c in confirmations]
            timeline(f"{len(texts)} replies stored once each")

            # --- an update cut off by a SIGKILL mid-handling (inside answerCallbackQuery, not yet
            # committed) was not answered: delivered again, to the other instance, handled once. (The
            # other task message: the replies above acknowledged the first one.)
            def aid_of(message: Sent) -> int:
                return int(re.search(r"#(\d+)", message.body).group(1))  # type: ignore[union-attr]

            untouched = next(m for m in task_messages(srv, YICHUN) if aid_of(m) != aid_of(yichun_task))
            aid = aid_of(untouched)
            assert await scalar(pg_url, "SELECT acknowledged_at FROM assignment WHERE id = $1", aid) is None
            with slow_method(srv, "answerCallbackQuery", 3.0):
                calls_before = len(srv.calls)
                srv.press_button(YICHUN, untouched, "签收")
                pressed = srv.pending_updates[-1]["update_id"]
                backend = await srv.wait_until(lambda: srv.webhook_delivering.get(pressed), timeout=WAIT)
                # The handler is inside answerCallbackQuery (answered after 3 s), its change uncommitted.
                await srv.wait_until(
                    lambda: any(c.method == "answerCallbackQuery" for c in srv.calls[calls_before:]),
                    timeout=WAIT,
                )
                victim = next(i for i, inst in enumerate(cluster.instances) if inst.backend == backend)
                await cluster.kill(victim)
                timeline(f"instance {victim} SIGKILLed while handling update {pressed}")
                await srv.wait_until(
                    lambda: any(
                        u == pressed and status == 200 and url != backend
                        for u, url, status, _ in srv.webhook_log
                    ),
                    timeout=60,
                )
            acknowledged = await scalar(pg_url, "SELECT acknowledged_at FROM assignment WHERE id = $1", aid)
            assert acknowledged is not None, "the press was lost with the killed instance"
            events = await scalar(
                pg_url,
                "SELECT count(*) FROM event WHERE entity_id = $1 AND kind = 'assignment.acknowledge'",
                aid,
            )
            assert events == 1, events
            assert await cluster.terminate() == [0], cluster.logs()
            for instance in cluster.instances:
                if instance.process.proc is not None and instance.process.proc.returncode == 0:
                    assert_no_traceback(instance.process)

            # --- both back on a Monday after the dispatch: the follow-ups due by then and the
            # summary the bot was down for (the catch-up) go out once.
            due = await scalar(
                pg_url,
                "SELECT count(*) FROM followup WHERE state = 'pending' AND due_at <= $1",
                _next_monday_morning(datetime.now(UTC)).replace(tzinfo=None),
            )
            assert due, "nothing due by Monday: nothing to test"
            monday = _next_monday_morning(datetime.now(UTC))
            cluster.extra.update({"CLOCK_START": monday.isoformat(), "SCHEDULER_TICK_SECONDS": "1"})
            mark = srv.mark()
            # Both start at once: their first ticks and summary catch-ups race for the same rows.
            await cluster.start_together(generation="-monday")
            await cluster.wait_ready()
            timeline(f"both instances up at {monday.isoformat()} (clock), {due} follow-ups due")
            await srv.wait_for(chat_id=COORD, text_contains="督办周报", since=mark, timeout=60)
            for _ in range(200):
                left = await scalar(
                    pg_url,
                    "SELECT count(*) FROM followup WHERE state = 'pending' AND due_at <= $1",
                    monday.replace(tzinfo=None),
                )
                if not left:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(4.0)  # a few more ticks of both instances, the senders drained
            assert await cluster.terminate() == [0, 0], cluster.logs()
        finally:
            await cluster.kill_all()
        for instance in cluster.instances:
            assert_no_traceback(instance.process)

        fired = await rows(pg_url, "SELECT id FROM followup WHERE state = 'sent'")
        assert fired, "no follow-up fired"
        per_followup = Counter(
            (fid, chat)
            for fid, chat in await rows(
                pg_url, "SELECT followup_id, chat_id FROM outboxmessage WHERE followup_id IS NOT NULL"
            )
        )
        assert max(per_followup.values()) == 1, per_followup
        after = srv.sent[mark:]
        texts_per_chat = Counter((s.chat_id, s.body) for s in after)
        assert max(texts_per_chat.values()) == 1, [k for k, n in texts_per_chat.items() if n > 1]
        summaries = [s for s in after if s.chat_id == COORD and "督办周报" in s.body]
        charts = [s for s in after if s.chat_id == COORD and s.method == "sendPhoto"]
        timeline(f"{len(fired)} follow-ups fired, {len(summaries)} summary messages, {len(charts)} charts")
        assert len(summaries) == 1, [s.body[:80] for s in summaries]
        assert len(charts) == 1, charts
