"""End to end: the real `duban` CLI and `duban run` processes against the in-process fake Bot API.

Nothing here reaches into the bot's objects: setup goes through the CLI (`duban init`,
`duban coordinator add`, `duban invite`) and the chat, behaviour is observed as Telegram would
see it (messages, callback answers, setMyCommands), and the SQLite database is only read, to
check that refused actions changed nothing and that nothing was lost or done twice.

Process start-up dominates the run time, so `duban init` runs once per module (each test works
on a copy of that database) and a CLI invite runs while `duban run` starts.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pgserver
from tests.botapi import FakeBotAPI
from tests.botapi.server import Sent
from tests.e2e_support import (
    WAIT,
    BotProcess,
    Env,
    Timeline,
    answer_to,
    assignment_id,
    cli_ok,
    diagnose,
    query,
    run_cli,
    run_cli_sync,
    scalar,
    settle,
    slow_method,
)
from tests.pgserver import E2E_ENGINES

COORD = 1001
YICHUN = 2001
GONGXIN = 2002
NANCHANG_MEMBER = 2003
NANCHANG_GROUP = -3001
STRANGER = 9999

YICHUN_UNIT = "宜春市人民政府"
GONGXIN_UNIT = "省工业和信息化厅"
NANCHANG_UNIT = "南昌市人民政府"

# Measure 二 in the seed policy.
CORE_AREA = "支持宜春、新余、赣州打造产业发展核心区"  # 2.1: 工信厅 leads, 发改委 and the three cities
YICHUN_OWN = "宜春做大做强产业链"  # 2.2: 宜春 alone
XINYU_OWN = "新余巩固提升锂盐领域优势"  # 2.3: 新余 alone
GANZHOU_OWN = "赣州发挥稀土等资源产业优势"  # 2.4: 赣州 alone
NANCHANG_ETC = "支持南昌、抚州、上饶等地"  # 2.5: 南昌、抚州、上饶
MEASURE_TWO_ASSIGNMENTS = 5 + 1 + 1 + 1 + 3
START_TIMEOUT = 90.0  # `duban run` imports aiogram and migrates; slow on a busy machine
TASK_BUTTONS = ("签收", "报送进展", "申请延期", "详情")


def task_messages(srv: FakeBotAPI, chat_id: int | None = None) -> list[Sent]:
    return [s for s in srv.sent if "交办任务" in s.body and (chat_id is None or s.chat_id == chat_id)]


def current_buttons(srv: FakeBotAPI, message: Sent) -> list[str]:
    current = srv.message(message.chat_id, message.message_id) or {}
    rows = (current.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b.get("text", "") for row in rows for b in row]


def commands_set(srv: FakeBotAPI) -> int:
    return sum(1 for c in srv.calls if c.method == "setMyCommands" and c.status == 200)


@pytest.fixture(scope="module", params=E2E_ENGINES)
def seeded_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """`duban init` (the bundled seed policy) and `duban coordinator add`, run once for the module;
    each test then works on its own copy of that database (SQLite, or PostgreSQL when the tests have a
    server)."""
    env = Env(tmp_path_factory.mktemp("seeded"))
    if request.param == "pg":
        env.pg_database = pgserver.new_name("duban_seed")
        pgserver.run_blocking(lambda: pgserver.create(env.pg_database))  # type: ignore[arg-type]
    init = run_cli_sync(env, "init", with_token=False)
    assert init.returncode == 0 and "赣府厅发〔2024〕15号" in init.stdout, init
    added = run_cli_sync(env, "coordinator", "add", str(COORD), with_token=False)
    assert added.returncode == 0 and str(COORD) in added.stdout, added
    yield env
    if env.pg_database is not None:
        for name in [*_pg_copies.pop(env.pg_database, []), env.pg_database]:
            pgserver.run_blocking(lambda name=name: pgserver.drop(name))  # type: ignore[misc]


# The copies made of each seeded PostgreSQL database, dropped with it at the end of the module.
_pg_copies: dict[str, list[str]] = {}


def fresh_env(srv: FakeBotAPI, seeded_db: Env, workdir: Path) -> Env:
    env = Env(workdir, base_url=srv.base_url, token=srv.token)
    if seeded_db.pg_database is not None:
        name = pgserver.new_name()
        pgserver.run_blocking(lambda: pgserver.create(name, template=seeded_db.pg_database))
        _pg_copies.setdefault(seeded_db.pg_database, []).append(name)
        env.pg_database = name
        return env
    for suffix in ("", "-wal", "-shm"):
        source = seeded_db.db_path.with_name(seeded_db.db_path.name + suffix)
        if source.exists():
            shutil.copyfile(source, env.db_path.with_name(env.db_path.name + suffix))
    return env


async def cli_invite(srv: FakeBotAPI, env: Env, unit: str) -> str:
    """`duban invite UNIT`: the code is the last line of stdout, the deep link is printed too."""
    invite = await cli_ok(env, "invite", unit)
    code = invite.last_line
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", code), invite
    assert f"https://t.me/{srv.bot_username}?start={code}" in invite.stdout, invite
    return code


async def chat_invite(srv: FakeBotAPI, unit: str) -> str:
    """The coordinator's `/invite UNIT` in chat: the code is the message's last line."""
    mark = srv.mark()
    srv.command(COORD, f"/invite {unit}")
    invite = await srv.wait_for(chat_id=COORD, text_contains="邀请码", since=mark, timeout=WAIT)
    code = invite.body.strip().splitlines()[-1].strip()
    assert f"https://t.me/{srv.bot_username}?start={code}" in invite.body, invite.body
    return code


def log_outline(bot: BotProcess, last: int = 40) -> str:
    """The log without stack frames (lines starting with spaces or carets)."""
    lines = [line for line in bot.log().splitlines() if line and not line.startswith((" ", "\t"))]
    lines = [line for line in lines if "alembic" not in line]
    return "\n".join(lines[-last:])


def assert_no_traceback(bot: BotProcess) -> None:
    log = bot.log()
    if "Traceback" in log:
        at = log.index("Traceback")
        pytest.fail(f"`duban run` logged a traceback:\n{log[max(0, at - 2000) : at + 6000]}", pytrace=False)


async def wait_ready(srv: FakeBotAPI, bot: BotProcess, commands_before: int) -> None:
    """Waits until the started `duban run` has registered its commands (it polls right after)."""
    try:
        await srv.wait_until(
            lambda: commands_set(srv) >= commands_before + 2 or not bot.running, timeout=START_TIMEOUT
        )
    except TimeoutError as exc:
        raise AssertionError(f"`duban run` did not come up:\n{bot.log()}") from exc
    assert bot.running, f"`duban run` exited early:\n{bot.log()}"


def people(srv: FakeBotAPI) -> None:
    srv.limits.enforce = False
    for uid, name in (
        (COORD, "督办人"),
        (YICHUN, "宜春联络员"),
        (GONGXIN, "工信联络员"),
        (NANCHANG_MEMBER, "南昌联络员"),
        (STRANGER, "陌生人"),
    ):
        srv.user(uid, first_name=name)
    srv.group(NANCHANG_GROUP, title="南昌市锂电工作群")


async def dispatch_measure_two(srv: FakeBotAPI, expected_messages: int) -> None:
    srv.command(COORD, "/dispatch 2")
    preview = await srv.wait_for(chat_id=COORD, text_contains="交办预览", timeout=WAIT)
    assert any("确认" in b for b in preview.button_texts), preview.button_texts
    assert not task_messages(srv), "nothing is sent before the coordinator confirms"
    srv.press_button(COORD, preview, "确认")
    done = await srv.wait_for(chat_id=COORD, text_contains="已交办", timeout=WAIT)
    match = re.search(r"发出 (\d+) 条任务消息", done.body)
    assert match and int(match.group(1)) == expected_messages, done.body
    await srv.wait_until(lambda: len(task_messages(srv)) >= expected_messages, timeout=WAIT)


# ---------------------------------------------------------------------------------------- (a)


async def test_coordination_scenario_through_real_process(tmp_path: Path, seeded_db: Env) -> None:
    timeline = Timeline()
    async with FakeBotAPI() as srv:
        people(srv)
        env = fresh_env(srv, seeded_db, tmp_path)
        bot = BotProcess(env)
        try:
            # `duban invite` (which asks the fake server for the bot's username) while `duban run` starts.
            await bot.start()
            codes = {YICHUN_UNIT: await cli_invite(srv, env, YICHUN_UNIT)}
            await wait_ready(srv, bot, 0)
            timeline("duban invite 宜春 + duban run up")
            # The other two from the chat, by their short names.
            codes[GONGXIN_UNIT] = await chat_invite(srv, "省工信厅")
            codes[NANCHANG_UNIT] = await chat_invite(srv, "南昌")
            assert len(set(codes.values())) == 3, codes

            # --- the command menus, Chinese by default and English for "en"
            zh = srv.get_commands() or []
            en = srv.get_commands(language_code="en") or []
            assert {"dispatch", "board", "tasks", "start", "help"} <= {c["command"] for c in zh}, zh
            assert {c["command"] for c in en} == {c["command"] for c in zh}
            assert any(re.search(r"[\u4e00-\u9fff]", c["description"]) for c in zh)
            assert not any(
                re.search(r"[\u4e00-\u9fff]", c["description"]) for c in en if c["command"] != "lang"
            ), en

            # --- invitations: two private contacts, one group
            srv.command(YICHUN, f"/start {codes[YICHUN_UNIT]}")
            srv.command(GONGXIN, f"/start {codes[GONGXIN_UNIT]}")
            srv.command(NANCHANG_MEMBER, f"/start {codes[NANCHANG_UNIT]}", chat_id=NANCHANG_GROUP)
            bound = await srv.wait_for(chat_id=YICHUN, text_contains="绑定成功", timeout=WAIT)
            assert YICHUN_UNIT in bound.body
            bound = await srv.wait_for(chat_id=GONGXIN, text_contains="绑定成功", timeout=WAIT)
            assert GONGXIN_UNIT in bound.body
            bound = await srv.wait_for(chat_id=NANCHANG_GROUP, text_contains="绑定成功", timeout=WAIT)
            assert NANCHANG_UNIT in bound.body and "工作群" in bound.body

            # --- a stranger: plain text, a coordinator command, and a used invitation code
            srv.send_text(STRANGER, "你好，我想看看任务")
            srv.command(STRANGER, "/board")
            srv.command(STRANGER, f"/start {codes[YICHUN_UNIT]}")
            # The text and the used code are answered; /board in between is not (one polite
            # answer per period to a stranger).
            await srv.wait_until(lambda: len(srv.messages_to(STRANGER)) >= 2, timeout=WAIT)
            stranger_texts = [s.body for s in srv.messages_to(STRANGER)]
            assert len(stranger_texts) == 2 and "已被使用" in stranger_texts[-1], stranger_texts
            assert all("邀请" in text for text in stranger_texts), stranger_texts
            assert not any("督办看板" in text for text in stranger_texts)

            # --- dispatch measure 二: exactly the right units get exactly the right tasks
            await dispatch_measure_two(srv, expected_messages=4)
            yichun = task_messages(srv, YICHUN)
            gongxin = task_messages(srv, GONGXIN)
            nanchang = task_messages(srv, NANCHANG_GROUP)
            assert {s.chat_id for s in task_messages(srv)} == {YICHUN, GONGXIN, NANCHANG_GROUP}, srv.dump()
            assert len(yichun) == 2, [s.body for s in yichun]
            y_core = next(s for s in yichun if CORE_AREA in s.body)
            y_own = next(s for s in yichun if YICHUN_OWN in s.body)
            for s in yichun:
                assert XINYU_OWN not in s.body and GANZHOU_OWN not in s.body and NANCHANG_ETC not in s.body
            assert f"{YICHUN_UNIT}（牵头）" not in y_core.body, y_core.body  # 工信厅 leads 2.1
            assert f"{YICHUN_UNIT}（" in y_core.body
            assert len(gongxin) == 1 and CORE_AREA in gongxin[0].body, [s.body for s in gongxin]
            assert f"{GONGXIN_UNIT}（牵头）" in gongxin[0].body, gongxin[0].body
            g_core = gongxin[0]
            assert len(nanchang) == 1 and NANCHANG_ETC in nanchang[0].body, [s.body for s in nanchang]
            n_own = nanchang[0]
            for s in (*yichun, *gongxin, *nanchang):
                assert all(any(b in text for text in s.button_texts) for b in TASK_BUTTONS), s.button_texts
            aid = {
                name: assignment_id(s.body)
                for name, s in (("y_core", y_core), ("y_own", y_own), ("g_core", g_core), ("n_own", n_own))
            }
            assert len(set(aid.values())) == 4
            statuses = dict(
                query(
                    env,
                    "SELECT a.status, count(*) FROM assignment a JOIN task t ON t.id = a.task_id "
                    "JOIN measure m ON m.id = t.measure_id WHERE m.number = 2 GROUP BY a.status",
                )
            )
            assert statuses == {"assigned": MEASURE_TWO_ASSIGNMENTS}, statuses

            # --- forged button presses: refused with an answer, nothing changes
            # The scheduler keeps its own time (the start-up catch-up of the weekly summary can land
            # in this window); what the presses must not cause is any other event.
            not_scheduled = "SELECT count(*) FROM event WHERE actor != 'system:scheduler'"
            events_before = scalar(env, not_scheduled)
            assignments_before = query(env, "SELECT id, status, acknowledged_at FROM assignment ORDER BY id")
            sent_before = srv.mark()
            stranger_msg = srv.messages_to(STRANGER)[-1]
            forged = {
                "unknown id": srv.press(YICHUN, y_own, "as:ack:99999"),
                "other unit's ack": srv.press(YICHUN, y_own, f"as:ack:{aid['n_own']}"),
                "other unit's report": srv.press(YICHUN, y_own, f"as:rep:{aid['g_core']}"),
                "other unit's extension": srv.press(YICHUN, y_own, f"as:ext:{aid['n_own']}"),
                "garbage id": srv.press(YICHUN, y_own, "as:ack:notanumber"),
                "contact confirms dispatch": srv.press(YICHUN, y_own, "cf:dispatch:all"),
                "unknown prefix": srv.press(YICHUN, y_own, "zz:top:1"),
                "stranger acks": srv.press(STRANGER, stranger_msg, f"as:ack:{aid['y_own']}"),
                "group member acks 宜春": srv.press(NANCHANG_MEMBER, n_own, f"as:ack:{aid['y_own']}"),
            }
            for what, qid in forged.items():
                answer = await answer_to(srv, qid)
                assert answer.text, f"{what}: the press was answered without an explanation"
                assert "已签收任务" not in answer.text, f"{what}: {answer.text}"
            await settle(lambda: False, 1.0)
            assert scalar(env, not_scheduled) == events_before, query(
                env, "SELECT at, actor, kind, entity, entity_id FROM event ORDER BY id DESC LIMIT 5"
            )
            assert (
                query(env, "SELECT id, status, acknowledged_at FROM assignment ORDER BY id")
                == assignments_before
            )
            after = srv.sent[sent_before:]
            assert not [s for s in after if s.chat_id in (COORD, GONGXIN, NANCHANG_GROUP)], srv.dump()
            assert not [s for s in after if "报送任务" in s.body or "申请延期任务" in s.body], srv.dump()
            assert len(task_messages(srv)) == 4

            # --- acknowledgements (签收), in private chats and in the group
            acks = {
                "y_core": srv.press_button(YICHUN, y_core, "签收"),
                "y_own": srv.press_button(YICHUN, y_own, "签收"),
                "g_core": srv.press_button(GONGXIN, g_core, "签收"),
                "n_own": srv.press_button(NANCHANG_MEMBER, n_own, "签收"),
            }
            for name, qid in acks.items():
                answer = await answer_to(srv, qid)
                assert f"#{aid[name]}" in (answer.text or "") and "签收" in answer.text, answer
                await srv.wait_for(chat_id=COORD, text_contains=f"已签收任务 #{aid[name]}", timeout=WAIT)
            await srv.wait_until(
                lambda: all("签收" not in current_buttons(srv, s) for s in (y_core, y_own, g_core, n_own)),
                timeout=WAIT,
            )
            assert "报送进展" in current_buttons(srv, y_own)
            again = await answer_to(srv, srv.press(YICHUN, y_own, f"as:ack:{aid['y_own']}"))
            assert "已签收过" in (again.text or ""), again
            acked = dict(
                query(env, "SELECT id, status FROM assignment WHERE id IN (?, ?, ?, ?)", tuple(aid.values()))
            )
            assert set(acked.values()) == {"acknowledged"}, acked

            # --- progress reports by replying to the task message
            mark = srv.mark()
            srv.send_text(YICHUN, "本周完成选址，完成60%", reply_to=y_own)
            confirm = await srv.wait_for(chat_id=YICHUN, text_contains="系统理解为", since=mark, timeout=WAIT)
            assert "60%" in confirm.body and "更正" in confirm.button_texts, confirm.body
            y_notice = await srv.wait_for(
                lambda s: YICHUN_UNIT in s.body and "本周完成选址" in s.body,
                chat_id=COORD,
                since=mark,
                timeout=WAIT,
            )
            assert {"通过", "退回"} <= set(y_notice.button_texts), y_notice.button_texts

            mark = srv.mark()
            srv.send_text(NANCHANG_MEMBER, "已完成，园区已挂牌", chat_id=NANCHANG_GROUP, reply_to=n_own)
            n_confirm = await srv.wait_for(
                chat_id=NANCHANG_GROUP, text_contains="系统理解为", since=mark, timeout=WAIT
            )
            assert "办结" in n_confirm.body, n_confirm.body
            n_notice = await srv.wait_for(
                lambda s: NANCHANG_UNIT in s.body and "园区已挂牌" in s.body,
                chat_id=COORD,
                since=mark,
                timeout=WAIT,
            )

            reports = query(
                env,
                "SELECT id, assignment_id, raw_text, parsed_percent, review_state "
                "FROM progressreport ORDER BY id",
            )
            assert [(r[1], r[2]) for r in reports] == [
                (aid["y_own"], "本周完成选址，完成60%"),
                (aid["n_own"], "已完成，园区已挂牌"),
            ], reports
            assert reports[0][3] == 60
            y_rid, n_rid = reports[0][0], reports[1][0]

            # a contact cannot review their own report
            events_before = scalar(env, "SELECT count(*) FROM event")
            own_review = await answer_to(srv, srv.press(YICHUN, confirm, f"rv:ok:{y_rid}"))
            assert own_review.text and "已通过" not in own_review.text, own_review
            assert scalar(env, "SELECT review_state FROM progressreport WHERE id = ?", (y_rid,)) == "pending"
            assert scalar(env, "SELECT count(*) FROM event") == events_before

            # --- the coordinator returns 宜春's report with a comment, and approves 南昌's
            mark = srv.mark()
            srv.press_button(COORD, y_notice, "退回")
            await srv.wait_for(chat_id=COORD, text_contains="请输入退回", since=mark, timeout=WAIT)
            srv.send_text(COORD, "请补充选址批复文件")
            returned = await srv.wait_for(
                chat_id=YICHUN, text_contains="请补充选址批复文件", since=mark, timeout=WAIT
            )
            assert "退回" in returned.body and f"#{aid['y_own']}" in returned.body, returned.body
            await srv.wait_for(chat_id=COORD, text_contains="已退回", since=mark, timeout=WAIT)
            assert not [
                s
                for s in srv.sent[mark:]
                if "请补充选址批复文件" in s.body and s.chat_id in (GONGXIN, NANCHANG_GROUP)
            ]

            mark = srv.mark()
            srv.press_button(COORD, n_notice, "通过")
            approved = await srv.wait_for(
                chat_id=NANCHANG_GROUP, text_contains="审核通过", since=mark, timeout=WAIT
            )
            assert "办结" in approved.body, approved.body
            stale = await answer_to(srv, srv.press(COORD, y_notice, f"rv:ret:{y_rid}"))
            assert "已处理" in (stale.text or ""), stale

            review = dict(
                (r[0], r[1:])
                for r in query(env, "SELECT id, review_state, review_comment FROM progressreport")
            )
            assert review[y_rid] == ("returned", "请补充选址批复文件"), review
            assert review[n_rid][0] == "approved", review
            final = dict(
                query(env, "SELECT id, status FROM assignment WHERE id IN (?, ?, ?, ?)", tuple(aid.values()))
            )
            assert final == {
                aid["y_core"]: "acknowledged",
                aid["y_own"]: "returned",
                aid["g_core"]: "acknowledged",
                aid["n_own"]: "done",
            }, final

            # --- the board
            mark = srv.mark()
            srv.command(COORD, "/board")
            board = await srv.wait_for(chat_id=COORD, text_contains="督办看板", since=mark, timeout=WAIT)
            lines = board.body.splitlines()
            m2 = [line for line in lines if "措施P1-2 " in line]
            assert len(m2) == 1, board.body
            assert f"共{MEASURE_TWO_ASSIGNMENTS}" in m2[0] and "办结1" in m2[0], m2[0]
            assert "待交办" not in m2[0], m2[0]
            m1 = next(line for line in lines if "措施P1-1 " in line)
            assert "待交办" in m1, m1  # other measures were not dispatched
            assert "合计" in board.body

            # --- nothing went out twice, nothing leaked to a unit that does not own it
            assert len(task_messages(srv)) == 4
            assert not [
                s for s in srv.messages_to(GONGXIN) if YICHUN_OWN in s.body or "本周完成选址" in s.body
            ]
            assert not [
                s for s in srv.messages_to(NANCHANG_GROUP) if YICHUN_OWN in s.body or CORE_AREA in s.body
            ]
            assert not [s for s in srv.messages_to(STRANGER) if "交办任务" in s.body or "看板" in s.body]
            assert scalar(env, "SELECT count(*) FROM contact WHERE chat_id = ?", (STRANGER,)) == 0

            assert await bot.terminate(10) == 0, bot.log()
            timeline("SIGTERM")
            assert srv.token not in bot.log(), "the bot token appears in the log"
            assert_no_traceback(bot)
        except BaseException:
            diagnose(srv)
            raise
        finally:
            await bot.kill()


# ---------------------------------------------------------------------------------------- (b)


async def test_sigterm_is_graceful_and_nothing_is_lost_or_repeated(tmp_path: Path, seeded_db: Env) -> None:
    timeline = Timeline()
    async with FakeBotAPI() as srv:
        people(srv)
        env = fresh_env(srv, seeded_db, tmp_path)
        bot = BotProcess(env)
        second: BotProcess | None = None
        try:
            await bot.start()
            await wait_ready(srv, bot, 0)
            timeline("duban run up")
            code = await chat_invite(srv, "宜春")
            srv.command(YICHUN, f"/start {code}")
            await srv.wait_for(chat_id=YICHUN, text_contains="绑定成功", timeout=WAIT)
            await dispatch_measure_two(srv, expected_messages=2)
            y_own = next(s for s in task_messages(srv, YICHUN) if YICHUN_OWN in s.body)
            y_core = next(s for s in task_messages(srv, YICHUN) if CORE_AREA in s.body)
            aid, core_aid = assignment_id(y_own.body), assignment_id(y_core.body)

            # A progress report, answered (confirmation to the contact, notice to the coordinator).
            mark = srv.mark()
            srv.send_text(YICHUN, "完成50%，设备已进场", reply_to=y_own)
            await srv.wait_for(chat_id=YICHUN, text_contains="系统理解为", since=mark, timeout=WAIT)
            await srv.wait_for(lambda s: "设备已进场" in s.body, chat_id=COORD, since=mark, timeout=WAIT)

            # Then, as the process is told to stop: a 签收 press whose handler is still talking to
            # Telegram (its answerCallbackQuery is slow), and a command right behind it.
            calls_before = len(srv.calls)
            with slow_method(srv, "answerCallbackQuery", 4.0):
                ack_query = srv.press_button(YICHUN, y_core, "签收")
                await srv.wait_until(
                    lambda: any(c.method == "answerCallbackQuery" for c in srv.calls[calls_before:]),
                    timeout=WAIT,
                )
                srv.command(COORD, "/board")
                started = time.monotonic()
                rc = await bot.terminate(10)
                elapsed = time.monotonic() - started
            timeline(f"SIGTERM (exit {rc} after {elapsed:.1f}s)")
            assert rc == 0, f"exit code {rc} after SIGTERM:\n{bot.log()}"
            assert elapsed < 10, elapsed
            status_at_stop = scalar(env, "SELECT status FROM assignment WHERE id = ?", (core_aid,))
            answered_before_restart = len(srv.sent) - mark

            # While the bot is down, a contact asks for the unit's tasks.
            srv.command(YICHUN, "/tasks")

            # Same database, new process: whatever was not answered before is answered now, once.
            second = BotProcess(env, "run2")
            commands_before = commands_set(srv)
            await second.start()
            await wait_ready(srv, second, commands_before)
            timeline(
                f"restarted ({answered_before_restart} answers had gone out before the restart; "
                f"the pressed assignment was {status_at_stop!r} at the stop)"
            )
            await srv.wait_for(chat_id=YICHUN, text_contains="系统理解为", since=mark, timeout=WAIT)
            await srv.wait_for(chat_id=COORD, text_contains="督办看板", since=mark, timeout=WAIT)
            await srv.wait_for(lambda s: "设备已进场" in s.body, chat_id=COORD, since=mark, timeout=WAIT)
            await srv.wait_for(chat_id=YICHUN, text_contains="本单位任务（", since=mark, timeout=WAIT)
            await settle(lambda: False, 2.0)  # room for any duplicate to show up

            later = srv.sent[mark:]
            assert len([s for s in later if s.chat_id == YICHUN and "系统理解为" in s.body]) == 1, srv.dump()
            assert len([s for s in later if s.chat_id == COORD and "督办看板" in s.body]) == 1, srv.dump()
            assert len([s for s in later if s.chat_id == COORD and "设备已进场" in s.body]) == 1, srv.dump()
            assert len([s for s in later if s.chat_id == YICHUN and "本单位任务（" in s.body]) == 1, (
                srv.dump()
            )
            assert len(task_messages(srv, YICHUN)) == 2, "the dispatch was repeated after the restart"
            reports = query(env, "SELECT assignment_id, raw_text, parsed_percent FROM progressreport")
            assert reports == [(aid, "完成50%，设备已进场", 50)], reports
            assert scalar(env, "SELECT status FROM assignment WHERE id = ?", (aid,)) == "in_progress"
            assert scalar(env, "SELECT count(*) FROM outboxmessage WHERE state = 'pending'") == 0

            # The 签收 pressed while the old process stopped: handled by one of the two, exactly once.
            # (Telegram counts an update as delivered once the next getUpdates asks past it, so a
            # handler cut off at shutdown is not delivered again.)
            with contextlib.suppress(TimeoutError):
                await srv.wait_for(
                    chat_id=COORD, text_contains=f"已签收任务 #{core_aid}", since=mark, timeout=3
                )
            ack_state = query(
                env, "SELECT status, acknowledged_at IS NOT NULL FROM assignment WHERE id = ?", (core_aid,)
            )
            ack_notices = [
                s for s in srv.sent[mark:] if s.chat_id == COORD and f"已签收任务 #{core_aid}" in s.body
            ]
            ack_answers = [a.text for a in srv.callback_answers if a.callback_query_id == ack_query]

            timeline("checks")
            assert await second.terminate(10) == 0, second.log()
            timeline("second SIGTERM")
            assert_no_traceback(second)

            assert ack_state == [("acknowledged", 1)] and len(ack_notices) == 1, (
                f"the 签收 pressed just before SIGTERM was lost: assignment #{core_aid} is {ack_state} "
                f"(at the stop: {status_at_stop!r}); the user was answered {ack_answers}; "
                f"coordinator notices: {[s.body for s in ack_notices]}\n"
                f"--- first process log (without stack frames)\n{log_outline(bot)}"
            )
            assert_no_traceback(bot)
        except BaseException:
            diagnose(srv)
            raise
        finally:
            await bot.kill()
            if second is not None:
                await second.kill()


# ---------------------------------------------------------------------------------------- (d)

SECOND_POLICY = Path(__file__).parent / "fixtures" / "docs" / "pcn_paragraph_clauses.txt"
P2_CORE_INCOME = "数字经济核心产业营业收入超1000亿元"  # P2-2.1: 发改委 leads, 工信厅 and 商务厅 co


async def test_two_policies_and_a_correction_through_real_process(tmp_path: Path, seeded_db: Path) -> None:
    """A second policy imported with `duban import` next to the seed: a shared measure number is asked
    about, messages carry each policy's code, and a coordinator's /fix reaches the units it affects."""
    async with FakeBotAPI() as srv:
        people(srv)
        env = fresh_env(srv, seeded_db, tmp_path)
        imported = await cli_ok(env, "import", str(SECOND_POLICY))
        assert "已导入政策 P2" in imported.stdout, imported
        bot = BotProcess(env)
        try:
            await bot.start()
            await wait_ready(srv, bot, 0)
            for user, unit in ((YICHUN, "宜春"), (GONGXIN, "省工信厅")):
                code = await chat_invite(srv, unit)
                srv.command(user, f"/start {code}")
                await srv.wait_for(chat_id=user, text_contains="绑定成功", timeout=WAIT)

            # --- measure 2 exists in both: asked with a button per policy, nothing dispatched meanwhile
            mark = srv.mark()
            srv.command(COORD, "/dispatch 2")
            question = await srv.wait_for(
                chat_id=COORD, text_contains="个政策中都有", since=mark, timeout=WAIT
            )
            assert "P1-2" in question.body and "P2-2" in question.body, question.body
            assert scalar(env, "SELECT count(*) FROM assignment WHERE status != 'draft'") == 0
            srv.press_button(COORD, question, "P2 ")
            preview = await srv.wait_for(
                chat_id=COORD, text_contains="交办预览（措施P2-2）", since=mark, timeout=WAIT
            )
            srv.press_button(COORD, preview, "确认")
            await srv.wait_for(chat_id=COORD, text_contains="已交办", since=mark, timeout=WAIT)
            g_task = await srv.wait_for(
                lambda s: "交办任务" in s.body and P2_CORE_INCOME in s.body,
                chat_id=GONGXIN,
                since=mark,
                timeout=WAIT,
            )
            assert "P2-2.1" in g_task.body and "P1-" not in g_task.body, g_task.body
            assert not task_messages(srv, YICHUN), "宜春 has no part in P2-2"
            # The seed's measure 2 by its code, next to it: its messages say P1.
            mark = srv.mark()
            srv.command(COORD, "/dispatch P1-2")
            preview = await srv.wait_for(
                chat_id=COORD, text_contains="交办预览（措施P1-2）", since=mark, timeout=WAIT
            )
            srv.press_button(COORD, preview, "确认")
            await srv.wait_for(chat_id=COORD, text_contains="已交办", since=mark, timeout=WAIT)
            await srv.wait_until(lambda: len(task_messages(srv, YICHUN)) == 2, timeout=WAIT)
            assert all("P1-2." in s.body and "P2-" not in s.body for s in task_messages(srv, YICHUN))
            dispatched = dict(
                query(
                    env,
                    "SELECT p.code, count(*) FROM assignment a JOIN task t ON t.id = a.task_id "
                    "JOIN policy p ON p.id = t.policy_id WHERE a.status != 'draft' GROUP BY p.code",
                )
            )
            assert set(dispatched) == {"P1", "P2"} and dispatched["P1"] == MEASURE_TWO_ASSIGNMENTS, dispatched

            # --- the coordinator corrects P2-2.1: 宜春 becomes its lead instead of 发改委
            mark = srv.mark()
            srv.command(COORD, "/fix P2-2.1")
            menu = await srv.wait_for(chat_id=COORD, text_contains="更正任务", since=mark, timeout=WAIT)
            srv.press_button(COORD, menu, "牵头单位")
            await srv.wait_for(chat_id=COORD, text_contains="搜索", since=mark, timeout=WAIT)
            srv.send_text(COORD, "宜春")
            choices = await srv.wait_for(
                lambda s: any(YICHUN_UNIT in b for b in s.button_texts),
                chat_id=COORD,
                since=mark,
                timeout=WAIT,
            )
            await answer_to(srv, srv.press_button(COORD, choices, "省发展改革委"))  # unchoose the old lead
            await answer_to(srv, srv.press_button(COORD, choices, YICHUN_UNIT))
            srv.press_button(COORD, choices, "完成")
            result = await srv.wait_for(
                chat_id=COORD, text_contains="已更正任务 P2-2.1", since=mark, timeout=WAIT
            )
            assert f"新增负责：{YICHUN_UNIT}" in result.body and "不再负责：省发展改革委" in result.body, (
                result.body
            )
            gained = await srv.wait_for(
                lambda s: "交办任务" in s.body and P2_CORE_INCOME in s.body,
                chat_id=YICHUN,
                since=mark,
                timeout=WAIT,
            )
            assert "P2-2.1" in gained.body and f"{YICHUN_UNIT}（牵头）" in gained.body, gained.body
            assert any("签收" in b for b in gained.button_texts), gained.button_texts
            roles = dict(
                query(
                    env,
                    "SELECT u.name, a.role || ':' || a.status FROM assignment a JOIN unit u ON u.id = a.unit_id "
                    "JOIN task t ON t.id = a.task_id WHERE t.text LIKE ?",
                    (f"%{P2_CORE_INCOME}%",),
                )
            )
            assert roles[YICHUN_UNIT] == "lead:assigned" and roles["省发展改革委"].endswith(":cancelled"), (
                roles
            )
            assert (
                scalar(
                    env,
                    "SELECT count(*) FROM event WHERE kind = 'task.corrected.lead' AND actor = ?",
                    (f"tg:{COORD}",),
                )
                == 1
            )
            # The seed's tasks were not touched by P2's correction.
            assert not [s for s in srv.sent[mark:] if s.chat_id == YICHUN and "P1-" in s.body]

            assert await bot.terminate(10) == 0, bot.log()
            assert_no_traceback(bot)
        except BaseException:
            diagnose(srv)
            raise
        finally:
            await bot.kill()


# ---------------------------------------------------------------------------------------- (c)


async def test_run_without_token_points_to_botfather(tmp_path: Path) -> None:
    env = Env(tmp_path)
    result = await run_cli(env, "run", with_token=False, timeout=30)
    assert result.returncode != 0, result
    assert "BotFather" in result.stderr + result.stdout, result
    assert "Traceback" not in result.stderr, result
