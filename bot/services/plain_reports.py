"""Reports sent as plain messages, without the reply gesture.

A unit with one open task reports on it directly. With several, the text is kept verbatim at once
(an UnplacedReport) and the sender is asked which task it is about; the choice, when it comes, is
checked again against the database and turns the kept text into an ordinary progress report.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from bot.domain.parsing import parse_progress
from bot.services import assignments as asg
from bot.services import coordination, events, reports
from bot.services.access import Actor
from bot.services.uow import UnitOfWork
from models import Assignment, Measure, Policy, Task, UnplacedReport

# Statuses in which a plain message can be about the task: open, and not awaiting a completion review.
REPORTABLE = asg.OPEN


@dataclass(frozen=True)
class OpenTask:
    assignment_id: int
    unit_id: int
    measure: int
    seq: int
    text: str
    code: str | None = None  # the policy's, so the choice is written P1-2.1 like everywhere else


async def open_tasks(uow: UnitOfWork, unit_ids: set[int]) -> list[OpenTask]:
    if not unit_ids:
        return []
    rows = (
        await uow.session.execute(
            select(
                col(Assignment.id),
                col(Assignment.unit_id),
                col(Measure.number),
                col(Task.seq),
                col(Task.text),
                col(Policy.code),
            )
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .join(Measure, col(Measure.id) == col(Task.measure_id))
            .join(Policy, col(Policy.id) == col(Task.policy_id))
            .where(
                col(Assignment.unit_id).in_(unit_ids),
                col(Assignment.status).in_(REPORTABLE),
                col(Task.active).is_(True),
            )
            .order_by(col(Measure.number), col(Task.seq), col(Assignment.id))
        )
    ).all()
    return [
        OpenTask(aid, uid, number, seq, text, code)
        for aid, uid, number, seq, text, code in rows
        if aid is not None
    ]


def reads_as_report(text: str) -> bool:
    """In a group, a message nobody addressed to the bot is taken only when it reads as a report."""
    return parse_progress(text).status is not None


async def hold(
    uow: UnitOfWork, actor: Actor, unit_id: int, incoming: reports.IncomingReport
) -> UnplacedReport:
    """Keeps the message verbatim before anybody has said which task it belongs to."""
    contact = next((c for c in actor.contacts if c.unit_id == unit_id and c.role == "contact"), None)
    attachments = incoming.attachments or None
    held = UnplacedReport(
        unit_id=unit_id,
        contact_id=contact.id if contact else None,
        chat_id=incoming.chat_id,
        message_id=incoming.message_id,
        author=incoming.author,
        raw_text=incoming.text,
        attachments=attachments,
        created_at=uow.now,
    )
    uow.session.add(held)
    await uow.session.flush()
    events.record(
        uow,
        actor=actor.tag,
        kind="report.held",
        entity="unplaced_report",
        entity_id=held.id,
        data={"unit_id": unit_id, "chars": len(incoming.text)},
    )
    return held


def incoming_of(held: UnplacedReport) -> reports.IncomingReport:
    first = (held.attachments or [{}])[0]
    return reports.IncomingReport(
        chat_id=held.chat_id,
        message_id=held.message_id,
        text=held.raw_text,
        author=held.author,
        attachment_kind=first.get("kind"),
        attachment_file_id=first.get("file_id"),
        attachment_name=first.get("name"),
        attachments=list(held.attachments or []),
    )


async def place(
    uow: UnitOfWork, actor: Actor, held_id: int, assignment_id: int, *, notify_now: bool
) -> reports.ReportOutcome | None:
    """The button's claim, checked against the database: the kept message is this chat's, not yet
    placed, and the task is an open one of the sender's own unit."""
    session = uow.session
    held = await session.get(UnplacedReport, held_id)
    if held is None or held.chat_id != actor.chat_id or held.unit_id not in actor.contact_unit_ids:
        raise coordination.CoordinationError("button.forged")
    await coordination.lock(uow, held)
    if held.placed_at is not None:
        raise coordination.CoordinationError("plain.already", aid=assignment_id)
    assignment = await session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.unit_id not in actor.contact_unit_ids
        or assignment.unit_id != held.unit_id
    ):
        raise coordination.CoordinationError("button.forged")
    if assignment.status not in REPORTABLE:
        raise coordination.CoordinationError("button.stale")
    outcome = await reports.receive_report(
        uow, actor, assignment_id, incoming_of(held), notify_now=notify_now
    )
    report_id = (
        outcome.report.id
        if outcome is not None
        else await session.scalar(
            select(col(reports.ProgressReport.id))
            .where(col(reports.ProgressReport.assignment_id) == assignment_id)
            .order_by(col(reports.ProgressReport.id).desc())
            .limit(1)
        )
    )
    held.report_id, held.placed_at = report_id, uow.now
    events.record(
        uow,
        actor=actor.tag,
        kind="report.placed",
        entity="unplaced_report",
        entity_id=held.id,
        data={"assignment_id": assignment_id, "report_id": report_id},
    )
    return outcome
