"""Rendering service results as chat text, in the reader's language. Pure functions."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from bot.domain import callbacks as cb
from bot.domain import refs
from bot.domain.text import clip, clip_html
from bot.i18n import role_name, status_name, t
from bot.services.assignments import AssignmentView
from bot.services.board import AssignmentLine, MeasureLine
from bot.services.evidence import label
from bot.services.lights import LIGHT_ORDER
from bot.services.units import UnitListing
from bot.views.formatting import esc, local_time
from models import ProgressReport, ReportAttachment

if TYPE_CHECKING:
    from bot.services.followups import FollowupLine

PAGE_LINES = 25
PAGE_CHARS = 3500


def paginate(header: str, lines: list[str], page: int) -> tuple[str, int, int]:
    """Cuts a long listing into pages under Telegram's limit. Returns text, page, pages."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if pages[-1] and (len(pages[-1]) >= PAGE_LINES or size + len(line) > PAGE_CHARS):
            pages.append([])
            size = 0
        pages[-1].append(clip_html(line, PAGE_CHARS))
        size += len(line) + 1
    page = max(0, min(page, len(pages) - 1))
    return "\n".join([header, *pages[page]]), page, len(pages)


def board_lines(
    lang: str, measures: list[MeasureLine], policy_lights: dict[int, str] | None = None
) -> list[str]:
    lines: list[str] = []
    current_policy = None
    for m in measures:
        if m.policy_id != current_policy:
            current_policy = m.policy_id
            light = (policy_lights or {}).get(m.policy_id)
            prefix = t(lang, f"light.{light}") + " " if light else ""
            lines.append(
                t(lang, "board.policy", light=prefix, title=esc(clip(m.policy_title)), code=m.policy_code)
            )
        draft = m.counts.get("draft", 0)
        lines.append(
            t(
                lang,
                "board.measure",
                light=t(lang, f"light.{m.light}"),
                measure=refs.format_measure(m.policy_code or None, m.number),
                title=esc(clip(m.title)),
                total=m.total,
                done=m.counts.get("done", 0),
                red=m.counts.get("red", 0),
                yellow=m.counts.get("yellow", 0),
                green=m.counts.get("green", 0),
                draft=(
                    t(lang, "board.undelivered", n=undelivered)
                    if (undelivered := m.counts.get("undelivered"))
                    else ""
                )
                + (t(lang, "board.draft", n=draft) if draft else ""),
            )
        )
    return lines


def board_totals(lang: str, measures: list[MeasureLine], overdue: int) -> str:
    def total(key: str) -> int:
        return sum(m.counts.get(key, 0) for m in measures)

    return t(
        lang,
        "board.totals",
        total=sum(m.total for m in measures),
        done=total("done"),
        overdue=overdue,
        red=total("red"),
        yellow=total("yellow"),
        green=total("green"),
        draft=total("draft"),
    ) + (t(lang, "board.undelivered", n=total("undelivered")) if total("undelivered") else "")


def _percent(value: int | None) -> str:
    return f" {value}%" if value is not None else ""


def measure_lines(
    lang: str, rows: list[AssignmentLine], task_lights: dict[int, str] | None = None
) -> list[str]:
    lines: list[str] = []
    last_task = None
    for r in rows:
        if r.task_id != last_task:
            last_task = r.task_id
            text = r.text if len(r.text) <= 120 else r.text[:120] + "…"
            light = (task_lights or {}).get(r.task_id)
            prefix = t(lang, f"light.{light}") + " " if light else ""
            lines.append(t(lang, "measure.task", task=r.task_ref, text=prefix + esc(text)))
        lines.append(
            t(
                lang,
                "measure.assignment",
                light=t(lang, f"light.{r.light}"),
                aid=r.assignment_id,
                unit=esc(r.unit),
                role=role_name(lang, r.role),
                status=status_name(lang, r.status),
                percent=_percent(r.percent),
            )
        )
    return lines


def unit_lines(lang: str, rows: list[AssignmentLine]) -> list[str]:
    return [
        t(
            lang,
            "unit.row",
            light=t(lang, f"light.{r.light}"),
            aid=r.assignment_id,
            task=r.task_ref,
            status=status_name(lang, r.status),
            due=t(lang, "unit.due", due=r.due_on.isoformat()) if r.due_on else "",
            text=esc(r.text[:60] + ("…" if len(r.text) > 60 else "")),
        )
        for r in rows
    ]


def overdue_lines(lang: str, rows: list[AssignmentLine], today: date) -> list[str]:
    return [
        t(
            lang,
            "overdue.row",
            aid=r.assignment_id,
            unit=esc(r.unit),
            task=r.task_ref,
            due=r.due_on.isoformat() if r.due_on else "—",
            days=(today - r.due_on).days if r.due_on else 0,
            status=status_name(lang, r.status),
        )
        for r in rows
    ]


def task_detail(
    lang: str,
    view: AssignmentView,
    light: str,
    reports: list[ProgressReport],
    tz: tzinfo,
    files: dict[int, list[ReportAttachment]] | None = None,
) -> str:
    a = view.assignment
    text = t(
        lang,
        "task.detail",
        aid=a.id,
        light=t(lang, f"light.{light}"),
        status=status_name(lang, a.status),
        percent=_percent(a.percent),
        **refs.of_view(view),
        measure_title=esc(clip(view.measure.title)),
        text=esc(view.task.text),
        unit=esc(view.unit.name),
        role=role_name(lang, a.role),
        due=a.due_on.isoformat() if a.due_on else t(lang, "task.no_due"),
        acked=local_time(a.acknowledged_at, tz),
        last_report=local_time(a.last_report_at, tz),
        reminders=a.reminders_count,
    )
    if reports:
        text += t(lang, "task.detail.reports")
        for r in reports:
            body = r.raw_text if len(r.raw_text) <= 200 else r.raw_text[:200] + "…"
            shown = [label(lang, f.kind, f.file_name) for f in (files or {}).get(r.id or 0, [])]
            if not shown and r.attachment_kind:
                shown = [label(lang, r.attachment_kind, r.attachment_name)]
            body = " ".join(x for x in [body, *shown] if x)
            text += t(lang, "task.detail.report", time=local_time(r.created_at, tz), text=esc(body))
    return text


def detail_keyboard(
    lang: str,
    reports: list[ProgressReport],
    files: dict[int, list[ReportAttachment]],
    fix_task_id: int | None = None,
) -> dict | None:
    """A button per file the reports carry (sent to whoever presses), and for a coordinator in a
    private chat the task's correction menu; None when there is nothing to press."""
    rows = [
        [
            cb.button(
                t(lang, "detail.btn.evidence", file=label(lang, f.kind, f.file_name), rid=f.report_id),
                cb.pack(cb.EVIDENCE, f.id),
            )
        ]
        for r in reports
        for f in files.get(r.id or 0, [])
    ]
    if fix_task_id is not None:
        rows.append([cb.button(t(lang, "fix.btn.open"), cb.pack(cb.FIX, "menu", fix_task_id, 0))])
    return cb.keyboard(rows) if rows else None


def task_share(lang: str, ref: str, rows: list[AssignmentLine]) -> str:
    """A unit member's own assignments of one task number (`/task 2.1`)."""
    return "\n".join([t(lang, "task.header", task=esc(ref)), *unit_lines(lang, rows)])


def pager(lang: str, kind: str, arg: str, page: int, pages: int) -> dict | None:
    """Previous / next buttons of a listing that runs over several messages."""
    if pages <= 1:
        return None
    row = []
    if page > 0:
        row.append(cb.button(t(lang, "btn.prev"), cb.pack(cb.PAGE, kind, arg, page - 1)))
    if page < pages - 1:
        row.append(cb.button(t(lang, "btn.next"), cb.pack(cb.PAGE, kind, arg, page + 1)))
    return cb.keyboard([row])


def listing_page(
    lang: str, kind: str, arg: str, header: str, lines: list[str], page: int
) -> tuple[str, dict | None]:
    """One page of a listing (board, measure, unit, overdue) with its footer and pager."""
    text, page, pages = paginate(header, lines, page)
    if pages > 1:
        text += "\n\n" + t(lang, "page.footer", page=page + 1, pages=pages)
    return text, pager(lang, kind, arg, page, pages)


def board_header(lang: str, now: datetime, tz: tzinfo, narrowed_code: str | None) -> str:
    header = t(lang, "board.title", date=local_time(now, tz))
    if narrowed_code is not None:
        header += t(lang, "board.narrowed", code=narrowed_code)
    return header


def pages_of(header: str, lines: list[str]) -> list[str]:
    """A long list as several messages, the header on the first only."""
    _, _, pages = paginate("", lines, 0)
    return [paginate(header if page == 0 else "", lines, page)[0].strip() for page in range(pages)]


def unit_directory(lang: str, units: list[UnitListing], contacts: dict[int, int]) -> list[str]:
    """/units: each unit with a few of its aliases, its assignments and its contacts."""
    return pages_of(
        "",
        [
            t(
                lang,
                "units.row",
                name=esc(u.name),
                alias=t(lang, "units.aliases", aliases=esc("、".join(u.aliases[:3]))) if u.aliases else "",
                count=u.assignments,
                contacts=contacts.get(u.id, 0),
            )
            for u in units
        ],
    )


def leader_board(lang: str, names: list[str], rows: list[AssignmentLine]) -> list[str]:
    """A leader's units, read-only: a count per light in the header, then every assignment."""
    if not rows:
        return [t(lang, "leader.board.empty", unit="、".join(names))]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.light] = counts.get(r.light, 0) + 1
    header = t(
        lang,
        "leader.board.header",
        unit="、".join(names),
        total=len(rows),
        lights=" ".join(
            t(lang, "leader.board.light", light=t(lang, f"light.{k}"), count=n)
            for k, n in sorted(counts.items(), key=lambda kv: LIGHT_ORDER.get(kv[0], 9))
        ),
    )
    return pages_of(header, unit_lines(lang, rows))


def followup_listing(lang: str, lines: list[FollowupLine], total: int, tz: tzinfo) -> str:
    """/followups: the next scheduled follow-ups, soonest first."""
    rows = [
        t(
            lang,
            "followups.row",
            when=local_time(x.due_at, tz),
            aid=x.assignment_id,
            unit=esc(x.unit),
            kind=t(lang, f"followup.kind.{x.kind}"),
        )
        for x in lines
    ]
    return paginate(t(lang, "followups.header", total=total, shown=len(lines)), rows, 0)[0]
