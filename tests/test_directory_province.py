"""Offices outside Jiangxi: a province's departments, cities and counties, a municipality, the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.app import App
from bot.importer import decompose
from bot.views.import_warnings import warning_texts
from config.directory import canonical_province, load_directory
from config.settings import Settings

# Modelled on 粤府办 measures: "（一）" items under sections, the later departments of a list
# written without 省, "各地级以上市人民政府", labelled lead/cooperating units.
GUANGDONG_DOC = """广东省人民政府办公厅关于印发广东省进一步支持民间投资发展若干措施的通知

粤府办〔2025〕3号

各地级以上市人民政府，省政府各部门、各直属机构：
　　《广东省进一步支持民间投资发展若干措施》已经省人民政府同意，现印发给你们，请认真组织实施。

广东省进一步支持民间投资发展若干措施

一、发挥重大项目牵引作用
（一）支持民间资本参与重大工程。依托省投资项目在线审批监管平台，常态化向民间资本推介项目。（省发展改革委牵头负责）
（二）推行市场化运作。对具有稳定收益的交通、水利、市政基础设施等领域项目，原则上推行市场化运作。（省发展改革委、交通运输厅、水利厅、住房城乡建设厅、能源局等省有关部门和各地级以上市人民政府按职责分工负责）
二、加强要素保障
（三）加大融资支持。2025年底前建立民间投资项目融资对接机制。（牵头单位：省地方金融管理局；配合单位：人民银行广东省分行、广东金融监管局、广东证监局）
（四）保障用地用能。（省自然资源厅、省发展改革委，各地级以上市人民政府负责）
（五）优化审批服务。（省政务服务数据管理局牵头，省市场监管局、省编办配合）

广东省人民政府办公厅
2025年2月10日
"""

GD_CITIES = [
    "广州", "韶关", "深圳", "珠海", "汕头", "佛山", "江门", "湛江", "茂名", "肇庆", "惠州", "梅州", "汕尾", "河源",
    "阳江", "清远", "东莞", "中山", "潮州", "揭阳", "云浮",
]  # fmt: skip


@pytest.fixture(scope="module")
def guangdong():
    return load_directory(province="广东省")


def test_guangdong_directory(guangdong):
    assert [c.short for c in guangdong.cities] == GD_CITIES
    assert guangdong.resolve("省发展改革委").name == "广东省发展改革委"
    assert guangdong.resolve("广东省发展和改革委员会").name == "广东省发展改革委"
    assert guangdong.resolve("省人社厅").name == "广东省人力资源社会保障厅"
    assert guangdong.resolve("省环保厅").name == "广东省生态环境厅"  # the name before 2018
    assert guangdong.resolve("广东金融监管局").kind == "central_branch"
    assert [u.short for u in guangdong.expand_group("各地级以上市人民政府")] == GD_CITIES
    assert len(guangdong.expand_group("各市、县（区）人民政府")) == 21
    assert guangdong.sector_unit("商务").name == "广东省商务厅"
    # counties are known when named, without joining the office's list
    county = guangdong.resolve("天河区")
    assert county is not None and county.name == "天河区人民政府" and county.parent == "广州市人民政府"
    assert county not in guangdong.units
    # another province's names are not this one's
    assert guangdong.resolve("江西省发展改革委") is None


def test_guangdong_document(guangdong):
    dec = decompose(GUANGDONG_DOC, guangdong)
    cities = [f"{c}市人民政府" for c in GD_CITIES]
    tasks = [t for m in dec.measures for t in m.tasks]
    by_measure = {m.label: m.tasks for m in dec.measures}
    assert list(by_measure) == ["（一）", "（二）", "（三）", "（四）", "（五）"]
    t = by_measure["（一）"][0]
    assert (t.lead, t.co, t.local) == (["广东省发展改革委"], [], [])
    t = by_measure["（二）"][0]
    assert (t.lead, t.co, t.local) == (
        ["广东省发展改革委"],
        ["广东省交通运输厅", "广东省水利厅", "广东省住房城乡建设厅", "广东省能源局"],
        cities,
    )
    t = by_measure["（三）"][0]
    assert (t.lead, t.co) == (
        ["广东省地方金融管理局"],
        ["中国人民银行广东省分行", "国家金融监督管理总局广东监管局", "广东证监局"],
    )
    t = by_measure["（四）"][0]
    assert (t.lead, t.co, t.local) == (["广东省自然资源厅"], ["广东省发展改革委"], cities)
    t = by_measure["（五）"][0]
    assert (t.lead, t.co) == (["广东省政务服务数据管理局"], ["广东省市场监管局", "广东省委编办"])
    assert all(t.lead for t in tasks)
    assert all(u.known for u in dec.units) and dec.warnings == []


def test_the_same_document_for_a_jiangxi_office_keeps_every_name_for_review():
    dec = decompose(GUANGDONG_DOC, load_directory())
    t = next(t for m in dec.measures if m.label == "（三）" for t in m.tasks)
    assert t.lead == ["省地方金融管理局"]  # 省X is the office's own province
    assert t.co == ["人民银行广东省分行", "广东金融监管局", "广东证监局"]  # as written
    unknown = {u.name for u in dec.units if not u.known}
    assert {"广东金融监管局", "广东证监局", "人民银行广东省分行"} <= unknown
    assert any(
        w.startswith(f"第3项措施第{t.seq}条任务：未识别的单位：广东证监局")
        for w in warning_texts("zh", dec.warnings)
    )


def test_municipality():
    beijing = load_directory(province="北京")
    assert len(beijing.cities) == 16 and beijing.cities[0].name == "东城区人民政府"
    text = (
        "北京市关于推进城市更新的实施方案\n\n"
        "一、推进老旧小区改造。2026年底前完成改造任务。（市住房城乡建设委、市发展改革委、市财政局、各区人民政府按职责分工负责）\n"
    )
    (t,) = decompose(text, beijing).measures[0].tasks
    assert t.lead == ["北京市住房城乡建设局"]  # 市住房城乡建设委 is one of its names
    assert t.co == ["北京市发展改革委", "北京市财政局"]
    assert len(t.local) == 16


def test_hainan_prefecture_level_cities_only():
    hainan = load_directory(province="海南")
    assert [u.name for u in hainan.expand_group("各地级以上市人民政府")] == [
        "海口市人民政府", "三亚市人民政府", "三沙市人民政府", "儋州市人民政府",
    ]  # fmt: skip
    assert len(hainan.expand_group("各市、县、自治县人民政府")) == 19


def test_jiangxi_counties_resolve_with_their_city():
    text = "关于推进工作的通知\n\n一、建设示范区。（南康区人民政府、瑞金市政府负责）\n"
    dec = decompose(text, load_directory())
    (t,) = dec.measures[0].tasks
    assert (t.lead, t.co) == (["南康区人民政府"], ["瑞金市人民政府"])
    assert {u.name: (u.known, u.kind) for u in dec.units} == {
        "南康区人民政府": (True, "county_government"), "瑞金市人民政府": (True, "county_government"),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("value", "province"),
    [("江西省", "江西省"), ("广东", "广东省"), ("广西", "广西壮族自治区"), ("北京市", "北京市"),
     ("central", "central"), ("中央", "central"), ("南昌", "江西省南昌市"), ("广州市", "广东省广州市"),
     ("吉林", "吉林省"), ("吉林市", "吉林省吉林市")],
)  # fmt: skip
def test_province_setting(value, province):
    assert canonical_province(value) == province
    assert Settings(_env_file=None, office_province=value).office_province == province


def test_bad_province_setting_is_explained_in_chinese():
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, office_province="火星省")
    assert "OFFICE_PROVINCE 不是省级行政区或设区市的名称" in str(info.value)


async def test_app_reads_the_office_province(tmp_path):
    settings = Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'gd.db'}", office_province="广东"
    )
    app = App.build(settings)
    try:
        assert app.directory.resolve("省发改委").name == "广东省发展改革委"
        assert app.directory.resolve("税务总局") is not None
    finally:
        await app.close()


def test_city_office():
    nanchang = load_directory(province="南昌")
    assert nanchang.resolve("市发改委").name == "南昌市发展改革委"
    assert nanchang.resolve("市政府办公室").name == "南昌市人民政府办公室"
    assert nanchang.resolve("省发改委").name == "省发展改革委"  # the province's units are known too
    text = (
        "南昌市优化营商环境工作方案\n\n"
        "一、提升服务效能。2025年底前完成。（市发改委牵头，市财政局、市商务局、各县（区）人民政府按职责分工负责）\n"
        "二、做好宣传。（市委宣传部负责）\n"
    )
    dec = decompose(text, nanchang)
    t1, t2 = (m.tasks[0] for m in dec.measures)
    assert (t1.lead, t1.co) == (["南昌市发展改革委"], ["南昌市财政局", "南昌市商务局"])
    assert t1.local == [
        f"{c}人民政府"
        for c in (
            "东湖区",
            "西湖区",
            "青云谱区",
            "青山湖区",
            "新建区",
            "红谷滩区",
            "南昌县",
            "安义县",
            "进贤县",
        )
    ]
    assert t2.lead == ["南昌市委宣传部"]
    assert all(u.known for u in dec.units) and dec.warnings == []
