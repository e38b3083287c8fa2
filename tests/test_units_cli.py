"""`duban units import FILE` / `duban units export [FILE]`: an office's own directory, kept and used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.cli import main
from bot.importer.unit_files import UnitFileError, read_unit_table, write_unit_table
from config.directory import UnitInfo
from models import Unit, UnitAlias

DOC = "关于推进数据工作的通知\n\n一、建设数据平台。2025年底前建成省级数据交易平台。（责任单位：省数据局、省发展改革委）\n"


def _cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'office.db'}")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("OFFICE_PROVINCE", raising=False)
    monkeypatch.delenv("UNITS_FILE", raising=False)
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _units(tmp_path: Path) -> dict[str, Unit]:
    engine = create_engine(f"sqlite:///{tmp_path / 'office.db'}")
    with Session(engine, expire_on_commit=False) as session:
        units = {u.name: u for u in session.scalars(select(Unit)).all()}
    engine.dispose()
    return units


def _aliases(tmp_path: Path, unit: Unit) -> list[str]:
    engine = create_engine(f"sqlite:///{tmp_path / 'office.db'}")
    with Session(engine) as session:
        found = sorted(session.scalars(select(UnitAlias.alias).where(UnitAlias.unit_id == unit.id)).all())
    engine.dispose()
    return found


def test_import_corrects_the_directory_and_later_imports_use_it(monkeypatch, tmp_path, capsys):
    (tmp_path / "doc.txt").write_text(DOC, encoding="utf-8")
    code, out, err = _cli(monkeypatch, tmp_path, capsys, "import", "doc.txt", "--json")
    assert code == 0
    units = {u["name"]: u["known"] for u in json.loads(out)["units"]}
    assert units == {"省数据局": False, "省发展改革委": True}
    assert _units(tmp_path)["省数据局"].needs_review

    table = tmp_path / "own.csv"
    table.write_text(
        "单位名称,简称,类别,上级单位\n江西省数据局,省数据局、省数据管理局,省直部门,省发展改革委\n"
        "区发改局,,本级部门,\n",
        encoding="utf-8",
    )
    code, out, err = _cli(monkeypatch, tmp_path, capsys, "units", "import", "own.csv")
    assert code == 0, err
    assert "已载入 2 个单位" in out
    stored = json.loads((tmp_path / "office.units.json").read_text(encoding="utf-8"))
    assert [u["name"] for u in stored["units"]] == ["江西省数据局", "区发改局"]
    units = _units(tmp_path)
    # the unit the document brought in is the directory's unit now, with its history
    assert "省数据局" not in units
    unit = units["江西省数据局"]
    assert unit.known and not unit.needs_review and unit.kind == "provincial_department"
    assert _aliases(tmp_path, unit) == ["省数据局", "省数据管理局"]

    code, out, err = _cli(monkeypatch, tmp_path, capsys, "import", "doc.txt", "--dry-run", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["measures"][0]["tasks"][0]["lead"] == ["江西省数据局"]
    assert {u["name"]: u["known"] for u in data["units"]} == {"江西省数据局": True, "省发展改革委": True}
    assert not data["warnings"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_round_trip(monkeypatch, tmp_path, capsys, suffix):
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "export", f"first{suffix}")
    assert code == 0 and "已导出 45 个单位" in err
    first = read_unit_table(tmp_path / f"first{suffix}")
    assert len(first) == 45 and first[0].name == "省工业和信息化厅" and "省工信厅" in first[0].aliases
    assert {u.kind for u in first} == {
        "provincial_department",
        "city_government",
        "central_branch",
        "state_owned_enterprise",
    }
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "import", f"first{suffix}")
    assert code == 0, err
    code, _, _ = _cli(monkeypatch, tmp_path, capsys, "units", "export", f"second{suffix}")
    assert code == 0
    assert read_unit_table(tmp_path / f"second{suffix}") == first


def test_export_to_stdout_is_csv(monkeypatch, tmp_path, capsys):
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "units", "export")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "单位名称,简称,类别,上级单位" and len(lines) == 46
    assert lines[-1].startswith("国家税务总局江西省税务局,")


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_without_header_and_other_separators(tmp_path):
    path = _xlsx(
        tmp_path / "u.xlsx",
        [
            ["市数据局", "数据局;市数据管理局", "本级部门", ""],
            ["南昌市人民政府", "南昌、南昌市", "设区市政府", None],
        ],
    )
    assert read_unit_table(path) == [
        UnitInfo("市数据局", ("数据局", "市数据管理局"), "local_department"),
        UnitInfo("南昌市人民政府", ("南昌", "南昌市"), "city_government"),
    ]
    assert load_workbook(path).active is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("单位名称,简称,类别\n,省数据局,省直部门\n", "第2行：缺少单位名称"),
        ("单位名称,简称,类别\n省数据局,,星际部门\n", "第2行：类别“星际部门”无法识别"),
        ("单位名称,简称\n省数据局,数据局\n市数据局,数据局\n", "第3行：名称“数据局”已用于第2行的“省数据局”"),
        ("单位名称,简称\n省数据局,\n省数据局,\n", "第3行：单位“省数据局”与第2行重复"),
        ("单位名称,简称,类别,上级单位\n省数据局,,,火星局\n", "第2行：上级单位“火星局”不在表中，也不在单位目录中"),
        ("单位名称,简称\n", "文件只有表头，没有单位"),
        ("\n\n", "文件中没有单位"),
    ],
)  # fmt: skip
def test_bad_tables_are_explained(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnitFileError) as info:
        read_unit_table(path, known=["省发展改革委"])
    assert message in str(info.value)


def test_gb18030_csv(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("单位名称,简称\n省数据局,省数据管理局\n".encode("gb18030"))
    assert read_unit_table(path) == [UnitInfo("省数据局", ("省数据管理局",), "other")]


def test_cli_errors(monkeypatch, tmp_path, capsys):
    (tmp_path / "u.txt").write_text("x", encoding="utf-8")
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "import", "u.txt")
    assert code == 2 and "不支持的文件类型：.txt" in err
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "import", "missing.csv")
    assert code == 2 and "找不到文件" in err
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "import", "broken.xlsx")
    assert code == 2 and "无法读取 Excel 文件" in err
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "units", "export", "out.pdf")
    assert code == 2 and "不支持的文件类型：.pdf" in err
    assert not (tmp_path / "office.units.json").exists()


def test_write_table_text():
    text = write_unit_table([UnitInfo("区发改局", ("发改局",), "local_department", parent="区人民政府")])
    assert text == "单位名称,简称,类别,上级单位\n区发改局,发改局,本级部门,区人民政府\n"
