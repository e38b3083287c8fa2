"""Helpers for the end-to-end tests: the real `duban` CLI and `duban run` as child processes,
talking to an in-process FakeBotAPI, with the database read directly (read-only) for checks.

Child processes are started with asyncio so the fake server keeps serving while they call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests import pgserver

ROOT = Path(__file__).resolve().parent.parent
_VENV_DUBAN = ROOT / ".venv" / "bin" / "duban"


def _settings_vars() -> set[str]:
    """Everything config.settings.Settings reads: the children get only what a test sets."""
    from config.settings import Settings

    return {name.upper() for name in Settings.model_fields} | {
        "BOT_TOKEN",
        "TELEGRAM_API_BASE",
        "DATABASE_URL",
    }


_SETTINGS_VARS = _settings_vars()

CLI_TIMEOUT = 120.0  # a bound for a machine busy with the other test worker, not an expected duration
WAIT = 15.0


def duban_argv(*args: str) -> list[str]:
    if _VENV_DUBAN.exists():
        return [str(_VENV_DUBAN), *args]
    return [sys.executable, "-m", "bot.cli", *args]


@dataclass
class Env:
    """Where one bot instance lives: a temporary working directory (no .env) and its database, the
    SQLite file in it or, given `pg_database`, that database on the test PostgreSQL server."""

    workdir: Path
    base_url: str | None = None
    token: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    pg_database: str | None = None

    @property
    def db_path(self) -> Path:
        return self.workdir / "duban.db"

    @property
    def database_url(self) -> str:
        if self.pg_database is not None:
            return pgserver.url_of(self.pg_database)
        return f"sqlite+aiosqlite:///{self.db_path}"

    def environ(self, with_token: bool = True) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k.upper() not in _SETTINGS_VARS}
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                # The fake server's limits are off; keep the outbox from pacing the test down.
                "RATE_GLOBAL_PER_SEC": "1000",
                "RATE_PER_CHAT_PER_SEC": "100",
                "RATE_PER_GROUP_PER_MIN": "6000",
                # The scenario reads each coordinator notice as it happens; the window that joins
                # them is covered by tests/test_notice_batches.py.
                "NOTICE_WINDOW_SECONDS": "0",
            }
        )
        if with_token and self.token:
            env["BOT_TOKEN"] = self.token
        if with_token and self.base_url:
            env["TELEGRAM_API_BASE"] = self.base_url
        env.update(self.extra)
        return env


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    def __str__(self) -> str:
        return f"rc={self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


async def run_cli(env: Env, *args: str, with_token: bool = True, timeout: float = CLI_TIMEOUT) -> CliResult:  # noqa: ASYNC109
    proc = await asyncio.create_subprocess_exec(
        *duban_argv(*args),
        cwd=env.workdir,
        env=env.environ(with_token),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    return CliResult(proc.returncode if proc.returncode is not None else -1, out.decode(), err.decode())


def run_cli_sync(env: Env, *args: str, with_token: bool = True, timeout: float = CLI_TIMEOUT) -> CliResult:
    """The same, blocking: for fixtures that run before any fake server exists."""
    done = subprocess.run(
        duban_argv(*args),
        cwd=env.workdir,
        env=env.environ(with_token),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


async def cli_ok(env: Env, *args: str) -> CliResult:
    result = await run_cli(env, *args)
    assert result.returncode == 0, f"duban {' '.join(args)} failed:\n{result}"
    return result


class BotProcess:
    """`duban run` as a child process; output goes to a log file in the working directory."""

    def __init__(self, env: Env, name: str = "run", args: tuple[str, ...] = ()) -> None:
        self.env = env
        self.args = args  # after `duban run`, e.g. ("--webhook", url)
        self.log_path = env.workdir / f"duban-{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> BotProcess:
        log = self.log_path.open("wb")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *duban_argv("run", *self.args),
                cwd=self.env.workdir,
                env=self.env.environ(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log.close()
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    async def terminate(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """SIGTERM, then wait; returns the exit code (raises TimeoutError if it does not stop)."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.proc.wait(), 5)


def query(env: Env, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the bot's database directly (read-only; WAL readers do not block the writer). `?` marks
    the parameters on either engine."""
    if env.pg_database is not None:
        return pgserver.fetch(env.pg_database, sql, params)
    conn = sqlite3.connect(f"file:{env.db_path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def scalar(env: Env, sql: str, params: tuple[Any, ...] = ()) -> Any:
    rows = query(env, sql, params)
    return rows[0][0] if rows else None


_AID = re.compile(r"#(\d+)")


def assignment_id(text: str) -> int:
    match = _AID.search(text)
    assert match, f"no #id in {text!r}"
    return int(match.group(1))


async def answer_to(srv: Any, query_id: str, timeout: float = WAIT) -> Any:  # noqa: ASYNC109
    """The answerCallbackQuery the bot gave to one button press."""

    def find() -> Any:
        return next((a for a in srv.callback_answers if a.callback_query_id == query_id), None)

    return await srv.wait_until(find, timeout=timeout)


async def settle(condition: Callable[[], Any], seconds: float = 1.0) -> None:
    """Give the bot `seconds` to do something it should not do (then the caller checks it did not)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)


class Timeline:
    """Prints how long each phase took; pytest shows it (captured stdout) when a test fails."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()

    def __call__(self, phase: str) -> None:
        now = time.monotonic()
        print(
            f"[e2e] t={now - self.start:6.2f}s (+{now - self.last:5.2f}s since the previous mark) {phase}",
            flush=True,
        )
        self.last = now


@contextlib.contextmanager
def slow_method(srv: Any, method: str, seconds: float) -> Iterator[None]:
    """Make one Bot API method of the fake server answer after `seconds` (the others stay fast), so a
    handler can be caught in the middle of that call. (The server's own `latency` slows every call,
    getUpdates included, which would also delay Telegram's confirmation of the update offset.)"""
    key = method.lower()
    canonical, original = srv._api[key]

    async def slow(params: dict[str, Any], files: Any) -> Any:
        await asyncio.sleep(seconds)
        result = original(params, files)
        return await result if asyncio.iscoroutine(result) else result

    srv._api[key] = (canonical, slow)
    try:
        yield
    finally:
        srv._api[key] = (canonical, original)


def diagnose(srv: Any) -> None:
    """Printed when a test fails (pytest shows captured stdout): what Telegram still holds."""
    print(
        f"[e2e] pending updates: {[(u['update_id'], next(iter(set(u) - {'update_id'}))) for u in srv.pending_updates]}"
    )
    now = time.monotonic()
    for call in srv.calls[-8:]:
        print(
            f"[e2e] call {call.method} {now - call.time:.1f}s ago -> {call.status} {call.params.get('offset', '')}"
        )
