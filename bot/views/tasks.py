"""The task message, the dispatch preview and their keyboards; how a report was read, in words."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.domain import callbacks as cb
from bot.domain import refs
from bot.domain.parsing import Parsed
from bot.domain.text import clip
from bot.i18n import role_name, t
from bot.services import assignments as asg
from bot.views.formatting import esc, local_time
from models import (
    ProgressReport,
)

if TYPE_CHECKING:
    from bot.services.dispatch import DispatchPlan
    from bot.services.plain_reports import OpenTask


def dispatch_scope(plan: DispatchPlan, lang: str) -> str:
    if plan.measure_number is not None:
        return t(
            lang, "dispatch.scope.measure", measure=refs.format_measure(plan.policy_code, plan.measure_number)
        )
    if plan.policy_code is not None:
        return t(lang, "dispatch.scope.policy", code=plan.policy_code)
    return t(lang, "dispatch.scope.all")


def render_dispatch_preview(plan: DispatchPlan, lang: str) -> str:
    scope = dispatch_scope(plan, lang)
    lines = [f"• {esc(name)} ×{count}" for name, count in plan.units.items()]
    return t(
        lang,
        "dispatch.preview",
        scope=scope,
        tasks=len(plan.task_ids),
        assignments=len(plan.assignment_ids),
        units=len(plan.units),
        unit_lines="\n".join(lines),
        unbound="、".join(plan.unbound) or "—",
    ) + (t(lang, "dispatch.no_due", count=len(plan.no_due)) if plan.no_due else "")


def dispatch_keyboard(
    measure_number: int | None, lang: str, fingerprint: str = "", policy_code: str | None = None
) -> dict:
    if policy_code is not None:
        scope = policy_code if measure_number is None else refs.format_measure(policy_code, measure_number)
    else:
        scope = "all" if measure_number is None else str(measure_number)
    arg = scope + (f".{fingerprint}" if fingerprint else "")
    return cb.keyboard(
        [
            [
                cb.button(t(lang, "dispatch.confirm"), cb.pack(cb.CONFIRM, "dispatch", arg)),
                cb.button(t(lang, "dispatch.cancel"), cb.pack(cb.CONFIRM, "cancel", arg)),
            ]
        ]
    )


def task_keyboard(assignment_id: int, lang: str, acknowledged: bool = False) -> dict:
    first = (
        [] if acknowledged else [cb.button(t(lang, "btn.ack"), cb.pack(cb.ASSIGNMENT, "ack", assignment_id))]
    )
    return cb.keyboard(
        [
            [*first, cb.button(t(lang, "btn.report"), cb.pack(cb.ASSIGNMENT, "rep", assignment_id))],
            [
                cb.button(t(lang, "btn.extend"), cb.pack(cb.ASSIGNMENT, "ext", assignment_id)),
                cb.button(t(lang, "btn.details"), cb.pack(cb.ASSIGNMENT, "det", assignment_id)),
            ],
        ]
    )


def render_task_message(view: asg.AssignmentView, lang: str) -> str:
    a = view.assignment
    rhythm = t(lang, "task.rhythm", rhythm=t(lang, f"rhythm.{view.task.rhythm}")) if view.task.rhythm else ""
    return t(
        lang,
        "task.message",
        aid=a.id,
        policy=esc(clip(view.policy.short_title or view.policy.title)),
        **refs.of_view(view),
        measure_title=esc(clip(view.measure.title)),
        text=esc(view.task.text),
        unit=esc(view.unit.name),
        role=role_name(lang, a.role),
        due=a.due_on.isoformat() if a.due_on else t(lang, "task.no_due"),
        rhythm=rhythm,
    )


def describe(lang: str, status: str | None, percent: int | None) -> str:
    if status == "progress" or (status is None and percent is not None):
        return t(
            lang,
            "report.understood.progress",
            percent=t(lang, "report.percent", percent=percent) if percent is not None else "",
        )
    if status in ("done", "blocked"):
        return t(lang, f"report.understood.{status}")
    return t(lang, "report.understood.unparsed")


def describe_report(lang: str, report: ProgressReport) -> str:
    """What the bot understood of a report; a file sent without a word is named as that file."""
    if (
        report.parsed_status is None
        and report.parsed_percent is None
        and not report.raw_text.strip()
        and report.attachment_kind
    ):
        from bot.services.evidence import label

        return t(
            lang, "report.understood.evidence", kind=label(lang, report.attachment_kind, None).strip("[]")
        )
    return describe(lang, report.parsed_status, report.parsed_percent)


def refused_note(lang: str, parsed: Parsed) -> str:
    """Why a percentage in the reply was not taken; empty when none was refused."""
    if parsed.invalid_percent is None:
        return ""
    return "\n" + t(lang, "report.percent_refused", value=f"{parsed.invalid_percent}%")


def report_card_text(lang: str, view: asg.AssignmentView, report: ProgressReport, tz: tzinfo) -> str:
    text = report.raw_text if len(report.raw_text) <= 600 else report.raw_text[:600] + "…"
    if report.attachment_kind:
        from bot.services.evidence import label

        text = (text + " " if text else "") + label(lang, report.attachment_kind, report.attachment_name)
    return t(
        lang,
        "notify.report",
        unit=esc(reporter_label(view.unit.name, report)),
        aid=view.assignment.id,
        **refs.of_view(view),
        understood=describe_report(lang, report),
        text=esc(text),
        rid=report.id,
        time=local_time(report.created_at, tz),
    )


def reporter_label(unit: str, report: ProgressReport) -> str:
    """The unit, and in a group (negative chat id) the person who wrote: any member may speak there."""
    if report.chat_id is not None and report.chat_id < 0 and report.author:
        return f"{unit}（{report.author}）"
    return unit


def choice_keyboard(lang: str, held_id: int, tasks: list[OpenTask]) -> dict:
    """A report that names no task: one button per open task of the unit, to place it on."""
    rows = [
        [
            cb.button(
                t(
                    lang,
                    "plain.choice",
                    task=refs.format_task(task.code, task.measure, task.seq),
                    aid=task.assignment_id,
                    text=clip(task.text, 16),
                ),
                cb.pack(cb.PLACE, held_id, task.assignment_id),
            )
        ]
        for task in tasks
    ]
    return cb.keyboard(rows)


def render_dispatch_done(assignments: int, messages: int, unbound: list[str], lang: str) -> str:
    note = t(lang, "dispatch.unbound_note", units="、".join(unbound)) if unbound else ""
    return t(lang, "dispatch.done", assignments=assignments, messages=messages, unbound_note=note)
