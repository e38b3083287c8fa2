"""The forms real documents use, each on a document written for the test.

Units that the bundled (Jiangxi) directory lacks are asserted by the words that named them or
through the resolver, so the tests hold whichever directory an office loads.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.importer import DocumentError, decompose, read_document
from bot.importer.units import Resolver
from bot.views.import_warnings import warning_texts
from config.directory import load_directory
from tests.test_policy_import import _cli

FORMS = Path(__file__).parent / "fixtures" / "docs" / "forms"


@pytest.fixture(scope="module")
def directory():
    return load_directory()


@pytest.fixture(scope="module")
def cities(directory):
    return [u.name for u in directory.cities]


def _read(name: str) -> str:
    return read_document(FORMS / name)


def _task(dec, measure: int, seq: int = 1):
    return dec.measures[measure - 1].tasks[seq - 1]


# --- central: 国办发 with 排在第一位的部门为牵头部门 and 下同 ---------------------------------------------


def test_central_first_listed_rule_inside_the_clause(directory):
    dec = decompose(_read("central_guobanfa.txt"), directory)
    assert dec.policy.doc_number == "国办发〔2026〕8号" and dec.policy.issued_on == date(2026, 3, 10)
    assert [m.title for m in dec.measures] == [
        "拓展两个市场",
        "优化退税服务",
        "推进通关便利化",
        "培育外贸新业态",
    ]
    resolver = Resolver(directory)
    firsts = ["税务总局", "税务总局", "海关总署", "商务部"]
    counts = [3, 2, 2, 3]
    for measure, first, count in zip(dec.measures, firsts, counts, strict=True):
        (task,) = measure.tasks
        assert len(task.lead) == 1 and len(task.units) == count, (measure.number, task.units)
        assert task.lead == [resolver.refs(first)[0].name]  # the first-listed leads
        lead_evidence = task.evidence["units"][0]
        assert lead_evidence["role"] == "lead" and first in lead_evidence["words"]
    # the rule and 下同 are notes, never units
    names = [u.name for u in dec.units]
    assert not any("第一位" in n or "下同" in n or "牵头部门" in n for n in names)
    assert not any("未找到责任单位" in w for w in warning_texts("zh", dec.warnings))
    recurring = _task(dec, 3)
    assert recurring.rhythm == "yearly" and recurring.due == date(2026, 6, 30)


# --- another province: verb clauses, subjects, 由X牵头，Y配合 -----------------------------------------


def test_province_subjects_and_verb_clauses(directory):
    dec = decompose(_read("province_plan.txt"), directory)
    assert dec.policy.doc_number == "粤府办〔2026〕5号"
    assert [m.title for m in dec.measures] == ["支持民间资本参与重大工程项目建设", "加强要素保障"]
    assert _task(dec, 1, 1).lead == ["省发展改革委"]
    assert _task(dec, 1, 2).lead == ["省发展改革委"] and _task(dec, 1, 2).co
    subject = _task(dec, 2, 1)  # "省自然资源厅要…，每季度末通报"
    assert subject.lead == ["省自然资源厅"] and subject.rhythm == "quarterly"
    assert subject.due == date(2026, 3, 31)  # the first quarter end after the issue date
    assert subject.evidence["units"][0] == {
        "unit": "省自然资源厅",
        "role": "lead",
        "from": "sentence",
        "words": "省自然资源厅要",
    }
    pair = _task(dec, 2, 2)  # "由省财政厅牵头，省地方金融管理局配合"
    assert pair.lead == ["省财政厅"] and pair.co == ["省地方金融管理局"]


# --- a district's 工作方案: unit lines, role labels, Markdown headings, attachment --------------------


def test_district_unit_lines_and_labels(directory):
    dec = decompose(_read("district_workplan.md"), directory)
    assert dec.policy.title == "某区人民政府办公室关于印发2026年优化营商环境工作方案的通知"
    assert dec.policy.doc_number == "某区府办〔2026〕3号" and dec.policy.issued_on == date(2026, 2, 1)
    assert len(dec.measures) == 5  # the 1.–5. items under （一）（二）; the 附件 table is not a measure
    assert all("企业开办时间" not in m.text for m in dec.measures)
    first = _task(dec, 1)
    assert first.text == "年底前实现企业开办全程网办，办理时间压缩至1个工作日。"  # not a measure title only
    assert first.lead == ["区行政审批局"] and first.co == ["区市场监管局", "区税务局"]
    assert first.support == ["区统计局"]  # 数据提供单位: kept, but not as lead or co
    names = [u.name for u in dec.units]
    assert "张某某" not in names  # 责任领导 names a person, not a unit
    assert not any(label in n for n in names for label in ("单位", "领导", "时限"))
    assert first.evidence["units"][0]["words"] == "牵头单位：区行政审批局"
    assert {"unit": "区统计局", "role": "support", "from": "clause", "words": "数据提供单位：区统计局"} in (
        first.evidence["units"]
    )
    assert first.to_json()["support"] == ["区统计局"]


def test_district_subject_forms_and_recurring_deadlines(directory):
    dec = decompose(_read("district_workplan.md"), directory)
    monthly = _task(dec, 2)  # 区发改局要…，每月5日前报送
    assert monthly.lead == ["区发改局"] and monthly.rhythm == "monthly" and monthly.due == date(2026, 2, 5)
    assert _task(dec, 3).lead == ["区财政局", "区人社局"]  # 分别牵头落实: each leads
    assert _task(dec, 4).lead == ["区住建局"]  # 请X…
    yearly = _task(dec, 5)  # 从2026年起，每年3月底前 + unit lines
    assert yearly.rhythm == "yearly" and yearly.due == date(2026, 3, 31)
    assert yearly.lead == ["区发改局"] and yearly.co == ["区统计局"] and not yearly.support
    assert yearly.evidence["due"]["words"] == "从2026年起，每年3月底前"


def test_unit_lines_deadline_label_and_person_only(directory):
    text = (
        "关于做好防汛工作的通知\n2026年4月1日\n"
        "一、开展隐患排查\n全面排查水库山塘安全隐患。\n牵头单位：省水利厅\n配合单位：省应急管理厅\n完成时限：2026年5月底前\n"
        "二、加强值班值守\n严格执行领导带班制度。\n责任领导：李某某\n主办：省应急管理厅；协办：省水利厅\n"
    )
    dec = decompose(text, directory)
    first, second = _task(dec, 1), _task(dec, 2)
    assert first.lead == ["省水利厅"] and first.co == ["省应急管理厅"] and first.due == date(2026, 5, 31)
    assert first.evidence["due"] == {"date": "2026-05-31", "words": "2026年5月底前", "in": "2026年5月底前"}
    assert second.lead == ["省应急管理厅"] and second.co == ["省水利厅"]
    assert "李某某" not in [u.name for u in dec.units]


def test_deadline_inside_a_verb_clause(directory):
    text = "工作要点\n2026年1月5日\n一、扩大有效投资。推进重大项目建设。（省发展改革委牵头，省财政厅按职责分工负责，年内持续推进）\n"
    (task,) = decompose(text, directory).measures[0].tasks
    assert task.lead == ["省发展改革委"] and task.co == ["省财政厅"] and task.due == date(2026, 12, 31)
    assert all("推进" not in name for name in task.units)


# --- 分工表: flattened text, .docx table --------------------------------------------------------------


def _check_table(dec) -> None:
    assert len(dec.measures) == 3  # one measure per row, not one measure for the whole table
    one, two, three = (m.tasks[0] for m in dec.measures)
    assert (
        one.lead == ["市政务服务数据管理局"]
        and one.co == ["市发改委", "市财政局"]
        and one.due == date(2026, 9, 30)
    )
    assert two.lead == ["市城管局"] and two.co == ["市公安局", "市应急局"] and two.due == date(2026, 12, 31)
    # a flattened copy drops the empty 责任单位 cell: the deadline column is still found by its look
    assert three.lead == ["市政务服务数据管理局"] and not three.co and three.rhythm == "quarterly"
    assert one.text == "建成全市一体化政务大数据平台，实现数据按需共享。"


def test_flattened_table_text(directory):
    _check_table(decompose(_read("fengong_table.txt"), directory))


def test_docx_table(directory, tmp_path):
    import docx

    lines = _read("fengong_table.txt").splitlines()
    head, header, cells = lines[:4], lines[4:9], lines[9:]
    document = docx.Document()
    for line in head:
        document.add_paragraph(line)
    # the third row leaves its 责任单位 cell empty, as the flattened copy does
    grid = [header, cells[0:5], cells[5:10], [*cells[10:13], "", cells[13]]]
    table = document.add_table(rows=len(grid), cols=5)
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = tmp_path / "分工表.docx"
    document.save(path)
    _check_table(decompose(read_document(path), directory))


# --- PDF ------------------------------------------------------------------------------------------


def _cjk_font() -> str:
    import mplfonts

    font = Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf"
    if not font.exists():
        pytest.skip("no CJK font bundled with mplfonts")
    return str(font)


def test_pdf_text_layer(directory, tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", "", _cjk_font())
    pdf.set_font("cjk", size=12)
    pdf.add_page()
    for line in _read("province_plan.txt").splitlines():
        pdf.multi_cell(0, 8, line.strip(), new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "plan.pdf"
    pdf.output(str(path))
    text = read_document(path)
    assert "由省财政厅牵头" in text.replace("\n", "")
    dec = decompose(text, directory)
    assert dec.policy.doc_number == "粤府办〔2026〕5号"
    assert [len(m.tasks) for m in dec.measures] == [2, 2]
    assert _task(dec, 2, 2).lead == ["省财政厅"]


def test_pdf_scan_without_text(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a page with a picture only, as a scanner makes
    path = tmp_path / "扫描件.pdf"
    pdf.output(str(path))
    with pytest.raises(DocumentError) as info:
        read_document(path)
    assert (
        info.value.code == "scanned" and "扫描件" in info.value.message_zh and "扫描件.pdf" in str(info.value)
    )


# --- saved web page -------------------------------------------------------------------------------


def test_html_page_body_only(directory):
    text = _read("portal_page.html")
    for chrome in (
        "首页",
        "政务服务",
        "当前位置",
        "分享到",
        "相关文件",
        "备案号",
        "网站地图",
        "字体",
        "document.write",
    ):
        assert chrome not in text, chrome
    dec = decompose(text, directory)
    assert dec.policy.title == "某省人民政府办公厅关于印发某省促进人工智能产业发展行动方案的通知"
    assert dec.policy.doc_number == "某府办发〔2026〕21号" and dec.policy.issued_on == date(2026, 5, 6)
    assert len(dec.measures) == 4
    assert _task(dec, 1).lead == ["省发展改革委"] and _task(dec, 1).co == ["省工业和信息化厅"]
    assert _task(dec, 2).lead == ["省科技厅"] and _task(dec, 2).co == ["省财政厅"]
    row = _task(dec, 4)  # the page's table row
    assert row.lead == ["省人力资源社会保障厅"] and row.co == ["省教育厅"] and row.due == date(2027, 6, 30)


def test_html_gbk_page_by_meta_charset(directory, tmp_path):
    page = (
        (FORMS / "portal_page.html").read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="gbk"')
    )
    path = tmp_path / "page.htm"
    path.write_bytes(page.encode("gb18030"))
    assert "建设全省算力调度平台" in read_document(path)


# --- encodings and size limits ---------------------------------------------------------------------


def test_big5_and_latin1_are_refused(tmp_path):
    big5 = tmp_path / "big5.txt"
    big5.write_bytes(
        "關於促進產業鏈高質量發展的若干措施。一、持續做強產業鏈條。（責任單位：省工業和信息化廳）".encode(
            "big5"
        )
    )
    with pytest.raises(DocumentError) as info:
        read_document(big5)
    assert info.value.code == "encoding" and "Big5" in info.value.message_zh
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Mesures générales: développer l'économie régionale à Genève.".encode("latin-1"))
    with pytest.raises(DocumentError):
        read_document(latin)
    gb = tmp_path / "gb.txt"  # genuine GB18030 still reads
    gb.write_bytes("一、持续做强产业链条。（责任单位：省工业和信息化厅）".encode("gb18030"))
    assert read_document(gb).startswith("一、持续")


def test_size_limits(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("一、推进工作。（责任单位：省财政厅）\n" * 300, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        read_document(path, max_chars=2_000)
    assert (
        info.value.code == "too_large"
        and "2,000" in info.value.message_zh
        and "IMPORT_MAX_CHARS" in str(info.value)
    )
    with pytest.raises(DocumentError) as info:
        read_document(path, max_bytes=1_000)
    assert info.value.code == "too_large" and "IMPORT_MAX_BYTES" in info.value.message_zh
    assert read_document(path, max_bytes=10**6, max_chars=10**6)


def test_cli_refuses_garbled_and_oversized(monkeypatch, tmp_path, capsys):
    big5 = tmp_path / "big5.txt"
    big5.write_bytes("關於促進產業鏈高質量發展的若干措施。（責任單位：省財政廳）".encode("big5"))
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "import", str(big5), "--dry-run")
    assert code != 0 and "Big5" in err
    long = tmp_path / "long.txt"
    long.write_text("一、推进工作。（责任单位：省财政厅）\n" * 300, encoding="utf-8")
    monkeypatch.setenv("IMPORT_MAX_CHARS", "5000")
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "import", str(long), "--dry-run")
    assert code != 0 and "5,000" in err


# --- --explain and --json evidence ---------------------------------------------------------------


def test_cli_explain_and_json_evidence(monkeypatch, tmp_path, capsys):
    doc = str(FORMS / "district_workplan.md")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", doc, "--explain", "--dry-run")
    assert code == 0
    assert "牵头 区行政审批局 ← 责任单位括注/标注：“牵头单位：区行政审批局”" in out
    assert "牵头 区发改局 ← 句中：“区发改局要”" in out
    assert "截止 2026-02-05 ← “每月5日前”" in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", doc, "--json", "--dry-run")
    data = json.loads(out)
    task = data["measures"][0]["tasks"][0]
    assert task["support"] == ["区统计局"]
    assert task["evidence"]["units"][0] == {
        "unit": "区行政审批局",
        "role": "lead",
        "from": "clause",
        "words": "牵头单位：区行政审批局",
    }


def test_notice_instructions_then_the_plan(directory):
    """A notice's own 一、二、三 (instructions, no units) before its signature; the plan after it."""
    dec = decompose(_read("district_notice_plan.txt"), directory)
    assert dec.policy.doc_number == "蔡政办〔2023〕1号" and dec.policy.issued_on == date(2023, 1, 3)
    assert [m.title for m in dec.measures] == [
        "地区生产总值增长7%以上",
        "规上工业增加值增长12%以上",
        "加快建设产业园区，2023年底前建成标准厂房10万平方米",
    ]
    assert _task(dec, 1).lead == ["区发展和改革局"]
    third = _task(dec, 3)
    assert third.lead == ["区发展和改革局"] and third.co == ["区自然资源和规划局", "区住房和城市更新局"]
    assert third.due == date(2023, 12, 31)
    assert all("绩效" not in m.text and "地区生产总值\n" not in m.text for m in dec.measures)


def test_text_with_paragraph_markup(directory, tmp_path):
    path = tmp_path / "copied.txt"
    path.write_text(
        "<p>关于加强安全生产的通知</p><p>2026年1月6日</p><p><strong>一、开展隐患排查</strong></p>"
        "<p>　　全面排查危化品企业。（省应急管理厅牵头，省公安厅配合）</p>",
        encoding="utf-8",
    )
    text = read_document(path)
    assert "<p>" not in text
    (task,) = decompose(text, directory).measures[0].tasks
    assert task.lead == ["省应急管理厅"] and task.co == ["省公安厅"]


def test_data_provider_inside_brackets(directory):
    text = "工作方案\n2026年1月6日\n一、统计监测。按月监测投资运行。（牵头单位：省发展改革委；数据提供单位：省统计局）\n"
    (task,) = decompose(text, directory).measures[0].tasks
    assert task.lead == ["省发展改革委"] and not task.co and task.support == ["省统计局"]


def test_table_rows_on_one_line(directory):
    """Copied tables keep a row on one line (tabs), Markdown tables use bars; an empty cell is "/"."""
    dec = decompose(_read("fengong_tabs.md"), directory)
    assert len(dec.measures) == 3
    one, two, three = (m.tasks[0] for m in dec.measures)
    assert (
        one.text == "建成政务大数据平台。" and one.lead == ["市数据局"] and one.co == ["市发改委", "市财政局"]
    )
    assert one.due == date(2026, 9, 30)
    # the 牵头单位 cell is empty: the 责任单位 unit is the one responsible, not shifted into the lead's column
    assert two.lead == ["市公安局"] and two.due == date(2026, 12, 31)
    assert two.evidence["units"][0]["words"] == "责任单位：市公安局"
    assert three.lead == ["市数据局"] and not three.co and three.rhythm == "quarterly"
    assert "/" not in [u.name for u in dec.units]


def test_marked_lead_and_vague_middle(directory, cities):
    text = (
        "工作方案\n2026年1月6日\n"
        "一、扩大消费。举办消费季活动。（责任单位：省商务厅、省发展改革委（牵头）、省财政厅）\n"
        "二、推进项目。推行市场化运作。（省发展改革委、交通运输厅、水利厅等省有关部门和各设区市人民政府按职责分工负责）\n"
    )
    dec = decompose(text, directory)
    one, two = (m.tasks[0] for m in dec.measures)
    assert one.lead == ["省发展改革委"] and one.co == ["省商务厅", "省财政厅"]
    assert two.lead == ["省发展改革委"] and two.co == ["省交通运输厅", "省水利厅"] and two.local == cities
    assert not [u for u in dec.units if not u.known]


def test_html_page_of_br_lines(directory):
    """Older portals put the whole text in one block split by <br>, beside a sidebar and a footer."""
    text = _read("portal_br_page.html")
    assert "热点新闻" not in text and "版权所有" not in text and "首页" not in text
    dec = decompose(text, directory)
    assert [m.title for m in dec.measures] == ["开展隐患排查", "加强执法检查"]
    assert _task(dec, 1).lead == ["省应急管理厅"] and _task(dec, 1).co == ["省公安厅"]
    assert _task(dec, 2).rhythm == "quarterly"


def test_import_stores_the_data_provider_as_support(monkeypatch, tmp_path, capsys):
    import sqlite3

    code, _, _ = _cli(monkeypatch, tmp_path, capsys, "init", "--no-seed")
    assert code == 0
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(FORMS / "district_workplan.md"))
    assert code == 0 and "已导入政策" in out
    with sqlite3.connect(tmp_path / "cli.db") as db:
        rows = db.execute(
            "SELECT u.name, a.role FROM assignment a JOIN unit u ON u.id = a.unit_id "
            "JOIN task t ON t.id = a.task_id JOIN measure m ON m.id = t.measure_id WHERE m.number = 1"
        ).fetchall()
    assert sorted(rows) == [
        ("区市场监管局", "co"),
        ("区税务局", "co"),
        ("区统计局", "support"),
        ("区行政审批局", "lead"),
    ]


def test_table_rows_numbered_with_their_task(directory):
    text = (
        "分工表\n2026年1月6日\n序号\n重点任务\n牵头单位\n责任单位\n完成时限\n"
        "1.建立企业诉求快速响应机制。\n省发展改革委\n省商务厅\n2026年6月底前\n"
        "2.开展涉企收费专项清理。\n省市场监管局\n省财政厅\n2026年底前\n"
    )
    dec = decompose(text, directory)
    assert [(m.tasks[0].lead, m.tasks[0].co, m.tasks[0].due) for m in dec.measures] == [
        (["省发展改革委"], ["省商务厅"], date(2026, 6, 30)),
        (["省市场监管局"], ["省财政厅"], date(2026, 12, 31)),
    ]
