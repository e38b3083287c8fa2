from __future__ import annotations

from pathlib import Path

import pytest

from bot.importer import Decomposition, decompose, diff_decompositions
from bot.views.imports import diff_lines
from config.directory import load_directory

SEED = (Path(__file__).parent.parent / "config" / "data" / "seed_ganfuting_2024_15.txt").read_text("utf-8")


@pytest.fixture(scope="module")
def directory():
    return load_directory()


def test_same_document_empty_diff(directory):
    a = decompose(SEED, directory)
    b = decompose(SEED.replace("\n\n", "\n"), directory)
    diff = diff_decompositions(a, b)
    assert diff.is_empty and diff.same_document
    assert diff_lines("zh", diff) == ["两个版本的措施、任务和责任单位一致，没有变化。"]


def test_revised_document(directory):
    revised = (
        SEED.replace("培育引进固态电池等新型锂电池产业链条", "培育引进固态电池、钠离子电池等新型电池产业链条")
        .replace("提升公共配套能力。", "提升公共配套能力。2025年底前建成省级锂电检测认证中心。")
        .replace("省国资委、省地方金融管理局）", "省国资委、省地方金融管理局、省财政厅）")
    )
    old, new = decompose(SEED, directory), decompose(revised, directory)
    diff = diff_decompositions(old, new)
    assert not diff.is_empty and not diff.same_document
    assert [(c.old.measure, c.old.seq, c.new.seq) for c in diff.reworded] == [(1, 3, 3)]
    assert [(c.new.measure, c.new.seq) for c in diff.added] == [(3, 4)]
    assert "检测认证中心" in diff.added[0].new_text
    assert diff.removed == []
    assert {c.new.measure for c in diff.units_changed} == {6}
    assert len(diff.units_changed) == len(new.measures[5].tasks)
    assert all("省财政厅" in c.co_after and "省财政厅" not in c.co_before for c in diff.units_changed)
    assert [c.new.measure for c in diff.due_changed] == []
    lines = diff_lines("zh", diff)
    assert "新增任务 1 项：" in lines and "改写任务 1 项：" in lines
    assert any(line.startswith("· 6.1：增加配合 省财政厅") for line in lines)


def test_removed_task_and_json_roundtrip(directory):
    revised = SEED.replace("引导上下游企业加强供需对接，推动形成稳定高效的协同发展机制。", "")
    old = Decomposition.from_json(decompose(SEED, directory).to_json())
    new = decompose(revised, directory)
    diff = diff_decompositions(old, new)
    assert [(c.old.measure, c.old.seq) for c in diff.removed] == [(8, 2)]
    assert diff.added == [] and diff.reworded == [] and diff.units_changed == []
    assert any(line.startswith("删除任务 1 项") for line in diff_lines("zh", diff))
    assert "－ P1-8.2：" in "\n".join(diff_lines("zh", diff, "P1"))


def test_revision_in_english(directory):
    revised = SEED.replace("省国资委、省地方金融管理局）", "省国资委、省地方金融管理局、省财政厅）").replace(
        "引导上下游企业加强供需对接，推动形成稳定高效的协同发展机制。", ""
    )
    old = decompose(SEED, directory)
    lines = diff_lines("en", diff_decompositions(old, decompose(revised, directory)), "P1")
    assert "1 tasks removed:" in lines
    assert any(line.startswith("- P1-8.2: ") for line in lines)
    assert any(line.startswith("· P1-6.1: co units added: 省财政厅") for line in lines)
    assert not any(word in "\n".join(lines) for word in ("删除任务", "增加配合", "项："))
    assert diff_lines("en", diff_decompositions(old, old)) == [
        "Both versions have the same measures, tasks and responsible units: nothing changes."
    ]
