"""The weekly summary (周报) as an editable, printable Word document (.docx, python-docx).

The same sections as the chat (``weekly.report_lines`` with ``DOCX_CAPS``), laid out after the
usual form of official documents (GB/T 9704): A4 with 37/35/28/26 mm margins, the title centred
in 方正小标宋简体 22 pt, body text in 仿宋 16 pt with a two-character first-line indent, headings
一、 in 黑体 and （一） in 楷体, page numbers in the footer. Fonts are set by name, with the East
Asian font attribute too (``w:eastAsia``), so Word uses them for Chinese; a machine without a
font substitutes its own, and the office can change any of it.

python-docx is imported when a document is written, so importing bot.reporting stays cheap.
"""

from __future__ import annotations

import os
import re
from typing import IO, TYPE_CHECKING, Any

from bot.i18n import t

from .model import SummaryData
from .weekly import DOCX_CAPS, Caps, Line, report_lines

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
LATIN_FONT = "Times New Roman"

# Paragraph styles this module adds: name -> (East Asian font, size pt, bold, centred, indent)
_STYLES: dict[str, tuple[str, float, bool, bool, bool]] = {
    "Duban Title": (TITLE_FONT, 22, False, True, False),
    "Duban Subtitle": (SUBHEADING_FONT, 16, False, True, False),
    "Duban Meta": (BODY_FONT, 12, False, True, False),
    "Duban Heading 1": (HEADING_FONT, 16, False, False, True),
    "Duban Heading 2": (SUBHEADING_FONT, 16, True, False, True),
    "Duban Body": (BODY_FONT, 16, False, False, True),
    "Duban Note": (BODY_FONT, 14, False, False, True),
}
_KIND_STYLE = {
    "title": "Duban Title",
    "subtitle": "Duban Subtitle",
    "meta": "Duban Meta",
    "h1": "Duban Heading 1",
    "h2": "Duban Heading 2",
    "measure": "Duban Body",
    "item": "Duban Body",
    "sub": "Duban Body",
    "note": "Duban Note",
}


# Characters an XML document cannot hold (lxml refuses them): dropped from user text.
_BAD_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _BAD_XML_RE.sub("", text)


def _s(lang: str, key: str, **values: Any) -> str:
    return t(lang, "summary." + key, **values)


def _set_fonts(rpr_owner: Any, east_asian: str) -> None:
    """Latin and East Asian font names on a style's run properties."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)


# The default template's styles a document needs; the other ~150 (table designs, list and
# caption styles …) are removed: the office's style gallery stays short, and python-docx scans
# every style for each paragraph it adds.
_KEEP_STYLES = frozenset(
    {
        "Normal",
        "Default Paragraph Font",
        "Normal Table",
        "No List",
        "Header",
        "Header Char",
        "Footer",
        "Footer Char",
        "Table Grid",
    }
)


def _setup(doc: DocxDocument) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    for style in list(doc.styles):
        if style.name not in _KEEP_STYLES:
            style.delete()

    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(16)
    _set_fonts(normal.element, BODY_FONT)
    for name, (font, size, bold, centred, indent) in _STYLES.items():
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.name = LATIN_FONT
        style.font.size = Pt(size)
        style.font.bold = bold
        _set_fonts(style.element, font)
        fmt = style.paragraph_format
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)
        fmt.line_spacing = Pt(size * 1.75)
        if centred:
            fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if indent:
            fmt.first_line_indent = Pt(size * 2)  # two characters
    doc.styles["Duban Title"].paragraph_format.space_after = Pt(12)
    doc.styles["Duban Meta"].paragraph_format.space_after = Pt(12)


def _page_numbers(doc: DocxDocument) -> None:
    """ "— 1 —" centred in the footer, as a PAGE field Word keeps up to date."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for section in doc.sections:
        para = section.footer.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        para.add_run("— ")
        for kind, text in (
            ("begin", None),
            ("instr", " PAGE "),
            ("separate", None),
            ("text", "1"),
            ("end", None),
        ):
            run = para.add_run()
            if kind == "instr":
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            elif kind == "text":
                run.text = text or ""
                continue
            else:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
            run.element.append(el)
        para.add_run(" —")


def _refs_text(line: Line, lang: str) -> str:
    if not line.refs:
        return ""
    refs = _s(lang, "sep").join(str(int(r)) for r, _ in line.refs)
    if line.more_refs:
        refs = _s(lang, "refs_more", first=refs, n=len(line.refs) + line.more_refs)
    return _s(lang, "ref", refs=refs)


def _add_line(doc: DocxDocument, line: Line, lang: str, styles: dict[str, Any]) -> None:
    para = doc.add_paragraph(style=styles[_KIND_STYLE.get(line.kind, "Duban Body")])
    if line.lead:
        para.add_run(_xml_text(line.lead) + " ").bold = True
    run = para.add_run(_xml_text(line.text))
    if line.kind == "measure":
        run.bold = True
    refs = _refs_text(line, lang)
    if refs:
        para.add_run(refs)


def write_summary_docx(
    data: SummaryData,
    path_or_buffer: str | os.PathLike[str] | IO[bytes],
    lang: str = "zh",
    *,
    caps: Caps = DOCX_CAPS,
) -> int:
    """Write the weekly summary as .docx to a path or a binary file object; returns the paragraphs."""
    from docx import Document

    lang = "en" if lang == "en" else "zh"
    doc = Document()
    _setup(doc)
    _page_numbers(doc)
    lines = report_lines(data, lang, caps)
    doc.core_properties.title = lines[0].text
    doc.core_properties.author = "Duban"
    # Style objects, not names: python-docx looks a name up by scanning every style.
    styles = {name: doc.styles[name] for name in _STYLES}
    for line in lines:
        _add_line(doc, line, lang, styles)
    target = os.fspath(path_or_buffer) if isinstance(path_or_buffer, os.PathLike) else path_or_buffer
    doc.save(target)
    return len(lines)


__all__ = ["BODY_FONT", "HEADING_FONT", "TITLE_FONT", "write_summary_docx"]
