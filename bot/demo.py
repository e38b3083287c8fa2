"""`duban demo`: weeks of a province's work simulated offline, through the bot's own services.

No token and no network: units acknowledge, report on time, late, blocked or never, the
scheduler's jobs chase them on China's calendar, the coordinator reviews, and the weekly
summary, chart and ledger are written to a folder. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.app import App
from bot.domain.clock import ManualClock
from bot.domain.statuses import Status
from bot.importer import decompose, read_document
from bot.jobs import Jobs
from bot.services import acknowledge, coordination, dispatch, reports, review
from bot.services import summary as summary_service
from bot.services.access import resolve_actor
from bot.services.policies import import_policy
from bot.services.units import sync_directory
from config.settings import Settings
from models import Assignment, Contact, OutboxMessage, ProgressReport, Task, Unit

COORDINATOR_CHAT = 1
OBSERVER_CHAT = 2
PROFILES = ("on_time", "on_time", "on_time", "late", "blocked", "silent")
PROGRESS_TEXTS = (
    "本周召开专题推进会，完成{p}%。",
    "已完成项目摸底，形成清单，完成{p}%。",
    "正在组织申报，完成{p}%，下周报送材料。",
    "与企业对接两次，方案已成稿，完成{p}%。",
)


@dataclass
class DemoResult:
    out: Path
    week: str
    files: list[Path]
    headline: str


async def run_demo(out: Path, weeks: int = 4, seed: int = 15, start: date = date(2025, 9, 1)) -> DemoResult:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db}", bot_token=None)
    from bot.migrate import upgrade

    upgrade(settings.database_url)
    clock = ManualClock(datetime.combine(start, time(0, 0), tzinfo=UTC))
    app = App.build(settings, clock=clock)
    clock.set(app.calendar.at_local(start, time(9, 0)))  # the demo starts at 09:00 in the office's zone
    rng = random.Random(seed)
    try:
        await _setup(app, start, rng)
        jobs = Jobs(app)
        profiles = await _profiles(app, rng)
        for day in range(weeks * 7):
            today = start + timedelta(days=day)
            clock.set(app.calendar.at_local(today, time(9, 0)))
            if today.weekday() == 0 and day > 0:
                await jobs.weekly_summary()
            await jobs.plan()
            await jobs.tick()
            if app.calendar.is_working_day(today):
                clock.set(app.calendar.at_local(today, time(10, 30)))
                await _units_act(app, today, profiles, rng)
                clock.set(app.calendar.at_local(today, time(16, 0)))
                await _coordinator_reviews(app, rng)
                await jobs.tick()
        end = start + timedelta(days=weeks * 7 - 1)
        clock.set(app.calendar.at_local(end, time(18, 0)))
        week = summary_service.week_of(end)
        async with app.work() as uow:
            data = await summary_service.build_summary(uow, week=week)
            messages, chart, ledger, docx = summary_service.render_outputs(data, "zh")
            await summary_service.store_summary(uow, data, "\n".join(messages), actor="demo")
        files = [
            out / f"summary-{week}.html",
            out / f"summary-{week}.png",
            out / f"ledger-{week}.xlsx",
            out / "messages.txt",
            out / f"summary-{week}.docx",
        ]
        files[0].write_text("\n\n".join(messages), encoding="utf-8")
        files[1].write_bytes(chart)
        files[2].write_bytes(ledger)
        files[4].write_bytes(docx)
        await _transcript(app, files[3])
        h = data.headline
        headline = (
            f"{week}：任务分配 {h.total} 个，已办结 {h.done}，逾期 {h.overdue}，"
            f"🔴{h.red} 🟡{h.yellow} 🟢{h.green}，本周报送 {h.reports_this_week} 份"
        )
        return DemoResult(out=out, week=week, files=files, headline=headline)
    finally:
        await app.close()


async def _setup(app: App, start: date, rng: random.Random) -> None:
    text = read_document(
        Path(__file__).resolve().parent.parent / "config" / "data" / "seed_ganfuting_2024_15.txt"
    )
    async with app.work() as uow:
        session, now = uow.session, uow.now
        await sync_directory(uow, app.directory, "demo")
        await import_policy(
            uow,
            decompose(text, app.directory),
            source_name="seed",
            source_text=text,
            actor="demo",
            horizon=start + timedelta(weeks=10),
        )
        # Measure 一 gets an early deadline so the demo shows overdue and due-soon work.
        for task in (await session.scalars(select(Task).where(Task.seq <= 2))).all():
            task.due_on = start + timedelta(days=17 + rng.randint(0, 10))
        await session.flush()
        for a, task in (
            await session.execute(select(Assignment, Task).join(Task, Task.id == Assignment.task_id))
        ).all():
            if task.due_on:
                a.due_on = task.due_on
        session.add(
            Contact(
                role="coordinator",
                chat_id=COORDINATOR_CHAT,
                telegram_user_id=COORDINATOR_CHAT,
                display_name="督办人",
                created_at=now,
            )
        )
        session.add(
            Contact(
                role="observer",
                chat_id=OBSERVER_CHAT,
                telegram_user_id=OBSERVER_CHAT,
                display_name="分管副秘书长",
                created_at=now,
            )
        )
        units = (await session.scalars(select(Unit).where(Unit.in_seed.is_(True)))).all()
        for unit in units:
            session.add(
                Contact(
                    unit_id=unit.id,
                    role="contact",
                    chat_id=10_000 + (unit.id or 0),
                    telegram_user_id=10_000 + (unit.id or 0),
                    display_name=f"{unit.name}联络员",
                    created_at=now,
                )
            )
            session.add(
                Contact(
                    unit_id=unit.id,
                    role="leader",
                    chat_id=20_000 + (unit.id or 0),
                    telegram_user_id=20_000 + (unit.id or 0),
                    display_name=f"{unit.name}分管领导",
                    created_at=now,
                )
            )
        await session.flush()
        await dispatch.dispatch(uow, None, actor="demo")


async def _profiles(app: App, rng: random.Random) -> dict[int, str]:
    async with app.sessions() as session:
        unit_ids = list(
            (await session.scalars(select(Unit.id).where(Unit.in_seed.is_(True)).order_by(Unit.id))).all()
        )
    return {uid: rng.choice(PROFILES) for uid in unit_ids}


async def _units_act(app: App, today: date, profiles: dict[int, str], rng: random.Random) -> None:
    async with app.sessions() as session:
        rows = (
            await session.execute(
                select(Assignment.id, Assignment.unit_id, Assignment.status, Assignment.percent)
                .where(
                    Assignment.status.not_in(
                        (Status.DRAFT, Status.DONE, Status.CANCELLED, Status.CLAIMED_DONE)
                    )
                )
                .order_by(Assignment.unit_id, Assignment.id)
            )
        ).all()
    by_unit: dict[int, list[tuple[int, str, int | None]]] = {}
    for aid, unit_id, status, percent in rows:
        by_unit.setdefault(unit_id, []).append((aid, status, percent))
    week_index = (today - date(today.year, 1, 1)).days // 7
    for unit_id, items in by_unit.items():
        profile = profiles.get(unit_id, "silent")
        if profile == "silent":
            continue
        report_day = {"on_time": 2, "late": 4, "blocked": 1}[profile]
        acting_today = today.weekday() == report_day and not (profile == "late" and week_index % 2)
        chat = 10_000 + unit_id
        # One unit of work per unit and day, as one contact working through their list would.
        async with app.work() as uow:
            actor = await resolve_actor(uow, user_id=chat, chat_id=chat, name="联络员", default_language="zh")
            for aid, status, percent in items:
                if status == "assigned":
                    if profile != "late" or today.weekday() >= 2:
                        await acknowledge.acknowledge(uow, actor, aid)
                    continue
                if not acting_today:
                    continue
                if profile == "blocked" and rng.random() < 0.5:
                    text = "受阻，需协调项目用地指标和环评批复。"
                else:
                    value = min(100, (percent or 0) + rng.choice((20, 25, 30, 40)))
                    text = (
                        "已完成，相关材料已报送。"
                        if value >= 100
                        else rng.choice(PROGRESS_TEXTS).format(p=value)
                    )
                await reports.receive_report(
                    uow,
                    actor,
                    aid,
                    reports.IncomingReport(
                        chat_id=chat,
                        message_id=int(uow.now.timestamp()) % 1_000_000 + aid,
                        text=text,
                        author=f"{unit_id}",
                    ),
                )


async def _coordinator_reviews(app: App, rng: random.Random) -> None:
    async with app.sessions() as session:
        pending = list(
            (
                await session.scalars(
                    select(ProgressReport.id)
                    .where(ProgressReport.review_state == "pending", ProgressReport.parsed_status == "done")
                    .order_by(ProgressReport.id)
                )
            ).all()
        )
        actor = await resolve_actor(
            app.unit_of_work(session),
            user_id=COORDINATOR_CHAT,
            chat_id=COORDINATOR_CHAT,
            name="督办人",
            default_language="zh",
        )
    for rid in pending:
        try:
            async with app.work() as uow:
                if rng.random() < 0.2:
                    await review.return_report(
                        uow, actor, rid, "请补充佐证材料（会议纪要、批复文件）后再报办结。"
                    )
                else:
                    await review.approve_report(uow, actor, rid)
        except coordination.CoordinationError:
            continue  # rolled back


async def _transcript(app: App, path: Path) -> None:
    """What the bot would have sent, so the demo shows the conversation, not only the figures."""
    import html
    import re

    async with app.sessions() as session:
        total = await session.scalar(select(func.count(OutboxMessage.id)))
        purposes = dict(
            (
                await session.execute(
                    select(OutboxMessage.purpose, func.count(OutboxMessage.id)).group_by(
                        OutboxMessage.purpose
                    )
                )
            ).all()
        )
        sample = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.method == "sendMessage")
                .order_by(OutboxMessage.id)
                .limit(60)
            )
        ).all()
    lines = [
        f"机器人共排队 {total} 条消息：" + "，".join(f"{k} {v}" for k, v in sorted(purposes.items())),
        "",
    ]
    for m in sample:
        plain = html.unescape(re.sub(r"<[^>]+>", "", m.text))
        lines += [f"→ chat {m.chat_id} [{m.purpose}]", plain, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
