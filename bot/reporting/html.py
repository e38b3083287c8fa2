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

from bot.i18n import t

from .model import (
    AWAITING_STATUSES,
    CLOSED_STATUSES,
    SHANGHAI,
    Change,
    ItemRow,
    ProgressLine,
    SummaryData,
    light_emoji,
    role_name,
    status_name,
    task_label,
    to_local,
)

TELEGRAM_LIMIT = 4096
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "a", "code", "pre", "blockquote"})

#: Per-section cap on item lines in chat; the rest is summarised as "…N more, see the ledger".
DEFAULT_MAX_LINES = 150

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

_WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _s(lang: str, key: str, **values: Any) -> str:
    """A weekly-summary text: ``summary.<key>`` formatted with ``values``."""
    return t(lang, "summary." + key, **values)


def _d(lang: str, key: str, **values: Any) -> str:
    """A unit-digest text: ``unit_digest.<key>`` formatted with ``values``."""
    return t(lang, "unit_digest." + key, **values)


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def _fmt_date(d: date, lang: str, weekday: bool = False, year: bool = True) -> str:
    s = d.strftime("%Y-%m-%d" if year else "%m-%d")
    if weekday:
        s = _s(lang, "date_weekday", date=s, weekday=t(lang, "weekday." + _WEEKDAY_KEYS[d.weekday()]))
    return s


def _fmt_dt(value: datetime, year: bool = False) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")


def _pct(rate: float) -> str:
    return f"{round(max(0.0, min(1.0, rate)) * 100)}%"


def _delta(n: float, suffix: str = "") -> str:
    if n > 0:
        return f"↑{n:g}{suffix}"
    if n < 0:
        return f"↓{-n:g}{suffix}"
    return "→0"


def _capped(lines: list[str], max_lines: int | None, lang: str) -> list[str]:
    if max_lines is not None and len(lines) > max_lines:
        return [*lines[:max_lines], esc(_s(lang, "more", n=len(lines) - max_lines))]
    return lines


def _lights_suffix(red: int, yellow: int, green: int) -> str:
    parts = [f"{e}{n}" for e, n in (("🔴", red), ("🟡", yellow), ("🟢", green)) if n]
    return (" · " + " ".join(parts)) if parts else ""


def _progress_line(p: ProgressLine, lang: str) -> str:
    when = _fmt_dt(p.reported_at)
    href = safe_href(p.link)
    if href:
        src = _s(lang, "src_link", href=href, id=int(p.report_id), when=when)
    else:
        src = esc(_s(lang, "src", id=int(p.report_id), when=when))
    pct = _s(lang, "pct", n=int(p.percent)) if p.percent is not None else ""
    return _s(
        lang,
        "progress",
        unit=one_line(p.unit),
        label=esc(task_label(p.measure_number, p.task_seq)),
        summary=one_line(p.summary, 300),
        pct=pct,
        src=src,
    )


def _change_lines(change: Change | None, lang: str) -> list[str]:
    if change is None:
        return [f"<b>{esc(_s(lang, 'section.change_none'))}</b>", esc(_s(lang, "change_none"))]
    rate_pts = round(change.rate_delta * 100)
    return [
        f"<b>{esc(_s(lang, 'section.change', prev=change.prev_week))}</b>",
        esc(
            _s(
                lang,
                "change",
                done=_delta(change.done_delta),
                red=_delta(change.red_delta),
                overdue=_delta(change.overdue_delta),
                reports=_delta(change.reports_delta),
                rate=_delta(rate_pts, _s(lang, "pp")),
            )
        ),
    ]


def summary_lines(
    data: SummaryData, lang: str = "zh", max_lines: int | None = DEFAULT_MAX_LINES
) -> list[str]:
    """The weekly summary as self-contained Telegram-HTML lines (before splitting)."""
    lg = _lang(lang)
    h = data.headline
    out: list[str] = [f"<b>{esc(_s(lg, 'title', week=data.week))}</b>"]
    for title in data.policy_titles:
        out.append(f"<i>{one_line(title)}</i>")
    out.append(
        esc(
            _s(
                lg,
                "period",
                start=_fmt_date(data.period_start, lg, weekday=True),
                end=_fmt_date(data.period_end, lg, weekday=True),
            )
        )
    )
    out.append(esc(_s(lg, "generated", when=_fmt_dt(data.generated_at, year=True))))

    # 1. headline
    out += [
        "",
        f"<b>{esc(_s(lg, 'section.headline'))}</b>",
        esc(
            _s(
                lg,
                "tasks",
                total=h.total,
                done=h.done,
                in_progress=h.in_progress,
                na=h.not_acknowledged,
                overdue=h.overdue,
            )
        ),
        esc(_s(lg, "lights", red=h.red, yellow=h.yellow, green=h.green, done=h.done)),
        esc(_s(lg, "reports", n=h.reports_this_week)),
    ]

    # 2. measures
    out += ["", f"<b>{esc(_s(lg, 'section.measures'))}</b>"]
    multi_policy = len({m.policy_short for m in data.measures}) > 1
    mlines = []
    for m in data.measures:
        prefix = f"[{one_line(m.policy_short)}] " if multi_policy and m.policy_short else ""
        mlines.append(
            _s(
                lg,
                "measure",
                emoji=light_emoji(m.light),
                num=prefix + esc(m.number),
                title=one_line(m.title, 40),
                done=m.done,
                total=m.total,
                lights=_lights_suffix(m.red, m.yellow, m.green),
            )
        )
    out += _capped(mlines, max_lines, lg) or [esc(_s(lg, "none"))]

    # 3. units
    out += ["", f"<b>{esc(_s(lg, 'section.units'))}</b>"]
    if data.units:
        reported = sum(1 for u in data.units if u.reported)
        out.append(
            esc(
                _s(
                    lg,
                    "rate",
                    rate=_pct(data.overall_reporting_rate),
                    reported=reported,
                    units=len(data.units),
                )
            )
        )
        silent = [u.unit for u in data.units if not u.reported]
        if silent:
            out.append(_s(lg, "not_reported", units=esc(_s(lg, "sep")).join(one_line(u) for u in silent)))
        else:
            out.append(esc(_s(lg, "all_reported")))
        ulines = []
        for u in sorted(data.units, key=lambda u: (u.reported, u.reporting_rate, -u.red, u.unit)):
            extra = (_s(lg, "unit_red", n=u.red) if u.red else "") + (
                _s(lg, "unit_overdue", n=u.overdue) if u.overdue else ""
            )
            ulines.append(
                _s(
                    lg,
                    "unit",
                    unit=one_line(u.unit),
                    reports=u.reports,
                    expected=u.expected_reports,
                    rate=_pct(u.reporting_rate),
                    extra=esc(extra),
                )
            )
        out += _capped(ulines, max_lines, lg)
    else:
        out.append(esc(_s(lg, "none")))

    # 4. red items
    out += ["", f"<b>{esc(_s(lg, 'section.red'))}</b>"]
    rlines = []
    for it in data.red_items:
        due = _s(lg, "due", d=_fmt_date(it.due_on, lg, year=False)) if it.due_on else _s(lg, "no_due")
        rlines.append(
            _s(
                lg,
                "red",
                label=esc(task_label(it.measure_number, it.task_seq)),
                unit=one_line(it.unit),
                role=esc(role_name(it.role, lg)),
                text=one_line(it.task_text, 60),
                due=esc(due),
                reason=(" · " + one_line(it.reason, 80)) if it.reason else "",
            )
        )
    out += _capped(rlines, max_lines, lg) or [esc(_s(lg, "none"))]

    # 5. progress
    out += ["", f"<b>{esc(_s(lg, 'section.progress'))}</b>"]
    plines = [_progress_line(p, lg) for p in data.progress]
    out += _capped(plines, max_lines, lg) or [esc(_s(lg, "none"))]

    # 6. change
    out += ["", *_change_lines(data.change, lg)]

    # 7. next deadlines
    out += ["", f"<b>{esc(_s(lg, 'section.next'))}</b>"]
    nlines = []
    for it in sorted(data.next_deadlines, key=lambda i: (i.due_on or date.max, i.measure_number, i.task_seq)):
        nlines.append(
            _s(
                lg,
                "next",
                d=esc(_fmt_date(it.due_on, lg, weekday=True, year=False)) if it.due_on else "—",
                label=esc(task_label(it.measure_number, it.task_seq)),
                unit=one_line(it.unit),
                role=esc(role_name(it.role, lg)),
                text=one_line(it.task_text, 60),
                emoji=light_emoji(it.light),
            ).rstrip()
        )
    out += _capped(nlines, max_lines, lg) or [esc(_s(lg, "none"))]
    return out


def render_summary_html(
    data: SummaryData,
    lang: str = "zh",
    *,
    limit: int = TELEGRAM_LIMIT,
    max_lines: int | None = DEFAULT_MAX_LINES,
) -> list[str]:
    """The weekly summary as Telegram HTML messages, each ≤ ``limit`` UTF-16 units.

    Sections, in order: title (week, dates), headline counts, per-measure progress with lights,
    unit reporting rate naming the units that did not report, red items, the week's progress
    (each line pointing to its report), change since last week, next week's deadlines.
    ``max_lines`` caps the item lines of each section (None: no cap).
    """
    return split_html_messages(summary_lines(data, lang, max_lines), limit)


# --------------------------------------------------------------------------- unit digest


def render_unit_digest_html(
    unit: str,
    items: Iterable[ItemRow],
    lang: str = "zh",
    *,
    today: date | None = None,
    soon_days: int = 7,
    limit: int = TELEGRAM_LIMIT,
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
        if it.due_on is not None and it.due_on < today and it.status != "claimed_done":
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
            due = _s(lg, "due", d=_fmt_date(it.due_on, lg, year=False))
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
                d=_fmt_date(today, lg),
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
    out += ["", f"<i>{esc(_d(lg, 'hint'))}</i>"]
    return split_html_messages(out, limit)


__all__ = [
    "ALLOWED_TAGS",
    "TELEGRAM_LIMIT",
    "esc",
    "render_summary_html",
    "render_unit_digest_html",
    "safe_href",
    "split_html_messages",
    "summary_lines",
    "utf16_len",
]
