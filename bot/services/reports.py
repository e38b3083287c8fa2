"""Progress reports: a reply kept verbatim, then read, applied to its assignment, corrected."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from bot.domain.parsing import Parsed, parse_progress
from bot.domain.statuses import Status
from bot.services import assignments as asg
from bot.services import events, outbox
from bot.services.access import Actor, coordinators
from bot.services.coordination import CoordinationError, assignment_for_actor, hold_until
from bot.services.uow import UnitOfWork
from bot.views import notices
from bot.views.tasks import describe_report, report_card_text
from models import (
    Assignment,
    OutboxMessage,
    ProgressReport,
)

log = logging.getLogger(__name__)


MAX_REPORT_CHARS = 4000


@dataclass
class IncomingReport:
    chat_id: int
    message_id: int | None
    text: str
    author: str
    attachment_kind: str | None = None
    attachment_file_id: str | None = None
    attachment_name: str | None = None
    # Every piece of evidence: kind, file_id, file_unique_id, name, size (bot/services/evidence.py).
    attachments: list[dict[str, Any]] = field(default_factory=list)


async def find_assignment_by_message(uow: UnitOfWork, chat_id: int, message_id: int) -> int | None:
    # The view comes with it: whoever asks goes on to load it (`assignment_for_actor`).
    view = await asg.load_view_of_message(uow, chat_id, message_id)
    return view.assignment.id if view is not None else None


async def store_raw_report(
    uow: UnitOfWork,
    actor: Actor,
    assignment_id: int,
    incoming: IncomingReport,
    *,
    supersedes: ProgressReport | None = None,
) -> ProgressReport:
    """Keeps the reply verbatim and unread (a reply to a task already closed)."""
    report = await _keep(uow, actor, assignment_id, incoming, supersedes)
    await _received(uow, actor, report, incoming)
    return report


async def _keep(
    uow: UnitOfWork,
    actor: Actor,
    assignment_id: int,
    incoming: IncomingReport,
    supersedes: ProgressReport | None,
) -> ProgressReport:
    """Step one: the reply verbatim, in the unit of work before anything tries to read it."""
    view = await assignment_for_actor(uow, actor, assignment_id, act=True)
    contact = next((c for c in actor.contacts if c.unit_id == view.unit.id and c.role == "contact"), None)
    report = ProgressReport(
        assignment_id=view.assignment.id or 0,
        contact_id=contact.id if contact else None,
        chat_id=incoming.chat_id,
        message_id=incoming.message_id,
        author=incoming.author,
        raw_text=incoming.text,
        attachment_kind=incoming.attachment_kind,
        attachment_file_id=incoming.attachment_file_id,
        attachment_name=incoming.attachment_name,
        supersedes_id=supersedes.id if supersedes else None,
        created_at=uow.now,
    )
    uow.session.add(report)
    if supersedes is not None:
        supersedes.superseded = True
    return report


async def _received(uow: UnitOfWork, actor: Actor, report: ProgressReport, incoming: IncomingReport) -> None:
    await uow.session.flush()  # the report's id, which its event, its files and the notices name
    from bot.services import evidence

    evidence.keep(uow, report, incoming.attachments)
    events.record(
        uow,
        actor=actor.tag,
        kind="report.received",
        entity="report",
        entity_id=report.id,
        data={
            "assignment_id": report.assignment_id,
            "chars": len(report.raw_text or ""),
            "supersedes": report.supersedes_id,
        },
    )


async def receive_report(
    uow: UnitOfWork,
    actor: Actor,
    assignment_id: int,
    incoming: IncomingReport,
    *,
    supersedes: ProgressReport | None = None,
    explicit: tuple[str, int | None] | None = None,
    notify_now: bool = True,
) -> ReportOutcome | None:
    """Stores a reply verbatim, then interprets it. Returns None when interpretation failed;
    the raw report is then kept for a coordinator to read, and nothing else changed."""
    report = await _keep(uow, actor, assignment_id, incoming, supersedes)
    try:
        parsed: Parsed | None = reading_of(report.raw_text, explicit)
    except Exception:
        log.exception("a report on #%s is kept but could not be read", assignment_id)
        parsed = None
    report.review_state = "pending"
    if parsed is not None:
        # What was read goes into the database with the text, in the one INSERT.
        report.parsed_status, report.parsed_percent = parsed.status, parsed.percent
        report.parse_ok = parsed.understood
        report.notified_at = uow.now if notify_now else None
    await _received(uow, actor, report, incoming)
    if parsed is None:
        return None
    undo = _Undo.mark(uow)
    try:
        # Until the unit of work commits nothing of this reaches the database (no autoflush), so a
        # failure is taken back in the session, without a savepoint's two statements per reply.
        with uow.session.no_autoflush:
            return await interpret_report(
                uow, actor, report, parsed, edited_from=supersedes, notify_now=notify_now
            )
    except Exception:
        log.exception("report %s stored but could not be interpreted", report.id)
        await undo.revert(report)
        return None


@dataclass
class _Undo:
    """What the session held before a report was interpreted, to take back what interpreting did."""

    uow: UnitOfWork
    pending: set[int]  # id() of the objects added but not yet written (the report's event, files)
    touched: set[int]

    @classmethod
    def mark(cls, uow: UnitOfWork) -> _Undo:
        return cls(uow, {id(obj) for obj in uow.session.new}, set(uow.touched))

    async def revert(self, report: ProgressReport) -> None:
        session = self.uow.session
        for obj in [obj for obj in session.new if id(obj) not in self.pending]:
            session.expunge(obj)
        # Everything else the session holds was written before interpreting began (the report's
        # flush): re-read, it is as it was.
        changed = [obj for obj in session.dirty if obj is not report]
        for obj in changed:
            session.expire(obj)
        for obj in changed:
            await session.refresh(obj)
        report.parsed_status = report.parsed_percent = report.notified_at = None
        report.parse_ok, report.review_state = False, "pending"
        self.uow.touched = self.touched
        self.uow.views.clear()


@dataclass
class ReportOutcome:
    report: ProgressReport
    view: asg.AssignmentView
    understood: str
    status_changed: bool


def reading_of(raw_text: str, explicit: tuple[str, int | None] | None = None) -> Parsed:
    if explicit is not None:
        status, percent = explicit
        return Parsed(status, 100 if status == "done" else percent)
    return parse_progress(raw_text)


async def interpret_report(
    uow: UnitOfWork,
    actor: Actor,
    report: ProgressReport,
    parsed: Parsed,
    *,
    edited_from: ProgressReport | None = None,
    notify_now: bool = True,
) -> ReportOutcome:
    """Step two: move the assignment by what was read, tell the people who need to know.

    `parsed` is what `reading_of` made of the stored text (what the contact chose in the guided
    flow wins over parsing).
    """
    view = await asg.load_view(uow, report.assignment_id)
    assert view is not None
    changed = apply_report_status(
        uow, view.assignment, parsed.status, parsed.percent, report, actor=actor.tag
    )
    understood = describe_report(actor.language, report)
    text, markup = notices.report_receipt(actor.language, view, report, parsed, edited_from)
    queued = outbox.messages(
        chat_id=report.chat_id or actor.chat_id,
        now=uow.now,
        purpose="report_ack",
        reply_to_message_id=report.message_id,
        text=text,
        reply_markup=markup,
    )
    if notify_now:
        queued += await coordinator_notices(uow, view, report)
    # Last, once everything is rendered: the one statement of this that is written at once.
    await outbox.enqueue_all(uow.session, queued)
    return ReportOutcome(report=report, view=view, understood=understood, status_changed=changed)


def apply_report_status(
    uow: UnitOfWork,
    assignment: Assignment,
    status: str | None,
    percent: int | None,
    report: ProgressReport,
    *,
    actor: str,
) -> bool:
    if assignment.status in (Status.DONE, Status.CANCELLED, Status.CLAIMED_DONE, Status.DRAFT):
        return False
    if assignment.acknowledged_at is None:
        # Reporting on a task is the clearest acknowledgement there is.
        assignment.acknowledged_at = uow.now
    target = {"done": Status.CLAIMED_DONE, "blocked": Status.BLOCKED}.get(status or "", Status.IN_PROGRESS)
    if percent is not None:
        assignment.percent = percent
    assignment.last_report_at = uow.now
    if target == assignment.status:
        return False
    action = "claim_done" if target == "claimed_done" else "report"
    asg.transition(
        uow, assignment, target, action=action, actor=actor, data={"report_id": report.id, "percent": percent}
    )
    if target == "claimed_done":
        assignment.claimed_done_at = uow.now
    return True


async def notify_coordinators_of_report(
    uow: UnitOfWork, view: asg.AssignmentView, report: ProgressReport
) -> None:
    uow.session.add_all(await coordinator_notices(uow, view, report))


async def coordinator_notices(
    uow: UnitOfWork, view: asg.AssignmentView, report: ProgressReport
) -> list[OutboxMessage]:
    """One card per report; within NOTICE_WINDOW_SECONDS it waits, so that the unit's other reports
    of the window join it in one message (bot/services/batches.py)."""
    report.notified_at = uow.now
    rows: list[OutboxMessage] = []
    for coordinator in await coordinators(uow):
        lang = coordinator.language
        rows += outbox.messages(
            chat_id=coordinator.chat_id,
            now=uow.now,
            purpose="report_notice",
            report_id=report.id,
            hold_until=hold_until(uow),
            text=report_card_text(lang, view, report, uow.calendar.tz),
            reply_markup=notices.review_keyboard(lang, report.id),
        )
    return rows


async def correct_report(uow: UnitOfWork, actor: Actor, report_id: int, status: str) -> ProgressReport:
    if status not in ("progress", "done", "blocked"):
        raise CoordinationError("button.forged")
    report = await uow.session.get(ProgressReport, report_id)
    if report is None:
        raise CoordinationError("button.stale")
    view = await assignment_for_actor(uow, actor, report.assignment_id, act=True)
    newest = await uow.session.scalar(
        select(func.max(col(ProgressReport.id))).where(
            col(ProgressReport.assignment_id) == report.assignment_id
        )
    )
    # Only the latest report, while it awaits review, may be corrected: an old 更正 button must
    # not reopen what the coordinator already approved or returned.
    if report.review_state != "pending" or report.superseded or report.id != newest:
        raise CoordinationError("button.stale")
    old = report.parsed_status
    report.parsed_status, report.parse_ok = status, True
    events.record(
        uow,
        actor=actor.tag,
        kind="report.corrected",
        entity="report",
        entity_id=report.id,
        from_state=old,
        to_state=status,
    )
    a = view.assignment
    if a.status == Status.CLAIMED_DONE and status != "done":
        # Taking back a completion claim returns the task to work; the review goes with it.
        asg.transition(
            uow,
            a,
            Status.BLOCKED if status == "blocked" else Status.IN_PROGRESS,
            action="return",
            actor=actor.tag,
            reason="claim corrected by contact",
        )
        a.claimed_done_at = None
    else:
        apply_report_status(uow, a, status, report.parsed_percent, report, actor=actor.tag)
    from bot.services import cards

    # The coordinator's card says what the contact now means; a new card only when none was sent.
    if not await cards.refresh(uow, view, report) and (status == "done" or old == "done"):
        await notify_coordinators_of_report(uow, view, report)
    return report


async def latest_report_for_message(uow: UnitOfWork, chat_id: int, message_id: int) -> ProgressReport | None:
    return await uow.session.scalar(
        select(ProgressReport)
        .where(col(ProgressReport.chat_id) == chat_id, col(ProgressReport.message_id) == message_id)
        .order_by(col(ProgressReport.id).desc())
        .limit(1)
    )


async def evidence_for_actor(uow: UnitOfWork, actor: Actor, attachment_id: int) -> tuple[Any, str]:
    """A report's file, if the actor may see the unit it came from; with a caption naming it."""
    from models import ReportAttachment

    attachment = await uow.session.get(ReportAttachment, attachment_id)
    report = await uow.session.get(ProgressReport, attachment.report_id) if attachment else None
    if attachment is None or report is None:
        raise CoordinationError("button.stale")
    view = await assignment_for_actor(uow, actor, report.assignment_id, act=False)
    return attachment, notices.evidence_caption(actor.language, view, report, uow.calendar.tz)


async def report_history(uow: UnitOfWork, assignment_id: int, limit: int = 5) -> list[ProgressReport]:
    return list(
        (
            await uow.session.scalars(
                select(ProgressReport)
                .where(col(ProgressReport.assignment_id) == assignment_id)
                .order_by(col(ProgressReport.id).desc())
                .limit(limit)
            )
        ).all()
    )
