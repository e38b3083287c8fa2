"""SIGKILL in the middle of a fan-out: nothing is lost, at most the messages in flight are repeated.

The real `duban run` process works against the in-process FakeBotAPI with Telegram's rate limits
ON. Its database (SQLite, and PostgreSQL when the tests have a server) is prepared beforehand with 300 queued messages to 300 distinct chats
(as a big dispatch or follow-up tick would leave them). The process is killed with SIGKILL (no
chance to clean up) once about a third has gone out, then started again.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App
from bot.migrate import upgrade
from bot.services import outbox
from bot.telegram.sender import Limits
from config.settings import Settings
from tests.botapi import FakeBotAPI
from tests.e2e_support import BotProcess, Env, Timeline, query, scalar

N = 300
FIRST_CHAT = 700_000
KILL_AFTER = 100
START_TIMEOUT = 60.0  # start-up on a busy machine; on PostgreSQL it also loads Alembic to check the schema
# In flight when killed: the sender starts no send while this many of its sends are not marked
# sent (each mark is written as soon as its send returns; bot/telegram/sender.py's Limits says why
# a few overlap at 30/s), so no more can have reached Telegram unmarked.
UNMARKED = Limits().max_unmarked


def text_for(chat_id: int) -> str:
    return f"催办提醒 #{chat_id}：请于本周五前报送进展。"


async def prepare(env: Env, chats: list[int]) -> None:
    url = env.database_url
    upgrade(url)  # what `duban run` does on start; already at head then
    app = App.build(Settings(_env_file=None, database_url=url, bot_token=None))
    try:
        now = datetime.now(UTC)
        async with app.sessions() as session, session.begin():
            for chat in chats:
                outbox.enqueue(session, chat_id=chat, text=text_for(chat), now=now, purpose="followup")
    finally:
        await app.close()


def assert_clean_log(bot: BotProcess) -> None:
    log = bot.log()
    assert "Traceback" not in log, f"`duban run` logged a traceback:\n{log[-6000:]}"


async def test_sigkill_mid_fan_out_loses_nothing_and_repeats_only_the_sends_in_flight(
    tmp_path: Path, run_db: str | None
) -> None:
    timeline = Timeline()
    chats = [FIRST_CHAT + i for i in range(N)]
    async with FakeBotAPI() as srv:
        assert srv.limits.enforce
        for chat in chats:
            srv.user(chat)
        env = Env(
            tmp_path,
            base_url=srv.base_url,
            token=srv.token,
            extra={
                # Telegram's real limits, as in production (e2e_support relaxes them by default).
                "RATE_GLOBAL_PER_SEC": "30",
                "RATE_PER_CHAT_PER_SEC": "1",
                "RATE_PER_GROUP_PER_MIN": "20",
            },
            pg_database=run_db,
        )
        await prepare(env, chats)
        assert scalar(env, "SELECT count(*) FROM outboxmessage WHERE state = 'pending'") == N
        timeline(f"{N} messages queued")

        first = BotProcess(env, "first")
        second = BotProcess(env, "second")
        try:
            await first.start()
            await srv.wait_until(
                lambda: len(srv.sent) >= KILL_AFTER or not first.running, timeout=START_TIMEOUT
            )
            assert first.running, f"`duban run` exited early:\n{first.log()}"
            await first.kill()  # SIGKILL
            assert first.proc is not None and first.proc.returncode == -9
            delivered_before = len(srv.sent)
            timeline(f"SIGKILL after {delivered_before} delivered")
            assert delivered_before < N, "the fan-out finished before the kill: nothing was tested"

            # Nothing is marked sent that Telegram did not confirm.
            marked = {row[0] for row in query(env, "SELECT chat_id FROM outboxmessage WHERE state = 'sent'")}
            got = {s.chat_id for s in srv.sent}
            assert marked <= got, f"rows marked sent but never delivered: {sorted(marked - got)[:10]}"
            # Only the sends in flight at the kill can have reached Telegram unmarked.
            assert len(got - marked) <= UNMARKED, f"delivered but not marked sent: {sorted(got - marked)}"

            await second.start()
            await srv.wait_until(
                lambda: {s.chat_id for s in srv.sent} >= set(chats) or not second.running,
                timeout=START_TIMEOUT,
            )
            assert second.running, f"`duban run` exited early after the restart:\n{second.log()}"
            timeline(f"restarted; all {N} chats reached ({len(srv.sent)} messages)")
            # The last confirmations are being written.
            await srv.wait_until(
                lambda: scalar(env, "SELECT count(*) FROM outboxmessage WHERE state != 'sent'") == 0,
                timeout=10,
            )
            rc = await second.terminate(15)
            assert rc == 0, f"exit code {rc} after SIGTERM:\n{second.log()}"
            timeline("stopped")
        finally:
            await first.kill()
            await second.kill()

        assert_clean_log(second)
        per_chat = Counter(s.chat_id for s in srv.sent)
        for chat in chats:
            assert {s.text for s in srv.messages_to(chat)} == {text_for(chat)}, chat
        repeated = {chat: n for chat, n in per_chat.items() if n > 1}
        timeline(f"repeated: {repeated or 'none'}")
        assert sum(n - 1 for n in repeated.values()) <= UNMARKED, f"repeated after one kill: {repeated}"
        assert set(per_chat) == set(chats)
        # 429s are not asserted here (pacing has its own tests and bench/fanout.py): a rejected send is
        # retried after retry_after and must still arrive exactly once, which the checks above cover.
        timeline(f"429s from the fake server: {srv.stats['rejected_429']}")

        rows = query(env, "SELECT chat_id, state, telegram_message_id, sent_at FROM outboxmessage")
        assert len(rows) == N
        assert Counter(state for _, state, _, _ in rows) == {"sent": N}
        last_id = {s.chat_id: s.message_id for s in srv.sent}
        assert all(tid == last_id[chat] and sent_at for chat, _, tid, sent_at in rows)
