"""Other documents of the genre: numbering styles, clause forms, notes, deadlines, unknown units."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.importer import decompose, read_document
from bot.views.import_warnings import warning_texts
from config.directory import load_directory

DOCS = Path(__file__).parent / "fixtures" / "docs"
HORIZON = date(2026, 12, 31)


@pytest.fixture(scope="module")
def directory():
    return load_directory()


@pytest.fixture(scope="module")
def cities(directory):
    return [c.name for c in directory.cities]


def load(name, directory, horizon=HORIZON):
    return decompose(read_document(DOCS / name), directory, horizon=horizon)


def test_pcn_numbering_and_paragraph_clauses(directory, cities):
    dec = load("pcn_paragraph_clauses.txt", directory)
    assert dec.policy.title == "江西省人民政府办公厅关于加快数字经济发展的实施意见"
    assert dec.policy.doc_number == "赣府厅字〔2025〕7号"  # [] normalised to 〔〕
    assert dec.policy.issued_on == date(2025, 3, 20)
    assert [(m.label, m.title) for m in dec.measures] == [
        ("（一）", "夯实数字基础设施"),
        ("（二）", "培育数字产业集群"),
    ]
    t1, t2 = dec.measures[0].tasks
    # 牵头单位：X；配合单位：Y、Z — per paragraph
    assert (t1.lead, t1.co, t1.local) == (
        ["省工业和信息化厅"],
        ["省发展改革委", "国网江西省电力有限公司"],
        [],
    )
    assert (t1.due, t1.due_source) == (date(2025, 6, 30), "6月底前")  # first June-end on/after issue date
    assert t1.targets == ["5000个以上"]
    assert (t2.lead, t2.co, t2.local) == (["省工业和信息化厅"], [], cities)
    assert t2.rhythm == "quarterly" and t2.due == HORIZON and t2.due_source is None
    (t3,) = dec.measures[1].tasks
    assert (t3.lead, t3.co) == (["省发展改革委"], ["省工业和信息化厅", "省商务厅"])
    assert t3.due == date(2025, 12, 31) and t3.targets == ["营业收入超1000亿元"]
    assert dec.warnings == []


def test_numbered_list_and_verb_clauses(directory, cities):
    dec = load("num_verb_clauses.txt", directory)
    assert dec.policy.title == "关于做好2025年安全生产重点工作的通知"
    assert dec.policy.doc_number is None
    assert [m.label for m in dec.measures] == ["1.", "2.", "3.", "4."]
    m1, m2, m3, m4 = (m.tasks for m in dec.measures)
    # X牵头，Y配合 ; 印发之日起30日内 ; 每月
    assert (m1[0].lead, m1[0].co) == (["省应急管理厅"], ["省公安厅"])
    assert m1[0].due == date(2025, 2, 5) and m1[0].due_source == "印发之日起30日内"
    assert m1[0].rhythm == "monthly"
    # X负责 ; 长期坚持
    assert (m2[0].lead, m2[0].co) == (["省自然资源厅"], []) and m2[0].rhythm == "ongoing"
    # X指导，Y负责落实 → Y leads (cities), X cooperates; a title-only measure becomes one task
    assert (m3[0].lead, m3[0].co, m3[0].local) == (cities, ["省住房城乡建设厅"], [])
    assert m3[0].text == "推进城镇燃气安全整治。"
    # X牵头，Y、Z按职责分工负责 ; YYYY年M月D日前
    assert (m4[0].lead, m4[0].co) == (["省交通运输厅"], ["省公安厅", "省应急管理厅"])
    assert m4[0].due == date(2025, 9, 30)
    unit = next(u for u in dec.units if u.name == "省公安厅")
    assert unit.known  # a known unit not named in the seed


def test_nested_sections_first_rule_and_carry_forward(directory, cities):
    dec = load("nested_sections_rules.txt", directory)
    assert dec.policy.title == "江西省推动大规模设备更新行动方案"
    assert dec.policy.issued_on is None
    assert [m.number for m in dec.measures] == [1, 2, 3, 4, 5]
    assert [m.title for m in dec.measures] == [
        "主要目标", "推进重点行业设备更新", "加快建筑和市政基础设施领域设备更新", "支持教育领域设备更新", "保障措施",
    ]  # fmt: skip
    assert [m.section for m in dec.measures] == ["一、总体要求"] + ["二、重点任务"] * 3 + [None]
    assert dec.measures[1].text.startswith("【二、重点任务】")
    (t,) = dec.measures[0].tasks
    # first listed leads; carried-forward clause adds the cities' local share
    assert (t.lead, t.co, t.local) == (["省发展改革委"], ["省工业和信息化厅"], cities)
    assert t.due == date(2027, 12, 31) and t.targets == ["增长25%以上"]
    (t,) = dec.measures[1].tasks
    assert (t.lead, t.co, t.local) == (["省工业和信息化厅"], ["省发展改革委", "省生态环境厅"], cities)
    (t,) = dec.measures[3].tasks  # "支持南昌、赣州建设…" narrows to the two cities
    assert (t.lead, t.co, t.local) == (["南昌市人民政府", "赣州市人民政府"], [], [])
    (t,) = dec.measures[4].tasks  # document rule + cities listed first → cities lead
    assert (t.lead, t.co, t.local) == (cities, ["省发展改革委"], [])
    assert "各地" in t.text
    # the note itself is not a task
    assert not any("不再列出" in t.text for m in dec.measures for t in m.tasks)


def test_unknown_unit_warns_and_is_kept(directory):
    dec = load("unknown_unit.txt", directory)
    (t,) = dec.measures[0].tasks
    assert t.lead == ["省数据局"] and t.co == ["省发展改革委"]
    unit = dec.units[0]
    assert (unit.name, unit.known, unit.kind, unit.aliases) == ("省数据局", False, "other", [])
    assert "第1项措施第1条任务：未识别的单位：省数据局，已作为待审核的新单位" in warning_texts(
        "zh", dec.warnings
    )
    assert any("有关部门" in w for w in warning_texts("zh", dec.warnings))
    assert any(w.startswith("第3项措施") and "未找到责任单位" in w for w in warning_texts("zh", dec.warnings))
    data = dec.to_json()
    assert {"name": "省数据局", "aliases": [], "kind": "other", "known": False} in data["units"]


def test_unnumbered_document_is_one_measure(directory):
    dec = load("unnumbered.txt", directory, horizon=None)
    assert len(dec.measures) == 1
    assert dec.measures[0].title == "关于进一步做好防汛工作的通知"
    assert any("未找到编号" in w for w in warning_texts("zh", dec.warnings))
    texts = [t.text for t in dec.measures[0].tasks]
    assert texts == ["请各地立即开展汛前检查。", "6月底前完成全部水库除险加固。"]
    assert dec.measures[0].tasks[1].due == date(2024, 6, 30)  # issue date found at the end
    assert dec.measures[0].tasks[0].due is None


def test_aliases_sector_phrases_and_narrowing_inline(directory, cities):
    text = (
        "关于推进工作的通知\n\n"
        "一、做好统筹。由省级发展改革、财政部门牵头，建立协调机制。九江、上饶要加快推进试点。"
        "在南昌建设区域中心。南昌海关优化通关流程。（责任单位：江西省工信厅，省发改委、南昌海关、各设区市）\n"
        "二、强化保障。（责任单位：省财政厅）\n"
    )
    dec = decompose(text, directory)
    t1, t2, t3, t4 = dec.measures[0].tasks
    assert t1.lead == ["省发展改革委", "省财政厅"]
    assert t1.co == ["省工业和信息化厅", "南昌海关"] and t1.local == cities
    assert t2.lead == ["九江市人民政府", "上饶市人民政府"] and not t2.co and not t2.local
    assert t3.lead == ["省工业和信息化厅"] and t3.local == cities  # "在南昌…" is not a subject
    assert t4.lead == ["省工业和信息化厅"]  # 南昌海关 is a unit, not the city
    assert dec.measures[1].tasks[0].lead == ["省财政厅"]
    assert dec.warnings == []


def test_pdf_broken_lines_and_title_lines(directory):
    text = (
        "关于加快推进\n产业发展的若干措施\n\n赣府发〔2024〕1号\n\n"
        "一、做强产业。推动企业在\n\n赣 设立研发中心，支持\n企业上市。（责任单位：省工信厅）\n"
        "二、 强化 保障 。加强要素保障。（责任单位：省发改委）\n"
    )
    dec = decompose(text, directory)
    assert dec.policy.title == "关于加快推进产业发展的若干措施"
    assert dec.policy.doc_number == "赣府发〔2024〕1号"
    assert dec.measures[0].tasks[0].text == "推动企业在赣设立研发中心，支持企业上市。"
    assert dec.measures[1].title == "强化保障"


def test_paren_doc_number_and_chinese_date(directory):
    text = "某某工作方案\n赣办字（2023）12号\n二〇二三年三月五日\n一、推进工作。年底前完成。（省教育厅）\n"
    dec = decompose(text, directory)
    assert dec.policy.doc_number == "赣办字〔2023〕12号"
    assert dec.policy.issued_on == date(2023, 3, 5)
    assert dec.measures[0].tasks[0].due == date(2023, 12, 31)


def test_relative_deadline_without_issue_date_warns(directory):
    dec = decompose("一、开展排查。印发之日起30日内完成排查。（省应急管理厅）\n", directory)
    assert dec.measures[0].tasks[0].due is None
    assert any("印发日期" in w for w in warning_texts("zh", dec.warnings))


def test_long_document_decomposes_whole(directory):
    # Speed is bench/import_bench.py's to measure (the guide: no timed tests).
    seed = (Path(__file__).parent.parent / "config" / "data" / "seed_ganfuting_2024_15.txt").read_text(
        "utf-8"
    )
    head, _, body = seed.partition("一、持续做强产业链条")
    body = "一、持续做强产业链条" + body
    from bot.importer.text import int_to_cn, match_heading

    blocks = []
    n = 0
    for _ in range(30):
        for line in body.splitlines():
            h = match_heading(line)
            if h is not None and h.kind == "cn":
                n += 1
                blocks.append(f"{int_to_cn(n)}、{h.rest}")
            else:
                blocks.append(line)
    text = head + "\n".join(blocks)
    dec = decompose(text, directory)
    assert len(dec.measures) == 300
    assert len(dec.units) == 32


def test_three_levels_subitem_headings_and_city_outside_clause(directory):
    text = (
        "关于某某的实施方案\n一、重点任务\n（一）做强产业链。\n1. 加强组织领导\n"
        "建立专班推进机制，每周调度。（责任单位：省工信厅）\n"
        "2. 强化要素保障。优先保障用地。（责任单位：省自然资源厅）\n"
        "（二）推进创新。支持九江、上饶等市建设创新中心。（省科技厅负责）\n"
    )
    dec = decompose(text, directory)
    assert [(m.label, m.title, m.section) for m in dec.measures] == [
        ("（一）", "做强产业链", "一、重点任务"),
        ("（二）", "推进创新", "一、重点任务"),
    ]
    t1, t2 = dec.measures[0].tasks
    assert t1.text == "加强组织领导：建立专班推进机制，每周调度。"
    assert t1.lead == ["省工业和信息化厅"] and t1.rhythm == "weekly"
    assert t2.text == "强化要素保障。优先保障用地。" and t2.lead == ["省自然资源厅"]
    (t3,) = dec.measures[1].tasks  # the clause names no city: the province keeps the lead
    assert t3.lead == ["省科技厅"] and t3.local == ["九江市人民政府", "上饶市人民政府"]
    assert any("未列入责任单位的城市" in w for w in warning_texts("zh", dec.warnings))


def test_articles_numbering(directory, cities):
    text = "第一条 为了规范管理，制定本办法。（省财政厅负责）\n第二条 各设区市应当每季度报送执行情况。（各设区市人民政府）\n"
    dec = decompose(text, directory)
    assert [m.label for m in dec.measures] == ["第一条", "第二条"]
    assert dec.measures[0].tasks[0].text == "为了规范管理，制定本办法。"  # not title-like: kept as a task
    t = dec.measures[1].tasks[0]
    assert t.lead == cities and t.rhythm == "quarterly"
