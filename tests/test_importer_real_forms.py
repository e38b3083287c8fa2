"""Forms met in published copies that the genre fixtures did not carry, each in a document
written for these tests: traditional-character copies (mirror sites, portals' big5 gateways),
former names of central departments, … (see docs/importer.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.importer import decompose, read_document
from bot.views.import_warnings import warning_texts
from config.directory import load_directory

GENRES = Path(__file__).parent / "fixtures" / "docs" / "genres"


def _load(name: str, office: str):
    return decompose(read_document(GENRES / name), load_directory(province=office))


def test_traditional_character_copy_reads_as_the_simplified_original():
    dec = _load("province_fanti_cuoshi.txt", "湖北省")
    assert dec.policy.doc_number == "某政发〔2024〕9号"
    # 一、总体要求 names no one: a preamble, not a measure
    assert [m.label for m in dec.measures] == ["（一）", "（二）"]
    first = dec.measures[0].tasks
    assert [t.lead for t in first] == [["湖北省发展改革委"]] * 2  # the title sentence is no task
    assert first[0].co == ["湖北省司法厅", "湖北省市场监管局"]
    assert first[1].due == date(2024, 12, 31)
    second = dec.measures[1].tasks
    assert second[0].lead == ["湖北省财政厅"]
    assert "湖北省地方金融管理局" in second[0].co
    assert "牵头" not in second[0].text and "融资担保" in second[0].text


def test_simplified_text_is_left_as_written():
    text = "关于某事的通知\n一、工作任务\n（一）做好乾坤湾景区后续保障。（省文化和旅游厅负责）\n"
    dec = decompose(text, load_directory())
    assert "乾坤湾" in dec.measures[0].tasks[0].text


def test_former_names_of_central_departments_resolve_to_their_successors():
    text = (
        "国务院办公厅关于落实有关政策措施分工的通知\n一、工作分工\n"
        "（一）关于粮食收储的问题，由发展改革委会同粮食局、林业局、法制办、质检总局等部门研究提出落实意见。\n"
    )
    dec = decompose(text, load_directory(province="central"))
    t = dec.measures[0].tasks[0]
    assert t.lead == ["国家发展改革委"]
    assert t.co == ["国家粮食和储备局", "国家林草局", "司法部", "市场监管总局"]
    assert not [w for w in warning_texts("zh", dec.warnings) if "未识别" in w]


def test_web_table_with_each_cell_closed_by_a_bar():
    dec = _load("table_cell_bars.txt", "安徽省六安市")
    assert len(dec.measures) == 3
    first, second, third = (m.tasks[0] for m in dec.measures)
    assert "拿地即开工" in first.text
    assert (first.lead, first.co, first.due) == (["经济发展局"], ["规划建设局"], date(2026, 12, 31))
    assert (second.lead, second.due) == (["数据中心"], date(2026, 6, 30))
    assert third.lead == ["安监办"] and third.rhythm == "quarterly"
    assert not any("张某" in u for m in dec.measures for t in m.tasks for u in t.lead + t.co)


def test_docx_division_table_with_a_merged_group_column(tmp_path):
    import docx

    doc = docx.Document()
    doc.add_paragraph("某区2026年重点工作分工表")
    rows = [
        ("稳增长", "1", "推动规上工业增加值增长6%。", "区工信局", "区发改局", "2026年12月底前"),
        ("稳增长", "2", "新增入库项目30个。", "区发改局", "各街道", "长期坚持"),
        ("惠民生", "3", "新建普惠托位200个。", "区卫健局", "区教育局、区财政局", "2026年9月底前"),
    ]
    table = doc.add_table(rows=1 + len(rows), cols=6)
    for i, head in enumerate(["类别", "序号", "重点任务", "牵头单位", "配合单位", "完成时限"]):
        table.cell(0, i).text = head
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(2, 0)).text = "稳增长"
    path = tmp_path / "fengong.docx"
    doc.save(path)
    dec = decompose(read_document(path), load_directory(province="江苏省南京市"))
    # a group is one measure, its rows are its tasks
    assert [(m.title, len(m.tasks)) for m in dec.measures] == [("稳增长", 2), ("惠民生", 1)]
    a, b = dec.measures[0].tasks
    assert (a.lead, a.co, a.due) == (["区工信局"], ["区发改局"], date(2026, 12, 31))
    assert (b.lead, b.due, b.rhythm) == (["区发改局"], None, "ongoing")
    c = dec.measures[1].tasks[0]
    assert (c.lead, c.co, c.due) == (["区卫健局"], ["区教育局", "区财政局"], date(2026, 9, 30))


def test_a_note_inside_a_clause_carries_the_counties_to_every_later_task():
    dec = _load("city_xize_carry.txt", "江苏省淮安市")
    counties = {
        "淮安区人民政府",
        "淮阴区人民政府",
        "清江浦区人民政府",
        "洪泽区人民政府",
        "涟水县人民政府",
        "盱眙县人民政府",
        "金湖县人民政府",
    }
    first, second, third = (m.tasks[-1] for m in dec.measures)
    assert first.lead == ["淮安市工业和信息化局"] and set(first.local) == counties
    assert "不再单独列出" not in first.co
    # the note says it: the counties (and the parks) share every task after it
    assert second.lead == ["淮安市工业和信息化局"] and second.co[0] == "淮安市财政局"
    assert set(second.local) == counties and "园区管委会" in second.co
    # a unit line broken by the page inside "各县（市、区）政府（管委会）"
    assert (
        third.lead == ["淮安市卫生健康委"] and "市疾控中心" in third.co
    )  # not in the directory: kept as written, for review
    assert counties <= set(third.local)
    assert not [w for w in warning_texts("zh", dec.warnings) if "不像单位名称" in w or "\x00" in w]


def test_items_numbered_inside_a_measure_are_its_tasks():
    dec = _load("city_three_levels.txt", "山西省运城市")
    # "一、" parts, "（一）" measures; "1." and "（1）" under a "（一）" are its tasks
    assert [m.title for m in dec.measures] == ["预案体系建设", "监测预警建设", "加大资金投入", "加强物资储备"]
    plan = dec.measures[0].tasks
    assert len(plan) == 2 and "规范应急预案编制" in plan[0].text
    assert all(t.lead == ["运城市应急管理局"] for t in plan) and all(len(t.local) >= 10 for t in plan)
    warn = dec.measures[1].tasks
    assert (warn[0].lead, warn[0].co, warn[0].due) == (["市气象局"], ["运城市应急管理局"], date(2026, 12, 31))
    assert warn[1].lead == ["运城市应急管理局"]
    # the part's heading names a lead: its measures that name no one take it
    assert dec.measures[2].tasks[0].lead == ["运城市财政局"]
    assert dec.measures[3].tasks[0].lead != ["运城市财政局"]


def test_numbering_that_runs_on_across_headings_lists_the_measures():
    text = (
        "某区工作方案\n一、提升服务\n（一）推行一件事\n1.实现企业开办全程网办。（区行政审批局负责）\n"
        "2.建设项目服务专班。（区发改局负责）\n（二）强化保障\n3.落实稳岗补贴。（区人社局负责）\n"
    )
    dec = decompose(text, load_directory())
    assert [m.label for m in dec.measures] == ["1.", "2.", "3."]


def test_pinyin_that_mirror_sites_put_after_characters_is_dropped():
    text = (
        "關于促進數字經濟發展的若幹措施\n一、建立數字設施支撐能(néng)力提升機制\n"
        "1.實施網絡能(néng)力提升行動。新(xīn)建5G基站1萬個以上。（責任單位：省通信管理(lǐ)局、省工(gōng)業和信息化廳）\n"
    )
    dec = decompose(text, load_directory(province="山东省"))
    task = dec.measures[0].tasks[0]
    assert task.text == "新建5G基站1万个以上。"
    assert task.lead == ["山东省通信管理局"] and task.co == ["山东省工业和信息化厅"]
    plain = decompose(
        "某方案\n一、任务\n1.推广政府和社会资本合作（ppp）模式。（省财政厅负责）\n", load_directory()
    )
    assert "（ppp）" in plain.measures[0].tasks[0].text


def test_clause_in_hexagonal_brackets_and_a_note_that_no_further_division_is_made():
    text = (
        "某省现代流通体系建设实施方案\n一、深化市场化改革\n"
        "（一）加强市场体系建设。实施市场准入负面清单制度。〔责任单位：省发展改革委、省市场监管局、商务厅按职责分工负责。"
        "具体任务均涉及相关市（州）人民政府，不再做分工，下同。〕\n"
        "（二）优化市场准入环境。推进电子营业执照互通互认。〔责任单位：省市场监管局〕\n"
    )
    dec = decompose(text, load_directory(province="四川省"))
    first, second = (m.tasks[0] for m in dec.measures)
    assert first.lead == ["四川省发展改革委"] and first.co[:2] == ["四川省市场监管局", "四川省商务厅"]
    assert second.lead == ["四川省市场监管局"]
    # the note carries "相关市（州）人民政府" to the task after it: kept whole, a name to review
    assert "相关市（州）人民政府" in second.co
    assert any("相关市（州）人民政府" in w and "待审核" in w for w in warning_texts("zh", dec.warnings))
    assert "〔" not in first.text and "不再做分工" not in " ".join(first.co)


def test_the_governments_concerned_stay_one_vague_name():
    text = "某省稳增长措施\n一、推进建设\n1.加快国省干道建设。（省交通运输厅、相关市、县政府负责）\n"
    dec = decompose(text, load_directory(province="黑龙江省"))
    task = dec.measures[0].tasks[0]
    assert task.lead == ["黑龙江省交通运输厅"] and task.co == ["相关市县政府"]
    assert "县政府" not in task.co


def test_first_responsible_unit_leads_when_the_document_says_so():
    text = (
        "某市若干措施\n一、营造公平竞争环境\n（一）规范推进PPP项目建设，确保协议落实到位。\n"
        "责任单位：市发改委、市财政局（第一责任单位为牵头单位，下同）\n时限要求：持续推进\n"
        "（二）落实统一的招投标政策。\n责任单位：市建设局、市财政局\n时限要求：2019年底前\n"
    )
    dec = decompose(text, load_directory(province="福建省厦门市"))
    first, second = (m.tasks[0] for m in dec.measures)
    assert (first.lead, first.co, first.due) == (["厦门市发展改革委"], ["厦门市财政局"], None)
    assert (second.lead, second.co, second.due) == (["市建设局"], ["厦门市财政局"], date(2019, 12, 31))


def test_group_cell_given_on_its_first_row_only():
    # a saved page's table with a rowspan: the group's cell comes once, blank lines end the rows
    text = "\n".join(
        [
            "某县重点工作分工表",
            "领域",
            "序号",
            "重点任务",
            "牵头单位",
            "完成时限",
            "",
            "产业发展",
            "1",
            "新建标准厂房10万平方米。",
            "县工信局",
            "2026年底前",
            "",
            "2",
            "引进亿元项目5个。",
            "县商务局",
            "每季度",
            "",
            "社会民生",
            "3",
            "改造老旧小区12个。",
            "县住建局",
            "2026年10月底前",
            "",
        ]
    )
    dec = decompose(text, load_directory(province="江苏省南京市"))
    assert [(m.title, [t.lead for t in m.tasks]) for m in dec.measures] == [
        ("产业发展", [["县工信局"], ["县商务局"]]),
        ("社会民生", [["县住建局"]]),
    ]
    assert dec.measures[1].tasks[0].due == date(2026, 10, 31)
