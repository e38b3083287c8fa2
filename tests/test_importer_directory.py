from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.directory import CITY_ORDER, KINDS, load_directory

SEED_PROVINCIAL = [
    "省工业和信息化厅", "省发展改革委", "省商务厅", "省科技厅", "省生态环境厅", "省住房城乡建设厅",
    "省交通运输厅", "省能源局", "国网江西省电力有限公司", "中国人民银行江西省分行",
    "国家金融监督管理总局江西监管局", "江西证监局", "省国资委", "省地方金融管理局", "省自然资源厅",
    "省水利厅", "省应急管理厅", "省地质局", "南昌海关", "省林业局", "省教育厅",
]  # fmt: skip


@pytest.fixture(scope="module")
def directory():
    return load_directory()


def test_seed_units_present_and_marked(directory):
    for name in SEED_PROVINCIAL:
        unit = directory.resolve(name)
        assert unit is not None and unit.name == name and unit.in_seed, name
    assert len([u for u in directory.units if u.in_seed]) == 32
    assert all(u.kind in KINDS for u in directory.units)
    assert directory.resolve("南昌海关").kind == "central_branch"
    assert directory.resolve("国网江西省电力有限公司").kind == "state_owned_enterprise"
    assert directory.resolve("省财政厅").in_seed is False


def test_cities_order_and_short(directory):
    assert [c.short for c in directory.cities] == list(CITY_ORDER)
    assert directory.cities[0].name == "南昌市人民政府"
    assert directory.city_by_short("宜春").name == "宜春市人民政府"
    assert directory.city_by_short("宜春市").name == "宜春市人民政府"
    assert directory.city_by_short("武汉") is None


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("省工信厅", "省工业和信息化厅"),
        ("江西省工业和信息化厅", "省工业和信息化厅"),
        ("江西省 工业和信息化厅", "省工业和信息化厅"),
        ("省发改委", "省发展改革委"),
        ("江西省发展和改革委员会", "省发展改革委"),
        ("人行江西省分行", "中国人民银行江西省分行"),
        ("江西金融监管局", "国家金融监督管理总局江西监管局"),
        ("国网江西电力", "国网江西省电力有限公司"),
        ("南昌市", "南昌市人民政府"),
        ("南昌", "南昌市人民政府"),
        ("南昌市政府", "南昌市人民政府"),
        ("省住建厅", "省住房城乡建设厅"),
    ],
)
def test_aliases(directory, alias, name):
    assert directory.resolve(alias).name == name


def test_aliases_unambiguous():
    raw = json.loads((Path(__file__).parent.parent / "config" / "data" / "units.json").read_text("utf-8"))
    seen: dict[str, str] = {}
    from config.directory import normalize_name

    for unit in raw["units"]:
        for alias in (unit["name"], *unit["aliases"]):
            key = normalize_name(alias)
            assert seen.setdefault(key, unit["name"]) == unit["name"], alias


def test_groups_and_sectors(directory):
    assert [u.name for u in directory.expand_group("各设区市人民政府")] == [c.name for c in directory.cities]
    assert len(directory.expand_group("各设区市")) == 11
    assert len(directory.expand_group("各市人民政府")) == 11
    assert directory.sector_unit("商务").name == "省商务厅"
    assert directory.sector_unit("工业和信息化").name == "省工业和信息化厅"
    assert directory.sector_unit("住房城乡建设").name == "省住房城乡建设厅"
    assert directory.resolve("省数据局") is None
