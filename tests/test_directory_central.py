"""The central units: the data file, their short forms, and State Council documents read against them."""

from __future__ import annotations

import json

import pytest

from bot.importer import decompose
from config.directory import CENTRAL_PATH, KINDS, load_directory, normalize_name

# Modelled on 国办发 opinions: numbered measures under sections, each with its own clause, the
# "first listed leads" rule stated in the first clause ("下同").
STATE_COUNCIL_DOC = """国务院办公厅关于进一步促进外贸稳规模优结构的意见

国办发〔2025〕9号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　为推动外贸稳规模、优结构，经国务院同意，现提出以下意见。
　　一、强化政策支持
　　1.拓展两个市场。优化出口退税服务，2025年底前将正常出口退税平均办理时间压缩至3个工作日以内。（税务总局、财政部、海关总署负责，排在第一位的部门为牵头部门，下同）
　　2.加大金融支持。鼓励银行机构加大对外贸企业信贷投放，扩大出口信用保险承保规模。（金融监管总局、人民银行、外汇局、中国出口信用保险公司按职责分工负责）
　　二、优化贸易结构
　　3.支持跨境电商发展。推进跨境电商综合试验区建设，完善海外仓布局。（商务部、海关总署、税务总局、国家市场监督管理总局负责）
　　4.培育数字贸易。推动数据跨境流动便利化。（商务部、中央网信办、工业和信息化部、国家数据局负责）
　　三、强化服务保障
　　5.稳定外贸企业用工。（人力资源和社会保障部、教育部、各省级人民政府负责）
　　6.加强国际物流保障。提升国际海运、铁路和航空货运能力。（交通运输部、国铁集团、民航局、国家邮政局负责）
　　7.强化监测分析。每季度开展外贸形势分析。（统计局、国家发展和改革委员会、商务部、银保监会负责）

国务院办公厅
2025年3月20日
"""

EXPECTED = [
    (["税务总局"], ["财政部", "海关总署"]),
    (["金融监管总局"], ["人民银行", "国家外汇局", "中国出口信用保险公司"]),
    (["商务部"], ["海关总署", "税务总局", "市场监管总局"]),
    (["商务部"], ["中央网信办", "工业和信息化部", "国家数据局"]),
    (["人力资源社会保障部"], ["教育部", "各省级人民政府"]),
    (["交通运输部"], ["国铁集团", "中国民航局", "国家邮政局"]),
    (["国家统计局"], ["国家发展改革委", "商务部", "金融监管总局"]),
]


@pytest.fixture(scope="module")
def raw():
    return json.loads(CENTRAL_PATH.read_text(encoding="utf-8"))


def test_data_file_says_where_it_comes_from(raw):
    assert "www.gov.cn" in raw["source"] and "2023" in raw["source"]
    assert all(u["kind"] in KINDS for u in raw["units"])


def test_every_name_belongs_to_one_unit(raw):
    owner: dict[str, str] = {}
    for unit in raw["units"]:
        for alias in (unit["name"], *unit["aliases"], *unit.get("historic_aliases", ())):
            assert owner.setdefault(normalize_name(alias, None), unit["name"]) == unit["name"], alias
    parents = {u["parent"] for u in raw["units"] if u.get("parent")}
    assert parents <= {u["name"] for u in raw["units"]}


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("发展改革委", "国家发展改革委"), ("国家发展和改革委员会", "国家发展改革委"), ("国家发改委", "国家发展改革委"),
        ("人社部", "人力资源社会保障部"), ("人力资源和社会保障部", "人力资源社会保障部"),
        ("国家市场监督管理总局", "市场监管总局"), ("工信部", "工业和信息化部"), ("住建部", "住房城乡建设部"),
        ("国家金融监督管理总局", "金融监管总局"), ("中国人民银行", "人民银行"), ("人行", "人民银行"),
        ("国家税务总局", "税务总局"), ("中国证监会", "证监会"), ("国家林业和草原局", "国家林草局"),
        ("中国国家铁路集团有限公司", "国铁集团"), ("中华全国供销合作总社", "供销合作总社"),
        ("国务院国有资产监督管理委员会", "国务院国资委"), ("国家外汇管理局", "国家外汇局"),
        # the 2023 reform: new bodies, and the names it retired pointing at their successors
        ("数据局", "国家数据局"), ("银保监会", "金融监管总局"), ("中国银行保险监督管理委员会", "金融监管总局"),
        ("国家乡村振兴局", "农业农村部"), ("国家消防救援局", "国家消防救援局"),
        ("国家卫生计生委", "国家卫生健康委"), ("中央社会工作部", "中央社会工作部"), ("中央金融办", "中央金融办"),
    ],
)  # fmt: skip
def test_short_forms(written, canonical):
    unit = load_directory(province="central").resolve(written)
    assert unit is not None and unit.name == canonical, written


def test_central_units_are_there_for_a_provincial_office_without_joining_its_list():
    jiangxi = load_directory()
    assert len(jiangxi.units) == 45  # the office's own list, loaded into the database at start
    unit = jiangxi.resolve("海关总署")
    assert unit is not None and unit.kind == "central_department"
    assert jiangxi.resolve("海关总署") not in jiangxi.units
    # the office's own names still win over a central one
    assert jiangxi.resolve("省发改委").name == "省发展改革委"
    assert jiangxi.resolve("南昌海关").kind == "central_branch"


@pytest.mark.parametrize("province", ["central", None])
def test_state_council_document(province):
    dec = decompose(STATE_COUNCIL_DOC, load_directory(province=province))
    assert dec.policy.doc_number == "国办发〔2025〕9号"
    got = [(t.lead, t.co) for m in dec.measures for t in m.tasks]
    assert [(t.lead, t.co) for m in dec.measures for t in m.tasks[:1]] == EXPECTED
    assert all(lead for lead, _ in got)
    assert all(u.known for u in dec.units), [u.name for u in dec.units if not u.known]
    assert dec.warnings == []
    kinds = {u.name: u.kind for u in dec.units}
    assert kinds["国铁集团"] == "state_owned_enterprise" and kinds["海关总署"] == "central_department"
