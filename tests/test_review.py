"""Review of progress reports through the real Dispatcher: approve, return, stale buttons."""

from __future__ import annotations

from sqlalchemy import select

from models import Assignment, Followup, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    YICHUN,
    dispatch_and_find,
)


async def test_an_old_correction_button_cannot_undo_a_review(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_text(YICHUN, "已完成", reply_to=task_msg)
    await h.deliver()
    confirmation = h.srv.messages_to(YICHUN)[-1]
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "退回")
    await h.deliver()
    h.srv.send_text(COORD, "材料不全")
    await h.deliver()
    rid = int(confirmation.callback_data[0].split(":")[-1])
    h.srv.press(YICHUN, confirmation, f"rv:set-done:{rid}")
    await h.deliver()
    async with h.app.sessions() as session:
        report = await session.get(ProgressReport, rid)
        assignment = await session.get(Assignment, report.assignment_id)
        pending = (
            await session.scalars(
                select(Followup).where(Followup.assignment_id == assignment.id, Followup.state == "pending")
            )
        ).all()
    assert assignment.status == "returned" and report.review_state == "returned"
    assert pending  # still chased
    assert "失效" in h.srv.callback_answers[-1]["text"]
