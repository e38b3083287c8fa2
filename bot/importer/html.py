"""Saved web pages (.html/.htm as gov.cn and provincial portals publish them): the body text only.

Parsing is lxml's (libxml2's HTML parser, already a dependency through python-docx). Portals put
the document inside one container (``UCAP-CONTENT``, ``pages_content``, ``TRS_Editor`` …) amid
navigation, breadcrumbs, share buttons, related links and a footer; which class it has differs
from portal to portal, so the container is found by what it holds: the element whose paragraphs
carry the most sentence punctuation, scored the way readability-style extractors score (a block's
score counts for itself, its parent and half of it for its grandparent), after removing elements that are
navigation by tag or by class/id words. The text keeps one line per block and per table cell, so
the importer sees headings, clauses and flattened tables as their own lines.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html
from lxml.etree import ParserError

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "select",
    "button",
    "svg",
    "object",
    "embed",
)
_NAV_WORDS = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|header|footer|foot|breadcrumb|crumbs?|position|location|share|bdshare|"
    r"related|relevant|sidebar|side|copyright|login|search|toolbar|tools|bottom|topbar|top|friend|links?|"
    r"pager|pagination|qrcode|erweima|dyh|xgwj|xglj|print|close)(?:$|[\s_-]|\d)",
    re.IGNORECASE,
)
_BLOCK = {
    "p",
    "div",
    "li",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "article",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "ul",
    "ol",
    "center",
    "br",
    "main",
    "caption",
    "tbody",
}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_PUNCT = re.compile(r"[，。；：、]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _decode(data: bytes) -> str:
    m = _CHARSET.search(data[:4096])
    names = [m.group(1).decode("ascii", "replace").lower()] if m else []
    for name in [*names, "utf-8", "gb18030"]:
        if name in ("gb2312", "gbk"):
            name = "gb18030"
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", "replace")


def _is_nav(el: lxml_html.HtmlElement) -> bool:
    marks = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(marks.strip()) and bool(_NAV_WORDS.search(marks))


def _own_text(el: lxml_html.HtmlElement) -> str:
    parts = [el.text or ""]
    for child in el:
        if not isinstance(child.tag, str) or child.tag not in _BLOCK:
            parts.append(child.text_content() if isinstance(child.tag, str) else "")
        parts.append(child.tail or "")
    return "".join(parts)


def _lines(el: lxml_html.HtmlElement) -> list[str]:
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = "".join(buf).strip()
        if line:
            out.append(line)
        buf.clear()

    def walk(node: lxml_html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in _BLOCK
        if block:
            flush()
        if tag != "br" and node.text:
            buf.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                buf.append(child.tail)
        if block:
            flush()
        if tag == "tr":
            out.append("")  # a row ends: the flattened-table reader uses this like a .docx row

    walk(el)
    flush()
    return out


def _out_of_data_table(el: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """A 分工表's busiest row or cell is not the document: the table's parent holds it (with the
    heading and the text around the table). A layout table (one or two cells a row) is left alone."""
    node = el
    table = None
    while node is not None:
        if isinstance(node.tag, str) and node.tag == "table":
            table = node
        node = node.getparent()
    if table is None or el is table.getparent():
        return el
    rows = [r for r in table.iter("tr")]
    wide = sum(
        1 for r in rows if len([c for c in r if isinstance(c.tag, str) and c.tag in ("td", "th")]) >= 3
    )
    if len(rows) < 2 or wide * 2 < len(rows):
        return el
    outer = table.getparent()
    return outer if outer is not None else el


def html_text(data: bytes) -> str:
    """The main text of a saved web page, one line per block; the page title first if it is missing."""
    source = _XML_DECL.sub("", _decode(data))
    try:
        root = lxml_html.document_fromstring(source)
    except (ParserError, ValueError):
        return ""
    page_title = (root.findtext(".//title") or "").strip()
    for el in list(root.iter(*_DROP_TAGS)):
        el.drop_tree()
    for el in [
        e for e in root.iter() if isinstance(e.tag, str) and e.tag not in ("html", "body") and _is_nav(e)
    ]:
        if el.getparent() is not None:
            el.drop_tree()
    scores: dict[lxml_html.HtmlElement, float] = {}
    for el in root.iter("p", "div", "td", "li", "span", "font", "section", "article"):
        text = _own_text(el)
        cjk = len(_CJK.findall(text))
        if cjk < 10:
            continue
        score = len(_PUNCT.findall(text)) + cjk / 100
        scores[el] = scores.get(el, 0.0) + score  # a block of text lines split by <br> holds itself
        parent = el.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0.0) + score
            grand = parent.getparent()
            if grand is not None:
                scores[grand] = scores.get(grand, 0.0) + score / 2
    body = root.find("body")
    container = max(scores, key=lambda e: scores[e]) if scores else (body if body is not None else root)
    container = _out_of_data_table(container)
    # A document split into several sibling blocks (one per section) scores on their common parent.
    parent = container.getparent()
    if parent is not None and parent in scores and scores[parent] >= 1.5 * scores[container]:
        container = parent
    lines = _lines(container)
    heading = next((h.text_content().strip() for h in root.iter("h1", "h2") if h.text_content().strip()), "")
    title = heading or page_title.split("_")[0].split("|")[0].strip()
    if title and not any(title.replace(" ", "") in line.replace(" ", "") for line in lines[:8]):
        lines.insert(0, title)
    return "\n".join(lines)
