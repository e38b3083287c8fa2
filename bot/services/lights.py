"""Traffic lights (红黄绿灯), computed in SQL so the ledger never has to be loaded into Python.

The calendar-dependent edges (5 working days ahead, 1 working day to acknowledge, one and
two reporting periods of silence) are worked out once in Python and bound as parameters;
the database then classifies every row with one CASE expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from bot.domain.statuses import Status
from bot.domain.workcal import WorkCalendar
from models import Assignment, Contact, Task

PERIOD_DAYS = {"weekly": 7, "monthly": 31, "quarterly": 92, "semiannual": 183, "yearly": 366}
DEFAULT_PERIOD = "weekly"
YELLOW_WORKING_DAYS = 5
ACK_WORKING_DAYS = 1


@dataclass(frozen=True)
class LightEdges:
    today: date
    due_soon_by: date
    ack_due_before: datetime
    silent_once: dict[str, datetime]
    silent_twice: dict[str, datetime]

    @classmethod
    def at(cls, now: datetime, cal: WorkCalendar, default_period: str = DEFAULT_PERIOD) -> LightEdges:
        today = cal.local_date(now)
        ack_day = cal.add_working_days(today, -ACK_WORKING_DAYS)
        local_now = now.astimezone(cal.tz)
        ack_due_before = cal.at_local(ack_day, local_now.time().replace(tzinfo=None))
        periods = dict(PERIOD_DAYS)
        periods["default"] = PERIOD_DAYS.get(default_period, 7)
        return cls(
            today=today,
            due_soon_by=cal.add_working_days(today, YELLOW_WORKING_DAYS),
            ack_due_before=ack_due_before,
            silent_once={k: now - timedelta(days=v) for k, v in periods.items()},
            silent_twice={k: now - timedelta(days=2 * v) for k, v in periods.items()},
        )


def light_expression(edges: LightEdges) -> ColumnElement[str]:
    """Needs Assignment joined with Task. Yields red | undelivered | yellow | green | done | draft."""
    from models.types import UTCDateTime

    last_activity = func.coalesce(
        Assignment.last_report_at, Assignment.acknowledged_at, Assignment.assigned_at
    )

    def when(value: datetime) -> ColumnElement[Any]:
        return literal(value, type_=UTCDateTime())

    silent_once = case(
        *[(col(Task.rhythm) == n, when(edges.silent_once[n])) for n in PERIOD_DAYS],
        else_=when(edges.silent_once["default"]),
    )
    silent_twice = case(
        *[(col(Task.rhythm) == n, when(edges.silent_twice[n])) for n in PERIOD_DAYS],
        else_=when(edges.silent_twice["default"]),
    )
    return case(
        (col(Assignment.status).in_((Status.DONE, Status.CANCELLED)), literal("done")),
        (col(Assignment.status) == Status.DRAFT, literal("draft")),
        (undelivered_condition(), literal("undelivered")),
        (col(Assignment.due_on) < edges.today, literal("red")),
        (col(Assignment.status) == Status.BLOCKED, literal("red")),
        (col(Assignment.status) == Status.CLAIMED_DONE, literal("green")),
        (last_activity < silent_twice, literal("red")),
        (col(Assignment.due_on) <= edges.due_soon_by, literal("yellow")),
        (
            (col(Assignment.status) == Status.ASSIGNED)
            & (Assignment.assigned_at < when(edges.ack_due_before)),
            literal("yellow"),
        ),
        (last_activity < silent_once, literal("yellow")),
        else_=literal("green"),
    ).label("light")


def undelivered_condition() -> ColumnElement[bool]:
    """Handed out but never received: not acknowledged, and the unit has no contact a message can
    reach (none bound, or every one paused after Telegram refused delivery)."""
    reachable = exists(
        select(col(Contact.id)).where(
            col(Contact.unit_id) == col(Assignment.unit_id),
            col(Contact.role) == "contact",
            col(Contact.active).is_(True),
            col(Contact.paused_at).is_(None),
        )
    )
    return and_(
        col(Assignment.status) == Status.ASSIGNED, col(Assignment.acknowledged_at).is_(None), ~reachable
    )


OPEN_LIGHTS = ("red", "undelivered", "yellow", "green")
LIGHT_ORDER = {"red": 0, "undelivered": 1, "yellow": 2, "green": 3, "done": 4, "draft": 5}


def worst(lights: list[str]) -> str:
    """A measure or unit shows its worst open light; all closed shows done."""
    open_lights = [x for x in lights if x in OPEN_LIGHTS]
    if open_lights:
        return min(open_lights, key=LIGHT_ORDER.__getitem__)
    return "done" if any(x == "done" for x in lights) else "draft"
