"""Lights and summary figures against a hand-built ledger whose answers are known."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from bot.app import App
from bot.domain.clock import ManualClock
from bot.services import summary as s
from bot.services.board import board
from bot.views.summary import summary_files
from models import (
    Assignment,
    Contact,
    JobPeriod,
    Measure,
    OutboxMessage,
    Policy,
    ProgressReport,
    Summary,
    Task,
    Unit,
)
from tests.conftest import Harness
from tests.test_bot_flow import COORD, YICHUN, dispatch_and_find

# Wednesday 2025-11-19 15:00 in Shanghai; ISO week 2025-W47 runs 11-17 .. 11-23.
NOW = datetime(2025, 11, 19, 7, 0, tzinfo=UTC)
IN_WEEK = datetime(2025, 11, 18, 2, 0, tzinfo=UTC)
LAST_WEEK = datetime(2025, 11, 14, 2, 0, tzinfo=UTC)  # Friday of the week before, within one period
LONG_AGO = datetime(2025, 10, 20, 2, 0, tzinfo=UTC)


async def _ledger(app: App) -> dict[str, int]:
    """Two measures, three units, six assignments with known lights:

    a1 U1 m1 done                                   -> done
    a2 U1 m1 in_progress, due 2025-11-10 (past)     -> red (overdue)
    a3 U2 m1 blocked, due far                       -> red (blocked)
    a4 U2 m2 in_progress, due 2025-11-21 (<5 wd)    -> yellow (due soon), reported this week
    a5 U3 m2 in_progress, last report long ago      -> red (silent two periods), no report this week
    a6 U3 m2 acknowledged, due 2025-11-27, reported -> green ... reported last week only
    """
    async with app.sessions() as session, session.begin():
        policy = Policy(code="P1", title="测试政策", short_title="测试政策", fingerprint="x", created_at=NOW)
        session.add(policy)
        await session.flush()
        m1 = Measure(policy_id=policy.id, number=1, title="措施甲")
        m2 = Measure(policy_id=policy.id, number=2, title="措施乙")
        session.add_all([m1, m2])
        units = [Unit(name=n, created_at=NOW) for n in ("单位一", "单位二", "单位三")]
        session.add_all(units)
        await session.flush()
        tasks = [
            Task(policy_id=policy.id, measure_id=m.id, seq=i, text=f"任务{m.number}-{i}", created_at=NOW)
            for m in (m1, m2)
            for i in (1, 2, 3)
        ]
        session.add_all(tasks)
        await session.flush()
        far = date(2026, 6, 30)
        spec = [
            (tasks[0], units[0], "done", far, IN_WEEK),
            (tasks[1], units[0], "in_progress", date(2025, 11, 10), IN_WEEK),
            (tasks[2], units[1], "blocked", far, IN_WEEK),
            (tasks[3], units[1], "in_progress", date(2025, 11, 21), IN_WEEK),
            (tasks[4], units[2], "in_progress", far, LONG_AGO),
            (tasks[5], units[2], "acknowledged", date(2025, 11, 27), LAST_WEEK),
        ]
        ids = {}
        for n, (task, unit, status, due, last) in enumerate(spec, start=1):
            a = Assignment(
                task_id=task.id,
                unit_id=unit.id,
                role="lead",
                status=status,
                due_on=due,
                assigned_at=LONG_AGO,
                acknowledged_at=LONG_AGO,
                last_report_at=last,
                done_at=IN_WEEK if status == "done" else None,
                created_at=LONG_AGO,
            )
            session.add(a)
            await session.flush()
            ids[f"a{n}"] = a.id
        reports = [
            (ids["a2"], "完成40%，已完成选址", IN_WEEK, -1001234567890, 55),
            (ids["a3"], "受阻，需协调用地", IN_WEEK, 3001, 7),
            (ids["a4"], "完成80%", IN_WEEK, 3001, 8),
            (ids["a6"], "完成20%", LAST_WEEK, 3002, 9),
            (ids["a5"], "启动调研", LONG_AGO, 3002, 10),
        ]
        for aid, text, at, chat, msg in reports:
            session.add(
                ProgressReport(
                    assignment_id=aid,
                    raw_text=text,
                    created_at=at,
                    chat_id=chat,
                    message_id=msg,
                    review_state="pending",
                )
            )
        session.add(
            Summary(
                week="2025-W46",
                figures={"done": 0, "red": 1, "overdue": 0, "reports_this_week": 1, "rate": 0.5},
                created_at=LAST_WEEK,
            )
        )
        session.add(Contact(role="coordinator", chat_id=1, telegram_user_id=1, created_at=NOW))
        session.add(Contact(role="observer", chat_id=2, telegram_user_id=2, language="en", created_at=NOW))
    return ids


async def test_summary_figures(app: App, clock: ManualClock) -> None:
    clock.set(NOW)
    ids = await _ledger(app)
    async with app.sessions() as session:
        data = await s.build_summary(app.unit_of_work(session, NOW), week="2025-W47")
    h = data.headline
    assert (h.total, h.done, h.not_acknowledged, h.overdue) == (6, 1, 0, 1)
    assert (h.red, h.yellow, h.green) == (3, 1, 1)
    assert h.reports_this_week == 3
    lights = {m.number: (m.light, m.red, m.yellow, m.green, m.done) for m in data.measures}
    assert lights == {"P1-1": ("red", 2, 0, 0, 1), "P1-2": ("red", 1, 1, 1, 0)}
    units = {u.unit: u for u in data.units}
    # 单位三 has two open assignments and reported on neither this week.
    assert not units["单位三"].reported and units["单位三"].expected_reports == 2
    assert units["单位一"].reported and units["单位一"].reports == 1 and units["单位一"].expected_reports == 1
    assert units["单位二"].reporting_rate == 1.0
    reasons = {i.assignment_id: (i.red_kind, i.overdue_days) for i in data.red_items}
    assert set(reasons) == {ids["a2"], ids["a3"], ids["a5"]}
    assert reasons[ids["a2"]] == ("overdue", 9) and reasons[ids["a3"]] == ("blocked", 0)
    links = {p.report_id: p.link for p in data.progress}
    assert len(data.progress) == 3
    assert "https://t.me/c/1234567890/55" in links.values()
    assert data.change is not None and data.change.prev_week == "2025-W46"
    assert data.change.done_delta == 1 and data.change.red_delta == 2 and data.change.reports_delta == 2
    # Next week (11-24 .. 11-30): a6 falls due on 11-27.
    assert [i.assignment_id for i in data.next_deadlines] == [ids["a6"]]
    # The board agrees with the summary's lights.
    async with app.sessions() as session:
        measures, overdue = await board(app.unit_of_work(session, NOW))
    assert overdue == 1
    assert {m.number: m.counts.get("red", 0) for m in measures} == {1: 2, 2: 1}


async def test_summary_is_sent_with_chart_and_ledger(app: App, clock: ManualClock) -> None:
    clock.set(NOW)
    await _ledger(app)
    async with app.sessions() as session, session.begin():
        data = await s.build_summary(app.unit_of_work(session, NOW), week="2025-W47")
        uow = app.unit_of_work(session, NOW)
        sent = await s.send_summary(uow, data, to=await s.recipients(uow), actor="test")
        again = await s.send_summary(uow, data, to=await s.recipients(uow), actor="test")
    assert sent == 2 and again == 0  # queued once per recipient, however often the job runs
    async with app.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    to_observer = [r for r in rows if r.chat_id == 2]
    assert any(r.method == "sendPhoto" and r.file_bytes[:4] == b"\x89PNG" for r in to_observer)
    ledger = next(r for r in to_observer if r.method == "sendDocument")
    book = openpyxl.load_workbook(io.BytesIO(ledger.file_bytes))
    assert len(book.sheetnames) >= 4
    texts = [r.text for r in to_observer if r.method == "sendMessage"]
    assert any("Weekly" in t or "weekly" in t for t in texts)  # the observer reads English
    assert any("单位三" in t for t in texts)


async def test_rollups_by_task_measure_unit_policy(app: App, clock: ManualClock) -> None:
    from bot.services.board import rolled, rollup

    clock.set(NOW)
    ids = await _ledger(app)
    async with app.sessions() as session:
        by_policy = await rollup(app.unit_of_work(session, NOW), "policy")
        by_unit = await rollup(app.unit_of_work(session, NOW), "unit")
        by_task = await rollup(app.unit_of_work(session, NOW), "task")
        units = {u.name: u.id for u in (await session.scalars(select(Unit))).all()}
        task_of = {a.id: a.task_id for a in (await session.scalars(select(Assignment))).all()}
    assert list(by_policy.values()) == [{"done": 1, "red": 3, "yellow": 1, "green": 1}]
    assert rolled(next(iter(by_policy.values()))) == "red"
    assert by_unit[units["单位一"]] == {"done": 1, "red": 1}
    assert rolled(by_unit[units["单位二"]]) == "red" and by_unit[units["单位二"]]["yellow"] == 1
    assert rolled(by_task[task_of[ids["a1"]]]) == "done" and rolled(by_task[task_of[ids["a6"]]]) == "green"


async def test_monday_job_sends_last_weeks_summary_and_unit_digests(app: App, clock: ManualClock) -> None:
    from bot.jobs import Jobs

    await _ledger(app)
    async with app.sessions() as session, session.begin():
        unit = await session.scalar(select(Unit).where(Unit.name == "单位三"))
        session.add(Contact(unit_id=unit.id, role="contact", chat_id=33, telegram_user_id=33, created_at=NOW))
        session.add(Contact(unit_id=unit.id, role="leader", chat_id=34, telegram_user_id=34, created_at=NOW))
    clock.set(datetime(2025, 11, 24, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai
    jobs = Jobs(app)
    assert await jobs.weekly_summary() == "2025-W47"
    await jobs.weekly_summary()  # a second run (a restart, a retry) queues nothing more
    async with app.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        stored = await session.scalar(select(Summary).where(Summary.week == "2025-W47"))
    assert stored is not None and stored.figures["silent_units"] == ["单位三"]
    by_chat: dict[tuple[int, str, str], int] = {}
    for r in rows:
        by_chat.setdefault((r.chat_id, r.purpose, r.method), 0)
        by_chat[(r.chat_id, r.purpose, r.method)] += 1
    # the ledger and the .docx 周报, once each
    assert by_chat[(1, "summary", "sendDocument")] == 2 and by_chat[(2, "summary", "sendPhoto")] == 1
    assert by_chat[(33, "digest", "sendMessage")] >= 1 and by_chat[(34, "digest", "sendMessage")] >= 1


async def test_a_reader_who_changes_language_while_the_summary_renders_gets_it_in_the_new_one(
    app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.jobs import Jobs
    from bot.services import offload

    await _ledger(app)
    clock.set(datetime(2025, 11, 24, 1, 0, tzinfo=UTC))
    real = offload.read_and_render_apart

    async def observer_reads(lang: str) -> None:
        async with app.sessions() as session, session.begin():
            observer = await session.scalar(select(Contact).where(Contact.chat_id == 2))
            observer.language = lang

    async def then_switch(*args, **kwargs):  # type: ignore[no-untyped-def]
        made = await real(*args, **kwargs)
        await observer_reads("en")
        return made

    await observer_reads("zh")  # nobody reads English when the job begins
    monkeypatch.setattr(offload, "read_and_render_apart", then_switch)
    assert await Jobs(app).weekly_summary() == "2025-W47"
    async with app.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == 2))).all()
    assert any("Weekly" in r.text or "weekly" in r.text for r in rows if r.method == "sendMessage")
    assert not any("督办周报" in r.text for r in rows)
    files = sorted((r.file_name, r.text) for r in rows if r.file_name)
    assert files == sorted((f.file_name, f.caption) for f in summary_files("en", "2025-W47"))
    # and its ledger lists every row, as one rendered in English from the start would
    async with app.sessions() as session:
        data = await s.build_summary(app.unit_of_work(session, clock.now()), week="2025-W47")
    sent = next(r.file_bytes for r in rows if r.file_name and r.file_name.endswith(".xlsx"))
    assert _cells(sent) == _cells(s.ledger_bytes(data, "en"))


def _cells(xlsx: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


def fail_to_render(data: object) -> None:
    """Module-level, so the child process can be handed it."""
    raise RuntimeError("the renderer failed")


async def test_a_monday_job_whose_child_fails_sends_nothing_and_the_next_start_sends_it(
    app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.jobs import SUMMARY_JOB, Jobs

    await _ledger(app)
    clock.set(datetime(2025, 11, 24, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai
    with monkeypatch.context() as patched:
        patched.setattr(s, "render_languages", fail_to_render)
        with pytest.raises(RuntimeError, match="the renderer failed"):  # the scheduler logs it
            await Jobs(app).weekly_summary()
    async with app.sessions() as session:
        assert await session.get(JobPeriod, (SUMMARY_JOB, "2025-W47")) is None  # not claimed
        assert not (await session.scalars(select(OutboxMessage))).all()
        assert await session.scalar(select(Summary).where(Summary.week == "2025-W47")) is None
    assert await Jobs(app).catch_up_summary() == "2025-W47"
    async with app.sessions() as session:
        photos = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.method == "sendPhoto"))
        ).all()
    assert sorted((r.chat_id, r.purpose) for r in photos) == [(1, "summary"), (2, "summary")]


async def test_review_digest_collects_unnotified_reports(app: App, clock: ManualClock) -> None:
    from bot.services.review import send_review_digest

    clock.set(NOW)
    await _ledger(app)
    async with app.sessions() as session, session.begin():
        count = await send_review_digest(app.unit_of_work(session, NOW))
        again = await send_review_digest(app.unit_of_work(session, NOW))
    assert count == 5 and again == 0
    async with app.sessions() as session:
        digests = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "report_digest"))
        ).all()
    assert digests and all(d.chat_id == 1 for d in digests)
    buttons = [b["callback_data"] for d in digests for row in d.reply_markup["inline_keyboard"] for b in row]
    assert len(buttons) == 10 and all(b.startswith("rv:") for b in buttons)


async def test_a_summary_missed_while_down_goes_out_once_on_start(app: App, clock: ManualClock) -> None:
    from bot.jobs import Jobs

    await _ledger(app)
    clock.set(datetime(2025, 11, 25, 3, 0, tzinfo=UTC))  # Tuesday: Monday 09:00 passed while the bot was down
    jobs = Jobs(app)
    assert await jobs.catch_up_summary() == "2025-W47"
    assert await jobs.catch_up_summary() is None  # already queued


async def test_no_summary_is_caught_up_for_a_week_before_the_first_dispatch(
    app: App, clock: ManualClock
) -> None:
    from bot.jobs import Jobs

    # Everything was handed out on Tuesday, after Monday's 09:00 summary time had passed.
    clock.set(datetime(2025, 11, 25, 3, 0, tzinfo=UTC))
    await _ledger(app)
    async with app.sessions() as session, session.begin():
        for assignment in (await session.scalars(select(Assignment))).all():
            assignment.assigned_at = datetime(2025, 11, 25, 2, 0, tzinfo=UTC)
    assert await Jobs(app).catch_up_summary() is None
    async with app.sessions() as session:
        assert (
            await session.scalar(select(OutboxMessage.id).where(OutboxMessage.purpose == "summary")) is None
        )


async def test_summary_sections_carry_the_doc_number_and_cite_ledger_rows(
    app: App, clock: ManualClock
) -> None:
    clock.set(NOW)
    ids = await _ledger(app)
    async with app.sessions() as session, session.begin():
        policy = await session.scalar(select(Policy))
        policy.doc_number = "赣府厅发〔2024〕15号"
        contact = Contact(
            role="contact", chat_id=3001, telegram_user_id=3001, display_name="王五", created_at=NOW
        )
        session.add(contact)
        await session.flush()
        # a report whose sender had no Telegram name: stored as the bare user id
        report = await session.scalar(select(ProgressReport).where(ProgressReport.assignment_id == ids["a4"]))
        report.author, report.contact_id = "3001", contact.id
        other = await session.scalar(select(ProgressReport).where(ProgressReport.assignment_id == ids["a3"]))
        other.author = "李四"
    async with app.sessions() as session:
        data = await s.build_summary(app.unit_of_work(session, NOW), week="2025-W47")
    assert len(data.policies) == 1
    section = data.policies[0]
    assert section.doc_number == "赣府厅发〔2024〕15号" and section.tasks == 6
    assert data.headline.tasks == 6 and data.headline.total == 6
    # each progress line cites its row on the ledger's report sheet
    by_id = {r.report_id: r for r in data.reports}
    assert [r.ref for r in data.reports] == list(range(1, len(data.reports) + 1))
    for line in section.progress:
        assert line.ref == by_id[line.report_id].ref
    authors = {r.assignment_id: r.author for r in data.reports}
    assert authors[ids["a4"]] == "王五" and authors[ids["a3"]] == "李四"
    rendered = s.render_outputs(data, "zh")
    text = "\n".join(rendered.messages)
    assert "（赣府厅发〔2024〕15号）落实情况" in text and "〔台账" in text
    book = openpyxl.load_workbook(io.BytesIO(rendered.ledger))
    sheet = book["本期报送"]
    cited = {sheet.cell(r, 1).value: sheet.cell(r, 10).value for r in range(2, sheet.max_row + 1)}
    line = next(p for p in section.progress if p.summary == "完成40%，已完成选址")
    assert cited[line.ref] == "完成40%，已完成选址"
    assert "王五" in [sheet.cell(r, 7).value for r in range(2, sheet.max_row + 1)]
    import docx

    body = "\n".join(p.text for p in docx.Document(io.BytesIO(rendered.docx)).paragraphs)
    assert "三、存在问题" in body and "赣府厅发〔2024〕15号" in body


async def test_summary_narrowed_to_one_policy(app: App, clock: ManualClock) -> None:
    clock.set(NOW)
    await _ledger(app)
    async with app.sessions() as session, session.begin():
        other = Policy(
            code="P2",
            title="另一政策",
            short_title="另一政策",
            doc_number="赣府发〔2025〕3号",
            fingerprint="y",
            created_at=NOW,
        )
        session.add(other)
        await session.flush()
        measure = Measure(policy_id=other.id, number=1, title="其他措施")
        session.add(measure)
        await session.flush()
        task = Task(policy_id=other.id, measure_id=measure.id, seq=1, text="另一任务", created_at=NOW)
        session.add(task)
        await session.flush()
        unit = await session.scalar(select(Unit).where(Unit.name == "单位一"))
        session.add(
            Assignment(
                task_id=task.id,
                unit_id=unit.id,
                role="lead",
                status="in_progress",
                due_on=date(2025, 11, 1),
                assigned_at=LONG_AGO,
                created_at=LONG_AGO,
            )
        )
        other_id = other.id
    async with app.sessions() as session:
        both = await s.build_summary(app.unit_of_work(session, NOW), week="2025-W47")
        one = await s.build_summary(app.unit_of_work(session, NOW), week="2025-W47", policy_ids=[other_id])
    assert [p.title for p in both.policies] == ["测试政策", "另一政策"]
    assert both.headline.total == 7 and both.headline.tasks == 7
    assert [p.title for p in one.policies] == ["另一政策"]
    assert one.headline.total == 1 and one.headline.red == 1 and one.change is None
    assert [i.task_text for i in one.red_items] == ["另一任务"]
    assert {r.unit for r in one.reports} <= {"单位一"} and all(
        a.task_text == "另一任务" for a in one.assignments
    )
    text = "\n".join(s.render_outputs(both, "zh").messages)
    assert "2 件政策文件落实情况" in text and "（二）" in text


async def test_summary_and_export_on_demand(harness: Harness) -> None:
    import io

    import openpyxl

    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_text(YICHUN, "完成40%", reply_to=task_msg)
    await h.deliver()
    h.srv.command(COORD, "/summary")
    h.srv.command(COORD, "/export")
    h.srv.command(YICHUN, "/export")
    await h.deliver()
    sent = h.srv.messages_to(COORD)
    assert any("督办周报" in s.text for s in sent if s.method == "sendMessage")
    assert any(s.method == "sendPhoto" for s in sent)
    documents = [s for s in sent if s.method == "sendDocument"]
    ledgers = [s for s in documents if (s.document_name or "").endswith(".xlsx")]
    assert len(ledgers) == 2  # one with the summary, one from /export
    assert [s.document_name for s in documents if (s.document_name or "").endswith(".docx")]  # the 周报
    book = openpyxl.load_workbook(io.BytesIO(ledgers[-1].document_bytes))
    assert book.sheetnames[:4] == ["总览", "措施", "任务分配", "本期报送"]
    assert "没有权限" in h.srv.messages_to(YICHUN)[-1].text
