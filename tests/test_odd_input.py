"""Odd input from contacts and coordinators: impossible percentages and things that are not dates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Assignment, ExtensionRequest, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    YICHUN,
    assignment_id_of,
    dispatch_and_find,
)

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
    harness: Harness, text: str, shown: str
) -> None:
    await _refused_percentage(harness, text, shown)


@pytest.mark.parametrize("raw", ["2027-W01-1", "2027-001", "20270101", "2025-02-30"])
async def test_extend_refuses_what_is_not_a_calendar_date(harness: Harness, raw: str) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    h.srv.command(COORD, f"/extend #{aid} {raw}")
    await h.deliver()
    assert "未能识别日期" in h.srv.messages_to(COORD)[-1].text
    async with h.app.sessions() as session:
        assert (await session.get(Assignment, aid)).due_on is None  # the seed sets none


async def test_extend_takes_a_date_without_its_year(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = assignment_id_of(task_msg)
    h.srv.command(COORD, f"/extend #{aid} 12月31日")
    await h.deliver()
    async with h.app.sessions() as session:
        assert str((await session.get(Assignment, aid)).due_on) == "2025-12-31"


async def test_extension_request_with_a_week_date_is_refused(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.press_button(YICHUN, task_msg, "申请延期")
    await h.deliver()
    h.srv.send_text(YICHUN, "2027-W01-1 用地审批尚未完成")
    await h.deliver()
    assert "未能识别日期" in h.srv.messages_to(YICHUN)[-1].text
    async with h.app.sessions() as session:
        assert await session.scalar(select(ExtensionRequest.id)) is None


def test_cli_horizon_refuses_a_week_date(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import build_parser

    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["import", "x.txt", "--horizon", "2027-W01-1"])
    assert caught.value.code == 2 and "2027-W01-1" in capsys.readouterr().err


def test_holiday_notice_refuses_a_week_date() -> None:
    from bot.domain.workcal import OfficeNotice

    with pytest.raises(ValueError, match="2027-W01-1"):
        OfficeNotice.from_dict({"year": 2027, "holidays": ["2027-W01-1"], "workdays": []})


async def test_odd_numbers_get_polite_answers(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    for text in ("/task ²", "/task 99999999999999999999999"):
        h.srv.command(COORD, text)
    h.srv.press(YICHUN, task_msg, "as:det:99999999999999999999999")
    await h.deliver()
    from bot.i18n import t

    assert [s.text for s in h.srv.messages_to(COORD)[-2:]] == [t("zh", "task.usage")] * 2
    assert h.srv.callback_answers[-1]["text"]
