"""FakeBotAPI: a local HTTP server speaking the subset of the Telegram Bot API Duban uses.

Test support only. It runs on aiohttp and is driven either from Python (same event loop)
or over HTTP under ``/_test/...`` (from another process or thread).

URL scheme (what ``TelegramAPIServer.from_base(base)`` produces)::

    {base}/bot{token}/{method}          Bot API calls (GET query, urlencoded, multipart or JSON body)
    {base}/file/bot{token}/{file_path}  file downloads (for files returned by getFile)
    {base}/_test/{action}               test control API (JSON in, JSON out)

In-process use::

    async with FakeBotAPI(token="123456:TEST") as srv:       # starts on 127.0.0.1, free port
        bot = Bot(srv.token, session=AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url)))
        srv.user(42, first_name="Li")
        srv.command(42, "/start")
        sent = await srv.wait_for(lambda m: m.chat_id == 42)

As a process (a human can point ``duban run`` at it)::

    python -m tests.botapi.server --port 8081 [--token 123456:TEST] [--no-rate-limits]
    TELEGRAM_API_BASE=http://127.0.0.1:8081 duban run
    curl -XPOST localhost:8081/_test/user_message -d '{"user_id": 42, "text": "/start"}'
    curl 'localhost:8081/_test/sent?chat_id=42'

Test control endpoints (all accept/return JSON; bytes go as ``content_b64`` or plain ``content``):

    POST /_test/user            {user_id, first_name?, username?, language_code?, started?}
    POST /_test/group           {chat_id, title?, type?}
    POST /_test/user_message    {user_id, text?, chat_id?, reply_to_message_id?, chat_type?,
                                 document?: {filename, content_b64|content, mime_type?}, caption?,
                                 photo?: {content_b64|content}, sticker?: {emoji?}}
                                 (text starting with "/" gets a bot_command entity)
    POST /_test/press           {user_id, message_id, chat_id?, data? | button_text?} -> {callback_query_id}
    POST /_test/raw_update      {...update...}          POST /_test/duplicate_last_update
    GET  /_test/sent?chat_id=&since=&with_bytes=1       GET /_test/message?chat_id=&message_id=
    GET  /_test/wait_for?chat_id=&text_contains=&since=&timeout=   (408 on timeout)
    GET  /_test/calls?method=   /_test/edits   /_test/callback_answers   /_test/commands
    GET  /_test/stats
    GET  /_test/update_times?update_id=   {update_id: {queued, fetched}} (time.monotonic(); fetched is
                                 null until a getUpdates returned it; without update_id: every update)
    POST /_test/fail            {method?, times?, status?, retry_after?, description?, chat_id?}
    POST /_test/block           {chat_id, blocked?: true}
    POST /_test/down            {seconds}
    POST /_test/limits          {enforce?, global_per_second?, private_per_second?, private_burst?,
                                 group_per_minute?}
    POST /_test/latency         {seconds}
    POST /_test/reset           (clear observations, faults and limiter state; keep users/chats/messages)

Behaviour notes (deliberately close to Telegram where it is cheap):

* Errors use Telegram's envelope ``{"ok": false, "error_code", "description", "parameters"}``:
  bad token -> 401 "Unauthorized"; unknown method -> 404 "Not Found"; unknown chat -> 400
  "Bad Request: chat not found"; empty text -> "Bad Request: message text is empty"; > 4096 chars
  -> "Bad Request: message is too long"; caption > 1024 -> "Bad Request: message caption is too long";
  callback_data empty or > 64 UTF-8 bytes -> "Bad Request: BUTTON_DATA_INVALID"; editing without a change
  -> "Bad Request: message is not modified: ..."; answering an unknown/already answered callback query ->
  "Bad Request: query is too old and response timeout expired or query ID is invalid".
* ``parse_mode=HTML`` is parsed like Telegram does: tags are stripped from ``text`` and turned into
  ``entities`` (UTF-16 offsets); unsupported or unbalanced tags (including a bare ``<``) give
  "Bad Request: can't parse entities: ...". The raw text is kept in ``Sent.raw_text``. Markdown modes
  are stored verbatim (not parsed).
* Message ids increase per chat and are shared by user and bot messages in that chat.
* ``editMessageText`` without ``reply_markup`` removes the inline keyboard (as Telegram does).
* Concurrent ``getUpdates``: a new call terminates a still-waiting older one with 409 Conflict.
* Webhooks: after ``setWebhook`` (url, secret_token?) queued updates are POSTed to the url one at a
  time, in order, with ``X-Telegram-Bot-Api-Secret-Token``; an update not answered 200 is delivered
  again after ``webhook_retry_delay`` seconds (as Telegram does). ``getUpdates`` then gets 409
  "Conflict: can't use getUpdates method while webhook is active". ``deleteWebhook`` stops delivery.
  Every attempt is recorded in ``srv.webhook_attempts`` (update_id, status or exception name).
  Several instances behind one URL: ``srv.webhook_backends = [url1, url2, ...]`` makes the server
  play the load balancer too: each delivery goes to the next backend in turn (round robin; one that
  refuses or fails is simply skipped by the next attempt, which goes to the next backend), and
  ``srv.webhook_connections`` (default 1; capped by setWebhook's ``max_connections``) updates are
  in flight at once, the oldest not in flight first. ``srv.webhook_log`` records each attempt as
  (update_id, backend url, status, time.monotonic() when answered); ``srv.webhook_delivering`` maps
  the updates whose POST is open to their backend. A setWebhook with the same url
  and secret as the registered one (the second instance starting) keeps delivery going.

Rate limits (``srv.limits``, a ``RateLimits``; enforced by default; only message-producing sends
count: sendMessage, sendDocument, sendPhoto, sendSticker; rejected sends do not consume quota):

* global: at most ``global_per_second`` (30) accepted sends in any sliding 1.0 s window;
* private chat (chat_id > 0): token bucket per chat, refill ``private_per_second`` (1.0) tokens/s,
  capacity ``private_burst`` (5): a burst of 5 is fine, sustained rate is 1 msg/s;
* group chat (chat_id < 0): at most ``group_per_minute`` (20) accepted sends in any sliding 60 s window.

A rejected send gets 429 "Too Many Requests: retry after N" with ``parameters.retry_after = N``
(N = whole seconds until the send would be accepted, at least 1).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import contextlib
import functools
import itertools
import json
import math
import mimetypes
import re
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from aiohttp import web

__all__ = [
    "ApiError",
    "CallRecord",
    "CallbackAnswer",
    "EditRecord",
    "FakeBotAPI",
    "RateLimits",
    "Sent",
    "UpdateTimes",
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_UPLOAD = 50 * 1024 * 1024
MAX_GETFILE = 20 * 1024 * 1024

# Methods that produce a message and therefore count against rate limits.
RATE_LIMITED = {"sendmessage", "senddocument", "sendphoto", "sendsticker"}
# Parameters that arrive JSON-encoded inside form data.
JSON_FIELDS = (
    "reply_markup",
    "entities",
    "caption_entities",
    "reply_parameters",
    "commands",
    "scope",
    "allowed_updates",
    "link_preview_options",
    "menu_button",
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
BAD_QUERY = "query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def too_many(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def u16len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- records


class _Item:
    """Records support both attribute and item access (``rec.text`` and ``rec["text"]``)."""

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def to_json(self, with_bytes: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, bytes):
                out[f.name + "_size"] = len(v)
                if with_bytes:
                    out[f.name + "_b64"] = base64.b64encode(v).decode()
                continue
            out[f.name] = v
        return out


@dataclass
class Sent(_Item):
    """A message the bot sent (one successful sendMessage/sendDocument/sendPhoto/sendVoice/sendVideo/sendSticker)."""

    method: str
    chat_id: int
    message_id: int
    time: float  # time.monotonic() when accepted
    message: dict[str, Any]  # the Message object returned to the bot (as sent, not updated by edits)
    text: str | None = None  # plain text after parse_mode processing
    raw_text: str | None = None  # text exactly as the bot sent it
    parse_mode: str | None = None
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None  # as sent (any keyboard type)
    reply_to_message_id: int | None = None
    document_name: str | None = None
    document_bytes: bytes | None = None
    photo_bytes: bytes | None = None
    file_id: str | None = None

    @property
    def body(self) -> str:
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        return list((self.reply_markup or {}).get("inline_keyboard") or [])

    @property
    def button_texts(self) -> list[str]:
        return [b.get("text", "") for row in self.buttons for b in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


@dataclass
class EditRecord(_Item):
    method: str
    chat_id: int
    message_id: int
    time: float
    message: dict[str, Any]  # message state after the edit
    text: str | None = None
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None


@dataclass
class CallbackAnswer(_Item):
    callback_query_id: str
    time: float
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None
    user_id: int | None = None
    chat_id: int | None = None
    message_id: int | None = None
    data: Any = None


@dataclass
class CallRecord(_Item):
    method: str
    time: float
    status: int = 200
    chat_id: Any = None
    description: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RateLimits:
    """Rate limit rules; see the module docstring. Mutate fields freely at runtime."""

    enforce: bool = True
    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 5
    group_per_minute: int = 20


class _Limiter:
    def __init__(self, cfg: RateLimits) -> None:
        self.cfg = cfg
        self.reset()

    def reset(self) -> None:
        self.global_times: deque[float] = deque()
        self.private: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)
        self.groups: dict[int, deque[float]] = {}

    def check(self, chat_id: int, now: float) -> int | None:
        """Return retry_after if the send must be rejected, else record it and return None."""
        cfg = self.cfg
        if not cfg.enforce:
            return None
        waits: list[float] = []
        g = self.global_times
        while g and g[0] <= now - 1.0:
            g.popleft()
        if len(g) >= cfg.global_per_second:
            waits.append(g[0] + 1.0 - now)
        tokens = 0.0
        if chat_id > 0:
            tokens, at = self.private.get(chat_id, (float(cfg.private_burst), now))
            tokens = min(float(cfg.private_burst), tokens + (now - at) * cfg.private_per_second)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / cfg.private_per_second)
        else:
            dq = self.groups.setdefault(chat_id, deque())
            while dq and dq[0] <= now - 60.0:
                dq.popleft()
            if len(dq) >= cfg.group_per_minute:
                waits.append(dq[0] + 60.0 - now)
        if waits:
            return max(1, math.ceil(max(waits)))
        g.append(now)
        if chat_id > 0:
            self.private[chat_id] = (tokens - 1.0, now)
        else:
            self.groups[chat_id].append(now)
        return None


@dataclass
class _Upload:
    filename: str
    content: bytes
    content_type: str | None = None


@dataclass
class _Pending:
    update: dict[str, Any]
    forced: bool = False  # duplicates: delivered once regardless of offset
    delivered: bool = False


@dataclass
class UpdateTimes(_Item):
    """When an update became available to getUpdates and when a getUpdates first returned it
    (time.monotonic(), the clock of ``Sent.time``): benchmarks measure the bot's answer from these."""

    update_id: int
    queued: float
    fetched: float | None = None


# --------------------------------------------------------------------------- HTML parse_mode

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _attr(attrs: str, name: str) -> str | None:
    m = re.search(name + r"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", attrs)
    if not m:
        return None
    return next(g for g in m.groups() if g is not None)


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Strip Telegram-HTML markup; return (plain text, entities). Raises ApiError like Telegram."""
    out: list[str] = []
    pos = 0  # UTF-16 position in output
    stack: list[tuple[str, int, str]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "<":
            boff = len(src[:i].encode())
            if not src.startswith("/", i + 1):
                m = re.match(r"[a-zA-Z0-9-]*", src[i + 1 :])
                name = m.group(0).lower() if m else ""
                if name not in _HTML_TAGS:
                    raise bad(f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {boff}')
            j = src.find(">", i)
            if j == -1:
                raise bad(f"can't parse entities: Unclosed start tag at byte offset {boff}")
            inner = src[i + 1 : j]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise bad(f"can't parse entities: Unexpected end tag at byte offset {boff}")
                top, start, attrs = stack.pop()
                if name != top:
                    raise bad(
                        f'can\'t parse entities: Unmatched end tag at byte offset {boff}, expected "</{top}>", found "</{name}>"'
                    )
                if pos > start:
                    ent: dict[str, Any] = {"type": _HTML_TAGS[top], "offset": start, "length": pos - start}
                    if top == "a":
                        href = _attr(attrs, "href")
                        if href is None:
                            ent = {}
                        else:
                            ent["url"] = href
                    elif top == "blockquote" and re.search(r"\bexpandable\b", attrs):
                        ent["type"] = "expandable_blockquote"
                    elif top == "tg-emoji":
                        ent["custom_emoji_id"] = _attr(attrs, "emoji-id") or ""
                    elif top == "code":
                        lang = _attr(attrs, "class")
                        if lang and lang.startswith("language-") and stack and stack[-1][0] == "pre":
                            ent = {}
                            stack[-1] = ("pre", stack[-1][1], stack[-1][2] + f' language="{lang[9:]}"')
                    elif top == "pre":
                        lang = _attr(attrs, "language")
                        if lang:
                            ent["language"] = lang
                    if ent:
                        entities.append(ent)
            else:
                m = re.match(r"([a-zA-Z0-9-]*)(.*)$", inner, re.S)
                assert m is not None
                name, attrs = m.group(1).lower(), m.group(2)
                if name not in _HTML_TAGS:
                    raise bad(f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {boff}')
                if name == "span" and _attr(attrs, "class") != "tg-spoiler":
                    raise bad('can\'t parse entities: Tag "span" must have class "tg-spoiler"')
                stack.append((name, pos, attrs))
            i = j + 1
            continue
        if c == "&":
            m = _HTML_ENTITY.match(src, i)
            if m:
                ref = m.group(1)
                if ref.startswith("#x"):
                    ch = chr(int(ref[2:], 16))
                elif ref.startswith("#"):
                    ch = chr(int(ref[1:]))
                else:
                    ch = _NAMED[ref]
                out.append(ch)
                pos += u16len(ch)
                i = m.end()
                continue
        out.append(c)
        pos += u16len(c)
        i += 1
    if stack:
        raise bad(f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1][0]}\"")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _image_size(data: bytes) -> tuple[int, int]:
    """Width/height for PNG and JPEG; (0, 0) if unknown."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            w, h = struct.unpack(">II", data[16:24])
            return w, h
        if data[:2] == b"\xff\xd8":
            i = 2
            while i < len(data) - 9:
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                seg = struct.unpack(">H", data[i + 2 : i + 4])[0]
                if marker in (0xC0, 0xC1, 0xC2):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return w, h
                i += 2 + seg
    except (struct.error, IndexError):
        pass
    return 0, 0


# --------------------------------------------------------------------------- the server


def _threadsafe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run the (sync) method inside the server loop when called from a foreign thread."""

    @functools.wraps(fn)
    def wrapper(self: FakeBotAPI, *args: Any, **kwargs: Any) -> Any:
        loop = self._loop
        if loop is None or not loop.is_running() or threading.get_ident() == self._loop_thread:
            return fn(self, *args, **kwargs)
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            try:
                fut.set_result(fn(self, *args, **kwargs))
            except BaseException as e:
                fut.set_exception(e)

        loop.call_soon_threadsafe(run)
        return fut.result(timeout=30)

    return wrapper


class FakeBotAPI:
    """Fake Telegram Bot API server. See the module docstring for the full description."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "duban_test_bot",
        bot_first_name: str = "Duban Test",
        limits: RateLimits | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.limits = limits or RateLimits()
        self._limiter = _Limiter(self.limits)
        self.latency = 0.0  # seconds added to every Bot API call

        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self._started: dict[int, bool] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._next_mid: dict[int, int] = {}
        self._files: dict[str, dict[str, Any]] = {}  # file_id -> record
        self._files_by_path: dict[str, dict[str, Any]] = {}
        self._file_seq = itertools.count(1)
        self._cbq_seq = itertools.count(1)
        self._callback_queries: dict[str, dict[str, Any]] = {}

        self._pending: list[_Pending] = []
        self.update_times: dict[int, UpdateTimes] = {}
        self._next_update_id = 1
        self._last_update: dict[str, Any] | None = None
        self._update_event = asyncio.Event()
        self._poll_gen = 0

        self.sent: list[Sent] = []
        self.edits: list[EditRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.calls: list[CallRecord] = []
        self.commands: dict[tuple[str, Any, Any, str], list[dict[str, Any]]] = {}
        self._faults: list[dict[str, Any]] = []
        self._blocked: set[int] = set()
        self._down_until = 0.0
        self._per_method: Counter[str] = Counter()
        self._errors: Counter[int] = Counter()
        self._rate_limited = 0
        self._injected = 0
        self._conflicts = 0

        self.webhook: dict[str, Any] | None = None  # {"url", "secret_token", "allowed_updates"}
        self.webhook_retry_delay = 0.5
        self.webhook_attempts: list[tuple[int, int | str]] = []
        self.webhook_backends: list[str] | None = None  # the load balancer's targets; None: the url
        self.webhook_connections = 1
        self.webhook_log: list[tuple[int, str, int | str, float]] = []
        self.webhook_delivering: dict[int, str] = {}  # update_id -> backend, while its POST is open
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_turn = itertools.count()
        self._in_flight: set[int] = set()  # id() of the _Pending being delivered

        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.host = "127.0.0.1"
        self.port = 0

        self._api: dict[str, tuple[str, Callable[..., Any]]] = {}
        for attr in dir(self):
            if attr.startswith("_api_"):
                canonical = attr[5:]
                self._api[canonical.lower()] = (canonical, getattr(self, attr))

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stopping = False
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/_test/{action}", self._handle_test)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = host
        self.port = self._runner.addresses[0][1]
        return self.base_url

    async def stop(self) -> None:
        self._stopping = True
        self._wake()
        await self._stop_webhook_delivery()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _wake(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running() and threading.get_ident() != self._loop_thread:
            loop.call_soon_threadsafe(self._wake)
            return
        self._update_event.set()
        self._update_event = asyncio.Event()

    # ------------------------------------------------------------------ users & chats

    @_threadsafe
    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        last_name: str | None = None,
        started: bool = True,
    ) -> dict[str, Any]:
        """Register a user (and their private chat, chat_id == user_id). ``started=False``: the bot
        gets 403 "bot can't initiate conversation" until the user writes to it."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        u: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
        if last_name:
            u["last_name"] = last_name
        if username:
            u["username"] = username
        if language_code:
            u["language_code"] = language_code
        self.users[user_id] = u
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": u["first_name"]}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        self.chats[user_id] = chat
        self._started[user_id] = started
        return u

    @_threadsafe
    def group(
        self, chat_id: int, title: str | None = None, type: str = "supergroup", username: str | None = None
    ) -> dict[str, Any]:
        """Register a group chat (chat_id must be negative)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat: dict[str, Any] = {"id": chat_id, "type": type, "title": title or f"Group {chat_id}"}
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def _ensure_user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.users:
            self.user(user_id)
        return self.users[user_id]

    def _user_chat(self, user_id: int, chat_id: int | None, chat_type: str | None = None) -> dict[str, Any]:
        self._ensure_user(user_id)
        if chat_id is None or chat_id == user_id:
            self._started[user_id] = True
            return self.chats[user_id]
        if chat_id > 0:
            raise ValueError(f"user {user_id} cannot write in the private chat {chat_id}")
        if chat_id not in self.chats:
            self.group(chat_id, type=chat_type or "supergroup")
        return self.chats[chat_id]

    # ------------------------------------------------------------------ messages store

    def _new_message(self, chat: dict[str, Any], sender: dict[str, Any], **extra: Any) -> dict[str, Any]:
        cid = chat["id"]
        mid = self._next_mid.get(cid, 0) + 1
        self._next_mid[cid] = mid
        msg: dict[str, Any] = {
            "message_id": mid,
            "date": int(time.time()),
            "chat": dict(chat),
            "from": dict(sender),
        }
        msg.update({k: v for k, v in extra.items() if v is not None})
        self._messages[(cid, mid)] = msg
        return msg

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Current state of a message (after edits); None if unknown or deleted."""
        return self._messages.get((chat_id, message_id))

    def _resolve_ref(self, message: Any, chat_id: int | None) -> tuple[int, int]:
        if isinstance(message, Sent):
            return message.chat_id, message.message_id
        if isinstance(message, dict):
            return message["chat"]["id"], message["message_id"]
        if isinstance(message, int):
            if chat_id is None:
                raise ValueError("chat_id is required when the message is given by id")
            return chat_id, message
        raise TypeError(f"cannot resolve message from {message!r}")

    @staticmethod
    def _shallow(msg: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in msg.items() if k != "reply_to_message"}

    def _reply_obj(self, chat_id: int, reply_to: Any) -> dict[str, Any] | None:
        if reply_to is None:
            return None
        cid, mid = self._resolve_ref(reply_to, chat_id)
        ref = self._messages.get((cid, mid)) if cid == chat_id else None
        if ref is None:
            raise ValueError(f"message {mid} does not exist in chat {chat_id}")
        return self._shallow(ref)

    # ------------------------------------------------------------------ updates

    def _enqueue(self, update: dict[str, Any], forced: bool = False) -> dict[str, Any]:
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self._pending.append(_Pending(update, forced=forced))
        self.update_times.setdefault(update["update_id"], UpdateTimes(update["update_id"], time.monotonic()))
        self._last_update = update
        self._wake()
        return update

    def _user_message(
        self, user_id: int, chat_id: int | None, reply_to: Any, **content: Any
    ) -> dict[str, Any]:
        chat = self._user_chat(user_id, chat_id)
        reply = self._reply_obj(chat["id"], reply_to)
        msg = self._new_message(chat, self.users[user_id], reply_to_message=reply, **content)
        self._enqueue({"message": msg})
        return msg

    @_threadsafe
    def send_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to: Any = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The user writes ``text`` (private chat unless chat_id). ``reply_to``: message id / dict / Sent
        of a message in that chat. Returns the Message dict delivered in the update."""
        return self._user_message(user_id, chat_id, reply_to, text=text, entities=entities)

    @_threadsafe
    def command(
        self, user_id: int, text: str, chat_id: int | None = None, reply_to: Any = None
    ) -> dict[str, Any]:
        """The user sends a command such as ``"/start abc"`` (with a proper bot_command entity)."""
        if not text.startswith("/"):
            raise ValueError("commands start with '/'")
        cmd = text.split(maxsplit=1)[0]
        ents = [{"type": "bot_command", "offset": 0, "length": u16len(cmd)}]
        return self._user_message(user_id, chat_id, reply_to, text=text, entities=ents)

    def _store_file(
        self, content: bytes, filename: str | None, kind: str, mime_type: str | None = None
    ) -> dict[str, Any]:
        n = next(self._file_seq)
        prefix = {
            "documents": "BQAC",
            "photos": "AgAC",
            "stickers": "CAAC",
            "voices": "AwAC",
            "videos": "BAAC",
        }.get(kind, "BQAC")
        ext = ""
        if filename and "." in filename:
            ext = "." + filename.rsplit(".", 1)[1]
        elif kind == "photos":
            ext = ".jpg"
        elif kind == "stickers":
            ext = ".webp"
        rec = {
            "file_id": f"{prefix}fake{n:06d}",
            "file_unique_id": f"uniq{n:06d}",
            "file_path": f"{kind}/file_{n}{ext}",
            "file_name": filename,
            "mime_type": mime_type or (mimetypes.guess_type(filename)[0] if filename else None),
            "content": content,
            "file_size": len(content),
        }
        self._files[rec["file_id"]] = rec
        self._files_by_path[rec["file_path"]] = rec
        return rec

    @staticmethod
    def _document_obj(rec: dict[str, Any]) -> dict[str, Any]:
        doc = {k: rec[k] for k in ("file_id", "file_unique_id", "file_size")}
        if rec.get("file_name"):
            doc["file_name"] = rec["file_name"]
        if rec.get("mime_type"):
            doc["mime_type"] = rec["mime_type"]
        return doc

    @staticmethod
    def _photo_obj(rec: dict[str, Any]) -> list[dict[str, Any]]:
        w, h = _image_size(rec["content"])
        return [{k: rec[k] for k in ("file_id", "file_unique_id", "file_size")} | {"width": w, "height": h}]

    @_threadsafe
    def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: Any = None,
        mime_type: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a file. ``getFile`` + download work for it."""
        rec = self._store_file(content, filename, "documents", mime_type)
        return self._user_message(
            user_id, chat_id, reply_to, document=self._document_obj(rec), caption=caption
        )

    @_threadsafe
    def send_photo(
        self,
        user_id: int,
        content: bytes,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: Any = None,
    ) -> dict[str, Any]:
        rec = self._store_file(content, None, "photos", "image/jpeg")
        return self._user_message(user_id, chat_id, reply_to, photo=self._photo_obj(rec), caption=caption)

    @_threadsafe
    def send_voice(
        self,
        user_id: int,
        content: bytes = b"OggS-voice",
        duration: int = 4,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: Any = None,
    ) -> dict[str, Any]:
        """The user sends a voice message (recorded in the app: no file name)."""
        rec = self._store_file(content, None, "voices", "audio/ogg")
        return self._user_message(
            user_id, chat_id, reply_to, voice=self._voice_obj(rec, duration), caption=caption
        )

    @_threadsafe
    def send_video(
        self,
        user_id: int,
        content: bytes = b"MP4-video",
        filename: str | None = "site.mp4",
        duration: int = 12,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: Any = None,
    ) -> dict[str, Any]:
        rec = self._store_file(content, filename, "videos", "video/mp4")
        return self._user_message(
            user_id, chat_id, reply_to, video=self._video_obj(rec, duration), caption=caption
        )

    @staticmethod
    def _voice_obj(rec: dict[str, Any], duration: int = 4) -> dict[str, Any]:
        return {k: rec[k] for k in ("file_id", "file_unique_id", "file_size")} | {
            "duration": duration,
            "mime_type": rec.get("mime_type") or "audio/ogg",
        }

    @staticmethod
    def _video_obj(rec: dict[str, Any], duration: int = 12) -> dict[str, Any]:
        video = {k: rec[k] for k in ("file_id", "file_unique_id", "file_size")} | {
            "width": 1280,
            "height": 720,
            "duration": duration,
            "mime_type": rec.get("mime_type") or "video/mp4",
        }
        if rec.get("file_name"):
            video["file_name"] = rec["file_name"]
        return video

    @_threadsafe
    def send_sticker(
        self, user_id: int, emoji: str = "👍", chat_id: int | None = None, reply_to: Any = None
    ) -> dict[str, Any]:
        rec = self._store_file(b"RIFF\x00\x00\x00\x00WEBP", None, "stickers", "image/webp")
        sticker = {
            "file_id": rec["file_id"],
            "file_unique_id": rec["file_unique_id"],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": rec["file_size"],
        }
        return self._user_message(user_id, chat_id, reply_to, sticker=sticker)

    @_threadsafe
    def press(self, user_id: int, message: Any, data: Any, chat_id: int | None = None) -> str:
        """The user presses a button with callback ``data`` (anything: forged data is delivered as is)
        on ``message`` (Sent / Message dict / message id + chat_id; private chat by default).
        Returns the callback_query id."""
        self._ensure_user(user_id)
        if isinstance(message, int) and chat_id is None:
            chat_id = user_id
        cid, mid = self._resolve_ref(message, chat_id)
        current = self._messages.get((cid, mid))
        if current is None:
            raise ValueError(f"message {mid} does not exist in chat {cid}")
        qid = f"{self.bot_id}{next(self._cbq_seq):08d}"
        cq = {
            "id": qid,
            "from": self.users[user_id],
            "message": json.loads(json.dumps(current)),
            "chat_instance": str(abs(hash((cid, self.bot_id)))),
            "data": data,
        }
        self._callback_queries[qid] = {
            "answered": False,
            "user_id": user_id,
            "chat_id": cid,
            "message_id": mid,
            "data": data,
        }
        self._enqueue({"callback_query": cq})
        return qid

    @_threadsafe
    def press_button(self, user_id: int, message: Any, text_contains: str, chat_id: int | None = None) -> str:
        """Press the first button whose text contains ``text_contains`` in the message's CURRENT inline
        keyboard. Raises LookupError (listing the buttons) if there is none."""
        if isinstance(message, int) and chat_id is None:
            chat_id = user_id
        cid, mid = self._resolve_ref(message, chat_id)
        current = self._messages.get((cid, mid))
        if current is None:
            raise ValueError(f"message {mid} does not exist in chat {cid}")
        rows = (current.get("reply_markup") or {}).get("inline_keyboard") or []
        for row in rows:
            for b in row:
                if text_contains in b.get("text", ""):
                    if "callback_data" not in b:
                        raise ValueError(f"button {b!r} has no callback_data")
                    return self.press(user_id, mid, b["callback_data"], chat_id=cid)
        texts = [b.get("text") for row in rows for b in row]
        raise LookupError(
            f"no button containing {text_contains!r} in message {mid} of chat {cid}; buttons: {texts}"
        )

    @_threadsafe
    def inject_raw_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver an arbitrary update dict (update_id is assigned if missing)."""
        return self._enqueue(dict(update))

    @_threadsafe
    def duplicate_last_update(self) -> dict[str, Any]:
        """Deliver the last update again with the SAME update_id (even if already confirmed)."""
        if self._last_update is None:
            raise LookupError("no update to duplicate")
        dup = json.loads(json.dumps(self._last_update))
        self._pending.append(_Pending(dup, forced=True))
        self._wake()
        return dup

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return [p.update for p in self._pending]

    def take_updates(self) -> list[dict[str, Any]]:
        """Removes and returns the queued updates, for tests that feed a Dispatcher directly."""
        taken = [p.update for p in self._pending]
        self._pending.clear()
        return taken

    # ------------------------------------------------------------------ observation

    def messages_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def last_sent(self, chat_id: int | None = None) -> Sent | None:
        for s in reversed(self.sent):
            if chat_id is None or s.chat_id == chat_id:
                return s
        return None

    def mark(self) -> int:
        """Index to pass as ``since=`` to wait_for so only later messages match."""
        return len(self.sent)

    def get_commands(
        self, scope: str = "default", language_code: str = "", chat_id: Any = None, user_id: Any = None
    ) -> list[dict[str, Any]] | None:
        return self.commands.get((scope, chat_id, user_id, language_code))

    @property
    def stats(self) -> dict[str, Any]:
        return {
            "sent": len(self.sent),
            "rejected_429": self._errors.get(429, 0),
            "rate_limited": self._rate_limited,
            "injected": self._injected,
            "conflicts_409": self._conflicts,
            "calls": sum(self._per_method.values()),
            "per_method": dict(self._per_method),
            "errors": dict(self._errors),
        }

    def dump(self, last: int = 20) -> str:
        lines = [f"{len(self.sent)} message(s) sent; last {min(last, len(self.sent))}:"]
        for s in self.sent[-last:]:
            body = s.body.replace("\n", "\\n")
            lines.append(
                f"  chat={s.chat_id} id={s.message_id} {s.method}: {body[:100]!r} buttons={s.button_texts}"
            )
        return "\n".join(lines)

    async def wait_for(
        self,
        predicate: Callable[[Sent], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the requested API
        *,
        chat_id: int | None = None,
        text_contains: str | None = None,
        since: int | None = None,
    ) -> Sent:
        """Wait until a sent message (index >= since) matches all given conditions; return it.
        ``text_contains`` checks text or caption. Raises TimeoutError with a dump of what was sent."""

        def ok(s: Sent) -> bool:
            if chat_id is not None and s.chat_id != chat_id:
                return False
            if text_contains is not None and text_contains not in s.body:
                return False
            return predicate is None or bool(predicate(s))

        deadline = time.monotonic() + timeout
        i = since or 0
        while True:
            while i < len(self.sent):
                s = self.sent[i]
                i += 1
                if ok(s):
                    return s
            if time.monotonic() >= deadline:
                conds = (
                    f"chat_id={chat_id} text_contains={text_contains!r} predicate={predicate} since={since}"
                )
                raise TimeoutError(f"no sent message matched within {timeout}s ({conds})\n{self.dump()}")
            await asyncio.sleep(0.01)

    async def wait_until(
        self,
        condition: Callable[[], Any],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> Any:
        """Wait until ``condition()`` is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = condition()
            if v:
                return v
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition {condition} not met within {timeout}s\n{self.dump()}")
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ fault injection

    @_threadsafe
    def fail_next(
        self,
        method: str | None = "sendMessage",
        times: int = 1,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (None or "*": any method; optionally only for
        ``chat_id``) fail with ``status``. retry_after is only sent with 429."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
                400: "Bad Request: injected failure",
                403: "Forbidden: bot was blocked by the user",
                409: "Conflict: terminated by other getUpdates request",
            }.get(status, f"Injected error {status}")
        self._faults.append(
            {
                "method": None if method in (None, "*") else method.lower(),
                "remaining": times,
                "status": status,
                "retry_after": retry_after if status == 429 else None,
                "description": description,
                "chat_id": chat_id,
            }
        )

    @_threadsafe
    def block_chat(self, chat_id: int, blocked: bool = True) -> None:
        """Sends/edits to chat_id get 403 (user blocked the bot / bot kicked from group)."""
        if blocked:
            self._blocked.add(chat_id)
        else:
            self._blocked.discard(chat_id)

    @_threadsafe
    def down(self, seconds: float) -> None:
        """Answer 502 Bad Gateway to every Bot API call for ``seconds``."""
        self._down_until = time.monotonic() + seconds

    @_threadsafe
    def reset(self) -> None:
        """Clear observations, faults, blocks, outage and limiter state (users/chats/messages stay)."""
        self.sent.clear()
        self.edits.clear()
        self.callback_answers.clear()
        self.calls.clear()
        self.update_times.clear()
        self._faults.clear()
        self._blocked.clear()
        self._down_until = 0.0
        self._per_method.clear()
        self._errors.clear()
        self._rate_limited = self._injected = self._conflicts = 0
        self._limiter.reset()

    def _maybe_inject(self, mkey: str, params: dict[str, Any]) -> None:
        chat = params.get("chat_id")
        for f in self._faults:
            if f["remaining"] <= 0 or (f["method"] is not None and f["method"] != mkey):
                continue
            if f["chat_id"] is not None and str(f["chat_id"]) != str(chat):
                continue
            f["remaining"] -= 1
            self._faults = [x for x in self._faults if x["remaining"] > 0]
            self._injected += 1
            raise ApiError(f["status"], f["description"], f["retry_after"])

    # ------------------------------------------------------------------ HTTP plumbing

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, _Upload]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, _Upload] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad("can't parse JSON body") from None
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                for k, v in form.items():
                    if isinstance(v, web.FileField):
                        files[k] = _Upload(v.filename, v.file.read(), v.content_type)
                    else:
                        params[k] = v
        for k in JSON_FIELDS:
            v = params.get(k)
            if isinstance(v, str):
                try:
                    params[k] = json.loads(v)
                except ValueError:
                    raise bad(f"can't parse {k} JSON object") from None
        return params, files

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        mkey = method.lower()
        canonical = self._api.get(mkey, (method, None))[0]
        rec = CallRecord(method=canonical, time=time.monotonic())
        self.calls.append(rec)
        self._per_method[canonical] += 1
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if self.latency:
                await asyncio.sleep(self.latency)
            if time.monotonic() < self._down_until:
                raise ApiError(502, "Bad Gateway")
            params, files = await self._read_params(request)
            rec.params = params
            rec.chat_id = params.get("chat_id")
            self._maybe_inject(mkey, params)
            entry = self._api.get(mkey)
            if entry is None:
                raise ApiError(404, "Not Found")
            result = entry[1](params, files)
            if asyncio.iscoroutine(result):
                result = await result
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as e:
            status, body = e.status, e.body()
            rec.description = e.description
            self._errors[status] += 1
        rec.status = status
        return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _handle_file(self, request: web.Request) -> web.Response:
        rec = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        if rec is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(
            body=rec["content"], content_type=rec.get("mime_type") or "application/octet-stream"
        )

    # ------------------------------------------------------------------ param helpers

    @staticmethod
    def _int(p: dict[str, Any], name: str, required: bool = True) -> int | None:
        v = p.get(name)
        if v in (None, ""):
            if required:
                raise bad(f"{name} is empty")
            return None
        try:
            return int(v)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    @staticmethod
    def _bool(p: dict[str, Any], name: str) -> bool:
        v = p.get(name)
        return v is True or (isinstance(v, str) and v.lower() in ("true", "1"))

    def _chat(self, p: dict[str, Any]) -> dict[str, Any]:
        v = p.get("chat_id")
        if v in (None, ""):
            raise bad("chat_id is empty")
        if isinstance(v, str) and v.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username", "").lower() == v[1:].lower():
                    return chat
            raise bad("chat not found")
        try:
            cid = int(v)
        except (TypeError, ValueError):
            raise bad("chat not found") from None
        chat = self.chats.get(cid)
        if chat is None:
            raise bad("chat not found")
        return chat

    def _check_can_send(self, chat: dict[str, Any]) -> None:
        cid = chat["id"]
        if cid in self._blocked:
            if cid > 0:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        if cid > 0 and not self._started.get(cid, True):
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _rate_limit(self, chat_id: int) -> None:
        retry = self._limiter.check(chat_id, time.monotonic())
        if retry is not None:
            self._rate_limited += 1
            raise too_many(retry)

    @staticmethod
    def _format(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[dict[str, Any]] | None]:
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            plain, ents = parse_html(text)
            return plain, ents or None
        if isinstance(entities, list) and entities:
            return text, entities
        return text, None

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            for row in rows:
                for b in row:
                    if not isinstance(b, dict) or not isinstance(b.get("text"), str):
                        raise bad("can't parse inline keyboard button: Text must be a String")
                    if "callback_data" in b:
                        data = b["callback_data"]
                        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                            raise bad("BUTTON_DATA_INVALID")
                    elif "url" in b:
                        if not re.match(r"^(https?|tg)://", str(b["url"])):
                            raise bad("BUTTON_URL_INVALID")
                    elif not (set(b) - {"text"}):
                        raise bad("text buttons are unallowed in the inline keyboard")
        return markup

    def _reply_to(self, chat_id: int, p: dict[str, Any]) -> dict[str, Any] | None:
        rp = p.get("reply_parameters")
        allow = self._bool(p, "allow_sending_without_reply")
        if isinstance(rp, dict) and rp.get("message_id") is not None:
            mid = int(rp["message_id"])
            ref_chat = int(rp.get("chat_id") or chat_id)
            allow = allow or bool(rp.get("allow_sending_without_reply"))
        else:
            mid_opt = self._int(p, "reply_to_message_id", required=False)
            if mid_opt is None:
                return None
            mid, ref_chat = mid_opt, chat_id
        ref = self._messages.get((ref_chat, mid))
        if ref is None:
            if allow:
                return None
            raise bad("message to be replied not found")
        return self._shallow(ref)

    def _caption(self, p: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None]:
        cap = p.get("caption")
        if not cap:
            return None, None
        plain, ents = self._format(cap, p.get("parse_mode"), p.get("caption_entities"))
        if len(plain) > MAX_CAPTION:
            raise bad("message caption is too long")
        return plain, ents

    def _input_file(
        self, p: dict[str, Any], files: dict[str, _Upload], name: str, kind: str
    ) -> tuple[dict[str, Any], bool]:
        """Return (file record, uploaded?)."""
        up = files.get(name)
        v = p.get(name)
        if up is None and isinstance(v, str) and v.startswith("attach://"):
            up = files.get(v[9:])
            if up is None:
                raise bad(f"there is no {name} in the request")
        if up is not None:
            if not up.content:
                raise bad("file must be non-empty")
            return self._store_file(up.content, up.filename, kind, up.content_type), True
        if not v:
            raise bad(f"there is no {name} in the request")
        if v in self._files:
            return self._files[v], False
        if re.match(r"^https?://", v):
            return self._store_file(b"", v.rsplit("/", 1)[-1] or None, kind), False
        raise bad("wrong file identifier/HTTP URL specified")

    def _record_sent(self, method: str, msg: dict[str, Any], **kw: Any) -> None:
        reply = msg.get("reply_to_message")
        self.sent.append(
            Sent(
                method=method,
                chat_id=msg["chat"]["id"],
                message_id=msg["message_id"],
                time=time.monotonic(),
                message=json.loads(json.dumps(msg)),
                reply_to_message_id=reply["message_id"] if reply else None,
                **kw,
            )
        )

    @staticmethod
    def _inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
        return markup if markup and "inline_keyboard" in markup else None

    def _editable(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("inline_message_id"):
            raise bad("inline messages are not supported by FakeBotAPI")
        chat = self._chat(p)
        mid = self._int(p, "message_id")
        msg = self._messages.get((chat["id"], mid))  # type: ignore[arg-type]
        if msg is None:
            raise bad("message to edit not found")
        if msg["from"]["id"] != self.bot_id:
            raise bad("message can't be edited")
        self._check_can_send(chat)
        return msg

    def _record_edit(self, method: str, msg: dict[str, Any]) -> None:
        self.edits.append(
            EditRecord(
                method=method,
                chat_id=msg["chat"]["id"],
                message_id=msg["message_id"],
                time=time.monotonic(),
                message=json.loads(json.dumps(msg)),
                text=msg.get("text"),
                caption=msg.get("caption"),
                reply_markup=msg.get("reply_markup"),
            )
        )

    # ------------------------------------------------------------------ Bot API methods

    def _api_getMe(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, p: dict[str, Any], f: Any) -> list[dict[str, Any]]:
        offset = self._int(p, "offset", required=False) or 0
        limit = max(1, min(100, self._int(p, "limit", required=False) or 100))
        timeout = max(0.0, float(p.get("timeout") or 0))
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_gen += 1
        gen = self._poll_gen
        self._wake()  # terminates an older waiting getUpdates with 409
        # confirm
        keep = []
        normal = [q for q in self._pending if not q.forced]
        if offset < 0:
            drop = {id(q) for q in normal[: max(0, len(normal) + offset)]}
        else:
            drop = {id(q) for q in normal if q.update["update_id"] < offset}
        for q in self._pending:
            if q.forced and q.delivered:
                continue
            if id(q) in drop:
                continue
            keep.append(q)
        self._pending = keep
        deadline = time.monotonic() + timeout
        while True:
            batch = self._pending[:limit]
            if batch:
                fetched = time.monotonic()
                for q in batch:
                    q.delivered = True
                    record = self.update_times.get(q.update["update_id"])
                    if record is not None and record.fetched is None:
                        record.fetched = fetched
                return [q.update for q in batch]
            remaining = deadline - time.monotonic()
            if self._stopping or remaining <= 0:
                return []
            ev = self._update_event
            try:
                await asyncio.wait_for(ev.wait(), remaining)
            except TimeoutError:
                return []
            if self._poll_gen != gen:
                self._conflicts += 1
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )

    async def _api_setWebhook(self, p: dict[str, Any], f: Any) -> bool:
        url = str(p.get("url") or "")
        if not url:
            return await self._api_deleteWebhook(p, f)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("bad webhook: secret token contains unallowed characters")
        if self._bool(p, "drop_pending_updates"):
            self._pending.clear()
        allowed = p.get("allowed_updates")
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        max_connections = self._int(p, "max_connections", required=False)
        same = (
            self.webhook is not None
            and self.webhook["url"] == url
            and self.webhook["secret_token"] == secret
            and self._webhook_task is not None
        )
        config = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": allowed,
            "max_connections": max_connections,
        }
        if same and self.webhook is not None:
            self.webhook.update(config)  # another instance behind the same URL: delivery goes on
            return True
        await self._stop_webhook_delivery()
        self.webhook = config
        self._webhook_task = asyncio.create_task(self._deliver_webhook(), name="fake-webhook-delivery")
        return True

    async def _api_deleteWebhook(self, p: dict[str, Any], f: Any) -> bool:
        await self._stop_webhook_delivery()
        self.webhook = None
        if self._bool(p, "drop_pending_updates"):
            self._pending.clear()
        return True

    def _api_getWebhookInfo(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook and self.webhook.get("allowed_updates") is not None:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_webhook(self) -> None:
        """Telegram's side of a webhook: the oldest pending updates, ``webhook_connections`` at a
        time, each until it is answered 200."""
        import aiohttp

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as client:
            workers = [
                asyncio.create_task(self._webhook_connection(client, n), name=f"fake-webhook-{n}")
                for n in range(max(8, self.webhook_connections))
            ]  # idle beyond webhook_connections
            try:
                await asyncio.gather(*workers)
            finally:
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                self._in_flight.clear()

    def _webhook_next(self) -> _Pending | None:
        for q in self._pending:
            if id(q) not in self._in_flight:
                return q
        return None

    async def _webhook_connection(self, client: Any, n: int) -> None:
        import aiohttp

        while self.webhook is not None and not self._stopping:
            limit = self.webhook.get("max_connections") or 100
            q = self._webhook_next() if n < min(limit, max(1, self.webhook_connections)) else None
            if q is None:
                ev = self._update_event
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ev.wait(), 0.2)
                continue
            self._in_flight.add(id(q))
            try:
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
                update_id = q.update["update_id"]
                record = self.update_times.get(update_id)
                if record is not None and record.fetched is None:
                    record.fetched = time.monotonic()
                backends = self.webhook_backends or [self.webhook["url"]]
                url = backends[next(self._webhook_turn) % len(backends)]
                self.webhook_delivering[update_id] = url
                try:
                    async with client.post(url, json=q.update, headers=headers) as resp:
                        await resp.read()
                        status: int | str = resp.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = type(exc).__name__
                finally:
                    self.webhook_delivering.pop(update_id, None)
                self.webhook_attempts.append((update_id, status))
                self.webhook_log.append((update_id, url, status, time.monotonic()))
                if status == 200:
                    self._pending = [other for other in self._pending if other is not q]
            finally:
                self._in_flight.discard(id(q))
            if status != 200:
                await asyncio.sleep(self.webhook_retry_delay)

    @staticmethod
    def _commands_key(p: dict[str, Any]) -> tuple[str, Any, Any, str]:
        scope = p.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad("can't parse BotCommandScope JSON object")
        chat_id = scope.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id) if chat_id is not None else None
        user_id = scope.get("user_id")
        return (
            scope["type"],
            chat_id,
            int(user_id) if user_id is not None else None,
            p.get("language_code") or "",
        )

    def _api_setMyCommands(self, p: dict[str, Any], f: Any) -> bool:
        cmds = p.get("commands")
        if not isinstance(cmds, list):
            raise bad("can't parse commands JSON object")
        if len(cmds) > 100:
            raise bad("too many commands specified")
        for c in cmds:
            if not isinstance(c, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", str(c.get("command", "")).lower()
            ):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in cmds
        ]
        return True

    def _api_sendMessage(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        chat = self._chat(p)
        raw = p.get("text") or ""
        if not isinstance(raw, str):
            raw = str(raw)
        text, entities = self._format(raw, p.get("parse_mode"), p.get("entities"))
        if not text.strip():
            raise bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad("message is too long")
        markup = self._check_markup(p.get("reply_markup"))
        reply = self._reply_to(chat["id"], p)
        self._check_can_send(chat)
        self._rate_limit(chat["id"])
        msg = self._new_message(
            chat,
            self.bot_user,
            text=text,
            entities=entities,
            reply_markup=self._inline_only(markup),
            reply_to_message=reply,
        )
        self._record_sent(
            "sendMessage", msg, text=text, raw_text=raw, parse_mode=p.get("parse_mode"), reply_markup=markup
        )
        return msg

    def _send_file(self, method: str, kind: str, name: str, p: dict[str, Any], files: Any) -> dict[str, Any]:
        chat = self._chat(p)
        rec, uploaded = self._input_file(p, files, name, kind)
        held_as = str(rec.get("file_path", "")).split("/", 1)[0]
        if not uploaded and held_as in ("voices", "videos") and held_as != kind:
            # Telegram refuses a voice or video file id sent as another kind of file.
            raise bad(f"can't use file of type {held_as[:-1].capitalize()} as {name.capitalize()}")
        caption, cap_ents = self._caption(p)
        markup = self._check_markup(p.get("reply_markup"))
        reply = self._reply_to(chat["id"], p)
        self._check_can_send(chat)
        self._rate_limit(chat["id"])
        if kind == "photos":
            media: dict[str, Any] = {"photo": self._photo_obj(rec)}
        elif kind == "stickers":
            media = {
                "sticker": {
                    "file_id": rec["file_id"],
                    "file_unique_id": rec["file_unique_id"],
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            }
        elif kind == "voices":
            media = {"voice": self._voice_obj(rec)}
        elif kind == "videos":
            media = {"video": self._video_obj(rec)}
        else:
            media = {"document": self._document_obj(rec)}
        msg = self._new_message(
            chat,
            self.bot_user,
            caption=caption,
            caption_entities=cap_ents,
            reply_markup=self._inline_only(markup),
            reply_to_message=reply,
            **media,
        )
        extra: dict[str, Any] = {"file_id": rec["file_id"]}
        if kind == "photos":
            extra["photo_bytes"] = rec["content"]
        elif kind == "documents":
            extra["document_name"] = rec.get("file_name")
            extra["document_bytes"] = rec["content"]
        self._record_sent(
            method, msg, caption=caption, parse_mode=p.get("parse_mode"), reply_markup=markup, **extra
        )
        return msg

    def _api_sendDocument(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        return self._send_file("sendDocument", "documents", "document", p, f)

    def _api_sendPhoto(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        return self._send_file("sendPhoto", "photos", "photo", p, f)

    def _api_sendVoice(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        return self._send_file("sendVoice", "voices", "voice", p, f)

    def _api_sendVideo(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        return self._send_file("sendVideo", "videos", "video", p, f)

    def _api_editMessageText(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        msg = self._editable(p)
        if "text" not in msg:
            raise bad("there is no text in the message to edit")
        raw = p.get("text") or ""
        text, entities = self._format(str(raw), p.get("parse_mode"), p.get("entities"))
        if not text.strip():
            raise bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad("message is too long")
        markup = self._inline_only(self._check_markup(p.get("reply_markup")))
        if text == msg.get("text") and entities == msg.get("entities") and markup == msg.get("reply_markup"):
            raise bad(NOT_MODIFIED)
        msg["text"] = text
        self._set_opt(msg, "entities", entities)
        self._set_opt(msg, "reply_markup", markup)
        msg["edit_date"] = int(time.time())
        self._record_edit("editMessageText", msg)
        return msg

    def _api_editMessageReplyMarkup(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        msg = self._editable(p)
        markup = self._inline_only(self._check_markup(p.get("reply_markup")))
        if markup == msg.get("reply_markup"):
            raise bad(NOT_MODIFIED)
        self._set_opt(msg, "reply_markup", markup)
        msg["edit_date"] = int(time.time())
        self._record_edit("editMessageReplyMarkup", msg)
        return msg

    @staticmethod
    def _set_opt(msg: dict[str, Any], key: str, value: Any) -> None:
        if value is None:
            msg.pop(key, None)
        else:
            msg[key] = value

    def _api_answerCallbackQuery(self, p: dict[str, Any], f: Any) -> bool:
        qid = str(p.get("callback_query_id") or "")
        q = self._callback_queries.get(qid)
        if q is None or q["answered"]:
            raise bad(BAD_QUERY)
        q["answered"] = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=qid,
                time=time.monotonic(),
                text=p.get("text"),
                show_alert=self._bool(p, "show_alert"),
                url=p.get("url"),
                cache_time=self._int(p, "cache_time", required=False),
                user_id=q["user_id"],
                chat_id=q["chat_id"],
                message_id=q["message_id"],
                data=q["data"],
            )
        )
        return True

    def _api_getFile(self, p: dict[str, Any], f: Any) -> dict[str, Any]:
        rec = self._files.get(str(p.get("file_id") or ""))
        if rec is None:
            raise bad("invalid file_id")
        if rec["file_size"] > MAX_GETFILE:
            raise bad("file is too big")
        return {k: rec[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

    # ------------------------------------------------------------------ /_test HTTP control API

    async def _handle_test(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        try:
            p: dict[str, Any] = dict(request.query)
            if request.method == "POST" and request.can_read_body:
                raw = await request.read()
                if raw.strip():
                    body = json.loads(raw)
                    if not isinstance(body, dict):
                        raise ValueError("JSON object expected")
                    p.update(body)
            handler = getattr(self, f"_test_{action}", None)
            if handler is None:
                return web.json_response({"ok": False, "error": f"unknown action {action!r}"}, status=404)
            result = handler(p)
            if asyncio.iscoroutine(result):
                result = await result
            return web.json_response(
                {"ok": True, "result": result}, dumps=lambda o: json.dumps(o, ensure_ascii=False, default=str)
            )
        except TimeoutError as e:
            return web.json_response({"ok": False, "error": str(e)}, status=408)
        except (ValueError, TypeError, KeyError, LookupError) as e:
            return web.json_response({"ok": False, "error": f"{type(e).__name__}: {e}"}, status=400)

    @staticmethod
    def _opt_int(p: dict[str, Any], key: str) -> int | None:
        v = p.get(key)
        return None if v in (None, "") else int(v)

    @staticmethod
    def _bytes(d: dict[str, Any]) -> bytes:
        if "content_b64" in d:
            return base64.b64decode(d["content_b64"])
        return str(d.get("content", "")).encode()

    def _test_user(self, p: dict[str, Any]) -> Any:
        return self.user(
            int(p["user_id"]),
            first_name=p.get("first_name"),
            username=p.get("username"),
            language_code=p.get("language_code", "zh-hans"),
            last_name=p.get("last_name"),
            started=p.get("started", True) not in (False, "false", "0"),
        )

    def _test_group(self, p: dict[str, Any]) -> Any:
        return self.group(int(p["chat_id"]), title=p.get("title"), type=p.get("type", "supergroup"))

    def _test_user_message(self, p: dict[str, Any]) -> Any:
        uid = int(p["user_id"])
        cid = self._opt_int(p, "chat_id")
        reply = self._opt_int(p, "reply_to_message_id")
        if cid is not None and cid < 0 and cid not in self.chats:
            self.group(cid, type=p.get("chat_type") or "supergroup")
        if p.get("document"):
            d = p["document"]
            return self.send_document(
                uid, d["filename"], self._bytes(d), p.get("caption"), cid, reply, d.get("mime_type")
            )
        if p.get("photo"):
            return self.send_photo(uid, self._bytes(p["photo"]), p.get("caption"), cid, reply)
        if p.get("sticker") is not None:
            s = p["sticker"] if isinstance(p["sticker"], dict) else {}
            return self.send_sticker(uid, s.get("emoji", "👍"), cid, reply)
        text = str(p.get("text", ""))
        if text.startswith("/"):
            return self.command(uid, text, cid, reply)
        return self.send_text(uid, text, cid, reply)

    def _test_command(self, p: dict[str, Any]) -> Any:
        return self.command(
            int(p["user_id"]), p["text"], self._opt_int(p, "chat_id"), self._opt_int(p, "reply_to_message_id")
        )

    def _test_press(self, p: dict[str, Any]) -> Any:
        uid = int(p["user_id"])
        cid = self._opt_int(p, "chat_id") or uid
        mid = int(p["message_id"])
        if p.get("button_text"):
            return {"callback_query_id": self.press_button(uid, mid, p["button_text"], chat_id=cid)}
        return {"callback_query_id": self.press(uid, mid, p.get("data"), chat_id=cid)}

    def _test_raw_update(self, p: dict[str, Any]) -> Any:
        return self.inject_raw_update(p)

    def _test_duplicate_last_update(self, p: dict[str, Any]) -> Any:
        return self.duplicate_last_update()

    def _test_sent(self, p: dict[str, Any]) -> Any:
        cid = self._opt_int(p, "chat_id")
        since = self._opt_int(p, "since") or 0
        wb = str(p.get("with_bytes", "")).lower() in ("1", "true")
        return [
            s.to_json(with_bytes=wb) | {"index": i}
            for i, s in enumerate(self.sent)
            if i >= since and (cid is None or s.chat_id == cid)
        ]

    def _test_message(self, p: dict[str, Any]) -> Any:
        return self.message(int(p["chat_id"]), int(p["message_id"]))

    async def _test_wait_for(self, p: dict[str, Any]) -> Any:
        s = await self.wait_for(
            None,
            float(p.get("timeout", 10)),
            chat_id=self._opt_int(p, "chat_id"),
            text_contains=p.get("text_contains"),
            since=self._opt_int(p, "since"),
        )
        return s.to_json() | {"index": self.sent.index(s)}

    def _test_calls(self, p: dict[str, Any]) -> Any:
        m = (p.get("method") or "").lower()
        return [c.to_json() for c in self.calls if not m or c.method.lower() == m]

    def _test_edits(self, p: dict[str, Any]) -> Any:
        return [e.to_json() for e in self.edits]

    def _test_callback_answers(self, p: dict[str, Any]) -> Any:
        return [a.to_json() for a in self.callback_answers]

    def _test_commands(self, p: dict[str, Any]) -> Any:
        return [
            {"scope": k[0], "chat_id": k[1], "user_id": k[2], "language_code": k[3], "commands": v}
            for k, v in self.commands.items()
        ]

    def _test_stats(self, p: dict[str, Any]) -> Any:
        return self.stats

    def _test_update_times(self, p: dict[str, Any]) -> Any:
        wanted = self._opt_int(p, "update_id")
        records = self.update_times.values() if wanted is None else [self.update_times[wanted]]
        return {r.update_id: r.to_json() for r in records}

    def _test_fail(self, p: dict[str, Any]) -> Any:
        self.fail_next(
            method=p.get("method", "sendMessage"),
            times=int(p.get("times", 1)),
            status=int(p.get("status", 429)),
            retry_after=int(p.get("retry_after", 1)),
            description=p.get("description"),
            chat_id=self._opt_int(p, "chat_id"),
        )
        return True

    def _test_block(self, p: dict[str, Any]) -> Any:
        self.block_chat(int(p["chat_id"]), p.get("blocked", True) not in (False, "false", "0"))
        return True

    def _test_down(self, p: dict[str, Any]) -> Any:
        self.down(float(p["seconds"]))
        return True

    def _test_latency(self, p: dict[str, Any]) -> Any:
        self.latency = float(p["seconds"])
        return True

    def _test_limits(self, p: dict[str, Any]) -> Any:
        for f in fields(RateLimits):
            if f.name in p:
                v = p[f.name]
                if f.name == "enforce":
                    v = v not in (False, "false", "0")
                setattr(self.limits, f.name, type(getattr(self.limits, f.name))(v))
        return {f.name: getattr(self.limits, f.name) for f in fields(RateLimits)}

    def _test_reset(self, p: dict[str, Any]) -> Any:
        self.reset()
        return True


# --------------------------------------------------------------------------- CLI


async def _serve(args: argparse.Namespace) -> None:
    srv = FakeBotAPI(token=args.token, bot_username=args.username)
    srv.limits.enforce = not args.no_rate_limits
    await srv.start(args.host, args.port)
    print(srv.base_url, flush=True)
    print(f"# token={srv.token}  TELEGRAM_API_BASE={srv.base_url}  (Ctrl-C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await srv.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Fake Telegram Bot API server for Duban tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--token", default="123456:TEST")
    ap.add_argument("--username", default="duban_test_bot")
    ap.add_argument("--no-rate-limits", action="store_true")
    args = ap.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
