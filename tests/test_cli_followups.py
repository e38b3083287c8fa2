"""`duban holidays` and `duban followups` as an office would use them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.app import App
from bot.services import dispatch
from config.settings import Settings
from tests.test_policy_import import _cli


def test_holidays_import_and_show(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, capsys, "init", "--no-seed")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "holidays", "show", "2027")
    assert code == 0 and "holidays" in out
    notice = tmp_path / "2027.json"
    notice.write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "国务院办公厅关于2027年部分节假日安排的通知",
                "holidays": ["2027-01-01", "2027-02-08", "2027-02-09"],
                "workdays": ["2027-02-06"],
            }
        ),
        encoding="utf-8",
    )
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "holidays", "import", str(notice))
    assert code == 0 and "2027 年节假日安排已导入" in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "holidays", "show", "2027")
    assert "办公室导入" in out and "02-06" in out and "02-08" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"year": 2027, "holidays": ["2026-12-31"], "workdays": []}), encoding="utf-8")
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "holidays", "import", str(bad))
    assert code != 0 and "2026-12-31" in err


def test_followups_set_and_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, capsys, "init")
    code, out, _ = _cli(
        monkeypatch,
        tmp_path,
        capsys,
        "followups",
        "set",
        "--policy",
        "1",
        "ack_remind_after_wd=2",
        "warn_before_wd=5,2",
    )
    assert code == 0 and "'warn_before_wd': [5, 2]" in out
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "followups", "set", "--policy", "1", "nonsense=1")
    assert code != 0 and "nonsense" in err
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "followups")
    assert code == 0 and "没有待发的催办" in out  # nothing dispatched yet, so nothing to chase


def test_followups_list_in_the_configured_language_and_zone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, capsys, "init")

    async def dispatch_measure_two() -> None:
        app = App.build(Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"))
        async with app.work() as uow:
            await dispatch.dispatch(uow, 2, actor="test")
        await app.close()

    asyncio.run(dispatch_measure_two())
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "followups")
    assert code == 0 and "时间（北京时间）" in out and "签收提醒" in out
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "followups")
    assert code == 0 and "时间（Europe/Berlin 时间）" in out and "北京时间" not in out
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "followups")
    assert code == 0 and "Time (Europe/Berlin time)" in out and "Ack reminder" in out
    assert "pending," in out and "时间" not in out and "签收提醒" not in out
