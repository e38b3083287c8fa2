"""The weekly summary (周报): figures from SQL, rendered by bot.reporting, stored, and sent.

Every count here is an aggregate the database computes (GROUP BY over the light expression);
Python receives one row per measure, per unit, per red item — never the whole ledger.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import and_, case, func, select

from bot.domain.refs import format_measure
from bot.domain.statuses import Status
from bot.i18n import normalise_language, t
from bot.reporting import model as rm
from bot.services import events, outbox
from bot.services.access import coordinators
from bot.services.lights import LightEdges, light_expression
from bot.services.uow import UnitOfWork
from models import Assignment, Contact, Measure, OutboxMessage, Policy, ProgressReport, Summary, Task, Unit

OPEN = (
    Status.ASSIGNED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.BLOCKED,
    Status.RETURNED,
    Status.EXTENDED,
    Status.CLAIMED_DONE,
)
DISPATCHED = (*OPEN, Status.DONE)
# The week's newest report lines the summary condenses per measure (the ledger has them all).
MAX_PROGRESS_LINES = 2000
T = TypeVar("T")


def week_of(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[date, date]:
    try:
        year, number = week.split("-W")
        start = date.fromisocalendar(int(year), int(number), 1)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"周次格式应为 2026-W48 / week must look like 2026-W48: {week!r}") from exc
    return start, start + timedelta(days=6)


def previous_week(week: str) -> str:
    start, _ = week_bounds(week)
    return week_of(start - timedelta(days=7))


def telegram_link(chat_id: int | None, message_id: int | None) -> str | None:
    """Links exist for supergroups and channels (-100…); private chats and basic groups have none."""
    if chat_id is None or message_id is None:
        return None
    text = str(chat_id)
    if text.startswith("-100"):
        return f"https://t.me/c/{text[4:]}/{message_id}"
    return None


def _reason(light: str, status: str, due_on: date | None, today: date, lang: str = "zh") -> str:
    if due_on is not None and due_on < today and status not in ("done", "claimed_done"):
        return f"逾期{(today - due_on).days}天" if lang == "zh" else f"{(today - due_on).days} days overdue"
    if status == "blocked":
        return "受阻" if lang == "zh" else "blocked"
    return "连续两期未报送" if lang == "zh" else "silent for two periods"


async def build_summary(
    uow: UnitOfWork, *, week: str, include_rows: bool = True, policy_ids: list[int] | None = None
) -> rm.SummaryData:
    """The week's figures, one section per policy with live work; ``policy_ids`` narrows it."""
    calendar = uow.calendar
    start, end = week_bounds(week)
    start_at = calendar.at_local(start, time(0))
    end_at = calendar.at_local(end + timedelta(days=1), time(0))
    # Lights as they stand at the end of the week, or now for the current week.
    as_of = min(uow.now, end_at - timedelta(seconds=1))
    edges = LightEdges.at(as_of, calendar)
    today = edges.today
    light = light_expression(edges)
    live = and_(Task.active.is_(True), Assignment.status.in_(DISPATCHED))
    if policy_ids is not None:
        live = and_(live, Task.policy_id.in_(policy_ids))

    base = select(Assignment.id).join(Task, Task.id == Assignment.task_id).where(live)
    codes: dict[int, str] = dict((await uow.session.execute(select(Policy.id, Policy.code))).all())  # type: ignore[arg-type]

    def coded(pid: int, number: int) -> str:
        return format_measure(codes.get(pid), number)

    light_rows = (
        await uow.session.execute(
            select(light, func.count(Assignment.id))
            .select_from(Assignment)
            .join(Task, Task.id == Assignment.task_id)
            .where(live)
            .group_by(light)
        )
    ).all()
    by_light = {name: n for name, n in light_rows}
    status_rows = dict(
        (
            await uow.session.execute(
                select(Assignment.status, func.count(Assignment.id))
                .join(Task, Task.id == Assignment.task_id)
                .where(live)
                .group_by(Assignment.status)
            )
        ).all()
    )
    overdue = await uow.session.scalar(
        select(func.count()).select_from(
            base.where(Assignment.status.in_(OPEN[:-1]), Assignment.due_on < today).subquery()
        )
    )
    period_reports = and_(
        ProgressReport.created_at >= start_at,
        ProgressReport.created_at < end_at,
        ProgressReport.superseded.is_(False),
    )
    if policy_ids is not None:
        period_reports = and_(
            period_reports,
            ProgressReport.assignment_id.in_(
                select(Assignment.id)
                .join(Task, Task.id == Assignment.task_id)
                .where(Task.policy_id.in_(policy_ids))
            ),
        )
    tasks_by_policy = dict(
        (
            await uow.session.execute(
                select(Task.policy_id, func.count(func.distinct(Task.id)))
                .select_from(Assignment)
                .join(Task, Task.id == Assignment.task_id)
                .where(live)
                .group_by(Task.policy_id)
            )
        ).all()
    )
    reports_count = await uow.session.scalar(select(func.count(ProgressReport.id)).where(period_reports))
    headline = rm.Headline(
        total=sum(status_rows.values()),
        done=status_rows.get(Status.DONE, 0),
        in_progress=sum(
            status_rows.get(s, 0)
            for s in (
                Status.ACKNOWLEDGED,
                Status.IN_PROGRESS,
                Status.BLOCKED,
                Status.RETURNED,
                Status.EXTENDED,
                Status.CLAIMED_DONE,
            )
        ),
        not_acknowledged=status_rows.get(Status.ASSIGNED, 0),
        overdue=int(overdue or 0),
        red=by_light.get("red", 0),
        yellow=by_light.get("yellow", 0),
        green=by_light.get("green", 0),
        reports_this_week=int(reports_count or 0),
        tasks=sum(tasks_by_policy.values()),
        undelivered=by_light.get("undelivered", 0),
    )

    measure_rows = (
        await uow.session.execute(
            select(
                Policy.id, Policy.short_title, Measure.number, Measure.title, light, func.count(Assignment.id)
            )
            .select_from(Assignment)
            .join(Task, Task.id == Assignment.task_id)
            .join(Measure, Measure.id == Task.measure_id)
            .join(Policy, Policy.id == Task.policy_id)
            .where(live)
            .group_by(Policy.id, Policy.short_title, Measure.number, Measure.title, light)
            .order_by(Policy.id, Measure.number)
        )
    ).all()
    grouped: dict[tuple[int, str, int], dict[str, Any]] = {}
    for policy_id, policy_short, number, title, lt, n in measure_rows:
        entry = grouped.setdefault((policy_id, policy_short, number), {"title": title, "counts": {}})
        entry["counts"][lt] = entry["counts"].get(lt, 0) + n
    measures: dict[int, list[rm.MeasureRow]] = {}
    for (policy_id, policy_short, number), entry in grouped.items():
        counts = entry["counts"]
        worst = next((x for x in ("red", "undelivered", "yellow", "green") if counts.get(x)), "done")
        measures.setdefault(policy_id, []).append(
            rm.MeasureRow(
                policy_short=policy_short,
                number=coded(policy_id, number),
                title=entry["title"],
                total=sum(counts.values()),
                done=counts.get("done", 0),
                red=counts.get("red", 0),
                yellow=counts.get("yellow", 0),
                green=counts.get("green", 0),
                light=worst,  # type: ignore[arg-type]
                undelivered=counts.get("undelivered", 0),
            )
        )

    reported_in_period = (select(ProgressReport.assignment_id).where(period_reports).distinct()).subquery()
    expected = case((Assignment.status.in_(OPEN), 1), else_=0)
    unit_rows = (
        await uow.session.execute(
            select(
                Unit.name,
                func.count(Assignment.id),
                func.sum(expected),
                func.sum(
                    case(
                        (
                            and_(
                                Assignment.status.in_(OPEN), reported_in_period.c.assignment_id.is_not(None)
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                func.sum(case((light == "red", 1), else_=0)),
                func.sum(
                    case((and_(Assignment.status.in_(OPEN[:-1]), Assignment.due_on < today), 1), else_=0)
                ),
            )
            .select_from(Assignment)
            .join(Task, Task.id == Assignment.task_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .outerjoin(reported_in_period, reported_in_period.c.assignment_id == Assignment.id)
            .where(live)
            .group_by(Unit.id, Unit.name)
            .order_by(Unit.id)
        )
    ).all()
    units = []
    for name, total, exp, rep, red, od in unit_rows:
        exp, rep = int(exp or 0), int(rep or 0)
        units.append(
            rm.UnitRow(
                unit=name,
                assignments=int(total),
                expected_reports=exp,
                reports=rep,
                reporting_rate=(rep / exp) if exp else 1.0,
                reported=rep > 0 or exp == 0,
                red=int(red or 0),
                overdue=int(od or 0),
            )
        )

    item_columns = (
        Task.policy_id,
        Assignment.id,
        Measure.number,
        Task.seq,
        Task.text,
        Unit.name,
        Assignment.role,
        Assignment.due_on,
        Assignment.status,
        light,
    )
    item_base = (
        select(*item_columns)
        .select_from(Assignment)
        .join(Task, Task.id == Assignment.task_id)
        .join(Measure, Measure.id == Task.measure_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(live)
    )
    # Every red item and next week's every deadline: the summary groups them by task and counts
    # the units, so a cut here would make its counts wrong (each is at most the assignments).
    red_items: dict[int, list[rm.ItemRow]] = {}
    for pid, aid, mn, seq, text, unit, role, due, status, lt in (
        await uow.session.execute(item_base.where(light == "red").order_by(Assignment.due_on, Assignment.id))
    ).all():
        red_items.setdefault(pid, []).append(
            rm.ItemRow(
                assignment_id=aid,
                measure_number=coded(pid, mn),
                task_seq=seq,
                task_text=text,
                unit=unit,
                role=role,
                due_on=due,
                status=status,
                light=lt,
                reason=_reason(lt, status, due, today),
            )
        )
    next_start, next_end = end + timedelta(days=1), end + timedelta(days=7)
    next_deadlines: dict[int, list[rm.ItemRow]] = {}
    for pid, aid, mn, seq, text, unit, role, due, status, lt in (
        await uow.session.execute(
            item_base.where(
                Assignment.status.in_(OPEN), Assignment.due_on >= next_start, Assignment.due_on <= next_end
            ).order_by(Assignment.due_on, Assignment.id)
        )
    ).all():
        next_deadlines.setdefault(pid, []).append(
            rm.ItemRow(
                assignment_id=aid,
                measure_number=coded(pid, mn),
                task_seq=seq,
                task_text=text,
                unit=unit,
                role=role,
                due_on=due,
                status=status,
                light=lt,
            )
        )

    # Each line carries its row number on the ledger's report sheet, which lists the period's
    # reports in (created_at, id) order: the chat cites that, not the report's id.
    numbered = (
        select(
            ProgressReport.id.label("rid"),
            func.row_number().over(order_by=(ProgressReport.created_at, ProgressReport.id)).label("ref"),
        ).where(period_reports)
    ).subquery()
    progress_rows = (
        await uow.session.execute(
            select(
                Task.policy_id,
                ProgressReport.id,
                ProgressReport.raw_text,
                ProgressReport.parsed_percent,
                ProgressReport.created_at,
                ProgressReport.chat_id,
                ProgressReport.message_id,
                Unit.name,
                Measure.number,
                Task.seq,
                numbered.c.ref,
            )
            .join(numbered, numbered.c.rid == ProgressReport.id)
            .join(Assignment, Assignment.id == ProgressReport.assignment_id)
            .join(Task, Task.id == Assignment.task_id)
            .join(Measure, Measure.id == Task.measure_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(ProgressReport.review_state != "returned", ProgressReport.raw_text != "")
            .order_by(ProgressReport.created_at.desc())
            .limit(MAX_PROGRESS_LINES)
        )
    ).all()
    progress: dict[int, list[rm.ProgressLine]] = {}
    for pid, rid, text, pct, at, chat, msg, unit, mn, seq, ref in progress_rows:
        progress.setdefault(pid, []).append(
            rm.ProgressLine(
                unit=unit,
                measure_number=coded(pid, mn),
                task_seq=seq,
                summary=text if len(text) <= 160 else text[:160] + "…",
                percent=pct,
                report_id=rid,
                reported_at=at,
                link=telegram_link(chat, msg),
                ref=ref,
            )
        )

    change = None
    # Last week's stored figures are over every policy: a narrowed summary has nothing to compare.
    prev = (
        None
        if policy_ids is not None
        else await uow.session.scalar(
            select(Summary).where(Summary.week == previous_week(week), Summary.scope == "all")
        )
    )
    if prev is not None and prev.figures:
        f = prev.figures
        rate_now = _rate(units)
        change = rm.Change(
            prev_week=prev.week,
            done_delta=headline.done - f.get("done", 0),
            red_delta=headline.red - f.get("red", 0),
            overdue_delta=headline.overdue - f.get("overdue", 0),
            reports_delta=headline.reports_this_week - f.get("reports_this_week", 0),
            rate_delta=rate_now - f.get("rate", 0.0),
        )
    policy_rows = (
        await uow.session.execute(
            select(Policy.id, Policy.title, Policy.short_title, Policy.doc_number)
            .where(Policy.id.in_(list(tasks_by_policy)))
            .order_by(Policy.id)
        )
    ).all()
    sections = [
        rm.PolicySection(
            title=title,
            doc_number=doc or None,
            code=codes.get(pid),
            short_title=short or "",
            tasks=int(tasks_by_policy.get(pid, 0)),
            measures=measures.get(pid, []),
            red_items=red_items.get(pid, []),
            progress=progress.get(pid, []),
            next_deadlines=next_deadlines.get(pid, []),
        )
        for pid, title, short, doc in policy_rows
    ]
    assignments: list[rm.AssignmentRow] = []
    reports: list[rm.ReportRow] = []
    if include_rows:
        assignments = await _assignment_rows(uow, light, live)
        reports = await _report_rows(uow, period_reports)
    return rm.SummaryData(
        policies=sections,
        week=week,
        period_start=start,
        period_end=end,
        generated_at=uow.now,
        headline=headline,
        units=units,
        change=change,
        assignments=assignments,
        reports=reports,
        tz=uow.calendar.tz,
    )


def _rate(units: list[rm.UnitRow]) -> float:
    expected = [u for u in units if u.expected_reports]
    return sum(1 for u in expected if u.reported) / len(expected) if expected else 1.0


async def _read_in_parts(
    uow: UnitOfWork, query: Any, convert: Callable[[Any], T], size: int = 500
) -> list[T]:
    """A big read (the ledger's every row) fetched and converted a part at a time, resting between
    parts about as long as each took: one long stretch on the event loop would hold up the replies
    the bot is handling meanwhile."""
    out: list[T] = []
    result = await uow.session.stream(query)
    while True:
        began = monotonic()
        part = await result.fetchmany(size)
        if not part:
            return out
        out.extend(convert(row) for row in part)
        await asyncio.sleep(min(monotonic() - began, 0.05))


async def _assignment_rows(uow: UnitOfWork, light, live) -> list[rm.AssignmentRow]:  # type: ignore[no-untyped-def]
    last_report = (
        select(ProgressReport.assignment_id, func.max(ProgressReport.id).label("rid"))
        .where(ProgressReport.superseded.is_(False))
        .group_by(ProgressReport.assignment_id)
    ).subquery()
    query = (
        select(
            Assignment.id,
            Policy.short_title,
            Measure.number,
            Task.seq,
            Task.text,
            Unit.name,
            Assignment.role,
            Assignment.due_on,
            Assignment.status,
            light,
            Assignment.last_report_at,
            ProgressReport.raw_text,
            Assignment.reminders_count,
            Policy.code,
        )
        .select_from(Assignment)
        .join(Task, Task.id == Assignment.task_id)
        .join(Measure, Measure.id == Task.measure_id)
        .join(Policy, Policy.id == Task.policy_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .outerjoin(last_report, last_report.c.assignment_id == Assignment.id)
        .outerjoin(ProgressReport, ProgressReport.id == last_report.c.rid)
        .where(live)
        .order_by(Policy.id, Measure.number, Task.seq, Assignment.id)
    )
    return await _read_in_parts(
        uow,
        query,
        lambda r: rm.AssignmentRow(
            assignment_id=r[0],
            policy_short=r[1],
            measure_number=format_measure(r[13], r[2]),
            task_seq=r[3],
            task_text=r[4],
            unit=r[5],
            role=r[6],
            due_on=r[7],
            status=r[8],
            light=r[9],
            last_report_at=r[10],
            last_report_text=r[11],
            reminders_count=r[12],
        ),
    )


def reporter_name(author: str | None, contact_name: str | None) -> str:
    """Who sent a report, as a reader knows them: the sender's name, else the bound contact's
    (a sender without a Telegram name is stored as a bare user id)."""
    author = (author or "").strip()
    if author and not author.lstrip("-").isdigit():
        return author
    return (contact_name or "").strip() or author


async def _report_rows(uow: UnitOfWork, period_reports) -> list[rm.ReportRow]:  # type: ignore[no-untyped-def]
    rows = await _read_in_parts(
        uow,
        select(
            ProgressReport.id,
            ProgressReport.assignment_id,
            Unit.name,
            Measure.number,
            Task.seq,
            ProgressReport.created_at,
            ProgressReport.author,
            ProgressReport.parsed_status,
            ProgressReport.parsed_percent,
            ProgressReport.raw_text,
            ProgressReport.review_state,
            Contact.display_name,
            Policy.code,
        )
        .join(Assignment, Assignment.id == ProgressReport.assignment_id)
        .join(Task, Task.id == Assignment.task_id)
        .join(Policy, Policy.id == Task.policy_id)
        .join(Measure, Measure.id == Task.measure_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .outerjoin(Contact, Contact.id == ProgressReport.contact_id)
        .where(period_reports)
        .order_by(ProgressReport.created_at, ProgressReport.id),
        tuple,
    )
    # ref: the row number the summary's progress lines cite (the same order as their row_number).
    from bot.services import evidence

    files = await evidence.of_reports(uow.session, [r[0] for r in rows])
    names = {
        rid: "、".join(
            f.file_name if f.kind == "document" and f.file_name else evidence.label("zh", f.kind, None)
            for f in fs
        )
        for rid, fs in files.items()
    }
    return [
        rm.ReportRow(
            report_id=r[0],
            assignment_id=r[1],
            unit=r[2],
            measure_number=format_measure(r[12], r[3]),
            task_seq=r[4],
            reported_at=r[5],
            author=reporter_name(r[6], r[11]),
            status_claimed=r[7],
            percent=r[8],
            text=r[9],
            review_state=r[10],
            ref=n,
            attachments=names.get(r[0], ""),
        )
        for n, r in enumerate(rows, start=1)
    ]


def figures_of(data: rm.SummaryData) -> dict[str, Any]:
    figures: dict[str, Any] = asdict(data.headline)
    figures["rate"] = _rate(data.units)
    figures["silent_units"] = [u.unit for u in data.units if not u.reported]
    return figures


async def store_summary(uow: UnitOfWork, data: rm.SummaryData, html: str, *, actor: str) -> Summary:
    row = await uow.session.scalar(select(Summary).where(Summary.week == data.week, Summary.scope == "all"))
    if row is None:
        row = Summary(week=data.week, scope="all", created_at=uow.now)
        uow.session.add(row)
    row.figures, row.html, row.created_at = figures_of(data), html, uow.now
    await uow.session.flush()
    events.record(
        uow,
        actor=actor,
        kind="summary.generated",
        entity="summary",
        entity_id=row.id,
        data={"week": data.week},
    )
    return row


class RenderedSummary(NamedTuple):
    """One language's deliverables: chat messages, chart PNG, ledger .xlsx, 周报 .docx."""

    messages: list[str]
    chart: bytes
    ledger: bytes
    docx: bytes


def render_outputs(data: rm.SummaryData, lang: str) -> RenderedSummary:
    from bot.reporting import render_summary_chart, render_summary_html, write_ledger, write_summary_docx

    messages = render_summary_html(data, lang=lang)
    chart = io.BytesIO()
    render_summary_chart(data, chart, lang=lang)
    ledger = io.BytesIO()
    write_ledger(data, ledger, lang=lang)
    docx = io.BytesIO()
    write_summary_docx(data, docx, lang=lang)
    return RenderedSummary(messages, chart.getvalue(), ledger.getvalue(), docx.getvalue())


async def recipients(uow: UnitOfWork) -> list[Contact]:
    observers = (
        await uow.session.scalars(
            select(Contact).where(Contact.role == "observer", Contact.active.is_(True)).order_by(Contact.id)
        )
    ).all()
    return [*await coordinators(uow), *observers]


async def render_for(data: rm.SummaryData, languages: set[str]) -> dict[str, RenderedSummary]:
    """The summary's text, chart and ledger in these languages (in a child process: seconds at
    province scale)."""
    from bot.services.offload import render_apart

    rendered: dict[str, RenderedSummary] = {}
    for lang in sorted(languages):
        rendered[lang] = await render_apart(render_outputs, data, lang)
    return rendered


def ledger_bytes(data: rm.SummaryData, lang: str) -> bytes:
    from bot.reporting import write_ledger

    buffer = io.BytesIO()
    write_ledger(data, buffer, lang)
    return buffer.getvalue()


async def send_summary(
    uow: UnitOfWork,
    data: rm.SummaryData,
    *,
    to: list[Contact],
    actor: str,
    dedupe: bool = True,
    rendered: dict[str, RenderedSummary] | None = None,
) -> int:
    """Queues the summary (text, chart, ledger, .docx) to each recipient in their language."""
    rendered = dict(rendered or {})
    sent = 0
    stamp = "" if dedupe else f":{uow.now.timestamp():.0f}"
    for contact in to:
        lang = normalise_language(contact.language)
        if lang not in rendered:
            rendered[lang] = await asyncio.to_thread(render_outputs, data, lang)
        messages, chart, ledger, docx = rendered[lang]
        key = f"summary:{data.week}:{contact.id}{stamp}"
        if dedupe and await outbox.already_queued(uow.session, key):
            continue
        for index, text in enumerate(messages):
            outbox.enqueue(
                uow.session,
                chat_id=contact.chat_id,
                text=text,
                now=uow.now,
                purpose="summary",
                dedupe_key=f"{key}:{index}" if index else key,
            )
        files = (
            ("sendPhoto", f"summary-{data.week}.png", chart, f"{data.week}", "chart"),
            (
                "sendDocument",
                f"duban-ledger-{data.week}.xlsx",
                ledger,
                t(lang, "summary.caption.ledger"),
                "ledger",
            ),
            (
                "sendDocument",
                f"duban-summary-{data.week}.docx",
                docx,
                t(lang, "summary.caption.docx"),
                "docx",
            ),
        )
        for method, file_name, blob, caption, part in files:
            outbox.enqueue_file(
                uow.session,
                chat_id=contact.chat_id,
                method=method,
                file_name=file_name,
                data=blob,
                caption=caption,
                now=uow.now,
                purpose="summary",
                dedupe_key=f"{key}:{part}",
            )
        sent += 1
    events.record(
        uow,
        actor=actor,
        kind="summary.sent",
        entity="summary",
        entity_id=None,
        data={"week": data.week, "recipients": sent},
    )
    return sent


@dataclass
class UnitDigests:
    """Each unit's open tasks for its contacts and leaders, read in one query."""

    week: str
    today: date
    names: dict[int, str]
    by_unit: dict[int, list[rm.ItemRow]]
    languages: set[str]
    texts: dict[tuple[int, str, bool], list[str]] = field(default_factory=dict)


async def read_unit_digests(uow: UnitOfWork, *, week: str) -> UnitDigests:
    calendar = uow.calendar
    light = light_expression(LightEdges.at(uow.now, calendar))
    rows = (
        await uow.session.execute(
            select(
                Assignment.unit_id,
                Assignment.id,
                Measure.number,
                Task.seq,
                Task.text,
                Unit.name,
                Assignment.role,
                Assignment.due_on,
                Assignment.status,
                light,
                Policy.code,
            )
            .select_from(Assignment)
            .join(Task, Task.id == Assignment.task_id)
            .join(Measure, Measure.id == Task.measure_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .join(Policy, Policy.id == Task.policy_id)
            .where(Task.active.is_(True), Assignment.status.in_(OPEN))
            .order_by(Assignment.unit_id, Assignment.due_on, Assignment.id)
        )
    ).all()
    by_unit: dict[int, list[rm.ItemRow]] = {}
    names: dict[int, str] = {}
    today = calendar.local_date(uow.now)
    for unit_id, aid, mn, seq, text, unit, role, due, status, lt, code in rows:
        names[unit_id] = unit
        by_unit.setdefault(unit_id, []).append(
            rm.ItemRow(
                assignment_id=aid,
                measure_number=format_measure(code, mn),
                task_seq=seq,
                task_text=text,
                unit=unit,
                role=role,
                due_on=due,
                status=status,
                light=lt,
                reason=_reason(lt, status, due, today) if lt == "red" else "",
            )
        )
    languages = {normalise_language(c.language) for c in await _digest_readers(uow, set(by_unit))}
    return UnitDigests(week=week, today=today, names=names, by_unit=by_unit, languages=languages)


async def _digest_readers(uow: UnitOfWork, unit_ids: set[int]) -> list[Contact]:
    if not unit_ids:
        return []
    return list(
        (
            await uow.session.scalars(
                select(Contact)
                .where(
                    Contact.unit_id.in_(unit_ids),
                    Contact.role.in_(("contact", "leader")),
                    Contact.active.is_(True),
                )
                .order_by(Contact.id)
            )
        ).all()
    )


def _digest_text(digests: UnitDigests, unit_id: int, lang: str, reports: bool = True) -> list[str]:
    from bot.reporting import render_unit_digest_html

    key = (unit_id, lang, reports)
    if key not in digests.texts:
        digests.texts[key] = render_unit_digest_html(
            digests.names[unit_id], digests.by_unit[unit_id], lang=lang, today=digests.today, reports=reports
        )
    return digests.texts[key]


def render_unit_digests(digests: UnitDigests) -> None:
    """Every unit's digest in every language its readers use (pure; seconds at province scale)."""
    for unit_id in digests.by_unit:
        for lang in sorted(digests.languages):
            _digest_text(digests, unit_id, lang)


async def queue_unit_digests(uow: UnitOfWork, digests: UnitDigests) -> int:
    """Queues the rendered digests; the readers are read again, so one blocked meanwhile is left out."""
    contacts = await _digest_readers(uow, set(digests.by_unit))
    keys = {f"digest:{digests.week}:{c.id}" for c in contacts}
    queued = (
        set(
            (
                await uow.session.scalars(
                    select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))
                )
            ).all()
        )
        if keys
        else set()
    )
    sent = 0
    for contact in contacts:
        key = f"digest:{digests.week}:{contact.id}"
        if key in queued or contact.unit_id is None:
            continue
        for index, text in enumerate(
            _digest_text(
                digests,
                contact.unit_id,
                normalise_language(contact.language),
                reports=contact.role != "leader",
            )
        ):
            outbox.enqueue(
                uow.session,
                chat_id=contact.chat_id,
                text=text,
                now=uow.now,
                purpose="digest",
                dedupe_key=f"{key}:{index}" if index else key,
            )
        sent += 1
    return sent


async def send_unit_digests(uow: UnitOfWork, *, week: str) -> int:
    """Each unit's contacts get their own open tasks: due soon, overdue, awaiting them."""
    digests = await read_unit_digests(uow, week=week)
    render_unit_digests(digests)
    return await queue_unit_digests(uow, digests)


async def work_assigned_before(uow: UnitOfWork, moment: datetime) -> bool:
    """Whether anything had been handed out by `moment`: a week before the first dispatch has
    nothing to report, so no summary of it is caught up."""
    return (
        await uow.session.scalar(
            select(Assignment.id)
            .where(Assignment.assigned_at.is_not(None), Assignment.assigned_at < moment)
            .limit(1)
        )
    ) is not None


async def weekly_summary_queued(uow: UnitOfWork, week: str) -> bool:
    return (
        await uow.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key.like(f"summary:{week}:%")).limit(1)
        )
    ) is not None


@dataclass
class PreparedSummary:
    week: str
    data: rm.SummaryData
    languages: set[str]
    digests: UnitDigests
    rendered: dict[str, RenderedSummary] = field(default_factory=dict)


async def prepare_weekly_summary(uow: UnitOfWork, *, week: str | None = None) -> PreparedSummary:
    """The Monday job's reading: last week's figures, and the languages its readers use."""
    week = week or week_of(uow.calendar.local_date(uow.now) - timedelta(days=7))
    data = await build_summary(uow, week=week)
    # Chinese always: the stored copy of the summary is the Chinese text.
    languages = {normalise_language(c.language) for c in await recipients(uow)} | {"zh"}
    digests = await read_unit_digests(uow, week=week)
    return PreparedSummary(week=week, data=data, languages=languages, digests=digests)


async def render_prepared(prepared: PreparedSummary) -> None:
    """Text, chart and ledger: seconds at province scale, so outside any transaction."""
    prepared.rendered = await render_for(prepared.data, prepared.languages)
    await asyncio.to_thread(render_unit_digests, prepared.digests)


async def queue_weekly_summary(uow: UnitOfWork, prepared: PreparedSummary) -> str:
    """The Monday job's writing: the stored summary, the messages, the units' digests. The
    recipients are read again here, so one blocked or added meanwhile is seen."""
    await store_summary(uow, prepared.data, "\n".join(prepared.rendered["zh"][0]), actor="system:scheduler")
    await send_summary(
        uow, prepared.data, to=await recipients(uow), actor="system:scheduler", rendered=prepared.rendered
    )
    await queue_unit_digests(uow, prepared.digests)
    return prepared.week


async def send_weekly_summary(uow: UnitOfWork, *, week: str | None = None) -> str:
    """The Monday job in one session (the demo and the command line)."""
    prepared = await prepare_weekly_summary(uow, week=week)
    await render_prepared(prepared)
    return await queue_weekly_summary(uow, prepared)
