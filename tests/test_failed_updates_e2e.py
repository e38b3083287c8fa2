"""Updates that fail because the disk takes no more writes (a file-size limit on the running
`duban run`, RLIMIT_FSIZE): never confirmed and lost, parked whole in the dead-letter file beside the
database, replayed after a restart, the coordinators told; the apology says "saved" only when it
was. And `duban run` refuses to start on a database it cannot write."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
from pathlib import Path

import pytest

from tests.botapi import FakeBotAPI
from tests.e2e_support import WAIT, BotProcess, Env, query, run_cli, scalar
from tests.test_e2e_process import (  # noqa: F401 - seeded_db is a fixture
    COORD,
    GONGXIN,
    GONGXIN_UNIT,
    NANCHANG_GROUP,
    NANCHANG_MEMBER,
    NANCHANG_UNIT,
    YICHUN,
    YICHUN_UNIT,
    assert_no_traceback,
    cli_invite,
    dispatch_measure_two,
    fresh_env,
    log_outline,
    people,
    seeded_db,
    task_messages,
    wait_ready,
)

REPLIES = {
    YICHUN: "本周进展：宜春已完成可研报告，进度40%",
    GONGXIN: "工信厅：核心区方案已报省政府，完成60%",
    NANCHANG_MEMBER: "南昌：项目已开工，进度30%",
}
LATE = "宜春补充：用地手续已办妥，进度45%"
PARKED_APOLOGY = "已原样暂存"
NOT_SAVED_APOLOGY = "未能处理，也未保存"


class PipedBotProcess(BotProcess):
    """`duban run` whose output goes through a pipe: a file-size limit on the process must not
    stop its log (a pipe is not a file it grows)."""

    async def start(self) -> PipedBotProcess:
        from tests.e2e_support import duban_argv

        self.proc = await asyncio.create_subprocess_exec(
            *duban_argv("run"),
            cwd=self.env.workdir,
            env=self.env.environ(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._copy_log())
        return self

    async def _copy_log(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with self.log_path.open("ab") as log:
            while chunk := await self.proc.stdout.read(65536):
                log.write(chunk)
                log.flush()

    def limit_file_size(self, size: int) -> None:
        """No file of this process may grow past `size` bytes from now on (the disk is "full")."""
        assert self.proc is not None
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (size, size))


def dead_letter_file(env: Env) -> Path:
    return env.db_path.with_name(env.db_path.name + ".deadletter.jsonl")


def parked(env: Env) -> list[dict]:
    path = dead_letter_file(env)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def reports(env: Env) -> list[str]:
    return [row[0] for row in query(env, "SELECT raw_text FROM progressreport ORDER BY id")]


# A file-size limit on SQLite's journal is how the disk fills up here; PostgreSQL's files belong to
# its server.
@pytest.mark.parametrize("seeded_db", ["sqlite"], indirect=True)
async def test_replies_that_fail_on_a_full_disk_are_parked_replayed_and_announced(
    tmp_path: Path,
    seeded_db: Env,  # noqa: F811
) -> None:
    async with FakeBotAPI() as srv:
        people(srv)
        env = fresh_env(srv, seeded_db, tmp_path)
        env.extra["UPDATE_RETRY_SECONDS"] = "0.6"
        first = PipedBotProcess(env, "first")
        second = PipedBotProcess(env, "second")
        try:
            await first.start()
            codes = {
                unit: await cli_invite(srv, env, unit) for unit in (YICHUN_UNIT, GONGXIN_UNIT, NANCHANG_UNIT)
            }
            await wait_ready(srv, first, 0)
            srv.command(YICHUN, f"/start {codes[YICHUN_UNIT]}")
            srv.command(GONGXIN, f"/start {codes[GONGXIN_UNIT]}")
            srv.command(NANCHANG_MEMBER, f"/start {codes[NANCHANG_UNIT]}", chat_id=NANCHANG_GROUP)
            for chat in (YICHUN, GONGXIN, NANCHANG_GROUP):
                await srv.wait_for(chat_id=chat, text_contains="绑定成功", timeout=WAIT)
            await dispatch_measure_two(srv, expected_messages=4)
            await srv.wait_until(
                lambda: (
                    scalar(env, "SELECT count(*) FROM outboxmessage WHERE state != 'sent'") == 0
                    and not srv.pending_updates
                ),
                timeout=WAIT,
            )
            targets = {
                YICHUN: task_messages(srv, YICHUN)[0],
                GONGXIN: task_messages(srv, GONGXIN)[0],
                NANCHANG_MEMBER: task_messages(srv, NANCHANG_GROUP)[0],
            }
            reports_before = reports(env)

            # --- the disk is full: the database's journal cannot grow any more
            wal = env.db_path.with_name(env.db_path.name + "-wal")
            first.limit_file_size(wal.stat().st_size)
            mark = srv.mark()
            for user, text in REPLIES.items():
                chat = NANCHANG_GROUP if user == NANCHANG_MEMBER else None
                srv.send_text(user, text, chat_id=chat, reply_to=targets[user])
            await srv.wait_until(lambda: len(parked(env)) == 3 or not first.running, timeout=30)
            assert first.running, log_outline(first)
            assert {r["update"]["message"]["text"] for r in parked(env)} == set(REPLIES.values())
            assert reports(env) == reports_before, "nothing could be stored"
            # Each sender is told, truthfully: kept, to be processed later.
            for chat in (YICHUN, GONGXIN, NANCHANG_GROUP):
                apology = await srv.wait_for(chat_id=chat, since=mark, timeout=WAIT)
                assert PARKED_APOLOGY in apology.body and "已保存" not in apology.body, apology.body

            # --- now not even the dead-letter file can grow: the update stays with Telegram
            first.limit_file_size(dead_letter_file(env).stat().st_size)
            mark = srv.mark()
            srv.send_text(YICHUN, LATE, reply_to=targets[YICHUN])
            apology = await srv.wait_for(chat_id=YICHUN, since=mark, timeout=30)
            assert NOT_SAVED_APOLOGY in apology.body, apology.body
            assert "已保存" not in apology.body and "暂存" not in apology.body, apology.body
            await asyncio.sleep(1.5)  # a few rounds of retrying it
            assert [u["message"]["text"] for u in srv.pending_updates] == [LATE], "not confirmed to Telegram"
            assert len(srv.messages_to(YICHUN)[srv.messages_to(YICHUN).index(apology) :]) == 1, "told once"
            assert len(parked(env)) == 3
            await first.terminate(30)

            # --- restarted with room on the disk: replayed, answered, announced, then the late one
            mark = srv.mark()
            await second.start()
            notice = await srv.wait_for(chat_id=COORD, text_contains="暂存", since=mark, timeout=40)
            assert "3 条" in notice.body and "补处理 3 条" in notice.body, notice.body
            for name in ("宜春联络员", "工信联络员", "南昌联络员"):
                assert name in notice.body, notice.body
            for chat in (YICHUN, GONGXIN, NANCHANG_GROUP):
                await srv.wait_for(chat_id=chat, text_contains="已收到", since=mark, timeout=WAIT)
            await srv.wait_until(lambda: LATE in reports(env), timeout=WAIT)
            stored = reports(env)[len(reports_before) :]
            assert sorted(stored) == sorted([*REPLIES.values(), LATE]), stored
            assert not dead_letter_file(env).exists()
            assert await second.terminate(30) == 0, log_outline(second)
            assert_no_traceback(second)
        finally:
            for bot in (first, second):
                await bot.kill()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(bot._reader, 5)


@pytest.mark.parametrize("seeded_db", ["sqlite"], indirect=True)  # a read-only SQLite file
async def test_run_refuses_a_database_it_cannot_write(tmp_path: Path, seeded_db: Env) -> None:  # noqa: F811
    async with FakeBotAPI() as srv:
        env = fresh_env(srv, seeded_db, tmp_path)
        # Read-only as SQLite opens it (permission bits would not stop root, who runs the tests here).
        env.extra["DATABASE_URL"] = f"sqlite+aiosqlite:///file:{env.db_path}?mode=ro&uri=true"
        result = await run_cli(env, "run", timeout=60)
        assert result.returncode != 0, result
        assert "数据库无法写入" in result.stderr and "cannot be written" in result.stderr, result
        assert "readonly" in result.stderr, result
        assert not [c for c in srv.calls if c.method == "getUpdates"], "it must not poll"
        assert "Traceback" not in result.stderr + result.stdout, result
