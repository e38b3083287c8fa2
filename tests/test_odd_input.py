"""Odd input from contacts and coordinators: impossible percentages and things that are not dates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Assignment, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import YICHUN, assignment_id_of, dispatch_and_find

PERCENTS = [("进度-5%", "-5%"), ("完成1000%", "1000%")]


async def _refused_percentage(h: Harness, text: str, shown: str) -> None:
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    h.srv.send_text(YICHUN, "完成30%", reply_to=task_msg)
    await h.deliver()
    h.srv.send_text(YICHUN, text, reply_to=task_msg)
    await h.deliver()
    answer = h.srv.messages_to(YICHUN)[-1].text
    assert shown in answer and "0 到 100" in answer, answer
    async with h.app.sessions() as session:
        report = await session.scalar(select(ProgressReport).order_by(ProgressReport.id.desc()))
        assert report.raw_text == text and report.parsed_percent is None
        assignment = await session.get(Assignment, aid)
        assert assignment.percent == 30  # the earlier figure stands


@pytest.mark.parametrize(("text", "shown"), PERCENTS)
async def test_percentage_outside_0_to_100_is_stored_not_recorded_and_explained(
        harness: Harness, text: str, shown: str) -> None:
    await _refused_percentage(harness, text, shown)


@pytest.mark.parametrize(("text", "shown"), PERCENTS)
async def test_percentage_outside_0_to_100_in_a_batch_of_replies(
        batched_harness: Harness, text: str, shown: str) -> None:
    await _refused_percentage(batched_harness, text, shown)
