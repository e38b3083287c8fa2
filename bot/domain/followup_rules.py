"""Pure rules: which follow-ups (催办) an assignment should have, given its facts and "now".

No database, no clock, no bot: the caller passes the facts, the settings, a
:class:`~bot.domain.workcal.WorkCalendar` and ``now`` (aware UTC) and stores what comes back in the
``followup`` table keyed by :attr:`PlannedFollowup.key`. See docs/followups.md for the full rules
and for how the caller keeps the stored rows in step with the plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.statuses import STATUSES as _STATUSES
from bot.domain.statuses import Status
from bot.domain.workcal import WorkCalendar

# ------------------------------------------------------------------------------ vocabulary

PERIODS = ("weekly", "monthly", "quarterly", "semiannual", "yearly")

# rhythm strings (importer output, Chinese phrases, common English) -> period
_PERIOD_ALIASES = {
    "weekly": "weekly",
    "week": "weekly",
    "每周": "weekly",
    "monthly": "monthly",
    "month": "monthly",
    "每月": "monthly",
    "quarterly": "quarterly",
    "quarter": "quarterly",
    "每季度": "quarterly",
    "每季": "quarterly",
    "semiannual": "semiannual",
    "semiannually": "semiannual",
    "half-yearly": "semiannual",
    "halfyearly": "semiannual",
    "每半年": "semiannual",
    "yearly": "yearly",
    "annual": "yearly",
    "annually": "yearly",
    "year": "yearly",
    "每年": "yearly",
}

KINDS = (
    "ack_reminder",
    "ack_escalation",
    "progress_request",
    "deadline_warning",
    "overdue_reminder",
    "overdue_escalation",
)
# Every kind depends on the assignment's state, so after re-planning the caller cancels any pending
# row of the assignment whose key is no longer planned (see stale_keys).
STATE_DEPENDENT_KINDS = frozenset(KINDS)

STATUSES = _STATUSES
QUIET_STATUSES = frozenset({Status.DRAFT, Status.CLAIMED_DONE, Status.DONE, Status.CANCELLED})
UNACKNOWLEDGED_STATUSES = frozenset({Status.ASSIGNED})
ACTIVE_STATUSES = frozenset(
    {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.BLOCKED, Status.RETURNED, Status.EXTENDED}
)


def normalize_period(value: str | None) -> str | None:
    """A known period name for ``value`` ("每月" -> "monthly"), or None if it isn't a period
    ("ongoing", "once", None, ...)."""
    if value is None:
        return None
    return _PERIOD_ALIASES.get(value.strip().lower())


# ------------------------------------------------------------------------------ settings

_INT_FIELDS = ("ack_remind_after_wd", "ack_escalate_after_wd", "overdue_escalate_after_wd")


@dataclass(frozen=True)
class FollowupSettings:
    """Follow-up defaults; override per policy/task with :meth:`merged`.

    ``*_after_wd`` = 0 disables that follow-up; ``warn_before_wd=()`` disables deadline warnings.
    """

    ack_remind_after_wd: int = 1
    ack_escalate_after_wd: int = 2
    report_period: str = "weekly"
    warn_before_wd: tuple[int, ...] = (5, 1)
    overdue_daily: bool = True
    overdue_escalate_after_wd: int = 3

    def __post_init__(self) -> None:
        for name in _INT_FIELDS:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > 366:
                raise ValueError(f"{name} 必须是 0–366 的整数 / {name} must be an integer 0..366, got {v!r}")
        if 0 < self.ack_escalate_after_wd < self.ack_remind_after_wd:
            raise ValueError(
                "ack_escalate_after_wd 不能早于 ack_remind_after_wd / "
                f"ack_escalate_after_wd ({self.ack_escalate_after_wd}) must not be before "
                f"ack_remind_after_wd ({self.ack_remind_after_wd})"
            )
        period = normalize_period(self.report_period) if isinstance(self.report_period, str) else None
        if period is None:
            raise ValueError(
                f"report_period 无效 / report_period must be one of {', '.join(PERIODS)}, "
                f"got {self.report_period!r}"
            )
        object.__setattr__(self, "report_period", period)
        raw = self.warn_before_wd
        if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
            raise ValueError(
                f"warn_before_wd 必须是整数列表 / warn_before_wd must be a list of integers, got {raw!r}"
            )
        items = list(raw)
        for v in items:
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 366:
                raise ValueError(
                    f"warn_before_wd 的值必须是 1–366 的整数 / warn_before_wd values must be integers 1..366, got {v!r}"
                )
        object.__setattr__(self, "warn_before_wd", tuple(sorted(set(items), reverse=True)))
        if not isinstance(self.overdue_daily, bool):
            raise ValueError(
                f"overdue_daily 必须是 true/false / overdue_daily must be a boolean, got {self.overdue_daily!r}"
            )

    def merged(self, overrides: Mapping[str, Any] | None) -> FollowupSettings:
        """A copy with ``overrides`` applied (e.g. a policy's or task's JSON settings).

        Keys must be field names; a None value means "not overridden". Lists are accepted for
        ``warn_before_wd``; ``report_period`` accepts aliases ("每月"). ValueError on unknown keys
        or bad values."""
        if not overrides:
            return self
        if not isinstance(overrides, Mapping):
            raise ValueError(
                f"覆盖设置必须是对象 / overrides must be a mapping, got {type(overrides).__name__}"
            )
        known = {f.name for f in fields(self)}
        unknown = sorted(str(k) for k in overrides if k not in known)
        if unknown:
            raise ValueError(
                f"未知的跟进设置 / unknown follow-up settings: {', '.join(unknown)} "
                f"(允许 / allowed: {', '.join(sorted(known))})"
            )
        changes = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)
        }


# ------------------------------------------------------------------------------ facts / plan


@dataclass(frozen=True)
class AssignmentFacts:
    assignment_id: int
    status: str
    assigned_at: datetime | None  # aware UTC
    acknowledged_at: datetime | None
    due_on: date | None  # calendar date in the calendar's timezone
    last_report_at: datetime | None
    rhythm: str | None  # task's rhythm from the importer


@dataclass(frozen=True)
class PlannedFollowup:
    key: str
    kind: str
    due_at: datetime  # aware UTC, within working time
    assignment_id: int
    payload: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


# ------------------------------------------------------------------------------ periods

_RE_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_RE_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RE_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_RE_HALF = re.compile(r"^(\d{4})-H([12])$")
_RE_YEAR = re.compile(r"^(\d{4})$")


def period_key(d: date, period: str) -> str:
    """Key of the period holding ``d``: "2025-W41" (ISO week, ISO year), "2025-10", "2025-Q4",
    "2025-H2", "2025"."""
    p = normalize_period(period)
    if p is None:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    if p == "weekly":
        iso = d.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if p == "monthly":
        return f"{d.year:04d}-{d.month:02d}"
    if p == "quarterly":
        return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"
    if p == "semiannual":
        return f"{d.year:04d}-H{1 if d.month <= 6 else 2}"
    return f"{d.year:04d}"


def _parse_period(key: str) -> tuple[str, date, date]:
    if m := _RE_WEEK.match(key):
        try:
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise ValueError(f"bad period key {key!r}") from None
        return "weekly", start, start + timedelta(days=6)
    if m := _RE_MONTH.match(key):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ValueError(f"bad period key {key!r}")
        nxt = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
        return "monthly", date(y, mo, 1), nxt - timedelta(days=1)
    if m := _RE_QUARTER.match(key):
        y, q = int(m[1]), int(m[2])
        nxt = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
        return "quarterly", date(y, 3 * q - 2, 1), nxt - timedelta(days=1)
    if m := _RE_HALF.match(key):
        y, h = int(m[1]), int(m[2])
        return (
            ("semiannual", date(y, 1, 1), date(y, 6, 30))
            if h == 1
            else ("semiannual", date(y, 7, 1), date(y, 12, 31))
        )
    if m := _RE_YEAR.match(key):
        y = int(m[1])
        return "yearly", date(y, 1, 1), date(y, 12, 31)
    raise ValueError(f"bad period key {key!r}")


def period_start(key: str) -> date:
    """First calendar date of the period ``key`` (inverse of :func:`period_key`)."""
    return _parse_period(key)[1]


def period_end(key: str) -> date:
    """Last calendar date (inclusive) of the period ``key``."""
    return _parse_period(key)[2]


def effective_period(rhythm: str | None, settings: FollowupSettings) -> str:
    """The task's rhythm if it names a period, else ``settings.report_period`` ("ongoing" etc.)."""
    return normalize_period(rhythm) or settings.report_period


# ------------------------------------------------------------------------------ planning


def _aware(name: str, v: datetime | None) -> None:
    if v is not None and (v.tzinfo is None or v.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {v!r}")


def plan_followups(
    facts: AssignmentFacts,
    settings: FollowupSettings,
    cal: WorkCalendar,
    now: datetime,
    horizon_days: int = 7,
) -> list[PlannedFollowup]:
    """The follow-ups this assignment should have that are due by ``now + horizon_days`` (calendar
    days), sorted by (due_at, key). Past-due ones are included only while not superseded:

    - ack_reminder: dropped once the ack_escalation is due;
    - progress_request: only the current period's (past periods are superseded);
    - deadline_warning: dropped once a closer warning is due, and once the due date has passed;
    - overdue_reminder: only the latest past-due day (plus upcoming days);
    - ack_escalation, overdue_escalation: kept while the state holds (the caller dedupes by key).
    """
    _aware("now", now)
    _aware("assigned_at", facts.assigned_at)
    _aware("acknowledged_at", facts.acknowledged_at)
    _aware("last_report_at", facts.last_report_at)
    if horizon_days < 0:
        raise ValueError("horizon_days must be >= 0")
    if facts.status not in STATUSES:
        raise ValueError(f"unknown assignment status {facts.status!r}")
    if facts.status in QUIET_STATUSES:
        return []
    limit = now + timedelta(days=horizon_days)
    out: list[PlannedFollowup] = []
    if facts.status in UNACKNOWLEDGED_STATUSES:
        ack = _ack(facts, settings, cal, now)
        out += ack
        if facts.due_on is None:
            # Once the acknowledgement has been chased and escalated, the reporting rhythm's
            # requests go on: without a deadline no warnings or overdue reminders take over,
            # and the task would otherwise fall silent for good.
            chased_until = max((p.due_at for p in ack), default=None)
            out += [
                p
                for p in _progress(facts, settings, cal, now, limit)
                if chased_until is None or p.due_at > chased_until
            ]
    else:
        out += _progress(facts, settings, cal, now, limit)
    out += _deadline_warnings(facts, settings, cal, now, limit)
    out += _overdue(facts, settings, cal, now, limit)
    return sorted((f for f in out if f.due_at <= limit), key=lambda f: (f.due_at, f.key))


def stale_keys(planned: Iterable[PlannedFollowup], pending_keys: Iterable[str]) -> set[str]:
    """Keys of one assignment's pending rows that the fresh plan no longer contains: cancel them.
    Use the same ``horizon_days`` for every planning run (see docs/followups.md)."""
    keep = {f.key for f in planned}
    return {k for k in pending_keys if k not in keep}


def _ack(f: AssignmentFacts, s: FollowupSettings, cal: WorkCalendar, now: datetime) -> list[PlannedFollowup]:
    if f.assigned_at is None:
        return []
    # The clock starts at the first working moment at/after the assignment, so an assignment sent
    # on a Sunday or at 22:00 still gets a full working day.
    start = cal.next_working_moment(f.assigned_at)
    local = start.astimezone(cal.tz)
    start_day, start_time = local.date(), local.time().replace(tzinfo=None)

    def after(n: int) -> datetime:
        return cal.next_working_moment(cal.at_local(cal.add_working_days(start_day, n), start_time))

    aid = f.assignment_id
    out = []
    esc_at = after(s.ack_escalate_after_wd) if s.ack_escalate_after_wd else None
    if s.ack_remind_after_wd:
        rem_at = after(s.ack_remind_after_wd)
        if esc_at is None or now < esc_at:
            out.append(
                PlannedFollowup(
                    f"{aid}:ack_reminder", "ack_reminder", rem_at, aid, {"after_wd": s.ack_remind_after_wd}
                )
            )
    if esc_at is not None:
        out.append(
            PlannedFollowup(
                f"{aid}:ack_escalation", "ack_escalation", esc_at, aid, {"after_wd": s.ack_escalate_after_wd}
            )
        )
    return out


def _progress(
    f: AssignmentFacts, s: FollowupSettings, cal: WorkCalendar, now: datetime, limit: datetime
) -> list[PlannedFollowup]:
    today = cal.local_date(now)
    if f.due_on is not None and today > f.due_on:
        return []  # overdue: the daily overdue reminders take over
    period = effective_period(f.rhythm, s)
    anchor = f.acknowledged_at or f.assigned_at
    report_day = cal.local_date(f.last_report_at) if f.last_report_at else None
    aid = f.assignment_id
    out = []
    key = period_key(today, period)
    while True:
        _, pstart, pend = _parse_period(key)
        if cal.at_local(pstart, cal.work_start) > limit:
            break
        first = cal.add_working_days(pstart, 0)
        if f.due_on is not None and first > f.due_on:
            break
        if first <= pend:  # a period without any working day gets no request
            at = cal.at_local(first, cal.work_start)
            if at > limit:
                break
            started_before = anchor is not None and at < anchor
            reported = report_day is not None and pstart <= report_day <= pend
            if not started_before and not reported:
                out.append(
                    PlannedFollowup(
                        f"{aid}:progress:{key}",
                        "progress_request",
                        at,
                        aid,
                        {"period": key, "rhythm": period},
                    )
                )
        key = period_key(pend + timedelta(days=1), period)
    return out


def _deadline_warnings(
    f: AssignmentFacts, s: FollowupSettings, cal: WorkCalendar, now: datetime, limit: datetime
) -> list[PlannedFollowup]:
    if f.due_on is None or not s.warn_before_wd or cal.local_date(now) > f.due_on:
        return []
    aid = f.assignment_id
    due = f.due_on.isoformat()
    warnings = []  # farthest first (warn_before_wd is sorted descending)
    for k in s.warn_before_wd:
        at = cal.at_local(cal.add_working_days(f.due_on, -k), cal.work_start)
        if f.assigned_at is not None and at < f.assigned_at:
            continue  # the moment passed before the unit even had the task
        warnings.append(
            PlannedFollowup(
                f"{aid}:warn{k}:{due}", "deadline_warning", at, aid, {"days_before": k, "due_on": due}
            )
        )
    out = []
    for i, w in enumerate(warnings):
        if any(later.due_at <= now for later in warnings[i + 1 :]):
            continue  # superseded by a closer warning already due
        out.append(w)
    return out


def _overdue(
    f: AssignmentFacts, s: FollowupSettings, cal: WorkCalendar, now: datetime, limit: datetime
) -> list[PlannedFollowup]:
    if f.due_on is None:
        return []
    aid = f.assignment_id
    due = f.due_on.isoformat()
    out = []
    if s.overdue_daily:
        today = cal.local_date(now)
        # Skip straight to just before today: earlier days are superseded anyway.
        i = max(1, cal.working_days_between(f.due_on, today) - 1) if today > f.due_on else 1
        d = cal.add_working_days(f.due_on, i)
        latest_past: PlannedFollowup | None = None
        while True:
            at = cal.at_local(d, cal.work_start)
            if at > limit:
                break
            item = PlannedFollowup(
                f"{aid}:overdue:{d.isoformat()}",
                "overdue_reminder",
                at,
                aid,
                {"due_on": due, "overdue_wd": i},
            )
            if at <= now:
                latest_past = item
            else:
                out.append(item)
            i += 1
            d = cal.add_working_days(d, 1)
        if latest_past is not None:
            out.append(latest_past)
    n = s.overdue_escalate_after_wd
    if n:
        # N full overdue working days have passed: work_start of the (N+1)-th working day after due_on.
        at = cal.at_local(cal.add_working_days(f.due_on, n + 1), cal.work_start)
        out.append(
            PlannedFollowup(
                f"{aid}:overdue_escalation:{due}",
                "overdue_escalation",
                at,
                aid,
                {"due_on": due, "overdue_wd": n},
            )
        )
    return out
