"""The command line speaks the configured language (DEFAULT_LANGUAGE) and shows times in the
configured zone; Chinese stays what it was."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_cli_items import SECOND
from tests.test_policy_import import _cli

CJK = re.compile(r"[\u4e00-\u9fff]")


def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")


def test_init_tasks_units_in_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _english(monkeypatch)
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "init")
    assert code == 0 and "Database ready: sqlite+aiosqlite:///" in out
    assert re.search(r"Unit directory: \d+ units added", out)
    assert ": imported (10 measures, 48 tasks)" in out and "条措施" not in out and "单位目录" not in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "init")
    assert code == 0 and "already there, unchanged" in out and "未改动" not in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "tasks", "--measure", "2")
    assert code == 0 and "Lead units" in out and "Status" in out and "5 tasks in all" in out
    assert "宜春市" in out and "Draft" in out  # unit names are the document's; statuses are worded
    assert "牵头单位" not in out and "共 " not in out and "待交办" not in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "tasks", "--measure", "1", "--wide")
    assert "省商务厅, all city go" in out and "各设区市" not in out  # the column cuts the rest
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "tasks", "--unit", "火星局")
    assert code == 2 and "Unknown unit: 火星局" in err
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "units")
    assert code == 0 and "Short names/aliases" in out and "Provincial department" in out
    assert "City government" in out and "省工信厅" in out and "省直部门" not in out
    assert "简称" not in out


def test_init_tasks_units_in_chinese_as_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "init")
    assert "数据库已就绪：sqlite+aiosqlite:///" in out and "单位目录：新增" in out
    assert "：已导入（10 条措施，48 项任务）" in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "tasks", "--measure", "1", "--wide")
    assert "省商务厅、各设区市人" in out and "牵头单位" in out and "待交办" in out and "共 " in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "units")
    assert code == 0 and "简称/别名" in out and "省直部门" in out and "设区市政府" in out


def test_empty_ledger_policies_and_coordinator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, capsys, "init", "--no-seed")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "tasks")
    assert code == 0 and "台账为空" in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "coordinator", "add", "42")
    assert code == 0 and "已添加督办人 42" in out
    _english(monkeypatch)
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "tasks")
    assert code == 0 and "The ledger is empty" in out and not CJK.search(out)
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "policies")
    assert code == 0 and out.strip() == "No policies or ad-hoc items yet."
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "coordinator", "add", "42")
    assert code == 0 and out.strip() == "42 is already a coordinator"
    assert _cli(monkeypatch, tmp_path, capsys, "init")[0] == 0
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "policies")
    assert code == 0 and "tasks 48, assignments" in out and "任务" not in out


def test_invite_in_english_and_in_the_configured_zone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, capsys, "init", "--no-seed")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "invite", "宜春", "--hours", "2")
    assert code == 0 and "邀请（宜春市人民政府·联络员）" in out and "（北京时间），仅可使用一次：" in out
    assert "未配置 BOT_TOKEN" in out
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "invite", "--role", "leader")
    assert code == 2 and "必须指定单位" in err
    _english(monkeypatch)
    monkeypatch.setenv("TIMEZONE", "Europe/London")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "invite", "宜春", "--hours", "2")
    assert code == 0 and "Invitation (宜春市人民政府·Contact), valid until " in out
    assert "(Europe/London time), usable once:" in out and "BOT_TOKEN is not set" in out
    assert "邀请" not in out and "有效期" not in out
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "invite", "--role", "leader")
    assert code == 2 and "must name a unit" in err and not CJK.search(err)
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "invite", "火星局")
    assert code == 2 and "Unknown unit: 火星局" in err


def test_holidays_in_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _english(monkeypatch)
    _cli(monkeypatch, tmp_path, capsys, "init", "--no-seed")
    notice = tmp_path / "2027.json"
    notice.write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "",
                "holidays": ["2027-01-01", "2027-02-08", "2027-02-09"],
                "workdays": ["2027-02-06"],
            }
        ),
        encoding="utf-8",
    )
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "holidays", "import", str(notice))
    assert code == 0 and out.strip() == (
        "Holiday schedule for 2027 imported: 3 days off, 1 make-up working days (source not given)"
    )
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "holidays", "show", "2027")
    assert "Working days in 2027 come from: the State Council notice the office imported" in out
    assert "Weekdays off: 01-01, 02-08, 02-09" in out and "Weekend make-up working days: 02-06" in out
    assert not CJK.search(out)
    monkeypatch.delenv("DEFAULT_LANGUAGE")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "holidays", "show", "2027")
    assert "工作日放假：01-01、02-08、02-09" in out and "周末调休上班：02-06" in out


def test_followups_set_in_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, capsys, "init")
    code, out, _ = _cli(
        monkeypatch, tmp_path, capsys, "followups", "set", "--policy", "1", "warn_before_wd=5,2"
    )
    assert code == 0 and "已更新政策 #1 的催办设置" in out
    _english(monkeypatch)
    code, out, _ = _cli(
        monkeypatch, tmp_path, capsys, "followups", "set", "--task", "1", "warn_before_wd=3,1"
    )
    assert code == 0 and out.startswith("Follow-up settings of task #1 updated: ")
    code, _, err = _cli(
        monkeypatch, tmp_path, capsys, "followups", "set", "--task", "99999", "warn_before_wd=3,1"
    )
    assert code == 2 and "No such policy or task." in err
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "followups", "set", "--task", "1", "nonsense=1")
    assert code == 2 and err.startswith("Invalid setting: ") and "nonsense" in err


def test_import_failure_in_the_configured_language_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "import", str(empty))
    assert code == 2 and err.startswith("导入失败：") and "Import failed" not in err
    _english(monkeypatch)
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "import", str(empty))
    assert code == 2 and err.startswith("Import failed: ") and "导入失败" not in err


def test_explain_in_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = str(Path(__file__).parent / "fixtures" / "docs" / "forms" / "district_workplan.md")
    _english(monkeypatch)
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", doc, "--explain", "--dry-run")
    assert code == 0
    assert "Lead 区行政审批局 ← responsible-units note: “牵头单位：区行政审批局”" in out
    assert "Lead 区发改局 ← in the sentence: “区发改局要”" in out
    assert "Due 2026-02-05 ← “每月5日前”" in out and "Reporting rhythm: Monthly" in out
    assert "截止" not in out and "牵头 " not in out and "句中" not in out


def test_unit_table_errors_in_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("单位名称,简称,类别\n省数据局,,星际部门\n", encoding="utf-8")
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "import", str(bad))
    assert (
        code == 2 and "单位目录导入失败：第2行：类别“星际部门”无法识别（可用：省直部门、设区市政府、" in err
    )
    _english(monkeypatch)
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "import", str(bad))
    assert code == 2 and "Unit directory import failed: Row 2: unknown kind “星际部门”" in err
    assert "(use one of: provincial_department, city_government, " in err and "无法识别" not in err
    (tmp_path / "u").write_text("x", encoding="utf-8")
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "import", "u")
    assert code == 2 and "Unsupported file type: (no extension). Use .xlsx or .csv" in err
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "export", "out.pdf")
    assert (
        code == 2
        and err.strip() == "Unit directory export failed: Unsupported file type: .pdf. Use .xlsx or .csv"
    )
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "units", "export")
    assert code == 0 and out.startswith("单位名称,简称,类别,上级单位")  # a file format, not a text
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "export", str(tmp_path / "all.csv"))
    assert code == 0 and err.startswith("Exported 45 units: ")


def test_task_scope_errors_in_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(monkeypatch, tmp_path, capsys, "init")[0] == 0
    assert _cli(monkeypatch, tmp_path, capsys, "import", str(SECOND))[0] == 0
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "tasks", "--policy", "P9")
    assert code == 2 and err.strip() == "找不到政策 P9（用 `duban policies` 查看编号）"
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "tasks", "--measure", "2")
    assert code == 2 and "2 在多个政策中都有：P1-2、P2-2。请用 --policy 指定，或直接写 P1-2" in err
    _english(monkeypatch)
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "tasks", "--policy", "P9")
    assert code == 2 and err.strip() == "No policy P9 (`duban policies` lists the codes)"
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "tasks", "--measure", "2")
    assert (
        code == 2 and "exists in several policies: P1-2, P2-2. Name one with --policy, or write P1-2" in err
    )
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "tasks", "--policy", "P1", "--measure", "P2-2")
    assert code == 2 and err.strip() == "P2-2 belongs to P2, not to --policy P1"
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "tasks", "--measure", "huh")
    assert code == 2 and err.startswith("Cannot read the reference huh") and not CJK.search(err)
