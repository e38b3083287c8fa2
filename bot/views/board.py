"""Rendering service results as chat text, in the reader's language. Pure functions."""

from __future__ import annotations

from datetime import date, tzinfo

from bot.domain import refs
from bot.domain.text import clip, clip_html
from bot.i18n import role_name, status_name, t
from bot.services.assignments import AssignmentView
from bot.services.board import AssignmentLine, MeasureLine
from bot.services.evidence import label
from bot.views.formatting import esc, local_time
from models import ProgressReport, ReportAttachment

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
