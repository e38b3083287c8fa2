"""Tests for the fake Telegram Bot API server (tests/botapi/server.py), using a real aiogram Bot."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)

from tests.botapi import FakeBotAPI, parse_html

TOKEN = "123456:TEST"


def kb(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


@pytest.fixture
async def srv():
    async with FakeBotAPI(token=TOKEN) as s:
        s.user(42, first_name="Li", username="li")
        yield s


@pytest.fixture
async def bot(srv: FakeBotAPI):
    b = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url)))
    yield b
    await b.session.close()


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456 and me.is_bot and me.username == "duban_test_bot"


async def test_bad_token(srv: FakeBotAPI) -> None:
    b = Bot("999:WRONG", session=AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url)))
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await b.get_me()
    finally:
        await b.session.close()


async def test_send_edit_markup_and_callback(srv: FakeBotAPI, bot: Bot) -> None:
    m1 = await bot.send_message(
        42, "<b>Hi</b> &lt;there&gt;", parse_mode="HTML", reply_markup=kb(("OK", "ok:1"))
    )
    m2 = await bot.send_message(42, "second", reply_parameters=ReplyParameters(message_id=m1.message_id))
    assert (m1.message_id, m2.message_id) == (1, 2)
    assert m1.text == "Hi <there>" and m1.entities[0].type == "bold"
    assert m1.from_user.id == 123456 and m1.chat.id == 42
    assert m1.reply_markup.inline_keyboard[0][0].callback_data == "ok:1"
    assert m2.reply_to_message.message_id == 1
    s = srv.sent[0]
    assert s.raw_text == "<b>Hi</b> &lt;there&gt;" and s["text"] == "Hi <there>" and s.button_texts == ["OK"]
    assert [x.message_id for x in srv.messages_to(42)] == [1, 2]

    e = await bot.edit_message_text("edited", chat_id=42, message_id=1, reply_markup=kb(("Next", "n")))
    assert (
        e.text == "edited" and srv.message(42, 1)["reply_markup"]["inline_keyboard"][0][0]["text"] == "Next"
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("edited", chat_id=42, message_id=1, reply_markup=kb(("Next", "n")))
    await bot.edit_message_reply_markup(chat_id=42, message_id=1, reply_markup=None)
    assert "reply_markup" not in srv.message(42, 1)
    assert [x.method for x in srv.edits] == ["editMessageText", "editMessageReplyMarkup"]

    # pressing uses the CURRENT keyboard
    with pytest.raises(LookupError):
        srv.press_button(42, srv.sent[0], "OK")
    await bot.edit_message_reply_markup(chat_id=42, message_id=1, reply_markup=kb(("Approve", "ap:7")))
    qid = srv.press_button(42, srv.sent[0], "Appr")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].callback_query.data == "ap:7" and updates[-1].callback_query.message.message_id == 1
    assert await bot.answer_callback_query(qid, text="done", show_alert=True)
    assert srv.callback_answers[0].text == "done" and srv.callback_answers[0].show_alert
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(qid)


async def test_validation_errors(srv: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(42, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(42, "")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(42, "hi", reply_markup=kb(("x", "d" * 65)))
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "hi")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(42, "a <b>b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Unsupported start tag"):
        await bot.send_message(42, "1 < 2", parse_mode="HTML")
    await bot.send_message(42, "x" * 4096)
    assert srv.stats["sent"] == 1 and srv.stats["errors"][400] == 6


async def test_send_document_photo_and_files(srv: FakeBotAPI, bot: Bot) -> None:
    m = await bot.send_document(42, BufferedInputFile(b"hello,world", "report.csv"), caption="weekly")
    assert m.document.file_name == "report.csv" and m.caption == "weekly"
    s = srv.sent[-1]
    assert (s.method, s.document_name, s.document_bytes, s.body) == (
        "sendDocument",
        "report.csv",
        b"hello,world",
        "weekly",
    )
    png = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + (3).to_bytes(4, "big")
        + (2).to_bytes(4, "big")
        + b"rest"
    )
    p = await bot.send_photo(42, BufferedInputFile(png, "chart.png"))
    assert (p.photo[-1].width, p.photo[-1].height) == (3, 2) and srv.sent[-1].photo_bytes == png

    # a file the user sent: getFile + download
    srv.send_document(42, "policy.docx", b"DOCX-BYTES", caption="please import")
    upd = (await bot.get_updates(timeout=0))[-1]
    f = await bot.get_file(upd.message.document.file_id)
    data = await bot.download_file(f.file_path)
    assert data.read() == b"DOCX-BYTES" and upd.message.caption == "please import"


async def test_commands(srv: FakeBotAPI, bot: Bot) -> None:
    cmds = [BotCommand(command="start", description="开始"), BotCommand(command="tasks", description="任务")]
    await bot.set_my_commands(cmds, language_code="zh")
    await bot.set_my_commands(cmds[:1], scope=BotCommandScopeChat(chat_id=42))
    assert srv.get_commands("chat", chat_id=42) == [{"command": "start", "description": "开始"}]
    assert srv.get_commands(language_code="zh")[1]["description"] == "任务"


async def test_long_polling_and_offset(srv: FakeBotAPI, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.2)
        srv.send_text(42, "你好")

    task = asyncio.create_task(later())
    t0 = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    await task
    assert 0.15 < time.monotonic() - t0 < 2
    assert len(updates) == 1 and updates[0].message.text == "你好" and updates[0].message.from_user.id == 42
    uid = updates[0].update_id
    times = srv.update_times[uid]
    assert times.fetched is not None and t0 + 0.15 < times.queued <= times.fetched
    first_fetch = times.fetched
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [uid]  # not confirmed yet
    assert srv.update_times[uid].fetched == first_fetch  # the first delivery counts
    assert await bot.get_updates(offset=uid + 1, timeout=0) == []  # confirmed -> dropped
    assert await bot.get_updates(timeout=0) == []

    # command entities, reply_to and duplicates
    sent = await bot.send_message(42, "question?")
    srv.command(42, "/start abc")
    srv.send_text(42, "answer", reply_to=sent.message_id)
    ups = await bot.get_updates(offset=uid + 1, timeout=0)
    assert ups[0].message.entities[0].type == "bot_command" and ups[0].message.entities[0].length == 6
    assert ups[1].message.reply_to_message.message_id == sent.message_id
    last = ups[-1].update_id
    assert await bot.get_updates(offset=last + 1, timeout=0) == []
    srv.duplicate_last_update()
    dup = await bot.get_updates(offset=last + 1, timeout=0)
    assert [u.update_id for u in dup] == [last]
    assert await bot.get_updates(offset=last + 1, timeout=0) == []


async def test_429_403_and_down(srv: FakeBotAPI, bot: Bot) -> None:
    srv.fail_next("sendMessage", times=1, status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as ei:
        await bot.send_message(42, "hi")
    assert ei.value.retry_after == 7
    await bot.send_message(42, "hi")  # only once
    srv.block_chat(42)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(42, "hi")
    srv.block_chat(42, blocked=False)
    srv.fail_next("*", status=500)
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    srv.down(0.15)
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    await asyncio.sleep(0.2)
    await bot.get_me()
    st = srv.stats
    assert st["rejected_429"] == 1 and st["errors"][403] == 1 and st["errors"][502] == 1 and st["sent"] == 1


async def test_rate_limits(srv: FakeBotAPI, bot: Bot) -> None:
    # private chat: burst of 5, then 1/s
    for i in range(5):
        await bot.send_message(42, f"m{i}")
    with pytest.raises(TelegramRetryAfter) as ei:
        await bot.send_message(42, "too fast")
    assert ei.value.retry_after == 1
    # group: 20 per minute
    srv.group(-100, "Office")
    for i in range(20):
        await bot.send_message(-100, f"g{i}")
    with pytest.raises(TelegramRetryAfter) as ei:
        await bot.send_message(-100, "g20")
    assert 55 <= ei.value.retry_after <= 60
    # global: 30 per sliding second (25 so far in this second)
    for uid in range(1000, 1006):
        srv.user(uid)
    for uid in range(1000, 1005):
        await bot.send_message(uid, "fan-out")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(1005, "fan-out")
    assert srv.stats["rate_limited"] == 3 and srv.stats["sent"] == 30
    srv.limits.enforce = False
    await bot.send_message(42, "unlimited")


async def test_forged_press(srv: FakeBotAPI, bot: Bot) -> None:
    m = await bot.send_message(42, "pick", reply_markup=kb(("A", "a")))
    qid = srv.press(42, m.message_id, "admin:delete_all" + "x" * 100)
    [u] = await bot.get_updates(timeout=0)
    assert u.callback_query.id == qid and u.callback_query.data.startswith("admin:delete_all")
    assert u.callback_query.from_user.id == 42 and u.callback_query.message.text == "pick"


async def test_http_control_api(srv: FakeBotAPI, bot: Bot) -> None:
    base = srv.base_url + "/_test"
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{base}/user_message", json={"user_id": 7, "text": "/start x"})
        msg = (await r.json())["result"]
        assert msg["entities"][0]["type"] == "bot_command"
        r = await http.post(f"{base}/user_message", json={"user_id": 8, "chat_id": -5, "text": "hi group"})
        assert (await r.json())["result"]["chat"]["type"] == "supergroup"
        r = await http.get(f"{base}/update_times")
        assert all(t["fetched"] is None for t in (await r.json())["result"].values())
        [u1, u2] = await bot.get_updates(timeout=0)
        assert u1.message.text == "/start x" and u2.message.chat.id == -5
        r = await http.get(f"{base}/update_times", params={"update_id": str(u2.update_id)})
        [(key, record)] = (await r.json())["result"].items()
        assert int(key) == u2.update_id and record["fetched"] >= record["queued"]
        sent = await bot.send_message(7, "menu", reply_markup=kb(("Go", "go")))
        r = await http.get(f"{base}/sent", params={"chat_id": "7"})
        [rec] = (await r.json())["result"]
        assert rec["text"] == "menu" and rec["message_id"] == sent.message_id
        r = await http.post(
            f"{base}/press", json={"user_id": 7, "message_id": sent.message_id, "button_text": "Go"}
        )
        assert (await r.json())["result"]["callback_query_id"]
        r = await http.post(f"{base}/fail", json={"method": "sendMessage", "status": 429, "retry_after": 3})
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(7, "x")
        r = await http.get(
            f"{base}/wait_for", params={"chat_id": "7", "text_contains": "nope", "timeout": "0.1"}
        )
        assert r.status == 408
        r = await http.get(f"{base}/stats")
        assert (await r.json())["result"]["rejected_429"] == 1
        # raw Bot API over JSON body and form, case-insensitive method
        r = await http.post(f"{srv.base_url}/bot{TOKEN}/SENDMESSAGE", json={"chat_id": 7, "text": "json"})
        assert (await r.json())["result"]["text"] == "json"
        r = await http.post(
            f"{srv.base_url}/bot{TOKEN}/sendMessage",
            data={
                "chat_id": "7",
                "text": "form",
                "reply_markup": json.dumps({"inline_keyboard": [[{"text": "t"}]]}),
            },
        )
        assert r.status == 400 and (await r.json())["description"].startswith("Bad Request: text buttons")


async def test_wait_for_and_timeout_dump(srv: FakeBotAPI, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(42, "done: 3 tasks")

    mark = srv.mark()
    task = asyncio.create_task(later())
    s = await srv.wait_for(chat_id=42, text_contains="tasks", since=mark, timeout=2)
    await task
    assert s.text == "done: 3 tasks"
    with pytest.raises(TimeoutError, match="done: 3 tasks"):
        await srv.wait_for(lambda m: "never" in m.body, timeout=0.05)


def test_parse_html_utf16_offsets() -> None:
    text, ents = parse_html('👍 <i>中<a href="https://x.y">文</a></i>')
    assert text == "👍 中文"
    assert ents == [
        {"type": "italic", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 4, "length": 1, "url": "https://x.y"},
    ]


async def test_dispatcher_polling_echo(srv: FakeBotAPI, bot: Bot) -> None:
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(
        dp.start_polling(bot, polling_timeout=5, handle_signals=False, close_bot_session=False)
    )
    try:
        srv.send_text(42, "ping")
        s = await srv.wait_for(chat_id=42, text_contains="echo: ping", timeout=3)
        assert s.message["chat"]["id"] == 42
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 3)
    assert srv.stats["per_method"]["getUpdates"] >= 1


async def test_voice_and_video_both_ways(srv: FakeBotAPI, bot: Bot) -> None:
    srv.send_voice(42, b"OggS-1", duration=5)
    srv.send_video(42, b"MP4-1", filename="a.mp4", caption="现场")
    voice_msg, video_msg = [u.message for u in (await bot.get_updates(timeout=0))[-2:]]
    assert voice_msg.voice.duration == 5 and voice_msg.caption is None
    assert video_msg.video.file_name == "a.mp4" and video_msg.caption == "现场"
    data = await bot.download_file((await bot.get_file(voice_msg.voice.file_id)).file_path)
    assert data.read() == b"OggS-1"
    # Sent on by their ids, each as what it is; a voice is not a document.
    sent = await bot.send_voice(42, voice_msg.voice.file_id, caption="证明材料")
    assert sent.voice.file_id == voice_msg.voice.file_id and srv.sent[-1].method == "sendVoice"
    sent = await bot.send_video(42, video_msg.video.file_id)
    assert sent.video.file_id == video_msg.video.file_id and srv.sent[-1].method == "sendVideo"
    with pytest.raises(TelegramBadRequest, match="Voice as Document"):
        await bot.send_document(42, voice_msg.voice.file_id)
