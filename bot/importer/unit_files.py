"""An office's own unit directory as a file: .xlsx / .csv tables (name, short names, kind, parent)
that a coordinator edits, and the copy Duban keeps beside its database so every import uses it."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

from config.directory import KINDS, UnitInfo, normalize_name

HEADERS = ("单位名称", "简称", "类别", "上级单位")
_HEADER_WORDS: dict[str, set[str]] = {
    "name": {"name", "unit", "单位", "单位名称", "名称", "全称", "规范名称", "规范简称"},
    "short": {
        "short names",
        "short_names",
        "shortnames",
        "aliases",
        "alias",
        "简称",
        "别名",
        "简称/别名",
        "简称、别名",
        "简称别名",
        "其他名称",
    },
    "kind": {"kind", "type", "类别", "类型", "单位类别", "单位类型"},
    "parent": {"parent", "上级", "上级单位", "主管单位", "所属单位"},
}
KIND_LABELS = {
    "provincial_department": "省直部门",
    "city_government": "设区市政府",
    "county_government": "县（市、区）政府",
    "central_department": "中央和国家机关",
    "central_branch": "中央驻地方机构",
    "state_owned_enterprise": "国有企业",
    "local_department": "本级部门",
    "other": "其他",
}
_KIND_WORDS = {
    **{label: kind for kind, label in KIND_LABELS.items()},
    **{kind: kind for kind in KINDS},
    "省级部门": "provincial_department",
    "省直单位": "provincial_department",
    "省政府部门": "provincial_department",
    "市政府": "city_government",
    "设区市": "city_government",
    "城市": "city_government",
    "地级市政府": "city_government",
    "区政府": "city_government",
    "县区政府": "county_government",
    "县级政府": "county_government",
    "县（区）政府": "county_government",
    "中央单位": "central_department",
    "中央部门": "central_department",
    "国务院部门": "central_department",
    "中央驻赣机构": "central_branch",
    "垂直管理机构": "central_branch",
    "驻地方机构": "central_branch",
    "国企": "state_owned_enterprise",
    "中央企业": "state_owned_enterprise",
    "央企": "state_owned_enterprise",
    "市直部门": "local_department",
    "区直部门": "local_department",
    "县直部门": "local_department",
    "部门": "local_department",
    "其它": "other",
}
_ALIAS_SPLIT = re.compile(r"[、;；,，/\n]+")
_EXCEL = (".xlsx", ".xlsm")


class UnitFileError(ValueError):
    """A unit table that cannot be used: ``key`` (``units_file.<what>`` in bot/i18n) and its values,
    worded for the coordinator by :meth:`text`; ``str()`` is the Chinese wording."""

    def __init__(self, what: str, **values: object) -> None:
        self.key = f"units_file.{what}"
        self.values = values
        super().__init__(self.text("zh"))

    def text(self, lang: str) -> str:
        from bot.i18n import t

        values = dict(self.values)
        if values.get("suffix") == "":
            values["suffix"] = t(lang, "units_file.no_suffix")
        if self.key == "units_file.bad_kind":
            # the words a table may use: the Chinese labels, or the codes themselves
            allowed = KIND_LABELS.values() if lang == "zh" else KIND_LABELS.keys()
            values["allowed"] = t(lang, "sep.list").join(allowed)
        return t(lang, self.key, **values)


def _clean(value: object) -> str:
    return re.sub(r"\s+", "", "" if value is None else str(value))


def _rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UnitFileError("not_found", path=path)
    if suffix in _EXCEL:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a damaged or mislabelled file
            raise UnitFileError("bad_excel", name=path.name, error=type(exc).__name__) from exc
        try:
            sheet = book.worksheets[0]
            return [[_clean(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    if suffix == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UnitFileError("bad_csv_encoding", name=path.name)
        return [[_clean(c) for c in row] for row in csv.reader(io.StringIO(text))]
    raise UnitFileError("bad_type", suffix=path.suffix)


def _columns(first: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for i, cell in enumerate(first):
        word = cell.lower()
        for key, words in _HEADER_WORDS.items():
            if word in words and key not in found:
                found[key] = i
    return found if "name" in found else None


def read_unit_table(path: str | Path, known: Iterable[str] = ()) -> list[UnitInfo]:
    """Rows of a unit table. The first row may be a header (单位名称/简称/类别/上级单位 or
    name/short names/kind/parent, any order); without one the columns are taken in that order.
    ``known``: names a parent may refer to besides the table's own."""
    path = Path(path)
    rows = [r for r in _rows(path)]
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(r)]
    if not numbered:
        raise UnitFileError("empty", name=path.name)
    cols = _columns(numbered[0][1])
    if cols is None:
        cols = {"name": 0, "short": 1, "kind": 2, "parent": 3}
    else:
        numbered = numbered[1:]
        if not numbered:
            raise UnitFileError("header_only", name=path.name)

    def cell(row: list[str], key: str) -> str:
        i = cols.get(key)
        return row[i] if i is not None and i < len(row) else ""

    units: list[UnitInfo] = []
    owner: dict[str, tuple[int, str]] = {}
    parents: list[tuple[int, str]] = []
    for line, row in numbered:
        name = cell(row, "name")
        if not name:
            raise UnitFileError("no_name", line=line)
        kind_word = cell(row, "kind")
        kind = _KIND_WORDS.get(kind_word, _KIND_WORDS.get(kind_word.lower())) if kind_word else "other"
        if kind is None:
            raise UnitFileError("bad_kind", line=line, kind=kind_word)
        aliases = [a for a in _ALIAS_SPLIT.split(cell(row, "short")) if a and a != name]
        for alias in (name, *aliases):
            key = normalize_name(alias, None)
            if key in owner and owner[key][1] != name:
                other_line, other = owner[key]
                raise UnitFileError("alias_taken", line=line, alias=alias, other_line=other_line, other=other)
            if key in owner and alias == name:
                raise UnitFileError("duplicate", line=line, name=name, first=owner[key][0])
            owner.setdefault(key, (line, name))
        parent = cell(row, "parent") or None
        if parent:
            parents.append((line, parent))
        units.append(UnitInfo(name, tuple(dict.fromkeys(aliases)), kind, parent=parent))
    outside = {normalize_name(k, None) for k in known}
    for line, parent in parents:
        if normalize_name(parent, None) not in owner and normalize_name(parent, None) not in outside:
            raise UnitFileError("unknown_parent", line=line, parent=parent)
    return units


def write_unit_table(units: Iterable[UnitInfo], path: str | Path | None = None) -> str | None:
    """Write the table (.xlsx or .csv by the file's suffix); without a path return it as CSV text."""
    rows = [[u.name, "、".join(u.aliases), KIND_LABELS.get(u.kind, u.kind), u.parent or ""] for u in units]
    if path is None:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([list(HEADERS), *rows])
        return out.getvalue()
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows([list(HEADERS), *rows])
    elif suffix in _EXCEL:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "单位目录"
        for row in [list(HEADERS), *rows]:
            sheet.append(row)
        for column, width in zip("ABCD", (34, 60, 16, 30), strict=True):
            sheet.column_dimensions[column].width = width
        book.save(path)
    else:
        raise UnitFileError("bad_type_out", suffix=path.suffix)
    return None


def read_office_units(path: str | Path | None) -> list[UnitInfo]:
    """The rows the office loaded before (none when it never did)."""
    if path is None or not Path(path).is_file():
        return []
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        UnitInfo(u["name"], tuple(u.get("aliases", ())), u.get("kind", "other"), parent=u.get("parent"))
        for u in raw.get("units", ())
    ]


def save_office_units(path: str | Path, units: Iterable[UnitInfo]) -> None:
    data = {
        "version": 1,
        "note": "本单位自行载入或更正的单位目录（duban units import），导入文件时优先于内置目录。",
        "units": [
            {
                "name": u.name,
                "aliases": list(u.aliases),
                "kind": u.kind,
                **({"parent": u.parent} if u.parent else {}),
            }
            for u in units
        ],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
