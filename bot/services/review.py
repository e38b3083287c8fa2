"""Review: a coordinator approves or returns a report; the digest of reports awaiting review."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.domain.statuses import Status
from bot.services import assignments as asg
from bot.services import events, outbox
from bot.services.access import Actor, coordinators
from bot.services.coordination import CoordinationError, lock, require_coordinator, tell_unit
from bot.services.uow import UnitOfWork
from bot.views import notices
from bot.views.formatting import esc
from models import (
    ProgressReport,
)


async def approve_report(uow: UnitOfWork, actor: Actor, report_id: int) -> ProgressReport:
    report, view = await _reviewable(uow, actor, report_id)
    report.review_state, report.reviewed_by, report.reviewed_at = "approved", actor.tag, uow.now
    events.record(
        uow,
        actor=actor.tag,
        kind="report.approved",
        entity="report",
        entity_id=report.id,
        from_state="pending",
        to_state="approved",
    )
    from bot.services import cards

    await cards.decided(uow, view, report, who=actor.name)
    extra = ""
    a = view.assignment
    if a.status == Status.CLAIMED_DONE and report.parsed_status == "done":
        asg.transition(
            uow, a, Status.DONE, action="approve_done", actor=actor.tag, data={"report_id": report.id}
        )
        a.done_at = uow.now
        extra = "done"
    await tell_unit(
        uow,
        view,
        "notify.approved",
        purpose="review_notice",
        rid=report.id,
        extra_key="notify.approved.done" if extra else None,
    )
    return report


async def return_report(uow: UnitOfWork, actor: Actor, report_id: int, comment: str) -> ProgressReport:
    report, view = await _reviewable(uow, actor, report_id)
    report.review_state, report.reviewed_by, report.reviewed_at = "returned", actor.tag, uow.now
    report.review_comment = comment
    events.record(
        uow,
        actor=actor.tag,
        kind="report.returned",
        entity="report",
        entity_id=report.id,
        from_state="pending",
        to_state="returned",
        reason=comment,
    )
    from bot.services import cards

    await cards.decided(uow, view, report, who=actor.name)
    a = view.assignment
    if a.status not in (Status.DONE, Status.CANCELLED):
        asg.transition(
            uow,
            a,
            Status.RETURNED,
            action="return",
            actor=actor.tag,
            reason=comment,
            data={"report_id": report.id},
        )
        a.claimed_done_at = None
    await tell_unit(
        uow,
        view,
        "notify.returned",
        purpose="review_notice",
        rid=report.id,
        comment=esc(comment),
        with_task_buttons=True,
    )
    return report


async def _reviewable(
    uow: UnitOfWork, actor: Actor, report_id: int
) -> tuple[ProgressReport, asg.AssignmentView]:
    if not actor.is_coordinator:
        raise CoordinationError("denied")
    report = await uow.session.get(ProgressReport, report_id)
    if report is None:
        raise CoordinationError("button.stale")
    await lock(uow, report)
    if report.review_state in ("approved", "returned") or report.superseded:
        raise CoordinationError(
            "review.already", rid=report.id, state=notices.review_state(actor.language, report)
        )
    view = await asg.load_view(uow, report.assignment_id)
    assert view is not None
    return report, view


async def report_unit_for_review(
    uow: UnitOfWork, actor: Actor, report_id: int, *, check_state: bool = True
) -> str:
    """The unit a report came from, after checking the actor may review it uow.now."""
    if check_state:
        _, view = await _reviewable(uow, actor, report_id)
        return view.unit.name
    require_coordinator(actor)
    report = await uow.session.get(ProgressReport, report_id)
    found = await asg.load_view(uow, report.assignment_id) if report else None
    return found.unit.name if found else "—"


async def send_review_digest(uow: UnitOfWork, *, per_message: int = 8) -> int:
    """REPORT_NOTIFY=digest: the reports awaiting review since the last digest, with their buttons."""
    reports = list(
        (
            await uow.session.scalars(
                select(ProgressReport)
                .where(
                    col(ProgressReport.review_state) == "pending",
                    col(ProgressReport.notified_at).is_(None),
                    col(ProgressReport.superseded).is_(False),
                )
                .order_by(col(ProgressReport.id))
            )
        ).all()
    )
    if not reports:
        return 0
    views: dict[int | None, asg.AssignmentView] = {}
    for r in reports:
        view = await asg.load_view(uow, r.assignment_id)
        assert view is not None
        views[r.id] = view
    for coordinator in await coordinators(uow):
        lang = coordinator.language
        for start in range(0, len(reports), per_message):
            chunk = [(r, views[r.id]) for r in reports[start : start + per_message]]
            text, markup = notices.review_digest(lang, chunk, total=len(reports), first=start == 0)
            outbox.enqueue(
                uow.session,
                chat_id=coordinator.chat_id,
                now=uow.now,
                purpose="report_digest",
                text=text,
                reply_markup=markup,
            )
    for r in reports:
        r.notified_at = uow.now
    return len(reports)
