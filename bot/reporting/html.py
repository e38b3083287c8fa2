"""Weekly summary and unit digest as Telegram HTML messages.

Only tags Telegram accepts are produced (b, i, u, s, a, code, pre, blockquote); every piece of
user text is escaped. Long output is split into messages of at most 4,096 UTF-16 code units
(how Telegram counts), at line boundaries, never inside a tag or an entity; a single line that
is itself too long is cut with its open tags closed and reopened in the next message.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.statuses import Status
from bot.i18n import t

from .model import (
    AWAITING_STATUSES,
    CLOSED_STATUSES,
    SHANGHAI,
    ItemRow,
    SummaryData,
    light_emoji,
    role_name,
    status_name,
    task_label,
)
from .weekly import LADDER, Caps, Condensed, Line, fmt_date, report_lines

TELEGRAM_LIMIT = 4096
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "a", "code", "pre", "blockquote"})

# --------------------------------------------------------------------------- text helpers

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SPACE_RE = re.compile(r"\s+")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def esc(text: object) -> str:
    """Escape user text for Telegram HTML (& < >), dropping control characters and lone surrogates."""
    s = "" if text is None else str(text)
    s = _CONTROL_RE.sub(lambda m: "\n" if m.group() in "\x0b\x0c" else "", s)
    return _html.escape(s, quote=False)


def one_line(text: object, max_chars: int | None = None) -> str:
    """Collapse whitespace (user text must not break our line structure), optionally shorten, escape."""
    s = _SPACE_RE.sub(" ", "" if text is None else str(text)).strip()
    if max_chars is not None and len(s) > max_chars:
        s = s[: max_chars - 1].rstrip() + "…"
    return esc(s)


def safe_href(link: str | None) -> str | None:
    """A link usable in <a href>, or None. Bare "t.me/…" gets https://; other schemes are refused."""
    if not link:
        return None
    url = link.strip()
    if not url or any(c.isspace() for c in url) or _CONTROL_RE.search(url):
        return None
    low = url.lower()
    if low.startswith(("t.me/", "telegram.me/")):
        url = "https://" + url
    elif not low.startswith(("https://", "http://", "tg://")):
        return None
    return _html.escape(url, quote=True)


# --------------------------------------------------------------------------- splitting

_TOKEN_RE = re.compile(r"<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|[^<&]+|[<&]")
_TAG_RE = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)")
_BREAK_CHARS = "。；;，,、！？!? ）)"


def _cut_text(text: str, room: int) -> int:
    """Number of characters of ``text`` to take so that it fits ``room`` UTF-16 units.

    Prefers to end after punctuation or a space close to the limit; never splits a surrogate pair.
    """
    k = min(len(text), room)
    over = utf16_len(text[:k]) - room
    while over > 0:
        k -= max(1, over // 2)
        over = utf16_len(text[:k]) - room
    if k <= 0 or k >= len(text):
        return max(k, 0)
    window = text[max(0, k - 120) : k]
    best = max(window.rfind(c) for c in _BREAK_CHARS)
    if best >= 0:
        return k - len(window) + best + 1
    return k


def _cut_line(line: str, limit: int) -> list[str]:
    """Cut one over-long HTML line into pieces ≤ limit, closing and reopening open tags."""
    pieces: list[str] = []
    stack: list[tuple[str, str]] = []  # (name, opening tag)
    cur: list[str] = []
    cur_len = 0
    has_content = False

    def closing() -> str:
        return "".join(f"</{name}>" for name, _ in reversed(stack))

    def flush() -> None:
        nonlocal cur, cur_len, has_content
        if has_content:
            pieces.append("".join(cur) + closing())
        opening = "".join(tag for _, tag in stack)
        if utf16_len(opening) + utf16_len(closing()) >= limit // 2:
            stack.clear()  # pathological nesting or a huge href: degrade to plain text
            opening = ""
        cur = [opening] if opening else []
        cur_len = utf16_len(opening)
        has_content = False

    for tok in _TOKEN_RE.findall(line):
        tag = _TAG_RE.match(tok) if tok.startswith("<") and len(tok) > 1 else None
        if tag:
            is_close, name = tag.group(1) == "/", tag.group(2).lower()
            if is_close:
                # room for it was reserved when the tag was opened
                if stack and stack[-1][0] == name:
                    stack.pop()
                    cur.append(tok)
                    cur_len += utf16_len(tok)
                continue
            need = utf16_len(tok) + len(name) + 3
            if cur_len + need + utf16_len(closing()) > limit and has_content:
                flush()
            stack.append((name, tok))
            cur.append(tok)
            cur_len += utf16_len(tok)
            continue
        if (tok.startswith("&") and len(tok) > 1) or tok in ("<", "&"):
            atom = tok if len(tok) > 1 else _html.escape(tok, quote=False)
            if cur_len + utf16_len(atom) + utf16_len(closing()) > limit:
                flush()
            cur.append(atom)
            cur_len += utf16_len(atom)
            has_content = True
            continue
        text = tok
        while text:
            room = limit - cur_len - utf16_len(closing())
            n = _cut_text(text, room) if room > 0 else 0
            if n <= 0:
                if has_content:
                    flush()
                else:  # no progress possible even on a fresh piece: drop the formatting
                    stack.clear()
                    cur, cur_len = [], 0
                continue
            part, text = text[:n], text[n:]
            cur.append(part)
            cur_len += utf16_len(part)
            has_content = True
            if text:
                flush()
    if has_content:
        pieces.append("".join(cur) + closing())
    return pieces


def _is_heading(line: str) -> bool:
    return line.startswith("<b>") and line.endswith("</b>") and line.count("</b>") == 1


def split_html_messages(lines: Sequence[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack self-contained HTML lines into messages of at most ``limit`` UTF-16 units.

    Lines are joined with "\\n"; a message never ends with a section heading (it moves on to the
    next message with its first item) and never starts or ends with blank lines. A line longer
    than the limit is cut safely (see module doc).
    """
    if limit < 64:
        raise ValueError("limit too small")
    messages: list[str] = []
    cur: list[str] = []
    cur_len = 0

    def flush() -> None:
        nonlocal cur, cur_len
        carry: list[str] = []
        while cur and not cur[-1].strip():
            cur.pop()
        if len(cur) > 1 and _is_heading(cur[-1]):
            carry = [cur.pop()]
            while cur and not cur[-1].strip():
                cur.pop()
        if cur:
            messages.append("\n".join(cur))
        cur = carry
        cur_len = sum(utf16_len(x) for x in cur) + max(0, len(cur) - 1)

    for line in lines:
        pieces = [line] if utf16_len(line) <= limit else _cut_line(line, limit)
        for piece in pieces:
            if not cur and not piece.strip():
                continue
            size = utf16_len(piece)
            if cur and cur_len + 1 + size > limit:
                flush()
                if cur and cur_len + 1 + size > limit:  # carried heading does not fit with it
                    messages.append("\n".join(cur))
                    cur, cur_len = [], 0
                if not cur and not piece.strip():
                    continue
            cur_len += size + (1 if cur else 0)
            cur.append(piece)
    while cur and not cur[-1].strip():
        cur.pop()
    if cur:
        messages.append("\n".join(cur))
    return messages


# --------------------------------------------------------------------------- texts

# The texts are in bot.i18n (zh.py / en.py): "summary.*" for the weekly summary, "unit_digest.*"
# for a unit's digest, "weekday.*" for dates.


def _s(lang: str, key: str, **values: Any) -> str:
    """A weekly-summary text: ``summary.<key>`` formatted with ``values``."""
    return t(lang, "summary." + key, **values)


def _d(lang: str, key: str, **values: Any) -> str:
    """A unit-digest text: ``unit_digest.<key>`` formatted with ``values``."""
    return t(lang, "unit_digest." + key, **values)


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


#: Telegram's limit is per message; the weekly summary must stay within two of them.
DEFAULT_MAX_MESSAGES = 2
_SLOT = "\ue000"  # stands for the references' HTML while the template is escaped


def _refs_html(line: Line, lang: str) -> str:
    if not line.refs:
        return ""
    parts = []
    for ref, link in line.refs:
        href = safe_href(link)
        parts.append(f'<a href="{href}">{int(ref)}</a>' if href else str(int(ref)))
    refs = esc(_s(lang, "sep")).join(parts)
    if line.more_refs:
        refs = esc(_s(lang, "refs_more", first=_SLOT, n=len(line.refs) + line.more_refs)).replace(_SLOT, refs)
    return esc(_s(lang, "ref", refs=_SLOT)).replace(_SLOT, refs)


def line_html(line: Line, lang: str) -> str:
    """One report line as self-contained Telegram HTML."""
    text = one_line(line.text)
    lead = f"<b>{one_line(line.lead)}</b> " if line.lead else ""
    emoji = (light_emoji(line.light) + " ") if line.light else ""
    kind = line.kind
    if kind == "title":
        return f"<b>📋 {text}</b>"
    if kind in ("subtitle", "h1", "h2"):
        return f"<b>{text}</b>"
    if kind == "measure":
        return f"{emoji}<b>{text}</b>"
    if kind == "note":
        return f"<i>{text}</i>"
    if kind == "sub":
        return f"  {emoji or '· '}{lead}{text}{_refs_html(line, lang)}"
    if kind == "item":
        return f"{emoji}{lead}{text}{_refs_html(line, lang)}"
    return text


def summary_lines(
    data: SummaryData, lang: str = "zh", caps: Caps = LADDER[0], cache: Condensed | None = None
) -> list[str]:
    """The weekly summary as self-contained Telegram-HTML lines (before splitting)."""
    lg = _lang(lang)
    out: list[str] = []
    for line in report_lines(data, lg, caps, cache=cache):
        if line.kind == "h1":
            out.append("")
        out.append(line_html(line, lg))
    out += ["", f"<i>{esc(_s(lg, 'footer'))}</i>"]
    return out


def render_summary_html(
    data: SummaryData,
    lang: str = "zh",
    *,
    limit: int = TELEGRAM_LIMIT,
    max_messages: int | None = DEFAULT_MAX_MESSAGES,
    caps: Caps | None = None,
) -> list[str]:
    """The weekly summary as Telegram HTML messages, each ≤ ``limit`` UTF-16 units.

    Sections in the official order: title with the policy's 文号, 总体情况, 主要进展, 存在问题,
    下步打算 (see ``weekly``). The most generous ``weekly.LADDER`` caps whose output fits in
    ``max_messages`` messages are used (the tightest if none does); ``caps`` fixes them instead.
    """
    ladder = (caps,) if caps is not None else LADDER
    messages: list[str] = []
    cache: Condensed = {}
    for c in ladder:
        messages = split_html_messages(summary_lines(data, lang, c, cache), limit)
        if max_messages is None or len(messages) <= max_messages:
            break
    return messages


# --------------------------------------------------------------------------- unit digest


def render_unit_digest_html(
    unit: str,
    items: Iterable[ItemRow],
    lang: str = "zh",
    *,
    today: date | None = None,
    soon_days: int = 7,
    limit: int = TELEGRAM_LIMIT,
    reports: bool = True,
) -> list[str]:
    """One unit's weekly digest of its own open tasks, as Telegram HTML messages.

    Groups (each task in one group only): overdue; awaiting the unit (not acknowledged, or
    returned); due within ``soon_days``; other open tasks. Done and cancelled items are skipped.
    ``today`` defaults to the current date in Asia/Shanghai.
    """
    lg = _lang(lang)
    if today is None:
        today = datetime.now(SHANGHAI).date()
    soon_limit = today + timedelta(days=soon_days)

    overdue: list[ItemRow] = []
    awaiting: list[ItemRow] = []
    soon: list[ItemRow] = []
    other: list[ItemRow] = []
    for it in items:
        if it.status in CLOSED_STATUSES or it.light == "done":
            continue
        if it.due_on is not None and it.due_on < today and it.status != Status.CLAIMED_DONE:
            overdue.append(it)
        elif it.status in AWAITING_STATUSES:
            awaiting.append(it)
        elif it.due_on is not None and it.due_on <= soon_limit:
            soon.append(it)
        else:
            other.append(it)

    def key(i: ItemRow) -> tuple:
        return (i.due_on or date.max, i.measure_number, i.task_seq)

    def item_line(it: ItemRow) -> str:
        due = ""
        if it.due_on is not None:
            due = _s(lg, "due", d=fmt_date(it.due_on, lg, year=False))
            days = (it.due_on - today).days
            if days < 0:
                due += _d(lg, "overdue_days", n=-days)
            elif days == 0:
                due += _d(lg, "today")
            elif days <= soon_days:
                due += _d(lg, "in_days", n=days)
        return _d(
            lg,
            "item",
            emoji=light_emoji(it.light),
            label=esc(task_label(it.measure_number, it.task_seq)),
            role=esc(role_name(it.role, lg)),
            text=one_line(it.task_text, 80),
            due=esc(due),
            status=esc(status_name(it.status, lg)),
        )

    n_open = len(overdue) + len(awaiting) + len(soon) + len(other)
    out = [f"<b>{esc(_d(lg, 'title', unit=one_line(unit)))}</b>"]
    if n_open == 0:
        out.append(esc(_d(lg, "none")))
        return split_html_messages(out, limit)
    out.append(
        esc(
            _d(
                lg,
                "asof",
                d=fmt_date(today, lg),
                open=n_open,
                overdue=len(overdue),
                awaiting=len(awaiting),
                soon=len(soon),
                days=soon_days,
            )
        )
    )
    for title, group in (
        (_d(lg, "overdue"), overdue),
        (_d(lg, "awaiting"), awaiting),
        (_d(lg, "soon", days=soon_days), soon),
        (_d(lg, "other"), other),
    ):
        if group:
            out += ["", f"<b>{esc(title)}</b>", *(item_line(i) for i in sorted(group, key=key))]
    if reports:  # a leader reads the digest; only a contact reports by replying to it
        out += ["", f"<i>{esc(_d(lg, 'hint'))}</i>"]
    return split_html_messages(out, limit)


__all__ = [
    "ALLOWED_TAGS",
    "TELEGRAM_LIMIT",
    "esc",
    "line_html",
    "render_summary_html",
    "render_unit_digest_html",
    "safe_href",
    "split_html_messages",
    "summary_lines",
    "utf16_len",
]
