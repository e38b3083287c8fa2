"""Documents of each genre, written for these tests in the shape of published ones (structure,
clause forms and unit names kept, tasks paraphrased), with what a careful reader of the original
would set: how many measures, and per task the lead and co units and the deadline.

The originals: 国发〔2020〕6号 (分工意见: 一、/（一）/1., "（…分别负责，年内持续推进）",
"排在第一位的部门为牵头部门，下同"); 国办函〔2014〕31号 (分工通知: "由X会同Y等部门负责落实");
粤府办〔2023〕5号 (实施方案: "（X牵头负责）", "…等省有关部门和各地级以上市人民政府按职责分工负责");
韶府〔2019〕31号 (若干政策措施: "责任单位：…，排在首位的为牵头单位，下同"); 官渡区稳增长若干政策措施
(2016: "（区X局牵头，区Y、区级相关部门配合）"); 鞍立政发〔2023〕2号 (分工方案: 牵头领导/牵头单位/
责任单位 lines); 蔡政办〔2023〕1号 (a notice's 一、二、三, then the plan with "责任单位：" lines);
霍山开发区2025年重点工作及责任清单 (a table: 序号 | 重点工作 | 责任领导 | 责任单位 | 完成时限).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.importer import decompose, read_document
from bot.views.import_warnings import warning_texts
from config.directory import load_directory

GENRES = Path(__file__).parent / "fixtures" / "docs" / "genres"

Y = date(2025, 12, 31)
FIN = ["财政部"]

# per task: (lead, co without the cities' share, deadline)
CENTRAL = [
    ([], [], Y),  # 国务院各部门分别负责: vague, no unit to dispatch to
    (["人力资源社会保障部"], ["国家发展改革委", "教育部"], Y),
    (FIN, ["国家发展改革委"], Y),
    (FIN, ["税务总局", "工业和信息化部"], None),
    (FIN, ["国家发展改革委", "人民银行", "金融监管总局", "各省级人民政府"], None),
    (["人力资源社会保障部"], ["教育部"], date(2025, 6, 30)),
    (["退役军人事务部"], ["人力资源社会保障部", "国务院国资委"], None),
]
GD_DRC = ["广东省发展改革委"]
PROVINCE = [
    (GD_DRC, [], None),
    (GD_DRC, ["广东省交通运输厅", "广东省水利厅", "广东省住房城乡建设厅", "广东省能源局"], None),
    (GD_DRC, ["广东省交通运输厅", "广东省水利厅"], Y),
    (["广东省自然资源厅"], ["广东省林业局"], None),
    (GD_DRC, ["广东省能源局"], None),
]


def _load(name: str, office: str):
    return decompose(read_document(GENRES / name), load_directory(province=office))


def _check(dec, expected_per_measure):
    assert len(dec.measures) == len(expected_per_measure)
    for m, expected in zip(dec.measures, expected_per_measure, strict=True):
        got = [(t.lead, t.co, t.due) for t in m.tasks]
        assert got == expected, (m.number, m.title)


def _one_each(rows):
    return [[row] for row in rows]


# A "（一）…。" heading over numbered items is a measure and its items are tasks (the rule of
# docs/importer.md, which tests/test_importer_forms.py holds for the same 粤府办 shape).
CENTRAL_MEASURES = [CENTRAL[0:2], CENTRAL[2:5], CENTRAL[5:7]]
PROVINCE_MEASURES = [PROVINCE[0:2], PROVINCE[2:3], PROVINCE[3:5]]


def test_state_council_division_of_work(tmp_path):
    dec = _load("central_fengong_yijian.txt", "central")
    _check(dec, CENTRAL_MEASURES)
    assert dec.measures[1].tasks[1].rhythm == "ongoing"  # 长期坚持
    assert dec.measures[2].tasks[1].rhythm == "yearly"
    assert not any("负责" in t.text for m in dec.measures for t in m.tasks)  # clauses cut out
    assert all(u.known for u in dec.units)  # central names canonical, none unknown
    assert any("国务院各部门" in w and "不明确" in w for w in warning_texts("zh", dec.warnings))


def test_state_council_page_saved_from_the_portal():
    dec = _load("central_fengong_govcn.html", "central")
    assert dec.policy.doc_number == "国发〔2025〕9号"
    _check(dec, CENTRAL_MEASURES)


def test_general_office_division_notice_with_hui_tong():
    dec = _load("central_guobanhan_fengong.txt", "central")
    _check(dec, _one_each([
        (["农业农村部"], ["国家发展改革委", "财政部", "自然资源部", "水利部"], None),
        (["自然资源部"], ["农业农村部"], None),
        (["国家发展改革委", "商务部"], ["财政部", "农业农村部", "国家粮食和储备局"], None),
        (FIN, ["农业农村部", "金融监管总局"], None),
        ([], [], date(2025, 6, 30)),  # 工作要求: 各有关部门要… names no unit
    ]))  # fmt: skip


def test_another_provinces_plan_with_a_clause_per_item():
    dec = _load("province_shishi_fangan.txt", "广东省")
    _check(dec, PROVINCE_MEASURES)
    second = dec.measures[0].tasks[1]
    assert len(second.local) == 21  # 各地级以上市人民政府
    assert dec.measures[2].tasks[1].rhythm == "quarterly"


def test_another_provinces_plan_as_pdf(tmp_path):
    from fpdf import FPDF

    from tests.test_importer_forms import _cjk_font

    pdf = FPDF()
    pdf.add_font("cjk", "", _cjk_font())
    pdf.set_font("cjk", size=12)
    pdf.add_page()
    for line in (GENRES / "province_shishi_fangan.txt").read_text(encoding="utf-8").splitlines():
        pdf.multi_cell(0, 8, line.strip(), new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "plan.pdf"
    pdf.output(str(path))
    dec = decompose(read_document(path), load_directory(province="广东省"))
    _check(dec, PROVINCE_MEASURES)


def test_city_measures_with_the_first_listed_rule_in_a_clause():
    dec = _load("city_ruogan_cuoshi.txt", "广东省韶关市")
    _check(dec, _one_each([
        (["市税务局"], ["韶关市财政局"], None),
        (["市税务局"], [], Y),
        (["韶关市自然资源局"], [], None),
        (["韶关市自然资源局"], ["韶关市工业和信息化局"], None),
        (["韶关市发展改革委"], ["韶关市工业和信息化局", "韶关供电局"], None),
    ]))  # fmt: skip
    assert len(dec.measures[2].tasks[0].local) == 10  # 各县（市、区）人民政府
    assert not any("首位" in u.name for u in dec.units)


def test_district_measures_numbered_across_sections():
    dec = _load("district_zhengce_cuoshi.txt", "云南省昆明市")
    first_co = ["区发改局", "区审改办", "区住建局"]
    _check(dec, [
        [(["区政务服务局"], first_co, None), (["区政务服务局"], first_co, date(2025, 5, 31))],
        [(["区国土分局"], ["区规划分局"], None)],
        [(["区发改局"], ["区财政局", "区交运局", "区住建局", "区国投公司", "各街道办事处"], None)],
        [(["区发改局"], ["各项目业主单位"], None)],
        [(["区督查室"], [], None)],
    ])  # fmt: skip
    assert dec.measures[3].tasks[0].rhythm == "monthly"
    assert dec.measures[4].tasks[0].rhythm == "ongoing"


def test_district_division_with_unit_lines_and_leaders():
    dec = _load("district_fengong_lines.txt", "辽宁省鞍山市")
    _check(dec, _one_each([
        (["区发改局"], ["立山经济开发区", "各街道"], None),
        (["区工信局"], ["立山经济开发区"], None),
        (["区发改局"], ["区财政局", "区自然资源分局", "各街道"], date(2025, 6, 30)),
        (["区营商局"], [], None),
    ]))  # fmt: skip
    assert not any("王某" in u.name or "领导" in u.name for u in dec.units)


def test_notice_issuing_a_plan_with_responsibility_lines():
    dec = _load("district_notice_fenjie.txt", "湖北省武汉市")
    drc = ["区发展和改革局"]
    _check(dec, _one_each([
        (drc, [], None), (["区科技和经信局"], [], None), (drc, [], None),
        (drc, ["区住房和城市更新局"], None), (["区农业农村局"], [], None),
    ]))  # fmt: skip


def test_responsibility_list_as_a_table():
    dec = _load("table_zeren_qingdan.txt", "安徽省六安市")
    _check(dec, _one_each([
        (["招商工作部"], ["安商工作部"], Y),  # 全年, in a list for 2025
        (["改革办"], [], Y),
        (["规划建设局"], [], date(2025, 10, 31)),
        (["安全生产监管局"], ["经济发展局"], None),
    ]))  # fmt: skip
    assert not any("叶某" in u.name for u in dec.units)
    assert dec.measures[3].tasks[0].rhythm == "monthly"


@pytest.mark.parametrize("name", sorted(p.name for p in GENRES.iterdir()))
def test_no_clause_is_left_in_a_task(name):
    office = {"central": "central", "province": "广东省", "city": "广东省韶关市"}.get(
        name.split("_")[0], "湖北省武汉市"
    )
    dec = _load(name, office)
    for m in dec.measures:
        for t in m.tasks:
            assert not t.text.startswith("（"), (m.number, t.text)
            assert "按职责分工负责" not in t.text and "牵头单位：" not in t.text


def test_general_office_opinion_with_a_preamble_that_names_no_one():
    dec = _load("central_shishi_yijian.txt", "central")
    # 一、总体要求 (guiding ideas and ——principles) is no measure; 三、强化组织保障 is one
    assert [m.label for m in dec.measures] == ["（一）", "（二）", "（三）", "三"]
    _check(dec, _one_each([
        (["农业农村部"], ["国家发展改革委", "财政部", "自然资源部", "水利部"], None),
        (["国家林草局"], ["农业农村部", "国家发展改革委"], date(2026, 12, 31)),
        (["农业农村部"], [], None),
        ([], [], None),
    ]))  # fmt: skip
    assert dec.measures[2].tasks[0].rhythm == "yearly"
    assert not any("总体要求" in w for w in warning_texts("zh", dec.warnings))


def test_division_table_on_a_portal_page():
    # a city portal's page whose body is a 分工表 (序号 / 重点任务 / 牵头单位 / 配合单位 / 完成时限)
    dec = _load("city_fengongbiao_portal.html", "江西省南昌市")
    assert [m.section for m in dec.measures] == ["一、提升政务服务水平"] * 2 + ["二、强化要素保障"]
    _check(dec, _one_each([
        (["市政务服务中心"], ["南昌市发展改革委", "南昌市市场监管局"], date(2025, 6, 30)),
        (["南昌市住房城乡建设局"], ["南昌市自然资源局"], None),  # 持续推进
        (["南昌市自然资源局"], [], None),  # 长期坚持
    ]))  # fmt: skip
    assert len(dec.measures[2].tasks[0].local) == 9  # 各县（市、区）人民政府
    assert dec.measures[2].tasks[0].rhythm == "ongoing"
