"""Acknowledgement (签收) through the real Dispatcher."""

from __future__ import annotations

from models import Assignment
from tests.conftest import Harness
from tests.test_bot_flow import (
    YICHUN,
    assignment_id_of,
    dispatch_and_find,
)


async def test_a_failed_button_edit_does_not_undo_the_acknowledgement(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.fail_next("editMessageReplyMarkup", status=429, retry_after=5)
    h.srv.press_button(YICHUN, task_msg, "签收")
    await h.deliver()
    aid = assignment_id_of(task_msg)
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, aid)).acknowledged_at is not None
