"""The weekly summary (周报) as a document in the official order, shared by the chat and the .docx.

标题 (with the policy's 文号), 一、总体情况, 二、主要进展 (per measure, the week's substantive lines,
de-duplicated, each pointing to its row on the ledger's report sheet), 三、存在问题 (red items
grouped by task, each unit named once per task), 四、下步打算 (next week's deadlines, grouped).
A summary of several policies groups sections 二–四 by policy; with one policy there is no
grouping. How much is listed is set by ``Caps``: the chat picks the most generous caps that fit
its message budget, the .docx uses ``DOCX_CAPS``; whatever is left out is counted ("等N个单位",
"另有N项") and stays in the ledger.

Pure: plain data in, a list of ``Line`` out; the texts come from bot.i18n.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from bot.i18n import t, zone_name

from .model import (
    ItemRow,
    MeasureRow,
    PolicySection,
    ProgressLine,
    SummaryData,
    red_reason,
    task_label,
    to_local,
)

_WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CN_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the report. ``kind``: title | subtitle | meta | h1 | h2 | measure | item | sub | note."""

    kind: str
    text: str = ""
    lead: str = ""  # shown in bold before ``text``
    light: str | None = None  # the chat shows its emoji before the line
    refs: tuple[tuple[int, str | None], ...] = ()  # (序号 on the ledger's report sheet, link)
    more_refs: int = 0  # further references not listed


@dataclass(frozen=True, slots=True)
class Caps:
    """How much each part lists before it counts the rest."""

    policies: int  # policies listed in the overview (several policies)
    detail: int  # policies given their own part in sections 二–四
    measures: int  # measures with progress lines, per policy
    lines: int  # progress lines per measure
    problems: int  # red tasks per policy
    next: int  # next-deadline lines per policy
    units: int  # unit names on one line
    silent: int  # names of units that did not report
    text: int  # characters of a task's or a report's text
    refs: int = 3  # ledger references on one line


#: From generous to tight; the chat takes the first that fits its budget.
LADDER: tuple[Caps, ...] = (
    Caps(policies=30, detail=12, measures=20, lines=3, problems=15, next=10, units=8, silent=12, text=60),
    Caps(policies=20, detail=8, measures=12, lines=2, problems=10, next=8, units=6, silent=10, text=48),
    Caps(policies=12, detail=5, measures=10, lines=2, problems=8, next=6, units=5, silent=8, text=40),
    Caps(policies=8, detail=4, measures=8, lines=1, problems=6, next=5, units=4, silent=6, text=32),
    Caps(policies=6, detail=3, measures=6, lines=1, problems=5, next=4, units=3, silent=5, text=28),
    Caps(policies=5, detail=2, measures=5, lines=1, problems=4, next=3, units=3, silent=4, text=24, refs=2),
    Caps(policies=4, detail=2, measures=4, lines=1, problems=3, next=3, units=2, silent=3, text=20, refs=1),
    Caps(policies=3, detail=1, measures=3, lines=1, problems=3, next=2, units=2, silent=3, text=16, refs=1),
)

#: The .docx has no message limit: it lists far more, still counting what it leaves out.
DOCX_CAPS = Caps(
    policies=500, detail=30, measures=30, lines=4, problems=30, next=30, units=20, silent=60, text=120, refs=5
)


def _s(lang: str, key: str, **values: Any) -> str:
    return t(lang, "summary." + key, **values)


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def chinese_ordinal(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 25 -> 二十五 (for （一）（二）… headings)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)


def measure_numeral(number: str, lang: str) -> str:
    """A measure's number in a heading: 一、二、… in Chinese (the document's own numbering)."""
    if lang == "zh" and str(number).isdigit():
        return chinese_ordinal(int(number))
    return str(number)


def fmt_date(d: date, lang: str, *, weekday: bool = False, year: bool = True) -> str:
    s = d.strftime("%Y-%m-%d" if year else "%m-%d")
    if weekday:
        s = _s(lang, "date_weekday", date=s, weekday=t(lang, "weekday." + _WEEKDAY_KEYS[d.weekday()]))
    return s


def _fmt_dt(value: datetime, tz: tzinfo) -> str:
    return to_local(value, tz).strftime("%Y-%m-%d %H:%M")


def _pct(rate: float) -> str:
    return f"{round(max(0.0, min(1.0, rate)) * 100)}%"


def _delta(n: float, suffix: str = "") -> str:
    if n > 0:
        return f"↑{n:g}{suffix}"
    if n < 0:
        return f"↓{-n:g}{suffix}"
    return "→0"


_SPACE_RE = re.compile(r"\s+")


def shorten(text: object, max_chars: int) -> str:
    s = _SPACE_RE.sub(" ", "" if text is None else str(text)).strip()
    if len(s) > max_chars:
        s = s[: max(1, max_chars - 1)].rstrip("，,、；; ") + "…"
    return s


def unit_list(names: Sequence[str], cap: int, lang: str, *, kind: str = "units") -> str:
    """ "A、B、C" or "A、B等7个单位" ("…等7件" for policies): each name once, in the given order."""
    names = list(dict.fromkeys(names))
    sep = _s(lang, "sep")
    if len(names) <= cap:
        return sep.join(names)
    return _s(lang, f"{kind}_more", units=sep.join(names[:cap]), n=len(names))


def _doc_suffix(p: PolicySection, lang: str, title: str) -> str:
    if not p.doc_number or p.doc_number in title:
        return ""
    return _s(lang, "doc", doc=p.doc_number)


_NOTICE_RE = re.compile(r"^[^《》]*(?:印发|转发)《([^《》]+)》的通知$")


def quoted_title(title: str, lang: str) -> str:
    """The document's name as a report cites it: 《X》; a notice that issues 《X》 is cited as 《X》,
    a title that already holds book-title marks is left as it is."""
    m = _NOTICE_RE.match(title.strip())
    if m:
        return _s(lang, "quoted", title=m.group(1))
    if "《" in title:
        return title
    return _s(lang, "quoted", title=title)


def _short(p: PolicySection) -> str:
    name = p.short_title or p.title
    return f"{p.code} {name}" if p.code else name


# --------------------------------------------------------------------------- progress


# Replies that say nothing a leader would read: "暂无新进展", "正在推进", a bare percentage.
_NOISE_RE = re.compile(
    r"(暂无|暂未|没有|无)(新的?|新|最新)?(进展|进度|变化|情况|更新)?"
    r"|同上|收到|好的?|ok|okay|noupdate|nothingnew|nonews"
    r"|(正在|持续|有序|按计划|稳步)?(推进|办理|落实)中?"
    r"|(已|目前|当前|本周)?(完成|进度|完成进度|进展)?(约|达到?|为)?\d{1,3}成?"
    r"|(已|目前|当前|本周)?(完成|进度|完成进度)?(过半|一半|大半)",
    re.IGNORECASE,
)
_CORE_RE = re.compile(r"[\W_]+", re.UNICODE)


def _core(text: str) -> str:
    return _CORE_RE.sub("", text).lower()


def is_substantive(text: str) -> bool:
    """Whether a report line carries content (not "暂无进展", "推进中", "完成80%" alone)."""
    core = _core(text)
    return len(core) >= 4 and _NOISE_RE.fullmatch(core) is None


@dataclass(slots=True)
class ProgressGroup:
    """One distinct progress text of a measure, with every unit and report that sent it."""

    text: str
    units: list[str]
    refs: list[tuple[int, str | None]]
    percent: int | None
    reported_at: datetime


def condense_progress(lines: Iterable[ProgressLine]) -> dict[str, list[ProgressGroup]]:
    """Substantive lines by measure number, newest first: a unit's newest line per task stands
    for its week (earlier ones are in the ledger), identical texts are merged into one line."""
    by_measure: dict[str, dict[str, ProgressGroup]] = {}
    seen: set[tuple[str, str, int]] = set()
    for p in sorted(lines, key=lambda p: to_local(p.reported_at, UTC), reverse=True):
        if not is_substantive(p.summary):
            continue
        who = (p.unit, str(p.measure_number), int(p.task_seq))
        if who in seen:
            continue
        seen.add(who)
        groups = by_measure.setdefault(str(p.measure_number), {})
        key = _core(p.summary)
        g = groups.get(key)
        ref = (p.ref if p.ref is not None else p.report_id, p.link)
        if g is None:
            groups[key] = ProgressGroup(p.summary, [p.unit], [ref], p.percent, p.reported_at)
        else:
            if p.unit not in g.units:
                g.units.append(p.unit)
            g.refs.append(ref)
            if g.percent != p.percent:
                g.percent = None
    return {m: list(g.values()) for m, g in by_measure.items()}


def _lights_text(m: MeasureRow, lang: str) -> str:
    return "".join(
        _s(lang, f"light_n.{k}", n=n)
        for k in ("red", "undelivered", "yellow", "green")
        if (n := getattr(m, k))
    )


#: Condensed progress per section (``id`` of its ``progress`` list), kept while one summary is
#: rendered at several caps.
Condensed = dict[int, dict[str, list[ProgressGroup]]]


def _progress_lines(
    p: PolicySection, caps: Caps, lang: str, *, alone: bool = True, cache: Condensed | None = None
) -> list[Line]:
    """A policy's progress by measure; one with nothing substantive says so only when ``alone``
    (among several policies those are named together in one line)."""
    if cache is None:
        cache = {}
    if id(p.progress) not in cache:
        cache[id(p.progress)] = condense_progress(p.progress)
    groups = cache[id(p.progress)]
    out: list[Line] = []
    quiet: list[str] = []
    shown = hidden = 0  # measures; lines left out (of shown and of hidden measures)
    for m in p.measures:
        gs = groups.get(str(m.number), [])
        if not gs:
            if m.done < m.total:
                quiet.append(str(m.number))
            continue
        if shown >= caps.measures:
            hidden += len(gs)
            continue
        shown += 1
        out.append(
            Line(
                "measure",
                _s(
                    lang,
                    "measure",
                    num=measure_numeral(m.number, lang),
                    title=shorten(m.title, 30),
                    done=m.done,
                    total=m.total,
                    lights=_lights_text(m, lang),
                ),
                light=m.light,
            )
        )
        for g in gs[: caps.lines]:
            # "完成60%" in the text already says it
            pct = _s(lang, "pct", n=g.percent) if g.percent is not None and "%" not in g.text else ""
            out.append(
                Line(
                    "sub",
                    _s(
                        lang,
                        "progress_item",
                        units=unit_list(g.units, min(caps.units, 3), lang),
                        text=shorten(g.text, caps.text),
                        pct=pct,
                    ),
                    refs=tuple(g.refs[: caps.refs]),
                    more_refs=max(0, len(g.refs) - caps.refs),
                )
            )
        hidden += max(0, len(gs) - caps.lines)
    if hidden:
        out.append(Line("note", _s(lang, "more_progress", n=hidden)))
    if not out and not alone:
        return []
    if quiet:
        sep = _s(lang, "sep")
        listed = quiet if len(quiet) <= caps.measures else [*quiet[: caps.measures], "…"]
        out.append(
            Line("note", _s(lang, "quiet_measures" if out else "no_progress", measures=sep.join(listed)))
        )
    return out


# --------------------------------------------------------------------------- problems, next steps


def _task_key(it: ItemRow) -> tuple[str, int]:
    return (str(it.measure_number), int(it.task_seq))


def _measure_order(p: PolicySection) -> dict[str, int]:
    return {str(m.number): i for i, m in enumerate(p.measures)}


def _red_kind(it: ItemRow, today: date) -> str:
    return it.red_kind or red_reason(it.status, it.due_on, today).kind


def _group(items: Iterable[ItemRow]) -> dict[tuple[str, int], list[ItemRow]]:
    groups: dict[tuple[str, int], list[ItemRow]] = {}
    for it in items:
        groups.setdefault(_task_key(it), []).append(it)
    return groups


def _problem_lines(p: PolicySection, caps: Caps, lang: str, today: date) -> list[Line]:
    if not p.red_items:
        return []
    groups = _group(p.red_items)
    order = _measure_order(p)
    keys = sorted(groups, key=lambda k: (order.get(k[0], len(order)), k[0], k[1]))
    if len(keys) > caps.problems:  # not all fit: the tasks with most red units, in document order
        kept = set(sorted(keys, key=lambda k: -len(groups[k]))[: caps.problems])
        keys = [k for k in keys if k in kept] + [k for k in keys if k not in kept]
    out = [Line("item", _s(lang, "problems_total", red=len(p.red_items), tasks=len(groups)))]
    for key in keys[: caps.problems]:
        items = groups[key]
        first = items[0]
        dues = {i.due_on for i in items}
        due = ""
        if len(dues) == 1 and first.due_on is not None:
            due = _s(lang, "due", d=fmt_date(first.due_on, lang, year=False))
        if len(items) == 1 and first.red_kind:
            reasons = _s(lang, f"red_reason.{first.red_kind}", days=first.overdue_days)
        else:
            kinds: dict[str, int] = {}
            for i in items:
                kind = _red_kind(i, today)
                kinds[kind] = kinds.get(kind, 0) + 1
            reasons = _s(lang, "sep").join(_s(lang, f"reason.{k}", n=n) for k, n in kinds.items())
        out.append(
            Line(
                "sub",
                _s(
                    lang,
                    "problem",
                    text=shorten(first.task_text.rstrip("。；;. "), caps.text),
                    due=due,
                    units=unit_list([i.unit for i in items], caps.units, lang),
                    reasons=reasons,
                ),
                lead=task_label(first.measure_number, first.task_seq),
                light="red",
            )
        )
    if len(keys) > caps.problems:
        out.append(Line("note", _s(lang, "more", n=len(keys) - caps.problems)))
    return out


def _next_lines(p: PolicySection, caps: Caps, lang: str) -> list[Line]:
    if not p.next_deadlines:
        return []
    groups = _group(p.next_deadlines)
    order = _measure_order(p)

    def first_due(k: tuple[str, int]) -> date:
        return min((i.due_on for i in groups[k] if i.due_on is not None), default=date.max)

    keys = sorted(groups, key=lambda k: (first_due(k), order.get(k[0], len(order)), k[0], k[1]))
    out: list[Line] = []
    for key in keys[: caps.next]:
        items = groups[key]
        first = items[0]
        dues = sorted({i.due_on for i in items if i.due_on is not None})
        if not dues:
            d = "—"
        elif len(dues) == 1:
            d = fmt_date(dues[0], lang, weekday=True, year=False)
        else:
            d = f"{fmt_date(dues[0], lang, year=False)}—{fmt_date(dues[-1], lang, year=False)}"
        out.append(
            Line(
                "sub",
                _s(
                    lang,
                    "next_item",
                    d=d,
                    text=shorten(first.task_text, caps.text),
                    units=unit_list([i.unit for i in items], caps.units, lang),
                ),
                lead=task_label(first.measure_number, first.task_seq),
            )
        )
    if len(keys) > caps.next:
        out.append(Line("note", _s(lang, "more", n=len(keys) - caps.next)))
    return out


# --------------------------------------------------------------------------- the report


def _week_parts(week: str) -> tuple[int, int]:
    try:
        year, number = week.split("-W")
        return int(year), int(number)
    except ValueError:
        return 0, 0


def _important_first(policies: Sequence[PolicySection]) -> list[PolicySection]:
    return sorted(policies, key=lambda p: (-p.count("red"), -p.count("yellow"), policies.index(p)))


def _by_policy(data: SummaryData, caps: Caps, lang: str, part: Any) -> list[Line]:
    """One section's lines: straight for one policy; for several, a heading per policy that has
    something to say, the most troubled first, beyond ``caps.detail`` only counted."""
    if len(data.policies) == 1:
        return part(data.policies[0])
    out: list[Line] = []
    with_content = [(p, lines) for p in _important_first(data.policies) if (lines := part(p))]
    for n, (p, lines) in enumerate(with_content[: caps.detail], start=1):
        title = shorten(_short(p), 40)
        out.append(
            Line(
                "h2",
                _s(
                    lang,
                    "policy_head",
                    n=chinese_ordinal(n) if lang == "zh" else n,
                    title=title,
                    doc=_doc_suffix(p, lang, title),
                ),
            )
        )
        out += lines
    if len(with_content) > caps.detail:
        out.append(Line("note", _s(lang, "more_policies", n=len(with_content) - caps.detail)))
    return out


def report_lines(
    data: SummaryData, lang: str = "zh", caps: Caps = LADDER[0], *, cache: Condensed | None = None
) -> list[Line]:
    """The weekly summary as lines, in the official order. ``cache`` (a dict, empty at first) saves
    condensing the progress again when the same ``data`` is rendered at other caps."""
    cache = {} if cache is None else cache
    lg = _lang(lang)
    h = data.headline
    year, number = _week_parts(data.week)
    out = [Line("title", _s(lg, "title", year=year, n=number))]
    if len(data.policies) == 1:
        p = data.policies[0]
        out.append(
            Line(
                "subtitle",
                _s(lg, "subtitle", title=quoted_title(p.title, lg), doc=_doc_suffix(p, lg, p.title)),
            )
        )
    elif data.policies:
        out.append(Line("subtitle", _s(lg, "subtitle_many", n=len(data.policies))))
    out.append(
        Line(
            "meta",
            _s(
                lg,
                "period",
                start=fmt_date(data.period_start, lg, weekday=True),
                end=fmt_date(data.period_end, lg, weekday=True),
                when=_fmt_dt(data.generated_at, data.tz),
                zone=zone_name(lg, data.tz),
            ),
        )
    )

    # 一、总体情况
    out.append(Line("h1", _s(lg, "section.overview")))
    out.append(
        Line(
            "item",
            _s(
                lg,
                "tasks",
                tasks=h.tasks,
                total=h.total,
                done=h.done,
                in_progress=h.in_progress,
                # never delivered is told apart on the next line, not counted as unacknowledged
                na=max(0, h.not_acknowledged - h.undelivered),
                overdue=h.overdue,
            ),
        )
    )
    out.append(Line("item", _s(lg, "lights", green=h.green, yellow=h.yellow, red=h.red)))
    if h.undelivered:
        out.append(Line("item", _s(lg, "undelivered", n=h.undelivered)))
    if data.units:
        reported = sum(1 for u in data.units if u.reported)
        out.append(
            Line(
                "item",
                _s(
                    lg,
                    "rate",
                    rate=_pct(data.overall_reporting_rate),
                    reported=reported,
                    units=len(data.units),
                    n=h.reports_this_week,
                ),
            )
        )
        silent = [u.unit for u in data.units if not u.reported]
        out.append(
            Line(
                "item",
                _s(lg, "silent", units=unit_list(silent, caps.silent, lg))
                if silent
                else _s(lg, "all_reported"),
            )
        )
        # Units that reported, but not on every task due a report: the lowest rates first.
        partial = sorted(
            (u for u in data.units if u.reported and u.reporting_rate < 1.0),
            key=lambda u: (u.reporting_rate, u.unit),
        )
        if partial:
            names = [_s(lg, "unit_rate", unit=u.unit, rate=_pct(u.reporting_rate)) for u in partial]
            out.append(Line("item", _s(lg, "partial", units=unit_list(names, max(1, caps.silent // 2), lg))))
    c = data.change
    if c is None:
        out.append(Line("item", _s(lg, "change_none")))
    else:
        out.append(
            Line(
                "item",
                _s(
                    lg,
                    "change",
                    prev=c.prev_week,
                    done=_delta(c.done_delta),
                    red=_delta(c.red_delta),
                    overdue=_delta(c.overdue_delta),
                    reports=_delta(c.reports_delta),
                    rate=_delta(round(c.rate_delta * 100), _s(lg, "pp")),
                ),
            )
        )
    if len(data.policies) > 1:
        listed = data.policies if len(data.policies) <= caps.policies else _important_first(data.policies)
        for p in listed[: caps.policies]:
            title = shorten(_short(p), 40)
            out.append(
                Line(
                    "sub",
                    _s(
                        lg,
                        "policy_line",
                        title=title,
                        doc=_doc_suffix(p, lg, title),
                        tasks=p.tasks,
                        total=p.assignments,
                        done=p.count("done"),
                        red=p.count("red"),
                        yellow=p.count("yellow"),
                    ),
                )
            )
        if len(data.policies) > caps.policies:
            out.append(Line("note", _s(lg, "more_policies", n=len(data.policies) - caps.policies)))

    # 二、主要进展
    out.append(Line("h1", _s(lg, "section.progress")))
    alone = len(data.policies) == 1
    out += _by_policy(data, caps, lg, lambda p: _progress_lines(p, caps, lg, alone=alone, cache=cache)) or [
        Line("item", _s(lg, "no_progress"))
    ]
    if not alone:
        quiet = [
            p
            for p in data.policies
            if not _progress_lines(p, caps, lg, alone=False, cache=cache) and p.count("done") < p.assignments
        ]
        if quiet:
            out.append(
                Line(
                    "note",
                    _s(
                        lg,
                        "quiet_policies",
                        titles=unit_list(
                            [shorten(_short(q), 24) for q in quiet], min(caps.units, 4), lg, kind="policies"
                        ),
                    ),
                )
            )

    # 三、存在问题
    today = min(to_local(data.generated_at, data.tz).date(), data.period_end + timedelta(days=1))
    out.append(Line("h1", _s(lg, "section.problems")))
    out += _by_policy(data, caps, lg, lambda p: _problem_lines(p, caps, lg, today)) or [
        Line("item", _s(lg, "no_problems"))
    ]

    # 四、下步打算
    out.append(Line("h1", _s(lg, "section.next")))
    nxt = data.next_deadlines
    if nxt:
        start, end = data.period_end + timedelta(days=1), data.period_end + timedelta(days=7)
        out.append(
            Line(
                "item",
                _s(
                    lg,
                    "next_total",
                    start=fmt_date(start, lg, year=False),
                    end=fmt_date(end, lg, year=False),
                    n=len(nxt),
                    tasks=sum(len(_group(p.next_deadlines)) for p in data.policies),
                ),
            )
        )
        out += _by_policy(data, caps, lg, lambda p: _next_lines(p, caps, lg))
    else:
        out.append(Line("item", _s(lg, "no_next")))
    return out


__all__ = [
    "DOCX_CAPS",
    "LADDER",
    "Caps",
    "Line",
    "chinese_ordinal",
    "condense_progress",
    "is_substantive",
    "report_lines",
    "unit_list",
]
