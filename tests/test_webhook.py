"""Webhook mode: the secret on every request, /healthz, and a real `duban run --webhook` process
receiving updates that the fake Bot API POSTs to it."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bot.telegram.polling import DeadLetterFile, RetryPolicy, UpdateHandler
from bot.telegram.webhook import build_web_app
from config.settings import Settings
from tests.botapi import FakeBotAPI
from tests.e2e_support import WAIT, BotProcess, Env, query, scalar, settle
from tests.test_e2e_process import (  # noqa: F401  (seeded_db is a fixture)
    COORD,
    START_TIMEOUT,
    YICHUN,
    YICHUN_OWN,
    assert_no_traceback,
    assignment_id,
    chat_invite,
    dispatch_measure_two,
    fresh_env,
    people,
    seeded_db,
    task_messages,
    wait_ready,
)

SECRET = "test-Secret_0123456789"


def _settings(**kw: object) -> Settings:
    values: dict[str, object] = {"webhook_url": "https://bot.example.org/telegram", "webhook_secret": SECRET}
    return Settings(_env_file=None, **(values | kw))  # type: ignore[call-arg, arg-type]


def test_webhook_settings_need_a_valid_secret() -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET is required"):
        Settings(_env_file=None, webhook_url="https://bot.example.org/telegram")  # type: ignore[call-arg]
    for bad in ("has space", "x" * 257, "semi;colon"):
        with pytest.raises(ValidationError, match="WEBHOOK_SECRET must be"):
            _settings(webhook_secret=bad)
    with pytest.raises(ValidationError, match="https"):
        _settings(webhook_url="http://bot.example.org/telegram")
    with pytest.raises(ValidationError, match="WEBHOOK_LISTEN"):
        _settings(webhook_listen="8080")
    assert _settings(webhook_listen="0.0.0.0:8443").webhook_host_port() == ("0.0.0.0", 8443)
    assert Settings(_env_file=None).webhook_url is None  # type: ignore[call-arg]  # polling by default


def _dispatcher_counting(seen: list[str], fail: set[str] | None = None):  # type: ignore[no-untyped-def]
    from aiogram import Dispatcher
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message()
    async def record(message: Message) -> None:
        seen.append(message.text or "")
        if fail and message.text in fail:
            raise RuntimeError(f"cannot handle {message.text}")

    return dp


def _handler(dp, bot, dead: Path, **kw: object) -> UpdateHandler:  # type: ignore[no-untyped-def]
    async def feed(update: object) -> object:
        return await dp.feed_update(bot, update)

    return UpdateHandler(feed, DeadLetterFile(dead), policy=RetryPolicy(delays=(0.0, 0.0)), **kw)  # type: ignore[arg-type]


def _update(update_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "text": text,
            "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "is_bot": False, "first_name": "A"},
        },
    }


async def test_secret_is_checked_on_every_request_and_healthz_reports_the_database(tmp_path: Path) -> None:
    from aiogram import Bot

    seen: list[str] = []
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'ok.db'}")
    bot = Bot("123456:TEST")
    dp = _dispatcher_counting(seen)
    app = build_web_app(
        dp, bot, _settings(), async_sessionmaker(engine), _handler(dp, bot, tmp_path / "dl.jsonl")
    )
    try:
        async with TestClient(TestServer(app)) as client:
            wrong = await client.post(
                "/telegram", json=_update(1, "wrong"), headers={"X-Telegram-Bot-Api-Secret-Token": "not-it"}
            )
            missing = await client.post("/telegram", json=_update(2, "missing"))
            assert (wrong.status, missing.status) == (401, 401)
            assert seen == []
            right = await client.post(
                "/telegram", json=_update(3, "right"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            assert right.status == 200
            assert seen == ["right"]  # handled before the answer
            health = await client.get("/healthz")
            assert health.status == 200 and await health.json() == {"ok": True}
    finally:
        await engine.dispose()
        await bot.session.close()

    broken = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    bot = Bot("123456:TEST")
    dp = _dispatcher_counting(seen)
    app = build_web_app(
        dp, bot, _settings(), async_sessionmaker(broken), _handler(dp, bot, tmp_path / "dl.jsonl")
    )
    try:
        async with TestClient(TestServer(app)) as client:
            health = await client.get("/healthz")
            assert health.status == 503 and (await health.json())["ok"] is False
    finally:
        await broken.dispose()
        await bot.session.close()


async def test_a_failing_update_is_retried_and_parked_like_in_polling_then_answered(tmp_path: Path) -> None:
    """The webhook answers 200 only once polling's step accounted for the update: handled, or
    parked after its retries (the sender told once); 500 while it can be neither, so Telegram keeps it."""
    from aiogram import Bot

    seen: list[str] = []
    stored: list[dict[str, object]] = []
    told: list[tuple[int, bool]] = []
    store_works = True

    async def store(record: dict[str, object]) -> None:
        if not store_works:
            raise OSError("database gone")
        stored.append(record)

    async def on_failure(update: object, error: BaseException, saved: bool) -> None:
        told.append((update.update_id, saved))  # type: ignore[attr-defined]

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'ok.db'}")
    bot = Bot("123456:TEST")
    dp = _dispatcher_counting(seen, fail={"boom", "worse"})
    dead = tmp_path / "no-such-dir" / "dl.jsonl"  # the file cannot be written either
    handler = _handler(dp, bot, dead, store=store, on_failure=on_failure)
    app = build_web_app(dp, bot, _settings(), async_sessionmaker(engine), handler)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        async with TestClient(TestServer(app)) as client:
            parked = await client.post("/telegram", json=_update(10, "boom"), headers=headers)
            assert parked.status == 200  # parked: Telegram may forget it
            assert seen == ["boom"] * 3, seen  # three tries, as in polling
            assert [r["update_id"] for r in stored] == [10]
            assert stored[0]["update"]["message"]["text"] == "boom"  # type: ignore[index]
            assert told == [(10, True)]

            store_works = False
            for _ in range(2):  # Telegram delivers it again and again
                kept = await client.post("/telegram", json=_update(11, "worse"), headers=headers)
                assert kept.status == 500
            assert told == [(10, True), (11, False)], "told once, truthfully: not saved"
            assert [r["update_id"] for r in stored] == [10] and not dead.exists()

            ok = await client.post("/telegram", json=_update(12, "fine"), headers=headers)
            assert ok.status == 200 and seen[-1] == "fine" and handler.handled_since_park
    finally:
        await engine.dispose()
        await bot.session.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_duban_run_webhook_end_to_end(tmp_path: Path, seeded_db: Env) -> None:  # noqa: F811
    async with FakeBotAPI() as srv:
        people(srv)
        srv.webhook_retry_delay = 0.2
        env = fresh_env(srv, seeded_db, tmp_path)
        port = _free_port()
        env.extra.update({"WEBHOOK_SECRET": SECRET, "WEBHOOK_LISTEN": f"127.0.0.1:{port}"})
        url = f"http://127.0.0.1:{port}/telegram"
        bot = BotProcess(env, "webhook", args=("--webhook", url))
        try:
            await bot.start()
            await wait_ready(srv, bot, 0)
            await srv.wait_until(lambda: srv.webhook is not None or not bot.running, timeout=WAIT)
            assert srv.webhook is not None and srv.webhook["url"] == url, bot.log()
            assert srv.webhook["secret_token"] == SECRET
            assert "message" in (srv.webhook["allowed_updates"] or []), srv.webhook

            code = await chat_invite(srv, "宜春")
            srv.command(YICHUN, f"/start {code}")
            await srv.wait_for(chat_id=YICHUN, text_contains="绑定成功", timeout=WAIT)
            await dispatch_measure_two(srv, expected_messages=2)
            y_own = next(s for s in task_messages(srv, YICHUN) if YICHUN_OWN in s.body)
            aid = assignment_id(y_own.body)

            # The reply, then Telegram delivering the same update a second time.
            mark = srv.mark()
            srv.send_text(YICHUN, "完成50%，设备已进场", reply_to=y_own)
            srv.duplicate_last_update()
            await srv.wait_for(chat_id=YICHUN, text_contains="系统理解为", since=mark, timeout=WAIT)
            await srv.wait_for(lambda s: "设备已进场" in s.body, chat_id=COORD, since=mark, timeout=WAIT)
            await srv.wait_until(lambda: not srv.pending_updates, timeout=WAIT)
            await settle(lambda: False, 1.0)
            confirmations = [s for s in srv.sent[mark:] if s.chat_id == YICHUN and "系统理解为" in s.body]
            assert len(confirmations) == 1, srv.dump()
            reports = query(env, "SELECT assignment_id, raw_text, parsed_percent FROM progressreport")
            assert reports == [(aid, "完成50%，设备已进场", 50)], reports
            assert all(status == 200 for _, status in srv.webhook_attempts), srv.webhook_attempts

            # Someone who is not Telegram: refused, nothing handled.
            sent_before = len(srv.sent)
            forged = {
                "update_id": 999_999,
                "message": {
                    "message_id": 999_999,
                    "date": 1_700_000_000,
                    "text": "/tasks",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                    "chat": {"id": YICHUN, "type": "private"},
                    "from": {"id": YICHUN, "is_bot": False, "first_name": "x"},
                },
            }
            async with aiohttp.ClientSession() as client:
                for headers in ({"X-Telegram-Bot-Api-Secret-Token": "guessed"}, {}):
                    async with client.post(url, json=forged, headers=headers) as resp:
                        assert resp.status == 401
                async with client.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    assert resp.status == 200 and (await resp.json())["ok"] is True
            await settle(lambda: len(srv.sent) > sent_before, 1.0)
            assert len(srv.sent) == sent_before, srv.dump()
            assert scalar(env, "SELECT count(*) FROM progressreport") == 1

            assert await bot.terminate(15) == 0, bot.log()
            assert_no_traceback(bot)
            assert srv.webhook is not None, "the webhook stays registered while the bot is down"

            # Back to long polling: the webhook is deleted at start, and what waited is handled.
            srv.command(YICHUN, "/tasks")
            polling = BotProcess(env, "polling")
            await polling.start()
            await srv.wait_until(lambda: srv.webhook is None or not polling.running, timeout=START_TIMEOUT)
            assert polling.running, polling.log()
            await srv.wait_until(lambda: not srv.pending_updates, timeout=WAIT)
            assert [
                c.params.get("drop_pending_updates") for c in srv.calls if c.method == "deleteWebhook"
            ] in ([None], [False], ["false"]), "kept what Telegram holds"
            assert await polling.terminate(15) == 0, polling.log()
            assert_no_traceback(polling)
        finally:
            await bot.kill()
            if "polling" in locals():
                await polling.kill()


async def test_fake_api_redelivers_an_update_not_answered_200() -> None:
    """The fake Bot API behaves like Telegram here, which the end-to-end test relies on."""
    from aiohttp import web

    answers = iter([500, 200])
    got: list[tuple[int, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        got.append((body["update_id"], request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(status=next(answers, 200))

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with TestServer(app) as target, FakeBotAPI() as srv:
        srv.webhook_retry_delay = 0.05
        srv.user(7, first_name="x")
        async with aiohttp.ClientSession() as client:
            async with client.post(
                f"{srv.base_url}/bot{srv.token}/setWebhook",
                json={"url": str(target.make_url("/hook")), "secret_token": SECRET},
            ) as resp:
                assert resp.status == 200
            update = srv.send_text(7, "hello")
            await srv.wait_until(lambda: not srv.pending_updates, timeout=WAIT)
            assert [s for _, s in srv.webhook_attempts] == [500, 200]
            assert {u for u, _ in got} == {srv.webhook_attempts[0][0]} and len(got) == 2
            assert all(secret == SECRET for _, secret in got), got
            async with client.post(f"{srv.base_url}/bot{srv.token}/getUpdates") as resp:
                assert resp.status == 409  # no polling while a webhook is set
    assert update


async def test_fake_api_spreads_updates_over_backends_round_robin_and_redelivers_what_fails() -> None:
    """The fake plays the load balancer in front of several instances: round robin, as many in
    flight as connections, and an update a dead backend did not answer goes to another one."""
    import asyncio

    from aiohttp import web

    got: dict[str, list[int]] = {"a": [], "b": []}
    busy = {"now": 0, "most": 0}

    def backend(name: str) -> web.Application:
        async def hook(request: web.Request) -> web.Response:
            body = await request.json()
            busy["now"] += 1
            busy["most"] = max(busy["most"], busy["now"])
            try:
                await asyncio.sleep(0.05)
            finally:
                busy["now"] -= 1
            got[name].append(body["update_id"])
            return web.Response(status=200)

        app = web.Application()
        app.router.add_post("/hook", hook)
        return app

    async with TestServer(backend("a")) as a, TestServer(backend("b")) as b, FakeBotAPI() as srv:
        srv.webhook_retry_delay = 0.05
        srv.webhook_connections = 2
        srv.webhook_backends = [str(a.make_url("/hook")), str(b.make_url("/hook"))]
        srv.user(7, first_name="x")
        async with aiohttp.ClientSession() as client:
            async with client.post(
                f"{srv.base_url}/bot{srv.token}/setWebhook",
                json={"url": "https://lb.example.org/telegram", "secret_token": SECRET},
            ) as resp:
                assert resp.status == 200
        for i in range(10):
            srv.send_text(7, f"m{i}")
        ids = [u["update_id"] for u in srv.pending_updates]
        await srv.wait_until(lambda: not srv.pending_updates, timeout=WAIT)
        assert sorted(got["a"] + got["b"]) == ids, got
        assert len(got["a"]) == len(got["b"]) == 5, got  # round robin
        assert busy["most"] == 2, busy  # two connections at once

        await b.close()  # one instance dies
        for i in range(6):
            srv.send_text(7, f"n{i}")
        later = [u["update_id"] for u in srv.pending_updates]
        await srv.wait_until(lambda: not srv.pending_updates, timeout=WAIT)
        assert sorted(got["a"][5:]) == later, got
        failed = [u for u, url, status, _ in srv.webhook_log if status != 200]
        assert failed and set(failed) <= set(later), srv.webhook_log
        answered = [u for u, _, status, _ in srv.webhook_log if status == 200]
        assert sorted(answered) == ids + later  # each answered once, none lost
