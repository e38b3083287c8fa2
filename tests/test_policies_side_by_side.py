"""Several policies and an ad-hoc item side by side, through the real Dispatcher: numbers that
collide are never guessed, nothing crosses from one policy to another, and /new registers an item
that then lives like a one-task policy."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.i18n import t
from bot.importer import decompose, read_document
from bot.services import summary as summary_service
from bot.services.policies import import_policy
from models import Assignment, Contact, Event, Followup, Measure, OutboxMessage, Policy, ProgressReport, Task
from tests.conftest import Harness
from tests.test_bot_flow import COORD, GONGXIN, YICHUN, _setup

SECOND = Path(__file__).parent / "fixtures" / "docs" / "pcn_paragraph_clauses.txt"


async def _two_policies(h: Harness) -> None:
    await _setup(h)  # the seed is P1
    text = read_document(SECOND)
    async with h.app.work() as uow:
        await import_policy(
            uow, decompose(text, h.app.directory), source_name="second", source_text=text, actor="test"
        )


async def _assigned(h: Harness) -> list[tuple[str, int, int, int]]:
    """(policy code, measure number, task seq, assignment id) of every dispatched assignment."""
    async with h.app.sessions() as session:
        rows = (
            await session.execute(
                select(Policy.code, Measure.number, Task.seq, Assignment.id)
                .join(Task, Task.id == Assignment.task_id)
                .join(Measure, Measure.id == Task.measure_id)
                .join(Policy, Policy.id == Task.policy_id)
                .where(Assignment.status != "draft")
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def last(h: Harness, chat: int):  # type: ignore[no-untyped-def]
    return h.srv.messages_to(chat)[-1]


async def test_colliding_numbers_are_asked_never_guessed(harness: Harness) -> None:
    h = harness
    await _two_policies(h)
    async with h.app.sessions() as session:
        codes = list((await session.scalars(select(Policy.code).order_by(Policy.id))).all())
    assert codes == ["P1", "P2"]

    h.srv.command(COORD, "/measure 2")
    await h.deliver()
    question = last(h, COORD)
    assert "在 2 个政策中都有" in question.text and "P1-2" in question.text and "P2-2" in question.text
    # /dispatch 2 asks too, and dispatches nothing by itself.
    h.srv.command(COORD, "/dispatch 2")
    await h.deliver()
    question = last(h, COORD)
    assert "在 2 个政策中都有" in question.text
    assert await _assigned(h) == []
    h.srv.press_button(COORD, question, "P2 ")
    await h.deliver()
    preview = last(h, COORD)
    assert "交办预览（措施P2-2）" in preview.text
    h.srv.press_button(COORD, preview, "确认")
    await h.deliver()
    dispatched = await _assigned(h)
    assert dispatched and {(code, number) for code, number, _, _ in dispatched} == {("P2", 2)}
    gongxin = [m.text for m in h.srv.messages_to(GONGXIN) if "交办任务" in m.text]
    assert gongxin and all("P2-2." in text and "P1-" not in text for text in gongxin)

    # /dispatch P1-2 takes P1's measure 2 only.
    h.srv.command(COORD, "/dispatch P1-2")
    await h.deliver()
    assert "交办预览（措施P1-2）" in last(h, COORD).text
    h.srv.press_button(COORD, last(h, COORD), "确认")
    await h.deliver()
    after = await _assigned(h)
    assert {(c, n) for c, n, _, _ in after} == {("P1", 2), ("P2", 2)}

    # A task reference with its code works, each showing its own policy's units.
    h.srv.command(COORD, "/task P1-2.1")
    await h.deliver()
    p1 = last(h, COORD).text
    assert "措施P1-2" in p1 and "P1-2.1" in p1 and "P2-" not in p1
    h.srv.command(COORD, "/task P2-2.1")
    await h.deliver()
    p2 = last(h, COORD).text
    assert "措施P2-2" in p2 and "P2-2.1" in p2 and "P1-" not in p2

    # /extend 2 DATE is measure 2 (never assignment #2) and, fitting two policies, is asked about.
    async with h.app.sessions() as session:
        before = {a.id: a.due_on for a in (await session.scalars(select(Assignment))).all()}
    h.srv.command(COORD, "/extend 2 2026-03-31")
    await h.deliver()
    assert "在 2 个政策中都有" in last(h, COORD).text
    # /extend P2-2 names what it would move and waits for 确认.
    h.srv.command(COORD, "/extend P2-2 2026-03-31")
    await h.deliver()
    confirm = last(h, COORD)
    p2_open = [aid for code, _, _, aid in after if code == "P2"]
    assert f"{len(p2_open)} 个未办结分配" in confirm.text and "P2-2" in confirm.text
    async with h.app.sessions() as session:
        unchanged = {a.id: a.due_on for a in (await session.scalars(select(Assignment))).all()}
    assert unchanged == before
    h.srv.press_button(COORD, confirm, "确认")
    await h.deliver()
    async with h.app.sessions() as session:
        now_due = {a.id: a.due_on for a in (await session.scalars(select(Assignment))).all()}
    moved = {aid for aid, due in now_due.items() if due != before[aid]}
    assert moved == set(p2_open) and all(now_due[aid] == date(2026, 3, 31) for aid in moved)
    assert "P2-2" in last(h, COORD).text
    # Pressing the same 确认 again changes nothing more (the set it named has not changed, the date is the same).
    events_before = await _count_events(h, "assignment.extend")
    assert events_before == len(p2_open)

    # Board: both policies, grouped; narrowed to one, the other is absent.
    h.srv.command(COORD, "/board")
    await h.deliver()
    board = last(h, COORD).text
    assert "P1 " in board and "P2 " in board and "措施P1-2" in board and "措施P2-2" in board
    assert board.index("措施P1-2") < board.index("P2 ")  # grouped by policy
    h.srv.command(COORD, "/board P2")
    await h.deliver()
    narrowed = last(h, COORD).text
    assert "措施P2-2" in narrowed and "P1-" not in narrowed

    # Summary and ledger narrowed to P2 hold P2's rows only, with the code in every reference.
    async with h.app.sessions() as session:
        p2_id = await session.scalar(select(Policy.id).where(Policy.code == "P2"))
        data = await summary_service.build_summary(
            h.app.unit_of_work(session), week="2025-W39", policy_ids=[p2_id]
        )
    assert [s.code for s in data.policies] == ["P2"]
    assert {a.measure_number for a in data.assignments} == {"P2-2"}
    h.srv.command(COORD, "/export P2")
    await h.deliver()
    sheet = await _ledger_rows(h)
    assert sheet and all(ref.startswith("P2-2.") for ref in sheet)
    h.srv.command(COORD, "/export")
    await h.deliver()
    both = await _ledger_rows(h)
    assert {ref.split("-")[0] for ref in both} == {"P1", "P2"}


async def _count_events(h: Harness, kind: str) -> int:
    async with h.app.sessions() as session:
        return len((await session.scalars(select(Event).where(Event.kind == kind))).all())


async def _ledger_rows(h: Harness) -> list[str]:
    async with h.app.sessions() as session:
        data = await session.scalar(
            select(OutboxMessage.file_bytes)
            .where(OutboxMessage.purpose == "export")
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    assert data
    wb = load_workbook(io.BytesIO(data))
    ws = wb["任务分配"]
    return [row[0].value for row in ws.iter_rows(min_row=2) if row[0].value]


async def test_selected_policy_is_remembered_and_scopes_numbers(harness: Harness) -> None:
    h = harness
    await _two_policies(h)
    h.srv.command(COORD, "/policies")
    await h.deliver()
    listing = last(h, COORD)
    assert "P1" in listing.text and "P2" in listing.text and "赣府厅字" in listing.text
    h.srv.press_button(COORD, listing, "P2")
    await h.deliver()
    assert "已选定 P2" in last(h, COORD).text
    async with h.app.sessions() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.telegram_user_id == COORD, Contact.role == "coordinator")
        )
        p2 = await session.scalar(select(Policy).where(Policy.code == "P2"))
    assert contact is not None and p2 is not None and contact.selected_policy_id == p2.id
    # A bare number now means P2's, without a question.
    h.srv.command(COORD, "/measure 2")
    await h.deliver()
    assert "措施P2-2" in last(h, COORD).text
    h.srv.command(COORD, "/policies")
    await h.deliver()
    assert "当前选定" in last(h, COORD).text
    # A code still wins over the selection.
    h.srv.command(COORD, "/measure P1-2")
    await h.deliver()
    assert "措施P1-2" in last(h, COORD).text
    # A forged selection of a policy that does not exist changes nothing.
    h.srv.press(COORD, last(h, COORD), "po:sel:999")
    await h.deliver()
    async with h.app.sessions() as session:
        contact = await session.get(Contact, contact.id)
    assert contact is not None and contact.selected_policy_id == p2.id
    # Clearing it brings the question back.
    h.srv.command(COORD, "/policies")
    await h.deliver()
    h.srv.press_button(COORD, last(h, COORD), "清除")
    await h.deliver()
    h.srv.command(COORD, "/measure 2")
    await h.deliver()
    assert "在 2 个政策中都有" in last(h, COORD).text


async def test_only_coordinators_select_or_register(harness: Harness) -> None:
    h = harness
    await _two_policies(h)
    for command in ("/policies", "/new"):
        h.srv.command(YICHUN, command)
    h.srv.press(YICHUN, last(h, YICHUN), "po:sel:1")
    h.srv.press(YICHUN, last(h, YICHUN), "nw:kind:instruction")
    await h.deliver()
    denied = t("zh", "denied")
    assert [m.text for m in h.srv.messages_to(YICHUN)[-2:]] == [denied] * 2
    assert [a.text for a in h.srv.callback_answers[-2:]] == [denied] * 2
    async with h.app.sessions() as session:
        assert (
            await session.scalars(
                select(Contact.selected_policy_id).where(Contact.selected_policy_id.is_not(None))
            )
        ).all() == []
        assert (await session.scalars(select(Policy).where(Policy.kind != "document"))).all() == []


async def test_ad_hoc_item_end_to_end(harness: Harness) -> None:
    h = harness
    await _setup(h)
    h.srv.command(COORD, "/new")
    await h.deliver()
    h.srv.press_button(COORD, last(h, COORD), "领导批示")
    await h.deliver()
    h.srv.send_text(COORD, "关于加快储能项目建设的批示")
    await h.deliver()
    h.srv.send_text(COORD, "请省发改委牵头，会同有关单位加快推进储能示范项目建设，年底前形成工作方案。")
    await h.deliver()
    h.srv.send_text(COORD, "火星局")
    await h.deliver()
    assert "单位目录中没有“火星局”" in last(h, COORD).text
    h.srv.send_text(COORD, "省发改委、省工信厅")
    await h.deliver()
    assert "省发展改革委" in last(h, COORD).text and "省工业和信息化厅" in last(h, COORD).text
    h.srv.press_button(COORD, last(h, COORD), "完成")
    await h.deliver()
    h.srv.send_text(COORD, "宜春")
    await h.deliver()
    h.srv.press_button(COORD, last(h, COORD), "完成")
    await h.deliver()
    h.srv.send_text(COORD, "2025-08-01")
    await h.deliver()
    assert "不能早于今天" in last(h, COORD).text
    h.srv.send_text(COORD, "2025-12-31")
    await h.deliver()
    h.srv.press_button(COORD, last(h, COORD), "每月")
    await h.deliver()
    summary = last(h, COORD)
    assert "立项确认" in summary.text and "宜春市人民政府" in summary.text and "2025-12-31" in summary.text
    h.srv.press_button(COORD, summary, "确认")
    await h.deliver()
    created = [m.text for m in h.srv.messages_to(COORD) if "已立项" in m.text]
    assert created and "J1" in created[-1]
    async with h.app.sessions() as session:
        item = await session.scalar(select(Policy).where(Policy.code == "J1"))
        assert item is not None and item.kind == "instruction"
        task = await session.scalar(select(Task).where(Task.policy_id == item.id))
        assert task is not None and task.rhythm == "monthly" and task.due_on == date(2025, 12, 31)
        roles = {
            a.role for a in (await session.scalars(select(Assignment).where(Assignment.task_id == task.id)))
        }
    assert roles == {"lead", "co"}
    # The dispatch preview of J1 follows; confirming it hands the task over.
    preview = last(h, COORD)
    assert "交办预览（J1）" in preview.text
    h.srv.press_button(COORD, preview, "确认")
    await h.deliver()
    task_msg = next(m for m in h.srv.messages_to(GONGXIN) if "交办任务" in m.text and "J1-1.1" in m.text)
    assert any("J1-1.1" in m.text for m in h.srv.messages_to(YICHUN))
    h.srv.press_button(GONGXIN, task_msg, "签收")
    await h.deliver()
    assert any("已签收任务" in m.text and "J1-1.1" in m.text for m in h.srv.messages_to(COORD))
    h.srv.send_text(GONGXIN, "已完成方案初稿，完成40%", reply_to=task_msg)
    await h.deliver()
    assert any("J1-1.1" in m.text and "报送" in m.text for m in h.srv.messages_to(COORD))
    async with h.app.sessions() as session:
        report = await session.scalar(select(ProgressReport).order_by(ProgressReport.id.desc()).limit(1))
        assert report is not None and report.parsed_percent == 40
        followups = (
            await session.scalars(
                select(Followup)
                .join(Assignment, Assignment.id == Followup.assignment_id)
                .where(Assignment.task_id == task.id)
            )
        ).all()
        assert followups  # chased like any task
        data = await summary_service.build_summary(h.app.unit_of_work(session), week="2025-W39")
    section = next(s for s in data.policies if s.code == "J1")
    assert section.assignments == 3  # two leads, one co-operating unit
    assert {a.measure_number for a in data.assignments if a.policy_short == item.short_title} == {"J1-1"}
    h.srv.command(COORD, "/export")
    await h.deliver()
    assert "J1-1.1" in await _ledger_rows(h)
