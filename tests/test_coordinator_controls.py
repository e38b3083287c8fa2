"""Coordinator controls and listings through the real Dispatcher."""

from __future__ import annotations

from sqlalchemy import select

from models import Event, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import COORD, GONGXIN, YICHUN, assignment_id_of, dispatch_and_find


async def test_coordinator_controls_and_listings(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    for command in (
        f"/task #{aid}",
        "/measure 2",
        "/unit 宜春",
        "/overdue",
        "/units",
        "/followups",
        f"/remind #{aid}",
        f"/close #{aid}",
        f"/close #{aid}",
        f"/reopen #{aid}",
        "/task abc",
        "/measure 99",
        "/unit 火星局",
    ):
        h.srv.command(COORD, command)
    await h.deliver()
    texts = [s.text for s in h.srv.messages_to(COORD)[-16:]]
    joined = "\n".join(texts)
    assert "宜春做大做强产业链" in joined and "措施P1-2" in joined
    assert "没有逾期事项" in joined
    assert "已催办：1 个分配" in joined
    assert f"任务 #{aid} 已办结" in joined and "不能执行此操作" in joined and "重新打开" in joined
    assert "用法：/task" in joined and "找不到 99" in joined and "找不到单位" in joined
    reminders = [s for s in h.srv.messages_to(YICHUN) if "催办" in s.text]
    assert reminders and "签收" in reminders[-1].button_texts
    async with h.app.sessions() as session:
        kinds = [
            e.kind
            for e in (
                await session.scalars(
                    select(Event).where(Event.entity_id == aid, Event.entity == "assignment")
                )
            ).all()
        ]
    assert kinds[:2] == ["assignment.created", "assignment.dispatch"]
    assert "assignment.reminded" in kinds and "assignment.close" in kinds and "assignment.reopen" in kinds


async def test_long_board_pages_and_reply_with_document(harness: Harness) -> None:
    h = harness
    await dispatch_and_find(h, "all")
    h.srv.command(COORD, "/unit 工信厅")
    await h.deliver()
    first = h.srv.messages_to(COORD)[-1]
    assert len(first.raw_text) <= 4096 and "下一页" in " ".join(first.button_texts)
    h.srv.press_button(COORD, first, "下一页")
    await h.deliver()
    assert "第 2/" in h.srv.message(COORD, first.message_id)["text"]
    task_msg = next(s for s in h.srv.messages_to(GONGXIN) if "交办任务" in s.text)
    h.srv.send_document(
        GONGXIN, "进展报告.pdf", b"%PDF-1.4 test", caption="完成30%，详见附件", reply_to=task_msg
    )
    await h.deliver()
    async with h.app.sessions() as session:
        report = await session.scalar(select(ProgressReport).order_by(ProgressReport.id.desc()))
        assert report.attachment_kind == "document" and report.attachment_name == "进展报告.pdf"
        assert report.raw_text == "完成30%，详见附件" and report.parsed_percent == 30
