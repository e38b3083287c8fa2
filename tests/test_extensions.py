"""Extension requests and decisions through the real Dispatcher."""

from __future__ import annotations

from sqlalchemy import select

from models import Assignment, ExtensionRequest
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    YICHUN,
    assignment_id_of,
    dispatch_and_find,
)


async def test_extension_far_future_and_after_close_are_refused(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    h.srv.press_button(YICHUN, task_msg, "申请延期")
    await h.deliver()
    h.srv.send_text(YICHUN, "9999-12-31 永远")
    await h.deliver()
    assert "合理范围" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.send_text(YICHUN, "2026-03-31 用地待批")
    await h.deliver()
    request_msg = h.srv.messages_to(COORD)[-1]
    h.srv.command(COORD, f"/close #{aid}")
    await h.deliver()
    h.srv.press_button(COORD, request_msg, "同意")
    await h.deliver()
    assert "失效" in h.srv.callback_answers[-1]["text"]
    async with h.app.sessions() as session:
        request = await session.scalar(select(ExtensionRequest))
        assert request.state == "pending" and (await session.get(Assignment, aid)).status == "done"


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
