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
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlmodel import col

from bot.domain.refs import format_measure
from bot.domain.statuses import Status
from bot.i18n import LANGUAGES, normalise_language
from bot.reporting import model as rm
from bot.services import events, outbox
from bot.services.access import coordinators
from bot.services.lights import LightEdges, light_expression
from bot.services.uow import UnitOfWork
from bot.views.summary import summary_files
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
# A measure's light: its worst assignment's, or done when every one is.
WORST_FIRST: tuple[rm.Light, ...] = ("red", "undelivered", "yellow", "green")


def _lights(edges: LightEdges) -> ColumnElement[rm.Light]:
    """The light of each assignment, over dispatched ones only: those are never drafts, so every value
    is one of the report model's lights (the expression itself is typed as any string)."""
    return cast("ColumnElement[rm.Light]", light_expression(edges))


def _stored(value: T | None) -> T:
    """A NOT NULL column read back from the database: SQLModel types it optional (None until the row
    is stored)."""
    if value is None:
        raise ValueError("a NOT NULL column came back NULL")
    return value


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
    light = _lights(edges)
    live = and_(col(Task.active).is_(True), col(Assignment.status).in_(DISPATCHED))
    if policy_ids is not None:
        live = and_(live, col(Task.policy_id).in_(policy_ids))

    base = select(col(Assignment.id)).join(Task, col(Task.id) == col(Assignment.task_id)).where(live)
    codes = {
        pid: code for pid, code in (await uow.session.execute(select(col(Policy.id), col(Policy.code)))).all()
    }

    def coded(pid: int | None, number: int) -> str:
        return format_measure(codes.get(pid), number)

    light_rows = (
        await uow.session.execute(
            select(light, func.count(col(Assignment.id)))
            .select_from(Assignment)
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .where(live)
            .group_by(light)
        )
    ).all()
    by_light = {name: n for name, n in light_rows}
    status_rows = dict(
        (
            await uow.session.execute(
                select(col(Assignment.status), func.count(col(Assignment.id)))
                .join(Task, col(Task.id) == col(Assignment.task_id))
                .where(live)
                .group_by(col(Assignment.status))
            )
        ).all()
    )
    overdue = await uow.session.scalar(
        select(func.count()).select_from(
            base.where(col(Assignment.status).in_(OPEN[:-1]), col(Assignment.due_on) < today).subquery()
        )
    )
    period_reports = and_(
        col(ProgressReport.created_at) >= start_at,
        col(ProgressReport.created_at) < end_at,
        col(ProgressReport.superseded).is_(False),
    )
    if policy_ids is not None:
        period_reports = and_(
            period_reports,
            col(ProgressReport.assignment_id).in_(
                select(col(Assignment.id))
                .join(Task, col(Task.id) == col(Assignment.task_id))
                .where(col(Task.policy_id).in_(policy_ids))
            ),
        )
    tasks_by_policy = dict(
        (
            await uow.session.execute(
                select(col(Task.policy_id), func.count(func.distinct(col(Task.id))))
                .select_from(Assignment)
                .join(Task, col(Task.id) == col(Assignment.task_id))
                .where(live)
                .group_by(col(Task.policy_id))
            )
        ).all()
    )
    reports_count = await uow.session.scalar(select(func.count(col(ProgressReport.id))).where(period_reports))
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
                col(Policy.id),
                col(Policy.short_title),
                col(Measure.number),
                col(Measure.title),
                light,
                func.count(col(Assignment.id)),
            )
            .select_from(Assignment)
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .join(Measure, col(Measure.id) == col(Task.measure_id))
            .join(Policy, col(Policy.id) == col(Task.policy_id))
            .where(live)
            .group_by(col(Policy.id), col(Policy.short_title), col(Measure.number), col(Measure.title), light)
            .order_by(col(Policy.id), col(Measure.number))
        )
    ).all()
    grouped: dict[tuple[int, str, int], dict[str, Any]] = {}
    for policy_id, policy_short, number, title, lt, n in measure_rows:
        entry = grouped.setdefault((policy_id or 0, policy_short, number), {"title": title, "counts": {}})
        entry["counts"][lt] = entry["counts"].get(lt, 0) + n
    measures: dict[int, list[rm.MeasureRow]] = {}
    for (policy_id, policy_short, number), entry in grouped.items():
        counts = entry["counts"]
        worst: rm.Light = next((x for x in WORST_FIRST if counts.get(x)), "done")
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
                light=worst,
                undelivered=counts.get("undelivered", 0),
            )
        )

    reported_in_period = (
        select(col(ProgressReport.assignment_id)).where(period_reports).distinct()
    ).subquery()
    expected = case((col(Assignment.status).in_(OPEN), 1), else_=0)
    unit_rows = (
        await uow.session.execute(
            select(
                col(Unit.name),
                func.count(col(Assignment.id)),
                func.sum(expected),
                func.sum(
                    case(
                        (
                            and_(
                                col(Assignment.status).in_(OPEN),
                                reported_in_period.c.assignment_id.is_not(None),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                func.sum(case((light == "red", 1), else_=0)),
                func.sum(
                    case(
                        (and_(col(Assignment.status).in_(OPEN[:-1]), col(Assignment.due_on) < today), 1),
                        else_=0,
                    )
                ),
            )
            .select_from(Assignment)
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .join(Unit, col(Unit.id) == col(Assignment.unit_id))
            .outerjoin(reported_in_period, reported_in_period.c.assignment_id == col(Assignment.id))
            .where(live)
            .group_by(col(Unit.id), col(Unit.name))
            .order_by(col(Unit.id))
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
        col(Task.policy_id),
        col(Assignment.id),
        col(Measure.number),
        col(Task.seq),
        col(Task.text),
        col(Unit.name),
        col(Assignment.role),
        col(Assignment.due_on),
        col(Assignment.status),
        light,
    )
    item_base = (
        select(*item_columns)
        .select_from(Assignment)
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .where(live)
    )

    def item_row(row: Any, *, red: bool = False) -> tuple[int, rm.ItemRow]:
        pid, aid, mn, seq, text, unit, role, due, status, lt = row
        why = rm.red_reason(status, due, today) if red else None
        return pid, rm.ItemRow(
            assignment_id=aid or 0,
            measure_number=coded(pid, mn),
            task_seq=seq,
            task_text=text,
            unit=unit,
            role=role,
            due_on=due,
            status=status,
            light=lt,
            red_kind=why.kind if why else "",
            overdue_days=why.overdue_days if why else 0,
        )

    # Every red item and next week's every deadline: the summary groups them by task and counts
    # the units, so a cut here would make its counts wrong (each is at most the assignments).
    red_items: dict[int, list[rm.ItemRow]] = {}
    for row in (
        await uow.session.execute(
            item_base.where(light == "red").order_by(col(Assignment.due_on), col(Assignment.id))
        )
    ).all():
        pid, item = item_row(row, red=True)
        red_items.setdefault(pid, []).append(item)
    next_start, next_end = end + timedelta(days=1), end + timedelta(days=7)
    next_deadlines: dict[int, list[rm.ItemRow]] = {}
    for row in (
        await uow.session.execute(
            item_base.where(
                col(Assignment.status).in_(OPEN),
                col(Assignment.due_on) >= next_start,
                col(Assignment.due_on) <= next_end,
            ).order_by(col(Assignment.due_on), col(Assignment.id))
        )
    ).all():
        pid, item = item_row(row)
        next_deadlines.setdefault(pid, []).append(item)

    # Each line carries its row number on the ledger's report sheet, which lists the period's
    # reports in (created_at, id) order: the chat cites that, not the report's id.
    numbered = (
        select(
            col(ProgressReport.id).label("rid"),
            func.row_number()
            .over(order_by=(col(ProgressReport.created_at), col(ProgressReport.id)))
            .label("ref"),
        ).where(period_reports)
    ).subquery()
    progress_rows = (
        await uow.session.execute(
            select(
                col(Task.policy_id),
                col(ProgressReport.id),
                col(ProgressReport.raw_text),
                col(ProgressReport.parsed_percent),
                col(ProgressReport.created_at),
                col(ProgressReport.chat_id),
                col(ProgressReport.message_id),
                col(Unit.name),
                col(Measure.number),
                col(Task.seq),
                numbered.c.ref,
            )
            .join(numbered, numbered.c.rid == col(ProgressReport.id))
            .join(Assignment, col(Assignment.id) == col(ProgressReport.assignment_id))
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .join(Measure, col(Measure.id) == col(Task.measure_id))
            .join(Unit, col(Unit.id) == col(Assignment.unit_id))
            .where(col(ProgressReport.review_state) != "returned", col(ProgressReport.raw_text) != "")
            .order_by(col(ProgressReport.created_at).desc())
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
                report_id=rid or 0,
                reported_at=_stored(at),
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
            select(Summary).where(col(Summary.week) == previous_week(week), col(Summary.scope) == "all")
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
            select(col(Policy.id), col(Policy.title), col(Policy.short_title), col(Policy.doc_number))
            .where(col(Policy.id).in_(list(tasks_by_policy)))
            .order_by(col(Policy.id))
        )
    ).all()
    sections = []
    for policy_id, title, short, doc in policy_rows:
        pid = policy_id or 0
        sections.append(
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
        )
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


async def _assignment_rows(
    uow: UnitOfWork, light: ColumnElement[rm.Light], live: ColumnElement[bool]
) -> list[rm.AssignmentRow]:
    last_report = (
        select(col(ProgressReport.assignment_id), func.max(col(ProgressReport.id)).label("rid"))
        .where(col(ProgressReport.superseded).is_(False))
        .group_by(col(ProgressReport.assignment_id))
    ).subquery()
    query = (
        select(
            col(Assignment.id),
            col(Policy.short_title),
            col(Measure.number),
            col(Task.seq),
            col(Task.text),
            col(Unit.name),
            col(Assignment.role),
            col(Assignment.due_on),
            col(Assignment.status),
            light,
            col(Assignment.last_report_at),
            col(ProgressReport.raw_text),
            col(Assignment.reminders_count),
            col(Policy.code),
        )
        .select_from(Assignment)
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Policy, col(Policy.id) == col(Task.policy_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .outerjoin(last_report, last_report.c.assignment_id == col(Assignment.id))
        .outerjoin(ProgressReport, col(ProgressReport.id) == last_report.c.rid)
        .where(live)
        .order_by(col(Policy.id), col(Measure.number), col(Task.seq), col(Assignment.id))
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


async def _report_rows(uow: UnitOfWork, period_reports: ColumnElement[bool]) -> list[rm.ReportRow]:
    rows = await _read_in_parts(
        uow,
        select(
            col(ProgressReport.id),
            col(ProgressReport.assignment_id),
            col(Unit.name),
            col(Measure.number),
            col(Task.seq),
            col(ProgressReport.created_at),
            col(ProgressReport.author),
            col(ProgressReport.parsed_status),
            col(ProgressReport.parsed_percent),
            col(ProgressReport.raw_text),
            col(ProgressReport.review_state),
            col(Contact.display_name),
            col(Policy.code),
        )
        .join(Assignment, col(Assignment.id) == col(ProgressReport.assignment_id))
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Policy, col(Policy.id) == col(Task.policy_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .outerjoin(Contact, col(Contact.id) == col(ProgressReport.contact_id))
        .where(period_reports)
        .order_by(col(ProgressReport.created_at), col(ProgressReport.id)),
        tuple,
    )
    # ref: the row number the summary's progress lines cite (the same order as their row_number).
    from bot.services import evidence

    files = await evidence.of_reports(uow, [r[0] for r in rows])
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
    row = await uow.session.scalar(
        select(Summary).where(col(Summary.week) == data.week, col(Summary.scope) == "all")
    )
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
            select(Contact)
            .where(col(Contact.role) == "observer", col(Contact.active).is_(True))
            .order_by(col(Contact.id))
        )
    ).all()
    return [*await coordinators(uow), *observers]


def render_languages(data: rm.SummaryData) -> dict[str, RenderedSummary]:
    """The summary in every language the bot speaks: a reader may change theirs, or be added,
    while it renders, and the rows to render another language from are gone by then."""
    return {lang: render_outputs(data, lang) for lang in LANGUAGES}


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
    """Queues the summary (text, chart, ledger, .docx) to each recipient in their language; a
    language not in `rendered` is rendered here, from `data`'s rows (the command line)."""
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
        blobs = {"chart": chart, "ledger": ledger, "docx": docx}
        for file in summary_files(lang, data.week):
            outbox.enqueue_file(
                uow.session,
                chat_id=contact.chat_id,
                method=file.method,
                file_name=file.file_name,
                data=blobs[file.part],
                caption=file.caption,
                now=uow.now,
                purpose="summary",
                dedupe_key=f"{key}:{file.part}",
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
    light = _lights(LightEdges.at(uow.now, calendar))
    rows = (
        await uow.session.execute(
            select(
                col(Assignment.unit_id),
                col(Assignment.id),
                col(Measure.number),
                col(Task.seq),
                col(Task.text),
                col(Unit.name),
                col(Assignment.role),
                col(Assignment.due_on),
                col(Assignment.status),
                light,
                col(Policy.code),
            )
            .select_from(Assignment)
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .join(Measure, col(Measure.id) == col(Task.measure_id))
            .join(Unit, col(Unit.id) == col(Assignment.unit_id))
            .join(Policy, col(Policy.id) == col(Task.policy_id))
            .where(col(Task.active).is_(True), col(Assignment.status).in_(OPEN))
            .order_by(col(Assignment.unit_id), col(Assignment.due_on), col(Assignment.id))
        )
    ).all()
    by_unit: dict[int, list[rm.ItemRow]] = {}
    names: dict[int, str] = {}
    today = calendar.local_date(uow.now)
    for unit_id, aid, mn, seq, text, unit, role, due, status, lt, code in rows:
        names[unit_id] = unit
        why = rm.red_reason(status, due, today) if lt == "red" else None
        by_unit.setdefault(unit_id, []).append(
            rm.ItemRow(
                assignment_id=aid or 0,
                measure_number=format_measure(code, mn),
                task_seq=seq,
                task_text=text,
                unit=unit,
                role=role,
                due_on=due,
                status=status,
                light=lt,
                red_kind=why.kind if why else "",
                overdue_days=why.overdue_days if why else 0,
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
                    col(Contact.unit_id).in_(unit_ids),
                    col(Contact.role).in_(("contact", "leader")),
                    col(Contact.active).is_(True),
                )
                .order_by(col(Contact.id))
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
                    select(col(OutboxMessage.dedupe_key)).where(col(OutboxMessage.dedupe_key).in_(keys))
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
            select(col(Assignment.id))
            .where(col(Assignment.assigned_at).is_not(None), col(Assignment.assigned_at) < moment)
            .limit(1)
        )
    ) is not None


async def weekly_summary_queued(uow: UnitOfWork, week: str) -> bool:
    return (
        await uow.session.scalar(
            select(col(OutboxMessage.id))
            .where(col(OutboxMessage.dedupe_key).like(f"summary:{week}:%"))
            .limit(1)
        )
    ) is not None


async def queue_weekly_summary(
    uow: UnitOfWork, data: rm.SummaryData, rendered: dict[str, RenderedSummary], digests: UnitDigests
) -> None:
    """The Monday job's writing: the stored summary (its Chinese text), the messages, the units'
    digests. The recipients are read again here, so one blocked or added meanwhile is seen."""
    await store_summary(uow, data, "\n".join(rendered["zh"].messages), actor="system:scheduler")
    await send_summary(uow, data, to=await recipients(uow), actor="system:scheduler", rendered=rendered)
    await queue_unit_digests(uow, digests)
