"""Importing into the database, re-importing, revisions, and the command line around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.cli import main
from bot.importer import decompose
from bot.services.policies import import_policy
from bot.services.units import sync_directory
from bot.views.imports import outcome_lines
from models import Assignment, Event, Task, Unit
from tests.conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")


async def _import(app: App, text: str, name: str = "seed"):  # type: ignore[no-untyped-def]
    async with app.work() as uow:
        await sync_directory(uow, app.directory, "test")
        return await import_policy(
            uow, decompose(text, app.directory), source_name=name, source_text=text, actor="test"
        )


async def _counts(app: App) -> tuple[int, int, int]:
    async with app.sessions() as session:
        tasks = await session.scalar(select(func.count(Task.id)).where(Task.active.is_(True)))
        live = await session.scalar(select(func.count(Assignment.id)).where(Assignment.status != "cancelled"))
        events = await session.scalar(select(func.count(Event.id)))
    return tasks, live, events


async def test_same_document_twice_changes_nothing(app: App) -> None:
    first = await _import(app, SEED_TEXT)
    assert first.created and first.measures == 10
    before = await _counts(app)
    second = await _import(app, SEED_TEXT)
    assert second.unchanged and second.policy_id == first.policy_id
    assert await _counts(app) == before


async def test_revised_document_reports_changes(app: App) -> None:
    await _import(app, SEED_TEXT)
    revised = (
        SEED_TEXT.replace("抢占前沿市场。", "抢占前沿市场，2025年底前形成示范线。")
        .replace("扩大政府性融资担保覆盖面，引导省内担保机构积极服务锂电企业发展。", "")
        .replace(
            "（责任单位：中国人民银行江西省分行、国家金融监督管理总局江西监管局、江西证监局、省工业和信息化厅、省国资委、省地方金融管理局）",
            "（责任单位：中国人民银行江西省分行、国家金融监督管理总局江西监管局、江西证监局、省工业和信息化厅、省国资委、省地方金融管理局、省财政厅）",
        )
        .replace(
            "推动项目、技术、资金、人才等资源向核心区集聚",
            "推动项目、技术、资金、人才等资源向核心区集聚。支持新余建设固态电池中试平台",
        )
    )
    outcome = await _import(app, revised, "revised")
    assert not outcome.created and not outcome.unchanged
    lines = "\n".join(outcome_lines("zh", outcome))
    assert "改写任务：P1-1.3" in lines
    assert "删除任务：P1-6.2" in lines
    assert "省财政厅" in lines
    assert any("新余建设固态电池中试平台" in a for a in outcome.added)
    async with app.sessions() as session:
        retired = await session.scalar(select(Task).where(Task.text.like("扩大政府性融资担保%")))
        assert retired is not None and not retired.active
        statuses = set(
            (await session.scalars(select(Assignment.status).where(Assignment.task_id == retired.id))).all()
        )
        assert statuses == {"cancelled"}
        reworded = await session.scalar(select(Task).where(Task.text.like("培育引进固态电池%")))
        assert str(reworded.due_on) == "2025-12-31"


async def test_unknown_unit_becomes_a_unit_to_review(app: App) -> None:
    text = "关于测试的通知\n\n测试〔2025〕1号\n\n一、做好测试。开展测试工作。（责任单位：省工信厅、省星际开发署）"
    await _import(app, text)
    async with app.sessions() as session:
        unit = await session.scalar(select(Unit).where(Unit.name == "省星际开发署"))
        assert unit is not None and not unit.known and unit.needs_review


def _cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_init_tasks_units(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "init")
    assert code == 0 and "10 条措施" in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "init")
    assert code == 0 and "未改动" in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "tasks", "--measure", "2")
    assert code == 0 and "宜春市" in out and "2.5" in out and "共 5 项任务" in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "tasks", "--unit", "宜春")
    assert code == 0 and "2.2" in out and "2.3" not in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "units")
    assert code == 0 and "省工信厅" in out and "南昌市人民政府" in out


def test_cli_import_dry_run_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(SEED), "--dry-run", "--json")
    assert code == 0
    data = json.loads(out)
    assert len(data["measures"]) == 10 and len(data["units"]) == 32
    assert not any(not u["known"] for u in data["units"])
    assert not (tmp_path / "cli.db").exists()  # a dry run persists nothing


def test_cli_import_bad_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "import", str(empty))
    assert code != 0 and "导入失败" in err
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "import", str(tmp_path / "missing.docx"))
    assert code != 0 and "导入失败" in err


def test_cli_import_revision(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(monkeypatch, tmp_path, capsys, "init")
    revised = tmp_path / "revised.txt"
    revised.write_text(
        SEED_TEXT.replace("抢占前沿市场。", "抢占前沿市场，2025年底前形成示范线。"), encoding="gb18030"
    )
    # The dry run shows the same changes as the chat preview, and keeps nothing.
    db = tmp_path / "cli.db"
    before = db.read_bytes()
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(revised), "--dry-run")
    assert code == 0 and "已导入政策 P1 的修订版" in out and "改写任务 1 项" in out
    assert "～ P1-1.3：" in out and "P1-1.3" in out and "未写入数据库" in out
    assert db.read_bytes() == before
    # In English when that is the configured language, the same changes.
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(revised), "--dry-run")
    assert code == 0 and "A revised version of policy P1" in out and "1 tasks reworded:" in out
    assert "~ P1-1.3: " in out and "Dry run: nothing was written" in out and "修订版" not in out
    monkeypatch.delenv("DEFAULT_LANGUAGE")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(revised))
    assert code == 0 and "已更新政策 P1（修订版）" in out and "改写任务：P1-1.3" in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(revised), "--dry-run")
    assert code == 0 and "与已导入的政策 P1 相同" in out


def test_cli_import_speaks_the_configured_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text(
        "关于做好某项工作的通知\n各地要抓好落实，省工信厅牵头，2025年底前完成。\n", encoding="utf-8"
    )
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(plain), "--dry-run")
    assert code == 0 and "编号" in out and "牵头" in out and "警告：" in out
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(plain), "--dry-run")
    assert code == 0 and "Ref" in out and "Lead" in out and "Warning: " in out
    assert "配合/属地" not in out and "警告" not in out and "（无文号）" not in out
    code, out, err = _cli(monkeypatch, tmp_path, capsys, "import", str(SEED))
    assert code == 0 and "Imported policy P1: 10 measures" in out and "已导入" not in out + err
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(SEED))
    assert code == 0 and "The same as policy P1" in out and "相同" not in out
    revised = tmp_path / "revised.txt"
    revised.write_text(
        SEED_TEXT.replace("抢占前沿市场。", "抢占前沿市场，2025年底前形成示范线。"), encoding="utf-8"
    )
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(revised))
    assert code == 0 and "Updated policy P1 (revised version):" in out and "Reworded task: P1-1.3" in out
    assert "修订版" not in out
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "import", str(plain))
    assert code == 0 and "Warning: " in err and "警告" not in err
