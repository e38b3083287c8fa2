"""Names no directory knows: recognised by the grammar of unit names, kept for review, never dropped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from bot.importer import decompose
from bot.importer.units import Resolver
from bot.services.policies import import_policy
from bot.services.units import sync_directory
from bot.views.import_warnings import warning_texts
from config.directory import load_directory
from models import Unit

# Modelled on district work plans (工作方案): "1." items, labelled clauses with 牵头单位/责任单位,
# "X负责，Y配合", bureaus of the district named 区X局, towns and sub-districts as groups.
DISTRICT_DOC = """某区2025年优化营商环境工作方案

一、提升政务服务效能
1.推行“一件事一次办”。2025年6月底前实现20个高频事项一次办。（牵头单位：区政务服务数据管理局；责任单位：区发改局、区市场监管局、各镇人民政府、各街道办事处）
2.压缩企业开办时间。企业开办全程网办率达到95%以上。（区市场监管局负责，区税务局、区人社局配合）
3.优化涉企服务。建立企业诉求“直通车”机制。（区发改局、区工信局、区商务局等有关部门按职责分工负责）
二、强化要素保障
4.保障项目用地。（区自然资源局牵头，各有关单位配合）
5.加强宣传引导。开展营商环境政策宣传。（有关部门负责）
"""


@pytest.fixture(scope="module")
def directory():
    return load_directory()


def test_district_document(directory):
    dec = decompose(DISTRICT_DOC, directory)
    tasks = {m.number: m.tasks[0] for m in dec.measures}
    assert (tasks[1].lead, tasks[1].co) == (
        ["区政务服务数据管理局"], ["区发改局", "区市场监管局", "各镇人民政府", "各街道办事处"],
    )  # fmt: skip
    assert (tasks[2].lead, tasks[2].co) == (["区市场监管局"], ["区税务局", "区人社局"])
    assert (tasks[3].lead, tasks[3].co) == (["区发改局"], ["区工信局", "区商务局"])
    assert (tasks[4].lead, tasks[4].co) == (["区自然资源局"], [])  # 各有关单位 names nobody
    assert (tasks[5].lead, tasks[5].co) == ([], [])
    named = {"区政务服务数据管理局", "区发改局", "区市场监管局", "各镇人民政府", "各街道办事处", "区税务局", "区人社局",
             "区工信局", "区商务局", "区自然资源局"}  # fmt: skip
    assert {u.name for u in dec.units} == named
    assert not any(u.known for u in dec.units)
    said = warning_texts("zh", dec.warnings)
    for name, measure in [("区政务服务数据管理局", 1), ("区税务局", 2), ("区工信局", 3), ("区自然资源局", 4)]:
        # the warning names the task the unit came from (each measure here has one task)
        assert f"第{measure}项措施第1条任务：未识别的单位：{name}，已作为待审核的新单位" in said
    assert "第4项措施第1条任务：责任单位表述不明确：各有关单位，请指定具体单位" in said
    assert any(w.startswith("第5项措施") and "未找到责任单位" in w for w in said)


def test_a_name_met_again_in_another_measure_is_reported_there_too(directory):
    dec = decompose(DISTRICT_DOC, directory)
    said = warning_texts("zh", dec.warnings)
    assert "第1项措施第1条任务：未识别的单位：区发改局，已作为待审核的新单位" in said
    assert "第3项措施第1条任务：未识别的单位：区发改局，已作为待审核的新单位" in said


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("省发展改革委要加强", [("省发展改革委", True)]),  # task words are not part of a name
        ("省数据局要加强统筹", [("省数据局", False)]),
        ("市发改委、财政局、商务局", [("市发改委", False), ("市财政局", False), ("市商务局", False)]),
        ("区财政局和区商务局", [("区财政局", False), ("区商务局", False)]),
        ("区工业和信息化局", [("区工业和信息化局", False)]),
        ("各县（市、区）人民政府", [("各县（市、区）人民政府", False)]),
        ("市委宣传部、市委组织部", [("市委宣传部", False), ("市委组织部", False)]),
        ("高新区管委会", [("高新区管委会", False)]),
        ("有关部门", []), ("各有关单位", []), ("相关部门", []), ("市级各有关部门", []), ("全市", []),
        ("省工信厅、有关部门", [("省工业和信息化厅", True)]),
        ("人社部、住建部", [("人力资源社会保障部", True), ("住房城乡建设部", True)]),
    ],
)  # fmt: skip
def test_refs(directory, phrase, expected):
    resolver = Resolver(directory)
    assert [(r.name, r.known) for r in resolver.refs(phrase)] == expected
    for name, known in expected:
        if not known:
            assert f"未识别的单位：{name}，已作为待审核的新单位" in warning_texts("zh", resolver.warnings)


def test_names_and_strict(directory):
    resolver = Resolver(directory)
    assert resolver.strict("区发改局") is None  # strict: the directory's units only
    assert [r.name for r in resolver.names("区发改局、省财政厅") or ()] == ["区发改局", "省财政厅"]
    assert resolver.names("省发展改革委要加强") is None  # a subject with its verb is not a list of names
    assert resolver.names("2025年底前") is None
    assert resolver.looks_like_units("区发改局、区财政局")
    assert not resolver.looks_like_units("上交所")  # a bracketed abbreviation, not a clause
    assert resolver.warnings == {}


def test_bracketed_unknown_units_without_a_verb_are_a_clause(directory):
    text = "关于推进工作的通知\n\n一、建设数据平台。2025年底前建成。（区数据局、区发改局）\n二、上市培育。支持企业在上海证券交易所（上交所）上市。（省地方金融管理局负责）\n"
    dec = decompose(text, directory)
    t1 = dec.measures[0].tasks[0]
    assert (t1.lead, t1.co) == (["区数据局"], ["区发改局"])
    t2 = dec.measures[1].tasks[0]
    assert "（上交所）" in t2.text and t2.lead == ["省地方金融管理局"]


async def test_unknown_units_are_stored_for_review_and_central_ones_as_known(app: App) -> None:
    text = "关于测试的通知\n\n一、做好测试。开展测试工作。（区发改局、海关总署、省工信厅负责）"
    dec = decompose(text, app.directory)
    async with app.work() as uow:
        await sync_directory(uow, app.directory, "test")
        await import_policy(uow, dec, source_name="t", source_text=text, actor="test")
    async with app.sessions() as session:
        units = {u.name: u for u in (await session.scalars(select(Unit))).all()}
    assert not units["区发改局"].known and units["区发改局"].needs_review
    assert units["海关总署"].known and not units["海关总署"].needs_review
    assert units["海关总署"].kind == "central_department"
    assert "税务总局" not in units  # central units join the database when a document names them


def test_warnings_name_the_tasks_a_clause_covers(directory):
    doc = "某区工作方案\n一、重点任务\n1.抓好项目。建立项目库。开展项目调度。（区项目办牵头）\n2.稳住外贸。（区外贸服务中心负责）\n"
    dec = decompose(doc, directory)
    said = warning_texts("zh", dec.warnings)
    assert "第1项措施第1—2条任务：未识别的单位：区项目办，已作为待审核的新单位" in said
    assert "第2项措施第1条任务：未识别的单位：区外贸服务中心，已作为待审核的新单位" in said


def test_a_sentence_subject_unknown_to_the_directory_is_warned_about_at_its_task(directory):
    doc = "某区工作方案\n1.抓好项目。建立项目库。由区投促中心牵头，区财政局配合，做好项目储备。\n"
    dec = decompose(doc, directory)
    said = warning_texts("zh", dec.warnings)
    t = dec.measures[0].tasks[1]
    assert (t.lead, t.co) == (["区投促中心"], ["区财政局"])
    assert "第1项措施第2条任务：未识别的单位：区投促中心，已作为待审核的新单位" in said


def test_sentence_lead_takes_names_no_directory_knows(directory):
    r = Resolver(directory)
    assert [x.name for x in r.sentence_lead("由区发改局牵头，区财政局配合，做好项目储备。") or ()] == [
        "区发改局"
    ]
    assert r.sentence_lead("由有关部门牵头做好储备。") is None


def test_an_aside_starting_with_a_verb_is_not_a_clause(directory):
    r = Resolver(directory)
    assert not r.is_clause("指导各地建设中心")
    assert r.is_clause("区发改局牵头，各地建设中心配合")
    doc = "某区工作方案\n1.建设服务中心。推动县级建设（指导各地建设中心）。（区发改局负责）\n"
    (t,) = decompose(doc, directory).measures[0].tasks
    assert "指导各地建设中心" in t.text and t.lead == ["区发改局"]


def test_a_first_listed_rule_written_inside_a_clause_holds_from_there_on(directory):
    doc = (
        "某市实施方案\n1.甲任务。（南昌市人民政府、省商务厅负责，排在第一位的为牵头单位，下同）\n"
        "2.乙任务。（九江市人民政府、省财政厅负责）\n"
    )
    dec = decompose(doc, directory)
    t1, t2 = dec.measures[0].tasks[0], dec.measures[1].tasks[0]
    assert t1.lead == ["南昌市人民政府"] and t1.co == ["省商务厅"]
    assert t2.lead == ["九江市人民政府"] and t2.co == ["省财政厅"]
