"""Times are shown, and days counted, in the configured zone (TIMEZONE), not in a fixed one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from bot.domain.workcal import WorkCalendar
from bot.reporting import write_ledger
from bot.reporting.html import render_summary_html
from bot.services.control import remind_key
from bot.views.formatting import local_time
from models import Assignment
from tests.test_reporting_render import GEN_AT, make_data

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_local_time_is_in_the_zone_it_is_given() -> None:
    at = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert local_time(at, SHANGHAI) == "11-30 09:00"
    assert local_time(at, ZoneInfo("Europe/Berlin")) == "11-30 02:00"
    assert local_time(None, SHANGHAI) == "—"


def test_the_summary_shows_its_generation_time_in_the_summarys_zone() -> None:
    assert GEN_AT.astimezone(UTC).strftime("%H:%M") == "01:00"
    shanghai = "\n".join(render_summary_html(make_data(tz=SHANGHAI)))
    utc = "\n".join(render_summary_html(make_data(tz=UTC)))
    assert "2026-11-30 09:00" in shanghai and "2026-11-30 01:00" not in shanghai
    assert "2026-11-30 01:00" in utc and "2026-11-30 09:00" not in utc


def test_the_summary_and_its_ledger_name_the_configured_zone(tmp_path: Path) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    for lang, china, other in (
        ("zh", "（北京时间）", "（Europe/Berlin 时间）"),
        ("en", "(Beijing time)", "(Europe/Berlin time)"),
    ):
        shanghai_text = "\n".join(render_summary_html(make_data(tz=SHANGHAI), lang=lang))
        berlin_text = "\n".join(render_summary_html(make_data(tz=berlin), lang=lang))
        assert china in shanghai_text and other not in shanghai_text
        assert other in berlin_text and china not in berlin_text
    headers = {}
    for name, tz in (("shanghai", SHANGHAI), ("berlin", berlin)):
        path = tmp_path / f"{name}.xlsx"
        write_ledger(make_data(tz=tz), path)
        overview = openpyxl.load_workbook(path).worksheets[0]
        headers[name] = {overview.cell(r, 1).value for r in range(2, overview.max_row + 1)}
    assert "生成时间（北京时间）" in headers["shanghai"]
    assert (
        "生成时间（Europe/Berlin 时间）" in headers["berlin"]
        and "生成时间（北京时间）" not in headers["berlin"]
    )


def test_a_reminder_counts_overdue_by_the_offices_calendar_day() -> None:
    # 02:00 UTC on 1 December is still 30 November in New York and already 1 December in Shanghai.
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    due_yesterday_in_shanghai = Assignment(
        task_id=1,
        unit_id=1,
        role="lead",
        status="acknowledged",
        due_on=date(2026, 11, 30),
        acknowledged_at=now,
    )
    shanghai, new_york = WorkCalendar(tz="Asia/Shanghai"), WorkCalendar(tz="America/New_York")
    assert remind_key(due_yesterday_in_shanghai, shanghai.local_date(now)) == "remind.overdue"
    assert remind_key(due_yesterday_in_shanghai, new_york.local_date(now)) == "remind.progress"
