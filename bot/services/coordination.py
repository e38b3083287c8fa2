"""Dispatch, acknowledgement, progress reports, review, extensions, reminders.

Each function changes state, writes the events, and queues the resulting messages in the
outbox inside the caller's transaction. Nothing here knows about Telegram's types.
"""

from __future__ import annotations

import html
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot import callbacks as cb
from bot.i18n import role_name, status_name, t
from bot.services import assignments as asg
from bot.services import events, outbox
from bot.services.access import Actor, coordinators, unit_contacts
from bot.services.parsing import Parsed, parse_progress
from bot.services.uow import UnitOfWork
from bot.textutil import clip
from models import (
    Assignment,
    Contact,
    ExtensionRequest,
    Measure,
    ProgressReport,
    Task,
    Unit,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)
MAX_REPORT_CHARS = 4000


class CoordinationError(Exception):
    """A refusal the user should read: `key` and `values` pick the text in their language."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def local_time(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else "—"


# ---------------------------------------------------------------- dispatch


@dataclass
class DispatchPlan:
    measure_number: int | None
    assignment_ids: list[int] = field(default_factory=list)
    task_ids: set[int] = field(default_factory=set)
    units: dict[str, int] = field(default_factory=dict)  # unit -> assignments
    unbound: list[str] = field(default_factory=list)


async def plan_dispatch(uow: UnitOfWork, measure_number: int | None) -> DispatchPlan:
    query = (
        select(Assignment.id, Assignment.task_id, Unit.id, Unit.name)
        .join(Task, Task.id == Assignment.task_id)
        .join(Measure, Measure.id == Task.measure_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.status == "draft", Task.active.is_(True))
        .order_by(Measure.number, Task.seq, Assignment.id)
    )
    if measure_number is not None:
        query = query.where(Measure.number == measure_number)
    plan = DispatchPlan(measure_number=measure_number)
    unit_ids: dict[str, int] = {}
    for aid, task_id, unit_id, unit_name in (await uow.session.execute(query)).all():
        plan.assignment_ids.append(aid)
        plan.task_ids.add(task_id)
        plan.units[unit_name] = plan.units.get(unit_name, 0) + 1
        unit_ids[unit_name] = unit_id
    if unit_ids:
        bound = set((await uow.session.scalars(select(Contact.unit_id).where(
            Contact.unit_id.in_(unit_ids.values()), Contact.role == "contact", Contact.active.is_(True)))).all())
        plan.unbound = [name for name, uid in unit_ids.items() if uid not in bound]
    return plan


def render_dispatch_preview(plan: DispatchPlan, lang: str) -> str:
    scope = (t(lang, "dispatch.scope.measure", number=plan.measure_number)
             if plan.measure_number is not None else t(lang, "dispatch.scope.all"))
    lines = [f"• {esc(name)} ×{count}" for name, count in plan.units.items()]
    return t(lang, "dispatch.preview", scope=scope, tasks=len(plan.task_ids), assignments=len(plan.assignment_ids),
             units=len(plan.units), unit_lines="\n".join(lines), unbound="、".join(plan.unbound) or "—")


def plan_fingerprint(plan: DispatchPlan) -> str:
    """What the preview showed, so a confirm pressed after the drafts changed is refused."""
    return f"{len(plan.assignment_ids)}.{max(plan.assignment_ids, default=0)}"


def dispatch_keyboard(measure_number: int | None, lang: str, fingerprint: str = "") -> dict:
    arg = ("all" if measure_number is None else str(measure_number)) + (f".{fingerprint}" if fingerprint else "")
    return cb.keyboard([[cb.button(t(lang, "dispatch.confirm"), cb.pack(cb.CONFIRM, "dispatch", arg)),
                         cb.button(t(lang, "dispatch.cancel"), cb.pack(cb.CONFIRM, "cancel", arg))]])


def task_keyboard(assignment_id: int, lang: str, acknowledged: bool = False) -> dict:
    first = [] if acknowledged else [cb.button(t(lang, "btn.ack"), cb.pack(cb.ASSIGNMENT, "ack", assignment_id))]
    return cb.keyboard([
        [*first, cb.button(t(lang, "btn.report"), cb.pack(cb.ASSIGNMENT, "rep", assignment_id))],
        [cb.button(t(lang, "btn.extend"), cb.pack(cb.ASSIGNMENT, "ext", assignment_id)),
         cb.button(t(lang, "btn.details"), cb.pack(cb.ASSIGNMENT, "det", assignment_id))],
    ])


def render_task_message(view: asg.AssignmentView, lang: str) -> str:
    a = view.assignment
    rhythm = t(lang, "task.rhythm", rhythm=t(lang, f"rhythm.{view.task.rhythm}")) if view.task.rhythm else ""
    return t(lang, "task.message", aid=a.id, policy=esc(clip(view.policy.short_title or view.policy.title)),
             measure=view.measure.number, measure_title=esc(clip(view.measure.title)), text=esc(view.task.text),
             unit=esc(view.unit.name), role=role_name(lang, a.role),
             due=a.due_on.isoformat() if a.due_on else t(lang, "task.no_due"), rhythm=rhythm)


def send_task_message(uow: UnitOfWork, view: asg.AssignmentView, contact: Contact,
                      purpose: str = "dispatch", dedupe_key: str | None = None) -> None:
    lang = contact.language
    outbox.enqueue(uow.session, chat_id=contact.chat_id, text=render_task_message(view, lang), now=uow.now,
                   purpose=purpose, assignment_id=view.assignment.id, dedupe_key=dedupe_key,
                   reply_markup=task_keyboard(view.assignment.id or 0, lang,
                                              acknowledged=view.assignment.acknowledged_at is not None))


@dataclass
class DispatchResult:
    assignments: int
    messages: int
    unbound: list[str]


async def dispatch(uow: UnitOfWork, measure_number: int | None, *, actor: str,
                   expect: str | None = None) -> DispatchResult:
    plan = await plan_dispatch(uow, measure_number)
    if expect is not None and plan_fingerprint(plan) != expect:
        raise CoordinationError("button.stale")
    contacts_by_unit: dict[int, list[Contact]] = defaultdict(list)
    messages = 0
    for aid in plan.assignment_ids:
        view = await asg.load_view(uow, aid)
        if view is None or view.assignment.status != "draft":
            continue  # dispatched meanwhile by another press: nothing twice
        asg.transition(uow, view.assignment, "assigned", action="dispatch", actor=actor)
        view.assignment.assigned_at = uow.now
        if view.unit.id not in contacts_by_unit:
            contacts_by_unit[view.unit.id or 0] = await unit_contacts(uow, view.unit.id or 0)
        for contact in contacts_by_unit[view.unit.id or 0]:
            send_task_message(uow, view, contact, dedupe_key=f"dispatch:{aid}:{contact.id}")
            messages += 1
    return DispatchResult(assignments=len(plan.assignment_ids), messages=messages, unbound=plan.unbound)


# ---------------------------------------------------------------- access to one assignment


async def lock(uow: UnitOfWork, row: object) -> None:
    """Re-reads a row under FOR UPDATE on PostgreSQL, so two simultaneous presses take turns.
    SQLite needs nothing: it has one writer, and the WriteGate serialises updates."""
    if uow.session.bind is not None and uow.session.bind.dialect.name == "postgresql":
        await uow.session.refresh(row, with_for_update=True)


async def assignment_for_actor(uow: UnitOfWork, actor: Actor, assignment_id: int,
                               *, act: bool) -> asg.AssignmentView:
    view = await asg.load_view(uow, assignment_id)
    if view is None:
        raise CoordinationError("task.not_found", aid=assignment_id)
    allowed = actor.may_act_for(view.unit.id or 0) if act else actor.may_see_unit(view.unit.id or 0)
    if not allowed:
        raise CoordinationError("denied.unit")
    if act:
        await lock(uow, view.assignment)
    return view


async def acknowledge(uow: UnitOfWork, actor: Actor, assignment_id: int) -> asg.AssignmentView:
    view = await assignment_for_actor(uow, actor, assignment_id, act=True)
    a = view.assignment
    if a.acknowledged_at is not None:
        raise CoordinationError("ack.already", aid=a.id)
    if a.status != "assigned":
        raise CoordinationError("ack.closed", aid=a.id, status=status_name(actor.language, a.status))
    await asg.acknowledge(uow, a, actor=actor.tag)
    for coordinator in await coordinators(uow):
        outbox.enqueue(uow.session, chat_id=coordinator.chat_id, now=uow.now, purpose="ack_notice",
                       text=t(coordinator.language, "notify.ack", unit=esc(view.unit.name), aid=a.id,
                              measure=view.measure.number))
    return view


# ---------------------------------------------------------------- progress reports


@dataclass
class IncomingReport:
    chat_id: int
    message_id: int | None
    text: str
    author: str
    attachment_kind: str | None = None
    attachment_file_id: str | None = None
    attachment_name: str | None = None


async def find_assignment_by_message(uow: UnitOfWork, chat_id: int, message_id: int) -> int | None:
    from models import TaskMessage

    return await uow.session.scalar(select(TaskMessage.assignment_id).where(
        TaskMessage.chat_id == chat_id, TaskMessage.message_id == message_id))


async def store_raw_report(uow: UnitOfWork, actor: Actor, assignment_id: int, incoming: IncomingReport,
                           *, supersedes: ProgressReport | None = None) -> ProgressReport:
    """Step one: keep the reply verbatim, before anything tries to read it.

    Interpretation then runs inside a savepoint (see `receive_report`), so a failure there rolls
    back only the interpretation; the verbatim text commits with the update's claim.
    """
    view = await assignment_for_actor(uow, actor, assignment_id, act=True)
    contact = next((c for c in actor.contacts if c.unit_id == view.unit.id and c.role == "contact"), None)
    report = ProgressReport(
        assignment_id=view.assignment.id or 0, contact_id=contact.id if contact else None,
        chat_id=incoming.chat_id, message_id=incoming.message_id, author=incoming.author,
        raw_text=incoming.text, attachment_kind=incoming.attachment_kind,
        attachment_file_id=incoming.attachment_file_id, attachment_name=incoming.attachment_name,
        supersedes_id=supersedes.id if supersedes else None, created_at=uow.now)
    uow.session.add(report)
    if supersedes is not None:
        supersedes.superseded = True
    await uow.session.flush()  # the event names the report's id
    events.record(uow, actor=actor.tag, kind="report.received", entity="report", entity_id=report.id,
                  data={"assignment_id": report.assignment_id, "chars": len(report.raw_text or ""),
                        "supersedes": report.supersedes_id})
    await uow.session.flush()
    return report


async def receive_report(uow: UnitOfWork, actor: Actor, assignment_id: int, incoming: IncomingReport, *,
                         supersedes: ProgressReport | None = None,
                         explicit: tuple[str, int | None] | None = None,
                         notify_now: bool = True) -> ReportOutcome | None:
    """Stores a reply verbatim, then interprets it. Returns None when interpretation failed;
    the raw report is then kept for a coordinator to read, and nothing else changed."""
    report = await store_raw_report(uow, actor, assignment_id, incoming, supersedes=supersedes)
    try:
        async with uow.session.begin_nested():
            return await interpret_report(uow, actor, report, edited_from=supersedes,
                                          explicit=explicit, notify_now=notify_now)
    except Exception:
        log.exception("report %s stored but could not be interpreted", report.id)
        report.review_state = "pending"
        uow.views.clear()  # rolled-back rows may be stale
        return None


@dataclass
class ReportOutcome:
    report: ProgressReport
    view: asg.AssignmentView
    understood: str
    status_changed: bool


def describe(lang: str, status: str | None, percent: int | None) -> str:
    if status == "progress" or (status is None and percent is not None):
        return t(lang, "report.understood.progress",
                 percent=t(lang, "report.percent", percent=percent) if percent is not None else "")
    if status in ("done", "blocked"):
        return t(lang, f"report.understood.{status}")
    return t(lang, "report.understood.unparsed")


def refused_note(lang: str, parsed: Parsed) -> str:
    """Why a percentage in the reply was not taken; empty when none was refused."""
    if parsed.invalid_percent is None:
        return ""
    return "\n" + t(lang, "report.percent_refused", value=f"{parsed.invalid_percent}%")


def reading_of(raw_text: str, explicit: tuple[str, int | None] | None = None) -> Parsed:
    if explicit is not None:
        status, percent = explicit
        return Parsed(status, 100 if status == "done" else percent)
    return parse_progress(raw_text)


async def interpret_report(uow: UnitOfWork, actor: Actor, report: ProgressReport, *,
                           edited_from: ProgressReport | None = None,
                           explicit: tuple[str, int | None] | None = None,
                           notify_now: bool = True) -> ReportOutcome:
    """Step two: read the stored text, move the assignment, tell the people who need to know.

    `explicit` carries what the contact chose in the guided flow; it wins over parsing.
    """
    parsed = reading_of(report.raw_text, explicit)
    report.parsed_status, report.parsed_percent = parsed.status, parsed.percent
    report.parse_ok, report.review_state = parsed.understood, "pending"
    view = await asg.load_view(uow, report.assignment_id)
    assert view is not None
    changed = apply_report_status(uow, view.assignment, parsed.status, parsed.percent, report,
                                  actor=actor.tag)
    understood = describe(actor.language, parsed.status, parsed.percent)
    key = "report.edited" if edited_from else "report.saved"
    outbox.enqueue(uow.session, chat_id=report.chat_id or actor.chat_id, now=uow.now, purpose="report_ack",
        reply_to_message_id=report.message_id,
        text=t(actor.language, key, aid=view.assignment.id, rid=report.id, understood=understood,
               old=edited_from.id if edited_from else "") + refused_note(actor.language, parsed),
        reply_markup=cb.keyboard([[cb.button(t(actor.language, "btn.fix"), cb.pack(cb.REVIEW, "fix", report.id))]]),
    )
    if notify_now:
        await notify_coordinators_of_report(uow, view, report)
    return ReportOutcome(report=report, view=view, understood=understood, status_changed=changed)


def apply_report_status(uow: UnitOfWork, assignment: Assignment, status: str | None, percent: int | None,
                        report: ProgressReport, *, actor: str) -> bool:
    if assignment.status in ("done", "cancelled", "claimed_done", "draft"):
        return False
    if assignment.acknowledged_at is None:
        # Reporting on a task is the clearest acknowledgement there is.
        assignment.acknowledged_at = uow.now
    target = {"done": "claimed_done", "blocked": "blocked"}.get(status or "", "in_progress")
    if percent is not None:
        assignment.percent = percent
    assignment.last_report_at = uow.now
    if target == assignment.status:
        return False
    action = "claim_done" if target == "claimed_done" else "report"
    asg.transition(uow, assignment, target, action=action, actor=actor,
                   data={"report_id": report.id, "percent": percent})
    if target == "claimed_done":
        assignment.claimed_done_at = uow.now
    return True


async def notify_coordinators_of_report(uow: UnitOfWork, view: asg.AssignmentView, report: ProgressReport) -> None:
    report.notified_at = uow.now
    for coordinator in await coordinators(uow):
        lang = coordinator.language
        text = report.raw_text if len(report.raw_text) <= 600 else report.raw_text[:600] + "…"
        if report.attachment_name:
            text += " " + t(lang, "report.attachment", name=report.attachment_name)
        outbox.enqueue(uow.session, chat_id=coordinator.chat_id, now=uow.now, purpose="report_notice",
            text=t(lang, "notify.report", unit=esc(view.unit.name), aid=view.assignment.id,
                   measure=view.measure.number, seq=view.task.seq,
                   understood=describe(lang, report.parsed_status, report.parsed_percent), text=esc(text),
                   rid=report.id, time=local_time(report.created_at)),
            reply_markup=cb.keyboard([[cb.button(t(lang, "btn.approve"), cb.pack(cb.REVIEW, "ok", report.id)),
                                       cb.button(t(lang, "btn.return"), cb.pack(cb.REVIEW, "ret", report.id))]]),
        )


async def correct_report(uow: UnitOfWork, actor: Actor, report_id: int, status: str) -> ProgressReport:
    if status not in ("progress", "done", "blocked"):
        raise CoordinationError("button.forged")
    report = await uow.session.get(ProgressReport, report_id)
    if report is None:
        raise CoordinationError("button.stale")
    view = await assignment_for_actor(uow, actor, report.assignment_id, act=True)
    newest = await uow.session.scalar(select(func.max(ProgressReport.id)).where(
        ProgressReport.assignment_id == report.assignment_id))
    # Only the latest report, while it awaits review, may be corrected: an old 更正 button must
    # not reopen what the coordinator already approved or returned.
    if report.review_state != "pending" or report.superseded or report.id != newest:
        raise CoordinationError("button.stale")
    old = report.parsed_status
    report.parsed_status, report.parse_ok = status, True
    events.record(uow, actor=actor.tag, kind="report.corrected", entity="report", entity_id=report.id,
                  from_state=old, to_state=status)
    a = view.assignment
    if a.status == "claimed_done" and status != "done":
        # Taking back a completion claim returns the task to work; the review goes with it.
        asg.transition(uow, a, "blocked" if status == "blocked" else "in_progress", action="return",
                       actor=actor.tag, reason="claim corrected by contact")
        a.claimed_done_at = None
    else:
        apply_report_status(uow, a, status, report.parsed_percent, report, actor=actor.tag)
    if status == "done" or old == "done":
        await notify_coordinators_of_report(uow, view, report)
    return report


async def latest_report_for_message(uow: UnitOfWork, chat_id: int, message_id: int) -> ProgressReport | None:
    return await uow.session.scalar(
        select(ProgressReport).where(ProgressReport.chat_id == chat_id, ProgressReport.message_id == message_id)
        .order_by(ProgressReport.id.desc()).limit(1))


# ---------------------------------------------------------------- review


async def approve_report(uow: UnitOfWork, actor: Actor, report_id: int) -> ProgressReport:
    report, view = await _reviewable(uow, actor, report_id)
    report.review_state, report.reviewed_by, report.reviewed_at = "approved", actor.tag, uow.now
    events.record(uow, actor=actor.tag, kind="report.approved", entity="report", entity_id=report.id,
                  from_state="pending", to_state="approved")
    extra = ""
    a = view.assignment
    if a.status == "claimed_done" and report.parsed_status == "done":
        asg.transition(uow, a, "done", action="approve_done", actor=actor.tag,
                       data={"report_id": report.id})
        a.done_at = uow.now
        extra = "done"
    await _tell_unit(uow, view, "notify.approved", purpose="review_notice", rid=report.id,
                     extra_key="notify.approved.done" if extra else None)
    return report


async def return_report(uow: UnitOfWork, actor: Actor, report_id: int, comment: str) -> ProgressReport:
    report, view = await _reviewable(uow, actor, report_id)
    report.review_state, report.reviewed_by, report.reviewed_at = "returned", actor.tag, uow.now
    report.review_comment = comment
    events.record(uow, actor=actor.tag, kind="report.returned", entity="report", entity_id=report.id,
                  from_state="pending", to_state="returned", reason=comment)
    a = view.assignment
    if a.status not in ("done", "cancelled"):
        asg.transition(uow, a, "returned", action="return", actor=actor.tag, reason=comment,
                       data={"report_id": report.id})
        a.claimed_done_at = None
    await _tell_unit(uow, view, "notify.returned", purpose="review_notice", rid=report.id,
                     comment=esc(comment), with_task_buttons=True)
    return report


async def _reviewable(uow: UnitOfWork, actor: Actor, report_id: int) -> tuple[ProgressReport, asg.AssignmentView]:
    if not actor.is_coordinator:
        raise CoordinationError("denied")
    report = await uow.session.get(ProgressReport, report_id)
    if report is None:
        raise CoordinationError("button.stale")
    await lock(uow, report)
    if report.review_state in ("approved", "returned") or report.superseded:
        state = t(actor.language, f"review.state.{report.review_state}") if not report.superseded else "superseded"
        raise CoordinationError("review.already", rid=report.id, state=state)
    view = await asg.load_view(uow, report.assignment_id)
    assert view is not None
    return report, view


async def _tell_unit(uow: UnitOfWork, view: asg.AssignmentView, key: str, *, purpose: str,
                     extra_key: str | None = None, with_task_buttons: bool = False, **values: object) -> int:
    sent = 0
    for contact in await unit_contacts(uow, view.unit.id or 0):
        lang = contact.language
        extra = t(lang, extra_key) if extra_key else ""
        markup = task_keyboard(view.assignment.id or 0, lang, acknowledged=True) if with_task_buttons else None
        outbox.enqueue(uow.session, chat_id=contact.chat_id, now=uow.now, purpose=purpose, reply_markup=markup,
                       assignment_id=view.assignment.id if with_task_buttons else None,
                       text=t(lang, key, aid=view.assignment.id, extra=extra, **values))
        sent += 1
    return sent


# ---------------------------------------------------------------- extensions


async def request_extension(uow: UnitOfWork, actor: Actor, assignment_id: int, new_due: date,
                            reason: str) -> ExtensionRequest:
    view = await assignment_for_actor(uow, actor, assignment_id, act=True)
    a = view.assignment
    if a.status in asg.CLOSED:
        raise CoordinationError("report.closed", aid=a.id, status=status_name(actor.language, a.status))
    if a.due_on is not None and new_due <= a.due_on:
        raise CoordinationError("ext.past", due=a.due_on.isoformat())
    if not reasonable_due(new_due, uow.now):
        raise CoordinationError("date.unreasonable")
    if not reason.strip():
        raise CoordinationError("ext.no_reason")
    contact = next((c for c in actor.contacts if c.unit_id == view.unit.id), None)
    request = ExtensionRequest(assignment_id=a.id or 0, contact_id=contact.id if contact else None,
                               reason=reason.strip(), requested_due=new_due, previous_due=a.due_on, created_at=uow.now)
    uow.session.add(request)
    await uow.session.flush()
    events.record(uow, actor=actor.tag, kind="extension.requested", entity="extension",
                  entity_id=request.id, to_state="pending",
                  data={"assignment_id": a.id, "to": new_due.isoformat()}, reason=reason)
    for coordinator in await coordinators(uow):
        lang = coordinator.language
        outbox.enqueue(uow.session, chat_id=coordinator.chat_id, now=uow.now, purpose="extension_notice",
                       text=t(lang, "notify.ext", unit=esc(view.unit.name), aid=a.id, measure=view.measure.number,
                              old=a.due_on.isoformat() if a.due_on else t(lang, "task.no_due"),
                              new=new_due.isoformat(), reason=esc(reason)),
                       reply_markup=cb.keyboard([[cb.button(t(lang, "btn.agree"), cb.pack(cb.EXTENSION, "ok", request.id)),
                                                  cb.button(t(lang, "btn.refuse"), cb.pack(cb.EXTENSION, "no", request.id))]]))
    return request


async def decide_extension(uow: UnitOfWork, actor: Actor, request_id: int, approve: bool) -> ExtensionRequest:
    if not actor.is_coordinator:
        raise CoordinationError("denied")
    request = await uow.session.get(ExtensionRequest, request_id)
    if request is None:
        raise CoordinationError("button.stale")
    await lock(uow, request)
    if request.state != "pending":
        raise CoordinationError("ext.already", eid=request.id, state=request.state)
    view = await asg.load_view(uow, request.assignment_id)
    assert view is not None
    if approve and (view.assignment.status not in asg.ALLOWED["extend"]
                    or view.assignment.due_on != request.previous_due):
        # The task was closed, or its deadline moved since the request: approving would rewind it.
        raise CoordinationError("button.stale")
    request.state = "approved" if approve else "refused"
    request.decided_by, request.decided_at = actor.tag, uow.now
    events.record(uow, actor=actor.tag, kind=f"extension.{request.state}", entity="extension",
                  entity_id=request.id, from_state="pending", to_state=request.state)
    if approve:
        await asg.extend(uow, view.assignment, request.requested_due, actor=actor.tag,
                         reason=request.reason)
        await _tell_unit(uow, view, "notify.ext.approved", purpose="extension_notice",
                         due=request.requested_due.isoformat())
    else:
        due = view.assignment.due_on.isoformat() if view.assignment.due_on else "—"
        await _tell_unit(uow, view, "notify.ext.refused", purpose="extension_notice", due=due)
    return request


# ---------------------------------------------------------------- coordinator control


def _require_coordinator(actor: Actor) -> None:
    if not actor.is_coordinator:
        raise CoordinationError("denied")


async def _coordinator_action(uow: UnitOfWork, actor: Actor, assignment_id: int, change, *,  # type: ignore[no-untyped-def]
                              notice: str, with_task_buttons: bool = False,
                              **values: object) -> asg.AssignmentView:
    _require_coordinator(actor)
    view = await assignment_for_actor(uow, actor, assignment_id, act=False)
    try:
        await change(uow, view.assignment, actor=actor.tag)
    except asg.TransitionError as exc:
        raise CoordinationError("transition.bad", aid=assignment_id,
                                status=status_name(actor.language, exc.status)) from exc
    await _tell_unit(uow, view, notice, purpose="control_notice", with_task_buttons=with_task_buttons,
                     **values)
    return view


def reasonable_due(new_due: date, now: datetime) -> bool:
    """Deadlines within ten years: far enough for any plan, near enough for date arithmetic."""
    return now.date() - timedelta(days=366) <= new_due <= now.date() + timedelta(days=3653)


async def coordinator_extend(uow: UnitOfWork, actor: Actor, assignment_id: int, new_due: date) -> asg.AssignmentView:
    if not reasonable_due(new_due, uow.now):
        raise CoordinationError("date.unreasonable")
    async def change(u, a, *, actor):  # type: ignore[no-untyped-def]
        await asg.extend(u, a, new_due, actor=actor, reason="coordinator")

    return await _coordinator_action(uow, actor, assignment_id, change, notice="notify.extended",
                                     due=new_due.isoformat())


async def coordinator_close(uow: UnitOfWork, actor: Actor, assignment_id: int) -> asg.AssignmentView:
    return await _coordinator_action(uow, actor, assignment_id, asg.close, notice="notify.closed")


async def coordinator_reopen(uow: UnitOfWork, actor: Actor, assignment_id: int) -> asg.AssignmentView:
    return await _coordinator_action(uow, actor, assignment_id, asg.reopen, notice="notify.reopened",
                                     with_task_buttons=True)


async def remind(uow: UnitOfWork, actor: Actor | None, assignment_ids: list[int], *,
                 actor_tag: str, purpose: str = "remind", followup_id: int | None = None) -> tuple[int, int]:
    """An immediate, recorded 催办: the task message again, with its buttons, to every contact."""
    reminded = messages = 0
    for aid in assignment_ids:
        view = await asg.load_view(uow, aid)
        if view is None or view.assignment.status in (*asg.CLOSED, "draft", "claimed_done"):
            continue
        view.assignment.reminders_count += 1
        events.record(uow, actor=actor_tag, kind="assignment.reminded", entity="assignment",
                      entity_id=aid, data={"purpose": purpose, "count": view.assignment.reminders_count})
        reminded += 1
        for contact in await unit_contacts(uow, view.unit.id or 0):
            lang = contact.language
            outbox.enqueue(uow.session, chat_id=contact.chat_id, now=uow.now, purpose=purpose, assignment_id=aid,
                           followup_id=followup_id,
                           text=t(lang, "remind.message", aid=aid, measure=view.measure.number,
                                  text=esc(view.task.text[:300]), status=status_name(lang, view.assignment.status),
                                  due=view.assignment.due_on.isoformat() if view.assignment.due_on
                                  else t(lang, "task.no_due")),
                           reply_markup=task_keyboard(aid, lang, acknowledged=view.assignment.acknowledged_at is not None))
            messages += 1
    return reminded, messages


async def open_assignment_ids_for_unit(uow: UnitOfWork, unit_id: int) -> list[int]:
    return list((await uow.session.scalars(select(Assignment.id).where(
        Assignment.unit_id == unit_id, Assignment.status.in_(asg.OPEN)).order_by(Assignment.id))).all())


async def report_history(uow: UnitOfWork, assignment_id: int, limit: int = 5) -> list[ProgressReport]:
    return list((await uow.session.scalars(
        select(ProgressReport).where(ProgressReport.assignment_id == assignment_id)
        .order_by(ProgressReport.id.desc()).limit(limit))).all())


async def contact_counts(uow: UnitOfWork) -> dict[int, int]:
    rows = (await uow.session.execute(
        select(Contact.unit_id, func.count(Contact.id))
        .where(Contact.role == "contact", Contact.active.is_(True), Contact.unit_id.is_not(None))
        .group_by(Contact.unit_id))).all()
    return {unit_id: n for unit_id, n in rows}


async def report_unit_for_review(uow: UnitOfWork, actor: Actor, report_id: int, *,
                                 check_state: bool = True) -> str:
    """The unit a report came from, after checking the actor may review it uow.now."""
    if check_state:
        _, view = await _reviewable(uow, actor, report_id)
        return view.unit.name
    _require_coordinator(actor)
    report = await uow.session.get(ProgressReport, report_id)
    view = await asg.load_view(uow, report.assignment_id) if report else None
    return view.unit.name if view else "—"


async def send_review_digest(uow: UnitOfWork, *, per_message: int = 8) -> int:
    """REPORT_NOTIFY=digest: the reports awaiting review since the last digest, with their buttons."""
    reports = list((await uow.session.scalars(
        select(ProgressReport).where(ProgressReport.review_state == "pending", ProgressReport.notified_at.is_(None),
                                     ProgressReport.superseded.is_(False))
        .order_by(ProgressReport.id))).all())
    if not reports:
        return 0
    views = {r.id: await asg.load_view(uow, r.assignment_id) for r in reports}
    for coordinator in await coordinators(uow):
        lang = coordinator.language
        for start in range(0, len(reports), per_message):
            chunk = reports[start:start + per_message]
            lines = [t(lang, "digest.header", count=len(reports))] if start == 0 else []
            rows = []
            for r in chunk:
                view = views[r.id]
                assert view is not None
                text = r.raw_text if len(r.raw_text) <= 200 else r.raw_text[:200] + "…"
                lines.append(t(lang, "digest.row", rid=r.id, unit=esc(view.unit.name), aid=view.assignment.id,
                               measure=view.measure.number, seq=view.task.seq,
                               understood=describe(lang, r.parsed_status, r.parsed_percent), text=esc(text)))
                rows.append([cb.button(f"{t(lang, 'btn.approve')} #{r.id}", cb.pack(cb.REVIEW, "ok", r.id)),
                             cb.button(f"{t(lang, 'btn.return')} #{r.id}", cb.pack(cb.REVIEW, "ret", r.id))])
            outbox.enqueue(uow.session, chat_id=coordinator.chat_id, now=uow.now, purpose="report_digest",
                           text="\n\n".join(lines), reply_markup=cb.keyboard(rows))
    for r in reports:
        r.notified_at = uow.now
    return len(reports)
