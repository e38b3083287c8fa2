"""The importer's warnings are data (a kind and its values), worded in the reader's language where
they are shown: the chat's import preview, `duban import`; Chinese reads exactly as it always did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.importer import ImporterWarning, Where, decompose, read_document
from bot.services.import_drafts import decode, encode
from bot.views.import_warnings import warning_text, warning_texts
from config.directory import load_directory
from tests.conftest import Harness
from tests.test_import_chat import COORD, DOC, _coordinators
from tests.test_policy_import import _cli

DOCS = Path(__file__).parent / "fixtures" / "docs"


@pytest.fixture(scope="module")
def directory():  # type: ignore[no-untyped-def]
    return load_directory()


def test_each_warning_in_chinese_as_before_and_in_english(directory) -> None:  # type: ignore[no-untyped-def]
    dec = decompose(read_document(DOCS / "unknown_unit.txt"), directory)
    zh = warning_texts("zh", dec.warnings)
    en = warning_texts("en", dec.warnings)
    assert "第1项措施第1条任务：未识别的单位：省数据局，已作为待审核的新单位" in zh
    assert "Measure 1, task 1: Unknown unit: 省数据局; added as a new unit to review" in en
    assert "第3项措施“强化宣传引导”未找到责任单位，请指定" in zh
    assert "No responsible units found for measure 3 “强化宣传引导”: please name them" in en
    assert len(zh) == len(en) == len(dec.warnings)
    # Only the document's own words (unit names, titles) stay Chinese in English.
    assert not any("未识别" in w or "措施" in w or "请" in w for w in en)


@pytest.mark.parametrize(
    ("warning", "zh", "en"),
    [
        (
            ImporterWarning.of("cities_not_listed", measure=2, cities=["南昌市人民政府", "抚州市人民政府"]),
            "第2项措施中的任务点名了未列入责任单位的城市：南昌市人民政府、抚州市人民政府，请核对",
            "A task of measure 2 names cities that are not among its responsible units: "
            "南昌市人民政府, 抚州市人民政府. Please check",
        ),
        (
            ImporterWarning.of("unit_ambiguous_new", name="数据局", candidates=["省数据局", "市数据局"]).at(
                Where(4, 2, 3)
            ),
            "第4项措施第2—3条任务：单位名称不明确：数据局（可能是：省数据局、市数据局），已作为待审核的新单位",
            "Measure 4, tasks 2–3: Unclear unit name: 数据局 (could be 省数据局, 市数据局); added as a new unit to review",
        ),
        (
            ImporterWarning.of("unit_vague", name="有关部门").at(Where(5)),
            "第5项措施：责任单位表述不明确：有关部门，请指定具体单位",
            "Measure 5: Vague responsible units: 有关部门. Please name the units",
        ),
        (
            ImporterWarning.of("no_numbered_measures"),
            "未找到编号的措施条目，已将全文作为一项措施导入，请人工拆分",
            "No numbered measures found: the whole text was imported as one measure. Please split it by hand",
        ),
    ],
)
def test_wording(warning: ImporterWarning, zh: str, en: str) -> None:
    assert warning_text("zh", warning) == zh
    assert warning_text("en", warning) == en
    # What a draft stores reads back as the same warning.
    assert ImporterWarning.from_json(json.loads(json.dumps(warning.to_json()))) == warning


def test_a_draft_stored_by_an_older_version_shows_its_warnings_as_written(directory) -> None:  # type: ignore[no-untyped-def]
    dec = decompose(read_document(DOCS / "unknown_unit.txt"), directory)
    data = json.loads(json.dumps(encode(dec)))
    assert decode(data).warnings == dec.warnings
    data["warnings"] = ["第1项措施：未识别的单位：省数据局，已作为待审核的新单位"]  # as stored before
    assert warning_texts("en", data["warnings"]) == data["warnings"]
    assert warning_texts("zh", decode(data).warnings) == data["warnings"]


async def test_an_english_speaking_coordinator_reads_the_import_warnings_in_english(harness: Harness) -> None:
    h = harness
    await _coordinators(h)
    h.srv.command(COORD, "/lang en")
    await h.deliver()
    h.srv.send_document(COORD, "digital.txt", DOC.encode("utf-8"))
    await h.deliver()
    preview = next(s for s in reversed(h.srv.messages_to(COORD)) if "Import preview" in (s.text or ""))
    text = preview.text or ""
    assert "Unknown unit: 省数字经济促进中心; added as a new unit to review" in text
    assert "未识别" not in text and "待审核" not in text


def test_duban_import_words_its_warnings_in_the_configured_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = DOCS / "unknown_unit.txt"
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(doc), "--dry-run")
    assert code == 0 and "警告：第1项措施第1条任务：未识别的单位：省数据局，已作为待审核的新单位" in out
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(doc), "--dry-run")
    assert (
        code == 0
        and "Warning: Measure 1, task 1: Unknown unit: 省数据局; added as a new unit to review" in out
    )
    assert "未识别" not in out
    code, out, _ = _cli(monkeypatch, tmp_path, capsys, "import", str(doc), "--dry-run", "--json")
    warnings = json.loads(out)["warnings"]
    first = warnings[0]
    assert first["kind"] == "unit_unknown" and first["values"] == {"name": "省数据局"}
    assert first["where"] == {"measure": 1, "first": 1, "last": 1}
    assert first["text"] == "Measure 1, task 1: Unknown unit: 省数据局; added as a new unit to review"
    code, _, err = _cli(monkeypatch, tmp_path, capsys, "import", str(doc))
    assert code == 0 and "Warning: Measure 1, task 1: Unknown unit: 省数据局" in err and "未识别" not in err


def test_a_document_that_cannot_be_read_is_explained_in_both_languages_as_before(tmp_path: Path) -> None:
    from bot.importer import DocumentError

    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "old.doc").write_bytes(b"x")
    (tmp_path / "long.txt").write_text("一、加强建设。" * 400, encoding="utf-8")
    cases = [
        (
            tmp_path / "empty.txt",
            {},
            "文件“empty.txt”是空的，没有可导入的文字。",
            "The file “empty.txt” is empty; there is no text to import.",
        ),
        (
            tmp_path / "old.doc",
            {},
            "暂不支持导入旧版 Word（.doc）文件“old.doc”。请另存为 .docx 或纯文本（.txt）后重新上传。",
            "Importing legacy Word (.doc) files (“old.doc”) is not supported. "
            "Please save it as .docx or plain text (.txt) and upload again.",
        ),
        (
            tmp_path / "long.txt",
            {"max_chars": 2000},
            "文件“long.txt”过大（2,800 字，约 5 页），超过导入上限 2,000 字（设置 IMPORT_MAX_CHARS）。"
            "请拆分后分别导入，或请管理员调高上限。",
            "The file “long.txt” is too large (2,800 characters, about 5 pages); the import limit is "
            "2,000 characters (setting IMPORT_MAX_CHARS). Please split it, or ask the administrator to raise the limit.",
        ),
    ]
    for path, limits, zh, en in cases:
        with pytest.raises(DocumentError) as info:
            read_document(path, **limits)
        assert (str(info.value), info.value.message("zh"), info.value.message("en")) == (zh, zh, en)


def test_lists_of_unit_names_are_separated_as_the_language_writes_them() -> None:
    from bot.views.imports import correction_result, fix_usage

    names = ["省发展改革委", "省商务厅"]
    assert "省发展改革委、省商务厅" in correction_result("zh", "P1-1.1", 2, names, names)
    assert "省发展改革委, 省商务厅" in correction_result("en", "P1-1.1", 2, names, names)
    assert "、" not in correction_result("en", "P1-1.1", 2, names, names)
    assert "省发展改革委, 省商务厅" in fix_usage("en", names) and "省发展改革委、省商务厅" in fix_usage(
        "zh", names
    )
