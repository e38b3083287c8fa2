"""Shared set-up for the end-to-end benchmarks: `duban` as users meet it.

Everything here drives the product from outside, as the end-to-end tests do: the `duban` CLI and
`duban run` as child processes (tests/e2e_support.py), talking to the in-process fake Bot API
(tests/botapi/server.py), and the SQLite file read directly (read-only) to see what is stored. No
module of the bot is imported, so the benchmarks survive changes to its insides.

A *world* is a database with a coordinator, one bound private-chat contact per unit that has work,
and every task of the seed policy dispatched, so each contact holds task messages it can reply to.
It is built by a set-up process (fast send limits, so set-up takes seconds) and stopped; the
measurement then starts a fresh `duban run` on it with the settings the benchmark chooses.

Several `duban run` processes can share one fake server (`start_bot` with another name), and
`Env.extra` can carry any setting, DATABASE_URL included; the read-only checks (`query`, `scalar`,
`stored_reports`, `quiet`) read SQLite files, so a PostgreSQL run needs its own reader there.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import re
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.botapi import FakeBotAPI  # noqa: E402
from tests.botapi.server import Sent  # noqa: E402
from tests.e2e_support import BotProcess, Env, query, run_cli, scalar  # noqa: E402

COORD = 1001
CONTACT_BASE = 700_000  # the contact of the i-th unit with work is user CONTACT_BASE + i
START_TIMEOUT = 60.0
WAIT = 30.0

# Telegram's limits, as the product's defaults (the fake server enforces the same by default).
REAL_LIMITS = {"RATE_GLOBAL_PER_SEC": "30", "RATE_PER_CHAT_PER_SEC": "1", "RATE_PER_GROUP_PER_MIN": "20"}
# For set-up only (and for benches that say so): the fake server's limits are switched off too.
FAST_LIMITS = {
    "RATE_GLOBAL_PER_SEC": "1000",
    "RATE_PER_CHAT_PER_SEC": "100",
    "RATE_PER_GROUP_PER_MIN": "6000",
}
# A weekly-summary schedule that never comes due (29 February, 00:00): no summary job and no start-up
# catch-up summary unless a benchmark asks for one (bench/latency.py (c) asks with /summary).
NO_SUMMARY = {"SUMMARY_CRON": "0 0 29 2 *"}
# Follow-ups switched off (each kind's delay 0, no deadline warnings, progress requests yearly).
NO_FOLLOWUPS = {
    "FOLLOWUPS": '{"ack_remind_after_wd": 0, "ack_escalate_after_wd": 0, "warn_before_wd": [], '
    '"overdue_daily": false, "overdue_escalate_after_wd": 0, "report_period": "yearly"}'
}

CONFIRMATION = "已收到"  # the start of the bot's answer to a progress reply (bot/i18n zh "report.saved")
TASK_MESSAGE = "交办任务"


# ------------------------------------------------------------------------------ figures


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_line(label: str, latencies: Sequence[float], unanswered: int = 0) -> str:
    if not latencies:
        return f"  {label:38} count 0, unanswered {unanswered}"
    ms = [x * 1000 for x in latencies]
    return (
        f"  {label:38} count {len(ms):4d}  p50 {percentile(ms, 50):7.0f} ms  p95 {percentile(ms, 95):7.0f} ms  "
        f"p99 {percentile(ms, 99):7.0f} ms  max {max(ms):7.0f} ms  unanswered {unanswered}"
    )


def max_in_window(times: Iterable[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    best = start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def environment() -> str:
    import platform

    import aiogram
    import sqlalchemy

    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()}, aiogram {aiogram.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, load average {load}"
    )


# ------------------------------------------------------------------------------ processes


async def start_bot(srv: FakeBotAPI, env: Env, name: str, extra: dict[str, str]) -> tuple[BotProcess, float]:
    """`duban run` with `extra` settings; returns once it has called getUpdates (and the seconds from
    spawn to that call)."""
    env.extra = dict(extra)
    bot = BotProcess(env, name)
    calls_before = len(srv.calls)
    spawned = time.monotonic()
    await bot.start()
    while not any(c.method == "getUpdates" for c in srv.calls[calls_before:]):
        if not bot.running:
            raise RuntimeError(f"`duban run` exited:\n{bot.log()[-4000:]}")
        if time.monotonic() - spawned > START_TIMEOUT:
            await bot.kill()
            raise RuntimeError(f"`duban run` did not poll within {START_TIMEOUT:.0f} s:\n{bot.log()[-4000:]}")
        await asyncio.sleep(0.01)
    first = next(c.time for c in srv.calls[calls_before:] if c.method == "getUpdates")
    return bot, first - spawned


async def stop_bot(bot: BotProcess) -> None:
    try:
        await bot.terminate(20)
    except TimeoutError:
        await bot.kill()
    if "Traceback" in bot.log():
        at = bot.log().index("Traceback")
        print(f"  note: `duban run` ({bot.log_path.name}) logged a traceback:\n{bot.log()[at : at + 1500]}")


async def cli(env: Env, *args: str) -> str:
    result = await run_cli(env, *args, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"duban {' '.join(args)} failed:\n{result}")
    return result.stdout


async def quiet(srv: FakeBotAPI, env: Env, seconds: float = 1.5, timeout: float = 120.0) -> None:
    """Waits until nothing is pending in the outbox and nothing was sent for `seconds`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = srv.sent[-1].time if srv.sent else 0.0
        pending = scalar(env, "SELECT count(*) FROM outboxmessage WHERE state = 'pending'")
        if pending == 0 and time.monotonic() - last >= seconds:
            return
        await asyncio.sleep(0.1)
    print(f"  note: still not quiet after {timeout:.0f} s")


def copy_db(source: Path, target: Path) -> None:
    """A consistent copy of a database whose writer has stopped (the WAL is copied too)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        src = source.with_name(source.name + suffix)
        dst = target.with_name(target.name + suffix)
        if src.exists():
            shutil.copyfile(src, dst)
        else:
            dst.unlink(missing_ok=True)


# ------------------------------------------------------------------------------ the world


@dataclass
class Contact:
    user_id: int
    unit: str
    task_messages: list[Sent] = field(default_factory=list)


@dataclass
class World:
    env: Env
    contacts: list[Contact]
    task_messages: int
    seconds: float

    def reply_targets(self) -> Iterator[tuple[Contact, Sent]]:
        """Contacts in turn (so no chat gets two confirmations within its 1 s limit while there are
        enough contacts), each replying to its own task messages in turn."""
        per_contact = [itertools.cycle(c.task_messages) for c in self.contacts if c.task_messages]
        contacts = [c for c in self.contacts if c.task_messages]

        def gen() -> Any:
            while True:
                for contact, messages in zip(contacts, per_contact, strict=True):
                    yield contact, next(messages)

        return gen()


def units_with_work(env: Env) -> list[str]:
    """Units with work not dispatched yet."""
    rows = query(
        env,
        "SELECT u.name FROM unit u WHERE EXISTS "
        "(SELECT 1 FROM assignment a WHERE a.unit_id = u.id AND a.status = 'draft') ORDER BY u.id",
    )
    return [r[0] for r in rows]


async def invite_and_bind(
    srv: FakeBotAPI, units: Sequence[str], first_user: int = CONTACT_BASE
) -> list[Contact]:
    """The coordinator's `/invite UNIT` in chat for each unit, and a new user's `/start CODE`."""
    mark = srv.mark()
    for unit in units:
        srv.command(COORD, f"/invite {unit}")

    def invites() -> list[Sent]:
        return [s for s in srv.sent[mark:] if s.chat_id == COORD and "邀请码" in s.body]

    await srv.wait_until(lambda: len(invites()) >= len(units), timeout=WAIT)
    contacts = []
    # One update at a time, and the outbox keeps a chat's order: the answers come in the commands' order.
    for i, (unit, invite) in enumerate(zip(units, invites(), strict=False)):
        if unit not in invite.body:
            raise RuntimeError(f"invitation {i} is not for {unit}: {invite.body}")
        code = invite.body.strip().splitlines()[-1].strip()
        user = first_user + i
        srv.user(user, first_name=f"联络员{i}")
        srv.command(user, f"/start {code}")
        contacts.append(Contact(user, unit))
    for contact in contacts:
        await srv.wait_for(chat_id=contact.user_id, text_contains="绑定成功", timeout=WAIT)
    return contacts


async def dispatch_all(srv: FakeBotAPI, expect_at_least: int = 1) -> int:
    """`/dispatch all` and 确认; returns the number of task messages the bot says it sends."""
    mark = srv.mark()
    srv.command(COORD, "/dispatch all")
    preview = await srv.wait_for(chat_id=COORD, text_contains="交办预览", since=mark, timeout=WAIT)
    srv.press_button(COORD, preview, "确认")
    done = await srv.wait_for(chat_id=COORD, text_contains="已交办", since=mark, timeout=120)
    match = re.search(r"发出 (\d+) 条任务消息", done.body)
    count = int(match.group(1)) if match else 0
    if count < expect_at_least:
        raise RuntimeError(f"the dispatch sends {count} task messages: {done.body}")
    return count


def people(srv: FakeBotAPI) -> None:
    srv.user(COORD, first_name="督办人")


async def build_world(
    srv: FakeBotAPI,
    workdir: Path,
    *,
    init: bool = True,
    max_units: int | None = None,
    contacts_from: int = 0,
    setup_extra: dict[str, str] | None = None,
) -> World:
    """`duban init` (unless the database exists already) and `duban coordinator add`, then a set-up
    `duban run`: invitations and bindings for the units with work, `/dispatch all`, every task message
    delivered. The set-up process is stopped before this returns."""
    started = time.monotonic()
    os.makedirs(workdir, exist_ok=True)
    env = Env(workdir, base_url=srv.base_url, token=srv.token)
    if init:
        await cli(env, "init")
    await cli(env, "coordinator", "add", str(COORD))
    people(srv)
    cli_done = time.monotonic()
    enforce = srv.limits.enforce
    srv.limits.enforce = False
    bot, _ = await start_bot(srv, env, "setup", FAST_LIMITS | NO_SUMMARY | (setup_extra or {}))
    try:
        units = units_with_work(env)[:max_units]
        contacts = await invite_and_bind(srv, units, CONTACT_BASE + contacts_from)
        mark = srv.mark()
        expected = await dispatch_all(srv)
        await srv.wait_until(
            lambda: sum(1 for s in srv.sent[mark:] if TASK_MESSAGE in s.body) >= expected, timeout=120
        )
        by_user = {c.user_id: c for c in contacts}
        for sent in srv.sent[mark:]:
            if TASK_MESSAGE in sent.body and sent.chat_id in by_user:
                by_user[sent.chat_id].task_messages.append(sent)
        await quiet(srv, env)
    finally:
        await stop_bot(bot)
        srv.limits.enforce = enforce
    print(
        f"  world set up in {time.monotonic() - started:.0f} s (CLI {cli_done - started:.0f} s, then `duban run`)"
    )
    return World(env, contacts, expected, time.monotonic() - started)


# ------------------------------------------------------------------------------ replies


@dataclass
class Reply:
    contact: Contact
    chat_id: int
    message_id: int
    update_id: int
    text: str


_replies = itertools.count(1)


def send_reply(srv: FakeBotAPI, contact: Contact, task: Sent) -> Reply:
    """The contact replies to the task message with a progress report (each text distinct)."""
    n = next(_replies)
    text = f"本周推进顺利，完成{10 + n % 85}%（第{n}次报送）"
    msg = srv.send_text(contact.user_id, text, reply_to=task)
    update_id = srv.pending_updates[-1]["update_id"]  # the update just queued
    return Reply(contact, msg["chat"]["id"], msg["message_id"], int(update_id), text)


class Answers:
    """Finds the bot's answer to each reply: its first message to that chat replying to that message."""

    def __init__(self, srv: FakeBotAPI) -> None:
        self.srv = srv
        self._seen = 0
        self._by_message: dict[tuple[int, int], Sent] = {}
        self.refresh()

    def refresh(self) -> None:
        sent = self.srv.sent
        for s in sent[self._seen :]:
            if s.reply_to_message_id is not None:
                self._by_message.setdefault((s.chat_id, s.reply_to_message_id), s)
        self._seen = len(sent)

    def answer(self, reply: Reply) -> Sent | None:
        self.refresh()
        return self._by_message.get((reply.chat_id, reply.message_id))

    def latencies(self, replies: Sequence[Reply]) -> tuple[list[float], list[Reply], list[Reply]]:
        """(seconds from the update being queued to the answer, unanswered replies, answered with
        something other than the confirmation)."""
        out, missing, other = [], [], []
        for reply in replies:
            answer = self.answer(reply)
            if answer is None:
                missing.append(reply)
                continue
            if CONFIRMATION not in answer.body:
                other.append(reply)
            out.append(answer.time - self.srv.update_times[reply.update_id].queued)
        return out, missing, other

    async def wait_all(self, replies: Sequence[Reply], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.answer(r) is not None for r in replies):
                return
            await asyncio.sleep(0.05)


def stored_reports(env: Env) -> int:
    return int(scalar(env, "SELECT count(*) FROM progressreport") or 0)


# ------------------------------------------------------------------------------ documents

SEED = ROOT / "config" / "data" / "seed_ganfuting_2024_15.txt"
_CN = "零一二三四五六七八九"
_HEADING = re.compile(r"^([一二三四五六七八九十]+)、")


def cn_number(n: int) -> str:
    """1..99 as a Chinese numeral (一, 十, 十一, 二十三)."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _CN[tens]) + "十" if tens else "") + (_CN[ones] if ones else "")


def seed_measure_sizes(env: Env) -> list[int]:
    """Assignments per measure of the seed policy (policy 1), in measure order."""
    rows = query(
        env,
        "SELECT m.number, count(a.id) FROM measure m JOIN task t ON t.measure_id = m.id "
        "JOIN assignment a ON a.task_id = t.id WHERE m.policy_id = 1 GROUP BY m.number ORDER BY m.number",
    )
    return [n for _, n in rows]


def fanout_document(sizes: Sequence[int], target: int, doc_number: int = 99) -> tuple[str, int]:
    """A policy made of the seed's measures, in turn, until it holds about `target` assignments (one
    task message each once every unit has a contact); returns the text and that count."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if _HEADING.match(line.strip()))
    head = [
        line.replace("〔2024〕15号", f"〔2024〕{doc_number}号").replace(
            "若干措施", f"若干措施（{doc_number}）"
        )
        for line in lines[:first]
    ]
    measures: list[list[str]] = []
    for line in lines[first:]:
        if _HEADING.match(line.strip()):
            measures.append([_HEADING.sub("", line.strip())])
        elif measures:
            measures[-1].append(line)
    out, total, n = list(head), 0, 0
    while total < target and n < 99:
        measure = measures[n % len(measures)]
        total += sizes[n % len(sizes)]
        n += 1
        out.append(f"{cn_number(n)}、{measure[0]}")
        out.extend(measure[1:])
    return "\n".join(out) + "\n", total


async def reply_while(
    srv: FakeBotAPI,
    targets: Iterator[tuple[Contact, Sent]],
    *,
    interval: float,
    count: int | None = None,
    until: Callable[[], bool] | None = None,
    max_seconds: float = 120.0,
) -> list[Reply]:
    """Replies every `interval` seconds until `count` replies were sent or `until()` is true (bounded
    by `max_seconds`)."""
    replies: list[Reply] = []
    started = next_at = time.monotonic()
    while time.monotonic() - started < max_seconds:
        if count is not None and len(replies) >= count:
            break
        if until is not None and until():
            break
        if time.monotonic() >= next_at:
            contact, task = next(targets)
            replies.append(send_reply(srv, contact, task))
            next_at += interval
        await asyncio.sleep(0.005)
    return replies


STRANGER_BASE = 880_000
_strangers = itertools.count()


async def stranger_probes(
    srv: FakeBotAPI, *, interval: float, until: Callable[[], bool], max_seconds: float = 120.0
) -> list[tuple[int, int]]:
    """A new user writes "你好" every `interval` seconds (the bot answers a stranger with a polite
    notice): (chat, update id) of each, for the latency of a chat with nothing else queued."""
    probes: list[tuple[int, int]] = []
    started = next_at = time.monotonic()
    while time.monotonic() - started < max_seconds and not until():
        if time.monotonic() >= next_at:
            user = STRANGER_BASE + next(_strangers)
            srv.user(user)
            srv.send_text(user, "你好")
            probes.append((user, srv.pending_updates[-1]["update_id"]))
            next_at += interval
        await asyncio.sleep(0.005)
    return probes


def probe_latencies(srv: FakeBotAPI, probes: Sequence[tuple[int, int]]) -> tuple[list[float], int]:
    out, missing = [], 0
    for chat, update_id in probes:
        answer = next((s for s in srv.sent if s.chat_id == chat), None)
        if answer is None:
            missing += 1
        else:
            out.append(answer.time - srv.update_times[update_id].queued)
    return out, missing


class SentWatch:
    """The times of the messages sent since a mark that match a condition, read incrementally (the
    fake server shares this process's event loop: rescanning everything it sent on every check
    would slow the server the bot talks to)."""

    def __init__(self, srv: FakeBotAPI, condition: Callable[[Sent], bool], since: int | None = None) -> None:
        self.srv = srv
        self.condition = condition
        self._seen = srv.mark() if since is None else since
        self.times: list[float] = []

    def __call__(self) -> list[float]:
        sent = self.srv.sent
        for s in sent[self._seen :]:
            if self.condition(s):
                self.times.append(s.time)
        self._seen = len(sent)
        return self.times
