from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from bot.importer import DocumentError, decompose, read_document
from config.directory import load_directory

DOCS = Path(__file__).parent / "fixtures" / "docs"
SAMPLE = (DOCS / "pcn_paragraph_clauses.txt").read_text(encoding="utf-8")


def test_utf8_plain_and_bom(tmp_path):
    plain = tmp_path / "a.txt"
    plain.write_text(SAMPLE, encoding="utf-8")
    bom = tmp_path / "b.txt"
    bom.write_bytes(codecs.BOM_UTF8 + SAMPLE.encode("utf-8"))
    assert read_document(plain) == SAMPLE
    assert read_document(str(bom)) == SAMPLE


def test_gb18030(tmp_path):
    path = tmp_path / "gb.txt"
    path.write_bytes(SAMPLE.replace("\n", "\r\n").encode("gb18030"))
    text = read_document(path)
    assert text == SAMPLE
    dec = decompose(text, load_directory())
    assert dec.policy.doc_number == "赣府厅字〔2025〕7号"
    assert len(dec.measures) == 2


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("关于推进试点工作的实施方案")
    document.add_paragraph("赣府字〔2025〕9号")
    document.add_paragraph("一、建设试点园区。2025年底前建成试点园区3个。（责任单位：省工信厅、省发改委）")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "二、加强人才培养。每年培训技术骨干1000人次。"
    table.cell(0, 1).text = "（责任单位：省教育厅、省人社厅）"
    document.add_paragraph("三、强化宣传。（责任单位：各设区市人民政府）")
    path = tmp_path / "plan.docx"
    document.save(path)

    text = read_document(path)
    assert (
        text.index("一、建设")
        < text.index("二、加强")
        < text.index("（责任单位：省教育厅")
        < text.index("三、强化")
    )
    dec = decompose(text, load_directory())
    assert dec.policy.title == "关于推进试点工作的实施方案"
    assert [m.title for m in dec.measures] == ["建设试点园区", "加强人才培养", "强化宣传"]
    t = dec.measures[1].tasks[0]
    assert t.lead == ["省教育厅"] and t.co == ["省人力资源社会保障厅"] and t.rhythm == "yearly"
    assert t.targets == ["1000人次"]
    assert dec.measures[0].tasks[0].targets == ["3个"]
    assert len(dec.measures[2].tasks[0].lead) == 11


def test_docx_merged_and_nested_cells_are_read_once_in_order(tmp_path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "横向合并"
    table.cell(0, 2).text = "右"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "纵向合并"
    table.cell(1, 1).text = "中一"
    inner = table.cell(1, 2).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "内左"
    inner.cell(0, 1).text = "内右"
    table.cell(2, 1).text = "中二"
    table.cell(2, 2).text = "末"
    path = tmp_path / "merged.docx"
    document.save(path)

    lines = [line for line in read_document(path).split("\n") if line]
    # a horizontal merge is one cell of its row; a vertical one stands again in each row it spans
    assert lines == ["横向合并", "右", "纵向合并", "中一", "内左", "内右", "纵向合并", "中二", "末"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\r\n\t \n", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("weird.txt", b"\x81\x20\x82\x21\xff\xfe\x41" * 20, "unreadable"),
        ("fake.docx", "不是 Word 文档".encode(), "unreadable"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "unsupported"),
        ("broken.pdf", b"%PDF-1.4", "unreadable"),
    ],
)
def test_bad_files(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as info:
        read_document(path)
    err = info.value
    assert err.code == code
    assert str(err) == err.message_zh and err.message_zh and err.message_en
    assert name in err.message_zh and name in err.message_en


def test_missing_file(tmp_path):
    with pytest.raises(DocumentError) as info:
        read_document(tmp_path / "nope.txt")
    assert info.value.code == "not_found"
    assert "找不到文件" in str(info.value) and "not found" in info.value.message_en
    with pytest.raises(DocumentError) as info:
        read_document(tmp_path)  # a directory is not a document
    assert info.value.code == "not_found"
