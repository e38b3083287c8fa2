"""Follow-up rules across the 2025 National Day holiday. Every expected moment is worked out by hand.

Calendar (2025): Fri 09-26 work, Sat 09-27 off, Sun 09-28 WORK, 09-29/09-30 work, 10-01..10-08 off,
Thu 10-09, Fri 10-10, Sat 10-11 WORK, Sun 10-12 off, Mon 10-13 ... Shanghai = UTC+8 (09:00 = 01:00 UTC).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from bot.domain.followup_rules import (
    AssignmentFacts,
    FollowupSettings,
    PlannedFollowup,
    effective_period,
    period_end,
    period_key,
    period_start,
    plan_followups,
    stale_keys,
)
from bot.domain.workcal import WorkCalendar

SH = timezone(timedelta(hours=8))
AID = 42


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH).astimezone(UTC)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


S = FollowupSettings()
FAR = date(2026, 12, 31)


def facts(**kw: object) -> AssignmentFacts:
    base = {
        "assignment_id": AID,
        "status": "assigned",
        "assigned_at": sh(2025, 9, 30, 10),
        "acknowledged_at": None,
        "due_on": None,
        "last_report_at": None,
        "rhythm": None,
    }
    base.update(kw)
    return AssignmentFacts(**base)  # type: ignore[arg-type]


def by_key(plan: list[PlannedFollowup]) -> dict[str, PlannedFollowup]:
    return {p.key: p for p in plan}


# ------------------------------------------------------------------------------ acknowledgement


def test_ack_across_national_day(cal: WorkCalendar) -> None:
    f = facts(due_on=FAR)  # assigned Tue 09-30 10:00, last working day before the holiday
    plan = plan_followups(f, S, cal, now=sh(2025, 9, 30, 10), horizon_days=14)
    assert [(p.key, p.kind, p.due_at) for p in plan] == [
        # next working day is Thu 10-09, same local time
        (f"{AID}:ack_reminder", "ack_reminder", utc(2025, 10, 9, 2)),
        (f"{AID}:ack_escalation", "ack_escalation", utc(2025, 10, 10, 2)),
    ]
    assert all(p.assignment_id == AID for p in plan)
    # 7-day horizon ends 10-07 10:00: nothing yet
    assert plan_followups(f, S, cal, now=sh(2025, 9, 30, 10)) == []


def test_ack_sunday_makeup_day(cal: WorkCalendar) -> None:
    f = facts(assigned_at=sh(2025, 9, 26, 15))  # Fri 15:00
    plan = by_key(plan_followups(f, S, cal, now=sh(2025, 9, 26, 15)))
    assert plan[f"{AID}:ack_reminder"].due_at == utc(2025, 9, 28, 7)  # Sun 09-28 15:00 (works)
    assert plan[f"{AID}:ack_escalation"].due_at == utc(2025, 9, 29, 7)  # Mon 15:00


def test_ack_after_hours_assignment(cal: WorkCalendar) -> None:
    # Thu 10-09 20:00: the clock starts Fri 10-10 09:00 -> reminder Sat 10-11 09:00 (make-up day)
    f = facts(assigned_at=sh(2025, 10, 9, 20))
    plan = by_key(plan_followups(f, S, cal, now=sh(2025, 10, 9, 20)))
    assert plan[f"{AID}:ack_reminder"].due_at == utc(2025, 10, 11, 1)
    assert plan[f"{AID}:ack_escalation"].due_at == utc(2025, 10, 13, 1)  # Sun off -> Mon 09:00
    # Fri 10-10 20:00: starts Sat 10-11 09:00 -> Mon 10-13 09:00, Tue 10-14 09:00
    f = facts(assigned_at=sh(2025, 10, 10, 20))
    plan = by_key(plan_followups(f, S, cal, now=sh(2025, 10, 10, 20)))
    assert plan[f"{AID}:ack_reminder"].due_at == utc(2025, 10, 13, 1)
    assert plan[f"{AID}:ack_escalation"].due_at == utc(2025, 10, 14, 1)


def test_ack_quiet_hours_move_to_morning(cal: WorkCalendar) -> None:
    # working hours 09:00-17:00: assigned Mon 09-29 16:30 -> reminder Tue 09-30 16:30;
    # assigned Mon 20:00 (after hours) -> clock starts Tue 09:00 -> reminder Thu 10-09 09:00.
    short = WorkCalendar(work_end=time(17))
    f = facts(assigned_at=sh(2025, 9, 29, 16, 30))
    plan = by_key(plan_followups(f, S, short, now=sh(2025, 9, 29, 16, 30), horizon_days=14))
    assert plan[f"{AID}:ack_reminder"].due_at == utc(2025, 9, 30, 8, 30)  # 16:30 next day
    f = facts(assigned_at=sh(2025, 9, 29, 20))  # after hours: clock starts 09-30 09:00
    plan = by_key(plan_followups(f, S, short, now=sh(2025, 9, 29, 20), horizon_days=14))
    assert plan[f"{AID}:ack_reminder"].due_at == utc(2025, 10, 9, 1)


def test_ack_reminder_superseded_by_escalation(cal: WorkCalendar) -> None:
    f = facts(due_on=FAR)
    mid = plan_followups(f, S, cal, now=sh(2025, 10, 9, 12))  # reminder past due, escalation ahead
    assert [p.kind for p in mid] == ["ack_reminder", "ack_escalation"]
    late = plan_followups(f, S, cal, now=sh(2025, 10, 10, 10))  # escalation due now
    assert [p.key for p in late] == [f"{AID}:ack_escalation"]
    # acknowledging removes both
    acked = replace(f, status="acknowledged", acknowledged_at=sh(2025, 10, 9, 11))
    assert not [p for p in plan_followups(acked, S, cal, now=sh(2025, 10, 9, 12)) if p.kind.startswith("ack")]


def test_ack_disabled_by_zero(cal: WorkCalendar) -> None:
    s = S.merged({"ack_escalate_after_wd": 0})
    plan = plan_followups(facts(due_on=FAR), s, cal, now=sh(2025, 10, 10, 10))
    assert [p.key for p in plan] == [f"{AID}:ack_reminder"]


def test_an_unacknowledged_task_without_deadline_keeps_its_rhythm_after_the_escalation(
    cal: WorkCalendar,
) -> None:
    # With a deadline, warnings and overdue reminders follow the escalation; without one the
    # rhythm's requests must, or the unit is never asked again.
    plan = plan_followups(facts(), S, cal, now=sh(2025, 10, 10, 10), horizon_days=21)
    kinds = [(p.kind, p.key) for p in plan]
    assert kinds[0] == ("ack_escalation", f"{AID}:ack_escalation")
    requests = [p for p in plan if p.kind == "progress_request"]
    assert [p.key for p in requests] == [
        f"{AID}:progress:2025-W42",
        f"{AID}:progress:2025-W43",
        f"{AID}:progress:2025-W44",
    ]
    assert all(p.due_at > plan[0].due_at for p in requests)
    # A deadline far ahead: no requests yet while unacknowledged (the ack follow-ups speak).
    assert not [
        p
        for p in plan_followups(facts(due_on=FAR), S, cal, now=sh(2025, 10, 10, 10), horizon_days=21)
        if p.kind == "progress_request"
    ]


# ------------------------------------------------------------------------------ progress requests


def acked(**kw: object) -> AssignmentFacts:
    base: dict[str, object] = {
        "status": "in_progress",
        "assigned_at": sh(2025, 9, 22, 10),
        "acknowledged_at": sh(2025, 9, 22, 11),
        "rhythm": "ongoing",
    }
    base.update(kw)
    return facts(**base)


def test_weekly_progress_iso_weeks(cal: WorkCalendar) -> None:
    # W41 = 10-06..10-12, its first working day is Thu 10-09; W42 starts Mon 10-13.
    plan = plan_followups(acked(), S, cal, now=sh(2025, 10, 9, 8))
    assert [(p.key, p.kind, p.due_at, p.payload["period"]) for p in plan] == [
        (f"{AID}:progress:2025-W41", "progress_request", utc(2025, 10, 9, 1), "2025-W41"),
        (f"{AID}:progress:2025-W42", "progress_request", utc(2025, 10, 13, 1), "2025-W42"),
    ]


def test_progress_current_period_only(cal: WorkCalendar) -> None:
    # now inside the holiday (W40 = 09-29..10-05): W40's request (Mon 09-29 09:00) is current
    # though past; W41's (10-09 09:00) is beyond the 7-day horizon (10-08 12:00).
    plan = plan_followups(acked(), S, cal, now=sh(2025, 10, 1, 12))
    assert [(p.key, p.due_at) for p in plan] == [(f"{AID}:progress:2025-W40", utc(2025, 9, 29, 1))]
    # one week later W40 is superseded by W41
    plan = plan_followups(acked(), S, cal, now=sh(2025, 10, 9, 12))
    assert next(p.key for p in plan) == f"{AID}:progress:2025-W41"
    assert f"{AID}:progress:2025-W40" not in by_key(plan)


def test_report_in_period_suppresses_request(cal: WorkCalendar) -> None:
    f = acked(last_report_at=sh(2025, 10, 9, 10, 30))
    plan = plan_followups(f, S, cal, now=sh(2025, 10, 9, 11))
    assert [p.key for p in plan] == [f"{AID}:progress:2025-W42"]
    # a report in the previous week (Sun 10-05, W40) does not count for W41
    f = acked(last_report_at=sh(2025, 10, 5, 10))
    plan = plan_followups(f, S, cal, now=sh(2025, 10, 9, 11))
    assert [p.key for p in plan] == [f"{AID}:progress:2025-W41", f"{AID}:progress:2025-W42"]
    # the caller cancels the pending W41 row once the report arrives
    before = plan_followups(acked(), S, cal, now=sh(2025, 10, 9, 8))
    after = plan_followups(acked(last_report_at=sh(2025, 10, 9, 10, 30)), S, cal, now=sh(2025, 10, 9, 10, 31))
    assert stale_keys(after, [p.key for p in before]) == {f"{AID}:progress:2025-W41"}


def test_no_request_for_period_started_before_ack(cal: WorkCalendar) -> None:
    f = acked(acknowledged_at=sh(2025, 9, 30, 10))  # W40's request was Mon 09-29 09:00
    assert plan_followups(f, S, cal, now=sh(2025, 9, 30, 11)) == []
    assert [p.key for p in plan_followups(f, S, cal, now=sh(2025, 9, 30, 11), horizon_days=10)] == [
        f"{AID}:progress:2025-W41"
    ]


def test_rhythm_overrides_default_period(cal: WorkCalendar) -> None:
    # October 2025 / Q4: first working day is 10-09 (10-01..10-08 off)
    for rhythm, key in (("monthly", "2025-10"), ("每季度", "2025-Q4"), ("quarterly", "2025-Q4")):
        plan = plan_followups(acked(rhythm=rhythm), S, cal, now=sh(2025, 10, 5, 12))
        assert [(p.key, p.due_at) for p in plan] == [(f"{AID}:progress:{key}", utc(2025, 10, 9, 1))], rhythm
    # settings default applies for "ongoing"
    monthly = S.merged({"report_period": "monthly"})
    plan = plan_followups(acked(rhythm="ongoing"), monthly, cal, now=sh(2025, 10, 5, 12))
    assert [p.key for p in plan] == [f"{AID}:progress:2025-10"]


# ------------------------------------------------------------------------------ deadline warnings


def test_deadline_warnings_skip_holiday(cal: WorkCalendar) -> None:
    # due Tue 10-14. Working days before it: 10-13 (1), Sat 10-11 (2), 10-10 (3), 10-09 (4), 09-30 (5)
    f = acked(due_on=date(2025, 10, 14), rhythm="monthly")
    plan = plan_followups(f, S, cal, now=sh(2025, 9, 29, 12))  # horizon ends 10-06 12:00
    assert [(p.key, p.kind, p.due_at, p.payload) for p in plan] == [
        (
            f"{AID}:warn5:2025-10-14",
            "deadline_warning",
            utc(2025, 9, 30, 1),
            {"days_before": 5, "due_on": "2025-10-14"},
        )
    ]
    plan = plan_followups(f, S, cal, now=sh(2025, 9, 29, 12), horizon_days=14)  # to 10-13 12:00
    assert [(p.key, p.due_at) for p in plan] == [
        (f"{AID}:warn5:2025-10-14", utc(2025, 9, 30, 1)),
        (f"{AID}:progress:2025-10", utc(2025, 10, 9, 1)),
        (f"{AID}:warn1:2025-10-14", utc(2025, 10, 13, 1)),
    ]


def test_deadline_warning_superseded_and_passed(cal: WorkCalendar) -> None:
    f = acked(due_on=date(2025, 10, 14), rhythm="monthly", last_report_at=sh(2025, 10, 9, 10))
    plan = plan_followups(f, S, cal, now=sh(2025, 10, 13, 10))  # warn1 due -> warn5 superseded
    assert [p.key for p in plan if p.kind == "deadline_warning"] == [f"{AID}:warn1:2025-10-14"]
    plan = plan_followups(f, S, cal, now=sh(2025, 10, 15, 10))  # past due date: no warnings
    assert [p for p in plan if p.kind == "deadline_warning"] == []


def test_unacknowledged_gets_deadline_warnings(cal: WorkCalendar) -> None:
    f = facts(assigned_at=sh(2025, 9, 22, 10), due_on=date(2025, 10, 14))
    kinds = [p.kind for p in plan_followups(f, S, cal, now=sh(2025, 9, 29, 12))]
    assert "deadline_warning" in kinds
    assert "progress_request" not in kinds


def test_warning_before_assignment_skipped(cal: WorkCalendar) -> None:
    # assigned Fri 10-10 10:00, due 10-14: warn5 (09-30 09:00) predates the assignment
    f = acked(
        assigned_at=sh(2025, 10, 10, 10), acknowledged_at=sh(2025, 10, 10, 11), due_on=date(2025, 10, 14)
    )
    keys = [p.key for p in plan_followups(f, S, cal, now=sh(2025, 10, 10, 12))]
    assert f"{AID}:warn5:2025-10-14" not in keys
    assert f"{AID}:warn1:2025-10-14" in keys


# ------------------------------------------------------------------------------ overdue


def test_overdue_daily_and_escalation(cal: WorkCalendar) -> None:
    # due Mon 09-29. Overdue working days: 09-30 (1), 10-09 (2), 10-10 (3), Sat 10-11 (4), 10-13 (5) ...
    f = acked(due_on=date(2025, 9, 29))
    plan = plan_followups(f, S, cal, now=sh(2025, 10, 9, 12))  # horizon to 10-16 12:00
    daily = [(p.key, p.due_at, p.payload["overdue_wd"]) for p in plan if p.kind == "overdue_reminder"]
    assert daily == [
        (f"{AID}:overdue:2025-10-09", utc(2025, 10, 9, 1), 2),  # latest past one; 09-30 superseded
        (f"{AID}:overdue:2025-10-10", utc(2025, 10, 10, 1), 3),
        (f"{AID}:overdue:2025-10-11", utc(2025, 10, 11, 1), 4),
        (f"{AID}:overdue:2025-10-13", utc(2025, 10, 13, 1), 5),
        (f"{AID}:overdue:2025-10-14", utc(2025, 10, 14, 1), 6),
        (f"{AID}:overdue:2025-10-15", utc(2025, 10, 15, 1), 7),
        (f"{AID}:overdue:2025-10-16", utc(2025, 10, 16, 1), 8),
    ]
    esc = [p for p in plan if p.kind == "overdue_escalation"]
    # 3 overdue working days (09-30, 10-09, 10-10) have passed at Sat 10-11 09:00
    assert [(p.key, p.due_at, p.payload) for p in esc] == [
        (
            f"{AID}:overdue_escalation:2025-09-29",
            utc(2025, 10, 11, 1),
            {"due_on": "2025-09-29", "overdue_wd": 3},
        )
    ]
    # overdue: no progress requests, no warnings
    assert {p.kind for p in plan} == {"overdue_reminder", "overdue_escalation"}


def test_overdue_first_reminder_after_holiday(cal: WorkCalendar) -> None:
    f = acked(due_on=date(2025, 9, 30), last_report_at=sh(2025, 9, 30, 9, 30))
    plan = plan_followups(f, S, cal, now=sh(2025, 10, 3, 12))  # to 10-10 12:00
    assert [(p.key, p.due_at) for p in plan] == [
        (f"{AID}:overdue:2025-10-09", utc(2025, 10, 9, 1)),
        (f"{AID}:overdue:2025-10-10", utc(2025, 10, 10, 1)),
    ]
    # escalation: 10-09, 10-10, 10-11 overdue -> Mon 10-13 09:00
    plan = plan_followups(f, S, cal, now=sh(2025, 10, 12, 12))
    assert by_key(plan)[f"{AID}:overdue_escalation:2025-09-30"].due_at == utc(2025, 10, 13, 1)
    # on Sunday 10-12 the latest past reminder is Saturday's
    assert next(p.key for p in plan if p.kind == "overdue_reminder") == f"{AID}:overdue:2025-10-11"


def test_overdue_escalation_stays_while_overdue(cal: WorkCalendar) -> None:
    f = acked(due_on=date(2025, 9, 29))
    plan = plan_followups(f, S, cal, now=sh(2025, 10, 20, 12), horizon_days=0)
    assert [(p.key, p.due_at) for p in plan] == [
        (f"{AID}:overdue_escalation:2025-09-29", utc(2025, 10, 11, 1)),
        (f"{AID}:overdue:2025-10-20", utc(2025, 10, 20, 1)),
    ]


def test_overdue_daily_can_be_disabled(cal: WorkCalendar) -> None:
    f = acked(due_on=date(2025, 9, 29))
    plan = plan_followups(f, S.merged({"overdue_daily": False}), cal, now=sh(2025, 10, 9, 12))
    assert [p.kind for p in plan] == ["overdue_escalation"]


def test_extension_replaces_overdue_plan(cal: WorkCalendar) -> None:
    f = acked(due_on=date(2025, 9, 29))
    now = sh(2025, 10, 9, 12)
    before = plan_followups(f, S, cal, now=now)
    ext = replace(f, status="extended", due_on=date(2025, 10, 31))
    after = plan_followups(ext, S, cal, now=now)
    assert all(p.kind != "overdue_reminder" for p in after)
    assert stale_keys(after, [p.key for p in before]) == {p.key for p in before}


# ------------------------------------------------------------------------------ quiet statuses


@pytest.mark.parametrize("status", ["claimed_done", "done", "cancelled", "draft"])
def test_quiet_statuses_plan_nothing(cal: WorkCalendar, status: str) -> None:
    f = acked(status=status, due_on=date(2025, 9, 29))
    assert plan_followups(f, S, cal, now=sh(2025, 10, 13, 12), horizon_days=30) == []


def test_bad_input(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        plan_followups(acked(status="weird"), S, cal, now=sh(2025, 10, 9, 12))
    with pytest.raises(ValueError):
        plan_followups(acked(), S, cal, now=datetime(2025, 10, 9, 12))
    with pytest.raises(ValueError):
        plan_followups(acked(), S, cal, now=sh(2025, 10, 9, 12), horizon_days=-1)


def test_deterministic(cal: WorkCalendar) -> None:
    f = acked(due_on=date(2025, 10, 14))
    a = plan_followups(f, S, cal, now=sh(2025, 10, 9, 12), horizon_days=10)
    b = plan_followups(f, S, cal, now=sh(2025, 10, 9, 12), horizon_days=10)
    assert a == b and [p.payload for p in a] == [p.payload for p in b]
    assert len({p.key for p in a}) == len(a)
    for p in a:
        assert p.due_at.tzinfo is not None and p.due_at.utcoffset() == timedelta(0)
        assert cal.is_working_time(p.due_at)


# ------------------------------------------------------------------------------ settings


def test_settings_merged() -> None:
    assert S.merged(None) is S
    assert S.merged({}) is S
    m = S.merged({"report_period": "每月", "warn_before_wd": [1, 5, 3, 5], "ack_remind_after_wd": None})
    assert m.report_period == "monthly"
    assert m.warn_before_wd == (5, 3, 1)
    assert m.ack_remind_after_wd == 1
    assert S.report_period == "weekly"  # original untouched
    assert S.merged({"warn_before_wd": []}).warn_before_wd == ()
    assert m.to_dict()["warn_before_wd"] == [5, 3, 1]


@pytest.mark.parametrize(
    "bad",
    [
        {"ack_remind_afer_wd": 1},
        {"ack_remind_after_wd": "1"},
        {"ack_remind_after_wd": True},
        {"ack_remind_after_wd": -1},
        {"ack_remind_after_wd": 3},  # after the escalation (2)
        {"report_period": "daily"},
        {"warn_before_wd": [0]},
        {"warn_before_wd": "5,1"},
        {"overdue_daily": "yes"},
        {"overdue_escalate_after_wd": 1.5},
    ],
)
def test_settings_merged_rejects(bad: dict) -> None:
    with pytest.raises(ValueError):
        S.merged(bad)


# ------------------------------------------------------------------------------ periods


def test_period_keys() -> None:
    d = date(2025, 10, 9)
    assert period_key(d, "weekly") == "2025-W41"
    assert period_key(d, "monthly") == "2025-10"
    assert period_key(d, "quarterly") == "2025-Q4"
    assert period_key(d, "semiannual") == "2025-H2"
    assert period_key(d, "yearly") == "2025"
    assert period_key(date(2025, 12, 29), "weekly") == "2026-W01"  # ISO year
    assert period_key(date(2021, 1, 1), "weekly") == "2020-W53"
    assert period_key(date(2025, 3, 31), "quarterly") == "2025-Q1"
    assert period_key(date(2025, 6, 30), "semiannual") == "2025-H1"


def test_period_start_end() -> None:
    assert period_start("2025-W41") == date(2025, 10, 6)
    assert period_end("2025-W41") == date(2025, 10, 12)
    assert period_start("2026-W01") == date(2025, 12, 29)
    assert period_start("2025-10") == date(2025, 10, 1)
    assert period_end("2024-02") == date(2024, 2, 29)
    assert period_start("2025-Q4") == date(2025, 10, 1)
    assert period_end("2025-Q4") == date(2025, 12, 31)
    assert period_end("2025-Q1") == date(2025, 3, 31)
    assert period_start("2025-H2") == date(2025, 7, 1)
    assert period_end("2025-H1") == date(2025, 6, 30)
    assert period_start("2025") == date(2025, 1, 1)
    for bad in ("2025-W60", "2025-13", "2025-Q5", "25", "2025-H3"):
        with pytest.raises(ValueError):
            period_start(bad)
    with pytest.raises(ValueError):
        period_key(date(2025, 1, 1), "daily")


def test_effective_period() -> None:
    assert effective_period("monthly", S) == "monthly"
    assert effective_period("每季度", S) == "quarterly"
    assert effective_period("ongoing", S) == "weekly"
    assert effective_period(None, S.merged({"report_period": "yearly"})) == "yearly"
