"""The follow-ups' texts (催办): a reminder to a unit's contacts with the task's buttons, and the one
message per tick that lists a leader's or coordinator's escalations. No database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain import refs
from bot.i18n import status_name, t
from bot.services.assignments import AssignmentView
from bot.views.formatting import esc
from bot.views.tasks import task_keyboard

Markup = dict[str, Any]


def _due(lang: str, view: AssignmentView) -> str:
    due_on = view.assignment.due_on
    return due_on.isoformat() if due_on else t(lang, "task.no_due")


def reminder(lang: str, kind: str, view: AssignmentView, payload: Mapping[str, Any]) -> tuple[str, Markup]:
    """To a unit's contact: the follow-up of `kind` (an acknowledgement, progress or deadline reminder),
    with the task's buttons."""
    a = view.assignment
    text = t(
        lang,
        f"followup.{kind}",
        aid=a.id,
        unit=esc(view.unit.name),
        **refs.of_view(view),
        text=esc(view.task.text[:200]),
        due=_due(lang, view),
        status=status_name(lang, a.status),
        days=payload.get("days_before", payload.get("overdue_wd", "")),
        period=payload.get("period", ""),
    )
    return text, task_keyboard(a.id or 0, lang, acknowledged=a.acknowledged_at is not None)


def escalation(lang: str, key: str, views: Sequence[AssignmentView], payload: Mapping[str, Any]) -> str:
    """One item of an escalation digest. `key` is the follow-up's kind, or "undelivered" for units no
    message can reach; those of one task come as one item naming each unit (the task's text once)."""
    view = views[0]
    if key == "undelivered" and len(views) > 1:
        names = t(lang, "sep.list").join(
            t(lang, "followup.undelivered_unit", unit=esc(v.unit.name), aid=v.assignment.id or 0)
            for v in views
        )
        return t(
            lang,
            "followup.undelivered_many",
            task=refs.task_of(view),
            units=names,
            text=esc(view.task.text[:120]),
        )
    a = view.assignment
    return t(
        lang,
        f"followup.{key}",
        aid=a.id,
        unit=esc(view.unit.name),
        **refs.of_view(view),
        text=esc(view.task.text[:120]),
        due=_due(lang, view),
        status=status_name(lang, a.status),
        days=payload.get("overdue_wd", ""),
    )


def escalation_digest(lang: str, items: Sequence[str]) -> str:
    """A tick's escalations to one reader, in one message under a header counting them."""
    return "\n\n".join([t(lang, "followup.escalation_header", count=len(items)), *items])
