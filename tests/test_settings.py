"""Settings are checked at start, with one clear line naming the setting, and the bot token is never
printed: not by a bad setting, not by a crash, not in a log line or an outbox row's error."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.telegram.redact import MASK, install
from config.settings import Settings, describe_errors
from tests.e2e_support import Env, run_cli_sync

TOKEN = "123456:SECRETtokenABCdef_ghi-jkl"
KEY = TOKEN.split(":")[1]


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base",
    [
        "127.0.0.1:8081",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:0",
        "http://[::1",
        "ftp://127.0.0.1:8081",
        "http://",
        "http://h:abc",
        "http://h:8081/?x=1",
    ],
)
def test_bad_api_base_is_refused_with_the_setting_named(base: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(telegram_api_base=base, bot_token=TOKEN)
    message = describe_errors(caught.value)
    assert "TELEGRAM_API_BASE" in message and KEY not in message


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8081", "https://api.example.org/", "http://[::1]:8081/tg"]
)
def test_good_api_base_is_kept(base: str) -> None:
    assert _settings(telegram_api_base=base).telegram_api_base == base.rstrip("/")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("timezone", "../etc/passwd"),
        ("work_start", "25:00"),
        ("work_end", "9am"),
        ("work_start", "19:00"),
        ("rate_global_per_sec", 0),
        ("rate_per_chat_per_sec", -1),
        ("rate_per_group_per_min", 0),
        ("invite_ttl_hours", -1),
        ("scheduler_tick_seconds", 0),
        ("clock_speed", 0),
        ("digest_cron", "61 * * * *"),
        ("summary_cron", "every monday"),
        ("log_level", "LOUD"),
        ("default_language", "fr"),
        ("database_url", "::nonsense"),
        ("database_url", "sqlite:///sync.db"),
    ],
)
def test_bad_values_are_refused_at_start(name: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(**{name: value})
    message = describe_errors(caught.value)
    named = "WORK_START" if value == "19:00" else name.upper()
    assert named in message, message
    assert "\n" not in message


def test_a_malformed_token_is_refused_without_repeating_it() -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(bot_token="123456:SECRET tokenABC/def")
    message = describe_errors(caught.value)
    assert "BOT_TOKEN" in message and "SECRET" not in message


def test_a_password_in_the_database_url_is_not_repeated() -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(database_url="mysql://user:hunter2@db/duban")
    assert "hunter2" not in describe_errors(caught.value)


@pytest.mark.parametrize("base", ["127.0.0.1:8081", "http://127.0.0.1:99999", "http://[::1"])
def test_duban_run_with_a_bad_api_base_prints_one_line_without_the_token(tmp_path: Path, base: str) -> None:
    env = Env(tmp_path, base_url=base, token=TOKEN)
    result = run_cli_sync(env, "run", timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 2, result
    assert KEY not in output, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "TELEGRAM_API_BASE" in lines[0], output


def test_a_setting_that_is_not_json_is_one_line(tmp_path: Path) -> None:
    result = run_cli_sync(Env(tmp_path, extra={"FOLLOWUPS": "{not json"}), "units", timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result
    assert "followups" in result.stderr.lower()


def test_duban_run_that_cannot_reach_the_api_fails_in_one_line_without_the_token(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli_sync(Env(tmp_path, base_url=f"http://127.0.0.1:{port}", token=TOKEN), "run", timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 1, result
    assert KEY not in output and "Traceback" not in output, output
    assert "TelegramNetworkError" in output.splitlines()[-1]


def test_log_records_are_masked_in_message_arguments_and_traceback() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.redact")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        install(TOKEN, logger)
        logger.warning("GET http://h/bot%s/getMe failed", TOKEN)
        try:
            raise RuntimeError(f"Cannot fetch http://127.0.0.1:9/bot{TOKEN}/getUpdates")
        except RuntimeError:
            logger.exception("polling failed for %s", KEY)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert KEY not in text
    assert text.count(MASK) == 3 and "RuntimeError" in text and "Traceback" in text


async def test_transport_errors_carry_no_token() -> None:
    from datetime import UTC, datetime

    from bot.telegram.sender import Temporary
    from bot.telegram.transport import AiogramTransport, make_bot
    from models import OutboxMessage

    # An address aiohttp refuses to use: its error quotes the whole request URL.
    bot = make_bot(TOKEN, "http://127.0.0.1:99999")
    try:
        with pytest.raises(Temporary) as caught:
            await AiogramTransport(bot).send(
                OutboxMessage(chat_id=1, method="sendMessage", text="hi", created_at=datetime.now(UTC))
            )
    finally:
        await bot.session.close()
    assert KEY not in str(caught.value) and MASK in str(caught.value)


async def test_running_bot_logs_and_stores_no_token_even_when_errors_quote_it(tmp_path: Path) -> None:
    """`duban run` at DEBUG, with Telegram errors whose text carries the token (as a proxy echoing
    the request URL would): neither its output nor its database holds the token afterwards."""
    from tests.botapi import FakeBotAPI
    from tests.e2e_support import BotProcess, cli_ok, query

    async with FakeBotAPI(token=TOKEN) as srv:
        srv.limits.enforce = False
        env = Env(tmp_path, base_url=srv.base_url, token=srv.token, extra={"LOG_LEVEL": "DEBUG"})
        await cli_ok(env, "init", "--no-seed")
        await cli_ok(env, "coordinator", "add", "1001")
        srv.user(1001, first_name="C")
        echo = f"Bad Request: rejected http://127.0.0.1/bot{TOKEN}/sendMessage"
        srv.fail_next("sendMessage", times=1, status=400, description=echo)
        srv.fail_next("getUpdates", times=1, status=500, description=f"Internal: /bot{TOKEN}/getUpdates")
        bot = await BotProcess(env).start()
        try:
            srv.command(1001, "/help")  # its answer is refused with the echo
            for _ in range(400):
                if query(env, "SELECT count(*) FROM outboxmessage WHERE state = 'dead'")[0][0]:
                    break
                await asyncio.sleep(0.1)
            srv.command(1001, "/help")
            await srv.wait_for(chat_id=1001, timeout=40)
        finally:
            await bot.terminate(timeout=30)
    output = bot.log()
    assert "DEBUG" in output and "refused by Telegram" in output, output
    assert KEY not in output, output
    stored = query(env, "SELECT coalesce(last_error, '') FROM outboxmessage") + query(
        env, "SELECT coalesce(reason, '') FROM event"
    )
    assert any(MASK in row[0] for row in stored)
    assert not any(KEY in row[0] for row in stored)
