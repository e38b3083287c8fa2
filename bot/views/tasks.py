"""The task message, the dispatch preview and their keyboards; how a report was read, in words."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.domain import callbacks as cb
from bot.domain import refs
from bot.domain.parsing import Parsed
from bot.domain.text import clip
from bot.i18n import role_name, status_name, t
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


# ---------------------------------------------------------------- what the contact's and coordinator's handlers say


def ack_reply(lang: str, aid: int, ref: dict[str, str], person: str | None = None) -> str:
    """Acknowledged: in a group it names who pressed, since any member may."""
    if person is not None:
        return t(lang, "ack.ok.person", aid=aid, person=esc(person), **ref)
    return t(lang, "ack.ok", aid=aid, **ref)


def _status_row(lang: str, data: dict[str, str]) -> list[dict[str, str]]:
    return [cb.button(t(lang, f"btn.{status}"), data[status]) for status in ("progress", "done", "blocked")]


def report_status_keyboard(lang: str) -> dict:
    """The guided report's first step: which state the task is in, or cancel."""
    row = _status_row(lang, {s: cb.pack(cb.FLOW, "status", s) for s in ("progress", "done", "blocked")})
    return cb.keyboard([row, [cb.button(t(lang, "dispatch.cancel"), cb.pack(cb.FLOW, "cancel", "-"))]])


def skip_keyboard(lang: str) -> dict:
    """The guided report's percentage step may be skipped."""
    return cb.keyboard([[cb.button(t(lang, "btn.skip"), cb.pack(cb.FLOW, "skip", "-"))]])


def correct_status_keyboard(lang: str, report_id: int) -> dict:
    """A misread report: the state it should have been read as."""
    return cb.keyboard(
        [
            _status_row(
                lang, {s: cb.pack(cb.REVIEW, f"set-{s}", report_id) for s in ("progress", "done", "blocked")}
            )
        ]
    )


def extend_ask(lang: str, ref: str, count: int, units: list[str], due: str, arg: str) -> tuple[str, dict]:
    """Extending a measure, task or policy: what would move, to be confirmed."""
    text = t(lang, "extend.confirm", ref=ref, count=count, units=esc("、".join(units)), due=due)
    return text, cb.keyboard(
        [
            [
                cb.button(t(lang, "btn.confirm"), cb.pack(cb.CONFIRM, "extend", arg)),
                cb.button(t(lang, "dispatch.cancel"), cb.pack(cb.CONFIRM, "cancel", "extend")),
            ]
        ]
    )


def remind_result(lang: str, reminded: int, messages: int) -> str:
    return t(lang, "remind.sent", count=reminded, messages=messages) if reminded else t(lang, "remind.none")


def report_closed(lang: str, aid: int, status: str) -> str:
    """A report or button on an assignment that is done, cancelled or not handed out yet."""
    return t(lang, "report.closed", aid=aid, status=status_name(lang, status))
