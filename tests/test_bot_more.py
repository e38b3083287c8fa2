"""The rest of the loop through the real Dispatcher: guided report, corrections, edits, extensions,
coordinator controls, paging, attachments and English."""

from __future__ import annotations

from sqlalchemy import select

from models import Assignment, Event, ExtensionRequest, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import COORD, GONGXIN, YICHUN, assignment_id_of, dispatch_and_find


async def test_guided_report_flow_and_correction(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    h.srv.press_button(YICHUN, task_msg, "报送进展")
    await h.deliver()
    h.srv.press_button(YICHUN, h.srv.messages_to(YICHUN)[-1], "推进中")
    await h.deliver()
    h.srv.send_text(YICHUN, "百二")
    await h.deliver()
    assert "0 到 100" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.send_text(YICHUN, "45")
    await h.deliver()
    h.srv.send_text(YICHUN, "完成土地预审，正在办理环评")
    await h.deliver()
    confirmation = h.srv.messages_to(YICHUN)[-1]
    assert "45%" in confirmation.text
    async with h.app.sessions() as session:
        a = await session.get(Assignment, aid)
        assert a.status == "in_progress" and a.percent == 45
    # The contact says it was really finished: 更正 -> 已完成 turns it into a completion claim.
    h.srv.press_button(YICHUN, confirmation, "更正")
    await h.deliver()
    h.srv.press_button(YICHUN, confirmation, "已完成")
    await h.deliver()
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, aid)).status == "claimed_done"


async def test_edit_keeps_both_versions_and_completion_is_approved(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    sent = h.srv.send_text(YICHUN, "完成50%", reply_to=task_msg)
    await h.deliver()
    # Telegram delivers an edited_message for the same message id.
    edited = dict(sent, text="已完成", edit_date=sent["date"] + 60)
    h.srv.inject_raw_update({"edited_message": edited})
    await h.deliver()
    async with h.app.sessions() as session:
        versions = (await session.scalars(select(ProgressReport).where(ProgressReport.assignment_id == aid)
                                          .order_by(ProgressReport.id))).all()
        assert [v.raw_text for v in versions] == ["完成50%", "已完成"]
        assert versions[0].superseded and versions[1].supersedes_id == versions[0].id
        assert (await session.get(Assignment, aid)).status == "claimed_done"
    notice = next(s for s in reversed(h.srv.messages_to(COORD)) if "已完成" in s.text and "通过" in s.button_texts)
    h.srv.press_button(COORD, notice, "通过")
    await h.deliver()
    assert "已办结" in h.srv.messages_to(YICHUN)[-1].text or "办结" in h.srv.messages_to(YICHUN)[-1].text
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, aid)).status == "done"
    # Approving twice does nothing more.
    h.srv.press(COORD, notice, notice.callback_data[0])
    await h.deliver()
    assert "已处理" in h.srv.callback_answers[-1]["text"]


async def test_extension_request_approved_and_refused(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    h.srv.command(COORD, f"/extend #{aid} 2025-10-31")
    await h.deliver()
    assert "2025-10-31" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.press_button(YICHUN, task_msg, "申请延期")
    await h.deliver()
    h.srv.send_text(YICHUN, "明天")
    await h.deliver()
    assert "未能识别日期" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.send_text(YICHUN, "2025-12-31 用地审批尚未完成")
    await h.deliver()
    assert "已提交" in h.srv.messages_to(YICHUN)[-1].text
    request_msg = h.srv.messages_to(COORD)[-1]
    assert "用地审批尚未完成" in request_msg.text
    # 宜春's contact cannot approve their own request.
    h.srv.press(YICHUN, task_msg, request_msg.callback_data[0])
    await h.deliver()
    h.srv.press_button(COORD, request_msg, "同意")
    await h.deliver()
    assert "2025-12-31" in h.srv.messages_to(YICHUN)[-1].text
    async with h.app.sessions() as session:
        a = await session.get(Assignment, aid)
        # The seed sets no deadline, so the first commitment on record is the coordinator's 10-31.
        assert str(a.due_on) == "2025-12-31" and str(a.original_due_on) == "2025-10-31"
        request = await session.scalar(select(ExtensionRequest))
        assert request.state == "approved" and request.decided_by == f"tg:{COORD}"


async def test_coordinator_controls_and_listings(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    for command in (f"/task #{aid}", "/measure 2", "/unit 宜春", "/overdue", "/units", "/followups", f"/remind #{aid}",
                    f"/close #{aid}", f"/close #{aid}", f"/reopen #{aid}", "/task abc", "/measure 99", "/unit 火星局"):
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
        kinds = [e.kind for e in (await session.scalars(select(Event).where(Event.entity_id == aid,
                                                                            Event.entity == "assignment"))).all()]
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
    h.srv.send_document(GONGXIN, "进展报告.pdf", b"%PDF-1.4 test", caption="完成30%，详见附件", reply_to=task_msg)
    await h.deliver()
    async with h.app.sessions() as session:
        report = await session.scalar(select(ProgressReport).order_by(ProgressReport.id.desc()))
        assert report.attachment_kind == "document" and report.attachment_name == "进展报告.pdf"
        assert report.raw_text == "完成30%，详见附件" and report.parsed_percent == 30


async def test_english_on_request(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.command(YICHUN, "/lang en")
    await h.deliver()
    assert "English" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.send_text(YICHUN, "完成70%", reply_to=task_msg)
    await h.deliver()
    reply = h.srv.messages_to(YICHUN)[-1]
    assert "70%" in reply.text and "Correct" in reply.button_texts
    h.srv.command(YICHUN, "/help")
    await h.deliver()
    assert "/tasks" in h.srv.messages_to(YICHUN)[-1].text


async def test_a_half_finished_flow_survives_a_restart(harness: Harness) -> None:
    from bot.telegram import SqlStorage
    from handlers import build_dispatcher

    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.press_button(YICHUN, task_msg, "申请延期")
    await h.deliver()
    # The process restarts: a new Dispatcher and storage over the same database.
    h.dispatcher = build_dispatcher(h.app, storage=SqlStorage(h.app.sessions, h.app.clock, gate=h.app.gate), sender=h.sender)
    h.srv.send_text(YICHUN, "2025-12-31 等待用地批复")
    await h.deliver()
    assert "已提交" in h.srv.messages_to(YICHUN)[-1].text


async def test_a_reply_the_bot_cannot_read_is_kept(harness: Harness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import bot.services.coordination as coordination

    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)

    def broken(_text: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("parser bug")

    monkeypatch.setattr(coordination, "parse_progress", broken)
    h.srv.send_text(YICHUN, "本周进展：完成可研", reply_to=task_msg)
    await h.deliver()
    assert "消息已保存" in h.srv.messages_to(YICHUN)[-1].text
    async with h.app.sessions() as session:
        report = await session.scalar(select(ProgressReport).where(ProgressReport.assignment_id == aid))
        assert report.raw_text == "本周进展：完成可研" and report.review_state == "pending"
        assert (await session.get(Assignment, aid)).status == "assigned"  # the interpretation left no trace


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
