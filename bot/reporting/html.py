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

_WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

_T = {
    "zh": {
        "title": "📋 督办周报 · {week}",
        "policy": "政策",
        "period": "统计周期：{start} 至 {end}",
        "generated": "生成时间：{when}（北京时间）",
        "s_headline": "一、总体情况",
        "s_measures": "二、各措施进展",
        "s_units": "三、单位报送情况",
        "s_red": "四、红灯事项",
        "s_progress": "五、本周实质进展",
        "s_change": "六、与上周相比（{prev}）",
        "s_change_none": "六、与上周相比",
        "s_next": "七、下周到期",
        "tasks": "任务 {total} 项：已办结 {done} · 推进中 {in_progress} · 未签收 {na} · 逾期 {overdue}",
        "lights": "灯情：🔴 {red}　🟡 {yellow}　🟢 {green}　✅ {done}",
        "reports": "本周报送 {n} 份",
        "measure": "{emoji} <b>{num}</b> {title}：办结 {done}/{total}{lights}",
        "rate": "报送率 {rate}（{reported}/{units} 个单位已报送）",
        "not_reported": "未报送：<b>{units}</b>",
        "all_reported": "各单位均已报送 ✅",
        "unit": "• {unit}：报送 {reports}/{expected} · {rate}{extra}",
        "unit_red": " · 🔴{n}",
        "unit_overdue": " · 逾期 {n}",
        "red": "🔴 <b>{label}</b> {unit}（{role}）：{text}{due}{reason}",
        "due": " · 截止 {d}",
        "no_due": " · 无截止日期",
        "progress": "• {unit} · <b>{label}</b>：{summary}{pct}{src}",
        "src_link": '（<a href="{href}">报送#{id}，{when}</a>）',
        "src": "（报送#{id}，{when}）",
        "pct": "（{n}%）",
        "change": "已办结 {done} · 红灯 {red} · 逾期 {overdue} · 报送 {reports} · 报送率 {rate}",
        "change_none": "暂无上周数据可比。",
        "pp": "个百分点",
        "next": "• {d} <b>{label}</b> {unit}（{role}）：{text} {emoji}",
        "none": "无",
        "more": "……另有 {n} 项，详见台账。",
        "sep": "、",
        "colon": "：",
        # unit digest
        "d_title": "📌 {unit} · 待办事项",
        "d_asof": "截至 {d}：在办 {open} 项，其中逾期 {overdue} 项、待签收/待处理 {awaiting} 项、{days} 日内到期 {soon} 项",
        "d_overdue": "已逾期",
        "d_awaiting": "待签收 / 待处理",
        "d_soon": "近期到期（{days} 日内）",
        "d_other": "其他在办",
        "d_item": "{emoji} <b>{label}</b>（{role}）{text}{due} · {status}",
        "d_overdue_days": "（已逾期 {n} 天）",
        "d_in_days": "（{n} 天后）",
        "d_today": "（今天）",
        "d_none": "本单位暂无在办任务。",
        "d_hint": "直接回复本消息即可报送进展。",
    },
    "en": {
        "title": "📋 Weekly summary · {week}",
        "policy": "Policy",
        "period": "Period: {start} to {end}",
        "generated": "Generated: {when} (Beijing time)",
        "s_headline": "1. Overview",
        "s_measures": "2. Progress by measure",
        "s_units": "3. Reporting by unit",
        "s_red": "4. Red items",
        "s_progress": "5. Progress this week",
        "s_change": "6. Change since last week ({prev})",
        "s_change_none": "6. Change since last week",
        "s_next": "7. Due next week",
        "tasks": "{total} tasks: {done} done · {in_progress} in progress · {na} not acknowledged · {overdue} overdue",
        "lights": "Lights: 🔴 {red}  🟡 {yellow}  🟢 {green}  ✅ {done}",
        "reports": "{n} reports this week",
        "measure": "{emoji} <b>{num}</b> {title}: {done}/{total} done{lights}",
        "rate": "Reporting rate {rate} ({reported} of {units} units reported)",
        "not_reported": "Did not report: <b>{units}</b>",
        "all_reported": "Every unit reported ✅",
        "unit": "• {unit}: {reports}/{expected} reports · {rate}{extra}",
        "unit_red": " · 🔴{n}",
        "unit_overdue": " · {n} overdue",
        "red": "🔴 <b>{label}</b> {unit} ({role}): {text}{due}{reason}",
        "due": " · due {d}",
        "no_due": " · no due date",
        "progress": "• {unit} · <b>{label}</b>: {summary}{pct}{src}",
        "src_link": ' (<a href="{href}">report #{id}, {when}</a>)',
        "src": " (report #{id}, {when})",
        "pct": " ({n}%)",
        "change": "done {done} · red {red} · overdue {overdue} · reports {reports} · reporting rate {rate}",
        "change_none": "No previous week to compare with.",
        "pp": " pts",
        "next": "• {d} <b>{label}</b> {unit} ({role}): {text} {emoji}",
        "none": "None",
        "more": "… {n} more, see the ledger.",
        "sep": ", ",
        "colon": ": ",
        "d_title": "📌 {unit} · open tasks",
        "d_asof": "As of {d}: {open} open, of which {overdue} overdue, {awaiting} awaiting you, {soon} due within {days} days",
        "d_overdue": "Overdue",
        "d_awaiting": "Awaiting acknowledgement / action",
        "d_soon": "Due soon (within {days} days)",
        "d_other": "Other open tasks",
        "d_item": "{emoji} <b>{label}</b> ({role}) {text}{due} · {status}",
        "d_overdue_days": " ({n} days overdue)",
        "d_in_days": " (in {n} days)",
        "d_today": " (today)",
        "d_none": "No open tasks for your unit.",
        "d_hint": "Reply to this message to report progress.",
    },
}


def _t(lang: str) -> dict[str, str]:
    return _T["en" if lang == "en" else "zh"]


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def _fmt_date(d: date, lang: str, weekday: bool = False, year: bool = True) -> str:
    s = d.strftime("%Y-%m-%d" if year else "%m-%d")
    if weekday:
        wd = _WEEKDAYS[_lang(lang)][d.weekday()]
        s += f"（{wd}）" if _lang(lang) == "zh" else f" ({wd})"
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


def _capped(lines: list[str], max_lines: int | None, t: dict[str, str]) -> list[str]:
    if max_lines is not None and len(lines) > max_lines:
        return [*lines[:max_lines], esc(t["more"].format(n=len(lines) - max_lines))]
    return lines


def _lights_suffix(red: int, yellow: int, green: int) -> str:
    parts = [f"{e}{n}" for e, n in (("🔴", red), ("🟡", yellow), ("🟢", green)) if n]
    return (" · " + " ".join(parts)) if parts else ""


def _progress_line(p: ProgressLine, t: dict[str, str]) -> str:
    when = _fmt_dt(p.reported_at)
    href = safe_href(p.link)
    if href:
        src = t["src_link"].format(href=href, id=int(p.report_id), when=when)
    else:
        src = esc(t["src"].format(id=int(p.report_id), when=when))
    pct = t["pct"].format(n=int(p.percent)) if p.percent is not None else ""
    return t["progress"].format(
        unit=one_line(p.unit),
        label=esc(task_label(p.measure_number, p.task_seq)),
        summary=one_line(p.summary, 300),
        pct=pct,
        src=src,
    )


def _change_lines(change: Change | None, t: dict[str, str]) -> list[str]:
    if change is None:
        return [f"<b>{esc(t['s_change_none'])}</b>", esc(t["change_none"])]
    rate_pts = round(change.rate_delta * 100)
    return [
        f"<b>{esc(t['s_change'].format(prev=change.prev_week))}</b>",
        esc(
            t["change"].format(
                done=_delta(change.done_delta),
                red=_delta(change.red_delta),
                overdue=_delta(change.overdue_delta),
                reports=_delta(change.reports_delta),
                rate=_delta(rate_pts, t["pp"]),
            )
        ),
    ]


def summary_lines(
    data: SummaryData, lang: str = "zh", max_lines: int | None = DEFAULT_MAX_LINES
) -> list[str]:
    """The weekly summary as self-contained Telegram-HTML lines (before splitting)."""
    t = _t(lang)
    lg = _lang(lang)
    h = data.headline
    out: list[str] = [f"<b>{esc(t['title'].format(week=data.week))}</b>"]
    for title in data.policy_titles:
        out.append(f"<i>{one_line(title)}</i>")
    out.append(
        esc(
            t["period"].format(
                start=_fmt_date(data.period_start, lg, weekday=True),
                end=_fmt_date(data.period_end, lg, weekday=True),
            )
        )
    )
    out.append(esc(t["generated"].format(when=_fmt_dt(data.generated_at, year=True))))

    # 1. headline
    out += [
        "",
        f"<b>{esc(t['s_headline'])}</b>",
        esc(
            t["tasks"].format(
                total=h.total,
                done=h.done,
                in_progress=h.in_progress,
                na=h.not_acknowledged,
                overdue=h.overdue,
            )
        ),
        esc(t["lights"].format(red=h.red, yellow=h.yellow, green=h.green, done=h.done)),
        esc(t["reports"].format(n=h.reports_this_week)),
    ]

    # 2. measures
    out += ["", f"<b>{esc(t['s_measures'])}</b>"]
    multi_policy = len({m.policy_short for m in data.measures}) > 1
    mlines = []
    for m in data.measures:
        prefix = f"[{one_line(m.policy_short)}] " if multi_policy and m.policy_short else ""
        mlines.append(
            t["measure"].format(
                emoji=light_emoji(m.light),
                num=prefix + esc(m.number),
                title=one_line(m.title, 40),
                done=m.done,
                total=m.total,
                lights=_lights_suffix(m.red, m.yellow, m.green),
            )
        )
    out += _capped(mlines, max_lines, t) or [esc(t["none"])]

    # 3. units
    out += ["", f"<b>{esc(t['s_units'])}</b>"]
    if data.units:
        reported = sum(1 for u in data.units if u.reported)
        out.append(
            esc(
                t["rate"].format(
                    rate=_pct(data.overall_reporting_rate), reported=reported, units=len(data.units)
                )
            )
        )
        silent = [u.unit for u in data.units if not u.reported]
        if silent:
            out.append(t["not_reported"].format(units=esc(t["sep"]).join(one_line(u) for u in silent)))
        else:
            out.append(esc(t["all_reported"]))
        ulines = []
        for u in sorted(data.units, key=lambda u: (u.reported, u.reporting_rate, -u.red, u.unit)):
            extra = (t["unit_red"].format(n=u.red) if u.red else "") + (
                t["unit_overdue"].format(n=u.overdue) if u.overdue else ""
            )
            ulines.append(
                t["unit"].format(
                    unit=one_line(u.unit),
                    reports=u.reports,
                    expected=u.expected_reports,
                    rate=_pct(u.reporting_rate),
                    extra=esc(extra),
                )
            )
        out += _capped(ulines, max_lines, t)
    else:
        out.append(esc(t["none"]))

    # 4. red items
    out += ["", f"<b>{esc(t['s_red'])}</b>"]
    rlines = []
    for it in data.red_items:
        due = t["due"].format(d=_fmt_date(it.due_on, lg, year=False)) if it.due_on else t["no_due"]
        rlines.append(
            t["red"].format(
                label=esc(task_label(it.measure_number, it.task_seq)),
                unit=one_line(it.unit),
                role=esc(role_name(it.role, lg)),
                text=one_line(it.task_text, 60),
                due=esc(due),
                reason=(" · " + one_line(it.reason, 80)) if it.reason else "",
            )
        )
    out += _capped(rlines, max_lines, t) or [esc(t["none"])]

    # 5. progress
    out += ["", f"<b>{esc(t['s_progress'])}</b>"]
    plines = [_progress_line(p, t) for p in data.progress]
    out += _capped(plines, max_lines, t) or [esc(t["none"])]

    # 6. change
    out += ["", *_change_lines(data.change, t)]

    # 7. next deadlines
    out += ["", f"<b>{esc(t['s_next'])}</b>"]
    nlines = []
    for it in sorted(data.next_deadlines, key=lambda i: (i.due_on or date.max, i.measure_number, i.task_seq)):
        nlines.append(
            t["next"]
            .format(
                d=esc(_fmt_date(it.due_on, lg, weekday=True, year=False)) if it.due_on else "—",
                label=esc(task_label(it.measure_number, it.task_seq)),
                unit=one_line(it.unit),
                role=esc(role_name(it.role, lg)),
                text=one_line(it.task_text, 60),
                emoji=light_emoji(it.light),
            )
            .rstrip()
        )
    out += _capped(nlines, max_lines, t) or [esc(t["none"])]
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
    t = _t(lang)
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
            due = t["due"].format(d=_fmt_date(it.due_on, lg, year=False))
            days = (it.due_on - today).days
            if days < 0:
                due += t["d_overdue_days"].format(n=-days)
            elif days == 0:
                due += t["d_today"]
            elif days <= soon_days:
                due += t["d_in_days"].format(n=days)
        return t["d_item"].format(
            emoji=light_emoji(it.light),
            label=esc(task_label(it.measure_number, it.task_seq)),
            role=esc(role_name(it.role, lg)),
            text=one_line(it.task_text, 80),
            due=esc(due),
            status=esc(status_name(it.status, lg)),
        )

    n_open = len(overdue) + len(awaiting) + len(soon) + len(other)
    out = [f"<b>{esc(t['d_title'].format(unit=one_line(unit)))}</b>"]
    if n_open == 0:
        out.append(esc(t["d_none"]))
        return split_html_messages(out, limit)
    out.append(
        esc(
            t["d_asof"].format(
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
        (t["d_overdue"], overdue),
        (t["d_awaiting"], awaiting),
        (t["d_soon"].format(days=soon_days), soon),
        (t["d_other"], other),
    ):
        if group:
            out += ["", f"<b>{esc(title)}</b>", *(item_line(i) for i in sorted(group, key=key))]
    out += ["", f"<i>{esc(t['d_hint'])}</i>"]
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
