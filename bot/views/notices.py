"""The notices the use cases send: to coordinators (a unit acknowledged, reported, asks for more time,
reports await review) and to a unit's contacts (a decision on their task, a 催办). No database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from bot.domain import callbacks as cb
from bot.domain import refs
from bot.domain.parsing import Parsed
from bot.i18n import status_name, t
from bot.services import assignments as asg
from bot.views.formatting import esc, local_time
from bot.views.tasks import describe, describe_report, refused_note, report_card_text, task_keyboard
from models import OutboxMessage, ProgressReport

Markup = dict[str, Any]


def ack_notice(lang: str, view: asg.AssignmentView, person: str | None) -> str:
    """To a coordinator: the unit acknowledged; in a group, `person` is who pressed 签收."""
    key = "notify.ack.person" if person is not None else "notify.ack"
    return t(
        lang,
        key,
        unit=esc(view.unit.name),
        aid=view.assignment.id,
        **refs.of_view(view),
        person=esc(person) if person is not None else "",
    )


def unit_notice(
    lang: str,
    view: asg.AssignmentView,
    key: str,
    *,
    extra_key: str | None = None,
    with_task_buttons: bool = False,
    **values: object,
) -> tuple[str, Markup | None]:
    """To a unit's contact: what was decided on their task, with the task's buttons when asked."""
    extra = t(lang, extra_key) if extra_key else ""
    markup = task_keyboard(view.assignment.id or 0, lang, acknowledged=True) if with_task_buttons else None
    return t(lang, key, aid=view.assignment.id, extra=extra, **{**refs.of_view(view), **values}), markup


def report_receipt(
    lang: str,
    view: asg.AssignmentView,
    report: ProgressReport,
    parsed: Parsed,
    edited_from: ProgressReport | None,
) -> tuple[str, Markup]:
    """To the contact who reported: how the report was read, with the button to correct the reading."""
    key = "report.edited" if edited_from else "report.saved"
    # In a group anyone may write: the confirmation says whose report it was.
    person = (
        t(lang, "report.by", name=esc(report.author))
        if report.chat_id is not None and report.chat_id < 0 and report.author
        else ""
    )
    text = t(
        lang,
        key,
        aid=view.assignment.id,
        rid=report.id,
        understood=describe_report(lang, report),
        old=edited_from.id if edited_from else "",
        person=person,
        **refs.of_view(view),
    ) + refused_note(lang, parsed)
    return text, cb.keyboard([[cb.button(t(lang, "btn.fix"), cb.pack(cb.REVIEW, "fix", report.id))]])


def review_keyboard(lang: str, report_id: int | None) -> Markup:
    """The buttons of a report card: approve, return."""
    return cb.keyboard(
        [
            [
                cb.button(t(lang, "btn.approve"), cb.pack(cb.REVIEW, "ok", report_id)),
                cb.button(t(lang, "btn.return"), cb.pack(cb.REVIEW, "ret", report_id)),
            ]
        ]
    )


def decided_card(
    lang: str, view: asg.AssignmentView, report: ProgressReport, *, who: str, at: datetime, tz: tzinfo
) -> str:
    """A coordinator's report card once the report is decided: the card, then by whom and when (and
    why, when returned); it has no buttons any more."""
    return report_card_text(lang, view, report, tz) + t(
        lang,
        f"review.card.{report.review_state}",
        who=esc(who),
        time=local_time(at, tz),
        comment=esc(report.review_comment or ""),
    )


def evidence_caption(lang: str, view: asg.AssignmentView, report: ProgressReport, tz: tzinfo) -> str:
    return t(
        lang,
        "evidence.caption",
        unit=esc(view.unit.name),
        aid=view.assignment.id,
        rid=report.id,
        time=local_time(report.created_at, tz),
    )


def review_state(lang: str, report: ProgressReport) -> str:
    """How a report already reviewed stands, for the refusal to review it again."""
    return t(lang, f"review.state.{report.review_state}") if not report.superseded else "superseded"


def review_digest(
    lang: str, chunk: Sequence[tuple[ProgressReport, asg.AssignmentView]], *, total: int, first: bool
) -> tuple[str, Markup]:
    """One message of the review digest: its reports, each with its approve and return buttons; the first
    message of a digest opens with the count of all its reports."""
    lines = [t(lang, "digest.header", count=total)] if first else []
    rows = []
    for r, view in chunk:
        text = r.raw_text if len(r.raw_text) <= 200 else r.raw_text[:200] + "…"
        lines.append(
            t(
                lang,
                "digest.row",
                rid=r.id,
                unit=esc(view.unit.name),
                aid=view.assignment.id,
                **refs.of_view(view),
                understood=describe(lang, r.parsed_status, r.parsed_percent),
                text=esc(text),
            )
        )
        rows.append(
            [
                cb.button(f"{t(lang, 'btn.approve')} #{r.id}", cb.pack(cb.REVIEW, "ok", r.id)),
                cb.button(f"{t(lang, 'btn.return')} #{r.id}", cb.pack(cb.REVIEW, "ret", r.id)),
            ]
        )
    return "\n\n".join(lines), cb.keyboard(rows)


def extension_notice(
    lang: str, view: asg.AssignmentView, request_id: int | None, new_due: date, reason: str
) -> tuple[str, Markup]:
    """To a coordinator: a unit asks for a later deadline; agree or refuse."""
    a = view.assignment
    text = t(
        lang,
        "notify.ext",
        unit=esc(view.unit.name),
        aid=a.id,
        **refs.of_view(view),
        old=a.due_on.isoformat() if a.due_on else t(lang, "task.no_due"),
        new=new_due.isoformat(),
        reason=esc(reason),
    )
    return text, cb.keyboard(
        [
            [
                cb.button(t(lang, "btn.agree"), cb.pack(cb.EXTENSION, "ok", request_id)),
                cb.button(t(lang, "btn.refuse"), cb.pack(cb.EXTENSION, "no", request_id)),
            ]
        ]
    )


def reminder(lang: str, key: str, view: asg.AssignmentView) -> tuple[str, Markup]:
    """A 催办 to a unit's contact: the task again (what is asked depends on `key`), with its buttons."""
    a = view.assignment
    text = t(
        lang,
        key,
        aid=a.id,
        **refs.of_view(view),
        text=esc(view.task.text[:300]),
        status=status_name(lang, a.status),
        due=a.due_on.isoformat() if a.due_on else t(lang, "task.no_due"),
    )
    return text, task_keyboard(a.id or 0, lang, acknowledged=a.acknowledged_at is not None)


def joined_buttons(rows: Sequence[OutboxMessage]) -> list[list[dict[str, str]]]:
    """One row of buttons per card still undecided, each naming the report it decides."""
    return [
        [
            cb.button(f"{button['text']} #{row.report_id}", button["callback_data"])
            for line in (row.reply_markup or {}).get("inline_keyboard", [])
            for button in line
        ]
        for row in rows
        if row.reply_markup and row.report_id is not None
    ]


def batched_notice(
    lang: str, purpose: str, unit: str, chunk: Sequence[OutboxMessage], *, total: int, first: bool
) -> tuple[str, Markup | None]:
    """Held notices about one unit's reports, merged into one message: the first message of a batch opens
    with the count, and each notice's buttons come along, marked with its report."""
    header = t(lang, f"batch.{purpose}", count=total, unit=unit) if first else ""
    buttons = joined_buttons(chunk)
    text = "\n\n".join(x for x in [header, *(row.text for row in chunk)] if x)
    return text, cb.keyboard(buttons) if buttons else None


def parked_notice(lang: str, *, count: int, whom: str, handled: int, left: int, where: str) -> str:
    """To a coordinator: updates were parked while the bot could not take them, and how many are handled."""
    text = t(lang, "parked_notice", count=count, whom=esc(whom), handled=handled)
    if left:
        text += t(lang, "parked_notice.left", left=left, where=esc(where))
    return text


def paused_back(lang: str, *, missed: int, resent: int) -> str:
    """To a contact back from a pause: how many messages they missed, and how many tasks are sent again."""
    return t(lang, "paused.back", count=missed, resent=t(lang, "paused.resent", n=resent) if resent else "")
