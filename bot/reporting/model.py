"""Plain data model of the weekly summary (周报) and its display vocabulary.

Everything here is a frozen dataclass filled by the caller (bot/services/summary.py fills them from SQL);
the renderers in ``html``, ``chart`` and ``ledger`` never touch aiogram or the database.

Times: ``generated_at`` must be timezone-aware. Other datetimes may be aware (preferred) or
naive; a naive datetime is taken to be UTC (the storage convention). Every time is shown in
``SummaryData.tz``, the office's configured zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Literal, NamedTuple

from bot.domain.statuses import STATUSES as _STATUSES
from bot.domain.statuses import Status
from bot.i18n import t

Light = Literal["red", "undelivered", "yellow", "green", "done"]
Role = Literal["lead", "co", "local", "support"]
Lang = Literal["zh", "en"]

LIGHTS: tuple[Light, ...] = ("red", "undelivered", "yellow", "green", "done")

LIGHT_EMOJI: dict[str, str] = {"red": "🔴", "undelivered": "⚫", "yellow": "🟡", "green": "🟢", "done": "✅"}

#: Spreadsheet-friendly fills (Excel's "good/neutral/bad" palette) as RRGGBB.
LIGHT_FILL: dict[str, str] = {
    "red": "FFC7CE",
    "undelivered": "D9D9D9",
    "yellow": "FFEB9C",
    "green": "C6EFCE",
    "done": "DDEBF7",
}

#: Chart colours (stronger than the fills, readable on white).
LIGHT_COLOR: dict[str, str] = {
    "red": "#D9453B",
    "undelivered": "#404040",
    "yellow": "#F2B01E",
    "green": "#3BA55C",
    "done": "#8C9BAB",
}

#: Assignment status codes in lifecycle order, with their display names.
STATUSES = _STATUSES


# Display names come from the bot's texts, so the summary and the chat say the same words; the
# summary uses them inside sentences and table cells, hence lower case in English.
def _names(prefix: str, codes: tuple[str, ...]) -> dict[str, dict[str, str]]:
    return {
        "zh": {c: t("zh", f"{prefix}.{c}") for c in codes},
        "en": {c: t("en", f"{prefix}.{c}").lower() for c in codes},
    }


STATUS_NAMES: dict[str, dict[str, str]] = _names("status", STATUSES)
ROLE_NAMES: dict[str, dict[str, str]] = _names("role", ("lead", "co", "local", "support"))


def _summary_names(prefix: str, codes: tuple[str, ...]) -> dict[str, dict[str, str]]:
    return {lang: {c: t(lang, f"summary.{prefix}.{c}") for c in codes} for lang in ("zh", "en")}


#: Light names for table cells ("summary.light.*" in bot.i18n).
LIGHT_NAMES: dict[str, dict[str, str]] = _summary_names("light", LIGHTS)

#: Statuses that no longer need the unit's work.
CLOSED_STATUSES = frozenset({Status.DONE, Status.CANCELLED})
#: Statuses in which the unit has not yet acknowledged (or must act again on a returned item).
AWAITING_STATUSES = frozenset({Status.ASSIGNED, Status.RETURNED})


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def status_name(status: str, lang: str = "zh") -> str:
    """Display name of a status code; unknown codes are shown as they are."""
    return STATUS_NAMES[_lang(lang)].get(status, status)


def role_name(role: str, lang: str = "zh") -> str:
    return ROLE_NAMES[_lang(lang)].get(role, role)


def light_emoji(light: str | None) -> str:
    return LIGHT_EMOJI.get(light or "", "")


def light_name(light: str | None, lang: str = "zh") -> str:
    return LIGHT_NAMES[_lang(lang)].get(light or "", light or "")


def to_local(value: datetime, tz: tzinfo) -> datetime:
    """An aware or naive-UTC datetime as an aware datetime in ``tz``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz)


def task_label(measure_number: str, task_seq: int | str | None) -> str:
    """Short reference of a task. A measure written as bot.domain.refs writes it (`P1-2`, `2`) gives the
    task as bot/domain/refs.py does (`P1-2.1`); a measure numbered in words keeps the dash: 三, 2 -> "三-2"."""
    if task_seq is None or task_seq == "":
        return str(measure_number)
    if str(measure_number).isascii():
        return f"{measure_number}.{task_seq}"
    return f"{measure_number}-{task_seq}"


@dataclass(frozen=True, slots=True)
class Headline:
    """Counts over assignments (one task handed to one unit, 交办单位次), and the tasks apart."""

    total: int  # assignments
    done: int
    in_progress: int
    not_acknowledged: int
    overdue: int
    red: int
    yellow: int
    green: int
    reports_this_week: int
    tasks: int = 0  # distinct tasks behind those assignments
    undelivered: int = 0  # handed out to units no message can reach


@dataclass(frozen=True, slots=True)
class MeasureRow:
    policy_short: str
    number: str
    title: str
    total: int
    done: int
    red: int
    yellow: int
    green: int
    light: Light
    undelivered: int = 0


@dataclass(frozen=True, slots=True)
class UnitRow:
    unit: str
    assignments: int
    expected_reports: int
    reports: int
    reporting_rate: float  # 0..1
    reported: bool
    red: int
    overdue: int


RedKind = Literal["overdue", "blocked", "silent"]


class RedReason(NamedTuple):
    kind: RedKind
    overdue_days: int = 0


def red_reason(status: str, due_on: date | None, today: date) -> RedReason:
    """Why an item is red: overdue before blocked before silent."""
    if due_on is not None and due_on < today and status not in (Status.DONE, Status.CLAIMED_DONE):
        return RedReason("overdue", (today - due_on).days)
    if status == Status.BLOCKED:
        return RedReason("blocked")
    return RedReason("silent")


@dataclass(frozen=True, slots=True)
class ItemRow:
    assignment_id: int
    measure_number: str
    task_seq: int
    task_text: str
    unit: str
    role: Role | str
    due_on: date | None
    status: str
    light: Light
    # Why a red item is red, as data each reader's summary words in its own language.
    red_kind: RedKind | Literal[""] = ""
    overdue_days: int = 0


@dataclass(frozen=True, slots=True)
class ProgressLine:
    unit: str
    measure_number: str
    task_seq: int
    summary: str
    percent: int | None
    report_id: int
    reported_at: datetime
    link: str | None = None  # https://t.me/c/<chat>/<message> when known
    # The report's row number on the ledger's report sheet (序号): how a reader of the chat or
    # the .docx finds the full text; None when the ledger does not carry it.
    ref: int | None = None


@dataclass(frozen=True, slots=True)
class Change:
    prev_week: str
    done_delta: int
    red_delta: int
    overdue_delta: int
    reports_delta: int
    rate_delta: float  # change of the overall reporting rate, as a fraction (0.05 = 5 points)


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    assignment_id: int
    policy_short: str
    measure_number: str
    task_seq: int
    task_text: str
    unit: str
    role: Role | str
    due_on: date | None
    status: str
    light: Light
    last_report_at: datetime | None
    last_report_text: str | None
    reminders_count: int


@dataclass(frozen=True, slots=True)
class ReportRow:
    report_id: int
    assignment_id: int
    unit: str
    measure_number: str
    task_seq: int
    reported_at: datetime
    author: str
    status_claimed: str | None
    percent: int | None
    text: str
    review_state: str  # none | pending | approved | returned (models.tables.Report)
    ref: int | None = None  # 序号 on the report sheet; None = position in the iteration (1-based)
    attachments: str = ""  # the evidence's names ("推进会纪要.pdf、[图片]"), for the ledger


#: Review-state names of a report ("summary.review.*" in bot.i18n).
REVIEW_NAMES: dict[str, dict[str, str]] = _summary_names(
    "review", ("none", "pending", "approved", "accepted", "returned")
)


def review_name(state: str | None, lang: str = "zh") -> str:
    if not state:
        return ""
    return REVIEW_NAMES[_lang(lang)].get(state, state)


#: What the bot read a report as (ProgressReport.parsed_status; "summary.claim.*" in bot.i18n).
CLAIM_NAMES: dict[str, dict[str, str]] = _summary_names("claim", ("progress", "done", "blocked", "none"))


def claim_name(claim: str | None, lang: str = "zh") -> str:
    """A report's parsed status in words; an assignment status code is named as a status."""
    names = CLAIM_NAMES[_lang(lang)]
    if not claim:
        return names["none"]
    if claim in names:
        return names[claim]
    return status_name(claim, lang)


@dataclass(frozen=True, slots=True)
class PolicySection:
    """One policy (or ad-hoc item) of a summary, with its own measures and items.

    ``code`` is the short code a person types (None until policies carry one); ``key`` is what
    identifies the section when a summary is narrowed to one policy.
    """

    title: str
    doc_number: str | None = None
    code: str | None = None
    short_title: str = ""
    tasks: int = 0
    measures: list[MeasureRow] = field(default_factory=list)
    red_items: list[ItemRow] = field(default_factory=list)
    progress: list[ProgressLine] = field(default_factory=list)
    next_deadlines: list[ItemRow] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.code or self.doc_number or self.short_title or self.title

    @property
    def assignments(self) -> int:
        return sum(m.total for m in self.measures)

    def count(self, light: str) -> int:
        return sum(int(getattr(m, light)) for m in self.measures)


@dataclass(frozen=True, slots=True)
class SummaryData:
    """Everything one weekly summary shows, grouped by policy.

    ``policies`` holds one section per policy (one for a summary narrowed to a policy);
    ``headline``, ``units`` and ``change`` are over all of them. ``assignments`` and ``reports``
    may be any iterable (a generator streaming from the database is fine); the ledger iterates
    each of them exactly once and the chat/chart/docx renderers do not read them at all.
    """

    policies: list[PolicySection]
    week: str  # ISO week, "2026-W48"
    period_start: date
    period_end: date
    generated_at: datetime  # aware
    headline: Headline
    units: list[UnitRow]
    change: Change | None
    assignments: Iterable[AssignmentRow]
    reports: Iterable[ReportRow]
    tz: tzinfo  # the zone every time is shown in (settings' TIMEZONE)

    @property
    def overall_reporting_rate(self) -> float:
        """Share of units that reported in the period (0..1); 0 when there are no units."""
        if not self.units:
            return 0.0
        return sum(1 for u in self.units if u.reported) / len(self.units)

    # The sections' rows side by side (for the ledger, the chart and the benchmarks).
    @property
    def policy_titles(self) -> list[str]:
        return [p.title for p in self.policies]

    @property
    def measures(self) -> list[MeasureRow]:
        return [m for p in self.policies for m in p.measures]

    @property
    def red_items(self) -> list[ItemRow]:
        return [i for p in self.policies for i in p.red_items]

    @property
    def progress(self) -> list[ProgressLine]:
        return [x for p in self.policies for x in p.progress]

    @property
    def next_deadlines(self) -> list[ItemRow]:
        return [i for p in self.policies for i in p.next_deadlines]


__all__ = [
    "AWAITING_STATUSES",
    "CLAIM_NAMES",
    "CLOSED_STATUSES",
    "LIGHTS",
    "LIGHT_COLOR",
    "LIGHT_EMOJI",
    "LIGHT_FILL",
    "LIGHT_NAMES",
    "ROLE_NAMES",
    "STATUSES",
    "STATUS_NAMES",
    "AssignmentRow",
    "Change",
    "Headline",
    "ItemRow",
    "Lang",
    "Light",
    "MeasureRow",
    "PolicySection",
    "ProgressLine",
    "RedKind",
    "RedReason",
    "ReportRow",
    "Role",
    "SummaryData",
    "UnitRow",
    "claim_name",
    "light_emoji",
    "light_name",
    "red_reason",
    "review_name",
    "role_name",
    "status_name",
    "task_label",
    "to_local",
]
