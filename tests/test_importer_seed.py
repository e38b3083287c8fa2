from __future__ import annotations

from pathlib import Path

import pytest

from bot.importer import decompose, read_document
from config.directory import load_directory

SEED = Path(__file__).parent.parent / "config" / "data" / "seed_ganfuting_2024_15.txt"
CITIES = "各设区市人民政府"
# Each measure's clause, as written in the seed (units in the order listed).
CLAUSES = {
    1: [CITIES, "省工业和信息化厅", "省发展改革委", "省商务厅"],
    2: [CITIES, "省工业和信息化厅", "省发展改革委"],
    3: [CITIES, "省科技厅", "省发展改革委", "省工业和信息化厅"],
    4: [CITIES, "省工业和信息化厅", "省发展改革委", "省科技厅", "省生态环境厅", "省商务厅"],
    5: [CITIES, "省工业和信息化厅", "省发展改革委", "省住房城乡建设厅", "省交通运输厅", "省能源局",
        "国网江西省电力有限公司"],
    6: ["中国人民银行江西省分行", "国家金融监督管理总局江西监管局", "江西证监局", "省工业和信息化厅", "省国资委",
        "省地方金融管理局"],
    7: [CITIES, "省发展改革委", "省工业和信息化厅", "省自然资源厅", "省生态环境厅", "省水利厅", "省商务厅",
        "省应急管理厅"],
    8: [CITIES, "省发展改革委", "省工业和信息化厅", "省自然资源厅", "省商务厅", "省应急管理厅", "省地质局", "南昌海关"],
    9: [CITIES, "省生态环境厅", "省发展改革委", "省科技厅", "省工业和信息化厅", "省自然资源厅", "省水利厅",
        "省应急管理厅", "省林业局"],
    10: [CITIES, "省发展改革委", "省教育厅", "省工业和信息化厅", "省自然资源厅", "省住房城乡建设厅", "省能源局",
         "国网江西省电力有限公司"],
}  # fmt: skip
TITLES = [
    "持续做强产业链条", "加快打造先进制造业集群", "强化技术创新驱动", "推动循环梯次利用", "拓展应用强化牵引",
    "加大金融支持力度", "加强项目规范建设", "保障产业安全发展", "强化生态环境保护", "加大要素统筹保障力度",
]  # fmt: skip


@pytest.fixture(scope="module")
def directory():
    return load_directory()


@pytest.fixture(scope="module")
def dec(directory):
    return decompose(read_document(SEED), directory)


@pytest.fixture(scope="module")
def city_names(directory):
    return [c.name for c in directory.cities]


def _cities_of(task, directory):
    return {n for n in (*task.lead, *task.co, *task.local) if directory.resolve(n).is_city}


def test_policy_info(dec):
    assert (
        dec.policy.title
        == "江西省人民政府办公厅印发《关于促进我省锂电新能源产业链高质量发展发展的若干措施》的通知"
    )
    assert dec.policy.doc_number == "赣府厅发〔2024〕15号"
    assert dec.policy.issued_on.isoformat() == "2024-05-11"


def test_ten_measures_with_titles(dec):
    assert [m.number for m in dec.measures] == list(range(1, 11))
    assert [m.label for m in dec.measures] == list("一二三四五六七八九十")
    assert [m.title for m in dec.measures] == TITLES
    for m in dec.measures:
        assert m.tasks, m.title
        assert m.text.startswith(m.title + "。")
        assert m.text.endswith("）")
        assert all(not t.text.startswith(m.title) for t in m.tasks)
        assert [t.seq for t in m.tasks] == list(range(1, len(m.tasks) + 1))


@pytest.mark.parametrize("number", range(1, 11))
def test_measure_units_follow_clause(dec, city_names, directory, number):
    measure = dec.measures[number - 1]
    listed = CLAUSES[number]
    expanded = []
    for name in listed:
        expanded.extend(city_names if name == CITIES else [name])
    provincial = [n for n in listed if n != CITIES]
    narrowed = 0
    for task in measure.tasks:
        assert task.unit_clause and task.unit_clause.startswith("责任单位：")
        assert len(set(task.lead) | set(task.co) | set(task.local)) == len(task.lead) + len(task.co) + len(
            task.local
        )
        if number in (2, 7) and (
            task.text[:2] in ("宜春", "新余", "赣州", "支持") or task.text.startswith("由")
        ):
            narrowed += 1
            continue
        assert set(task.lead) | set(task.co) | set(task.local) == set(expanded), task.text
        assert task.lead == [provincial[0]]
        assert task.co == provincial[1:]
        assert task.local == (city_names if CITIES in listed else [])
    assert narrowed == {2: 5, 7: 1}.get(number, 0)


def test_measure_two_city_routing(dec, directory, city_names):
    tasks = {t.text[:4]: t for t in dec.measures[1].tasks}
    support = tasks["支持宜春"]
    assert support.lead == ["省工业和信息化厅"] and support.co == ["省发展改革委"]
    assert support.local == ["宜春市人民政府", "新余市人民政府", "赣州市人民政府"]
    for prefix, city in (
        ("宜春做大", "宜春市人民政府"),
        ("新余巩固", "新余市人民政府"),
        ("赣州发挥", "赣州市人民政府"),
    ):
        t = tasks[prefix]
        assert (t.lead, t.co, t.local) == ([city], [], []), prefix
    parks = tasks["支持南昌"]
    assert parks.lead == ["南昌市人民政府", "抚州市人民政府", "上饶市人民政府"]
    assert parks.co == [] and parks.local == []


def test_city_modifier_does_not_narrow(dec, city_names):
    task = next(t for t in dec.measures[9].tasks if "宜春新余等市域产教联合体" in t.text)
    assert task.lead == ["省发展改革委"] and task.local == city_names
    task = next(t for t in dec.measures[4].tasks if t.text.startswith("支持省内城市"))
    assert task.local == city_names


def test_measure_seven_sentence_lead(dec, city_names):
    task = next(t for t in dec.measures[6].tasks if t.text.startswith("由省级商务、工业和信息化部门牵头"))
    assert task.lead == ["省商务厅", "省工业和信息化厅"]
    assert task.co == ["省发展改革委", "省自然资源厅", "省生态环境厅", "省水利厅", "省应急管理厅"]
    assert task.local == city_names


def test_measure_three_broken_line_joined(dec):
    assert "用好省级科技" in dec.measures[2].text
    assert any("用好省级科技、工业等相关专项资金" in t.text for t in dec.measures[2].tasks)
    assert "\n" not in dec.measures[2].text


def test_spaces_collapsed(dec):
    assert "锂电新能源产业链 高质量发展" not in "".join(m.text for m in dec.measures)


def test_measure_one_targets(dec):
    targets = [x for t in dec.measures[0].tasks for x in t.targets]
    for expected in ("不低于200万元", "最高不超过1000万元", "投资10亿元以上", "投资5亿元以上"):
        assert expected in targets
    # cited document titles are not targets or deadlines
    assert not any("1269" in x for t in (t for m in dec.measures for t in m.tasks) for x in t.targets)


def test_units_registry(dec, directory):
    assert len(dec.units) == 32
    assert all(u.known for u in dec.units)
    names = [u.name for u in dec.units]
    assert names[0] == "省工业和信息化厅"
    assert names[3:14] == [c.name for c in directory.cities]
    assert len(set(names)) == 32
    unit = next(u for u in dec.units if u.name == "省工业和信息化厅")
    assert "省工信厅" in unit.aliases and unit.kind == "provincial_department"
    assert dec.warnings == []


def test_no_due_without_horizon_and_horizon_default(directory, dec):
    from datetime import date

    assert all(t.due is None for m in dec.measures for t in m.tasks)
    dec2 = decompose(read_document(SEED), directory, horizon=date(2026, 12, 31))
    assert all(t.due == date(2026, 12, 31) and t.due_source is None for m in dec2.measures for t in m.tasks)
    assert dec2.to_json()["measures"][0]["tasks"][0]["due"] == "2026-12-31"


def test_to_json_shape(dec):
    data = dec.to_json()
    assert set(data) == {"policy", "measures", "units", "warnings"}
    assert set(data["policy"]) == {"title", "doc_number", "issued_on"}
    assert data["policy"]["issued_on"] == "2024-05-11"
    for m in data["measures"]:
        assert set(m) == {"number", "title", "text", "tasks"}
        for t in m["tasks"]:
            assert set(t) == {"seq", "text", "lead", "co", "due", "rhythm", "targets"}
    for u in data["units"]:
        assert set(u) == {"name", "aliases", "kind", "known"}
    t = data["measures"][0]["tasks"][0]
    assert t["lead"] == ["省工业和信息化厅"]
    assert t["co"][:2] == ["省发展改革委", "省商务厅"] and len(t["co"]) == 13  # local folded into co
    import json

    json.dumps(data, ensure_ascii=False)


def test_deterministic_and_fingerprint(directory, dec):
    text = read_document(SEED)
    again = decompose(text, directory)
    assert again.to_json() == dec.to_json()
    assert again.fingerprint == dec.fingerprint and len(dec.fingerprint) == 64
    reflowed = decompose(text.replace("\n\n", "\n").replace("。", "。\n", 3), directory)
    assert reflowed.fingerprint == dec.fingerprint
    assert decompose(text + "补充。", directory).fingerprint != dec.fingerprint
