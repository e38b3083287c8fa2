"""Text clean-up: spaces, PDF line breaks, headings, Chinese numerals and the document head."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from .units import LINE_LABEL

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM_CHARS = "零〇一二两三四五六七八九十百千"


def cn_to_int(s: str) -> int | None:
    """Chinese numeral (一, 十二, 一百零五, 二〇二四) → int; None if not a numeral."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if all(c in CN_DIGITS for c in s) and len(s) > 1:  # digit-by-digit: 二〇二四
        return int("".join(str(CN_DIGITS[c]) for c in s))
    total, current = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            total += (current or 1) * CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


_INT_CN = "零一二三四五六七八九"


def int_to_cn(n: int) -> str:
    """1 → 一, 12 → 十二, 105 → 一百零五 (n < 10000)."""
    if n < 10:
        return _INT_CN[n]
    parts: list[str] = []
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        d, n = divmod(n, value)
        if d:
            parts.append(("" if (unit == "十" and d == 1 and not parts) else _INT_CN[d]) + unit)
        elif parts and n:
            if parts[-1] != "零":
                parts.append("零")
    if n:
        parts.append(_INT_CN[n])
    text = "".join(parts)
    return text.rstrip("零")


# --- spaces -------------------------------------------------------------------------
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’《》〔〕【】…—"
_SPACE_RUN = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0\u3000]+|[ \t\u00a0\u3000]+(?=[{_CJK}])")
_MULTI_SPACE = re.compile(r"[ \t\u00a0]{2,}")


_MD_HEADING = re.compile(r"^\s*(?:#{1,6}|>+)\s*")
_MD_EMPHASIS = re.compile(r"\*\*|__")


def strip_markup(line: str) -> str:
    """Web and Markdown copies mark headings up: "### （一）…", "**一、…**", "> …"; keep the words."""
    if "#" in line or ">" in line:
        line = _MD_HEADING.sub("", line)
    if "**" in line or "__" in line:
        line = _MD_EMPHASIS.sub("", line)
    return line


def collapse_spaces(line: str) -> str:
    """Remove spaces next to Chinese characters; keep single spaces between ASCII words."""
    line = strip_markup(line.replace("\u3000", " ").replace("\u00a0", " ")).strip()
    line = _SPACE_RUN.sub("", line)
    return _MULTI_SPACE.sub(" ", line)


# --- headings -----------------------------------------------------------------------
_CN_NUM = rf"[{CN_NUM_CHARS}]{{1,5}}"
HEADING_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("zhang", re.compile(rf"^第({_CN_NUM}|\d{{1,3}})(?:章|部分)\s*")),
    ("tiao", re.compile(rf"^第({_CN_NUM}|\d{{1,3}})条\s*")),
    ("cn", re.compile(rf"^({_CN_NUM})[、．.]\s*")),
    ("pcn", re.compile(rf"^[（(]({_CN_NUM})[）)]\s*")),
    ("num", re.compile(r"^(\d{1,3})(?:[、．]|\.(?!\d))\s*")),
    ("pnum", re.compile(r"^[（(](\d{1,3})[）)]\s*")),
    ("cnum", re.compile(r"^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])\s*")),
]
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


@dataclass(frozen=True)
class Heading:
    kind: str
    number: int
    label: str  # as written, e.g. "一" / "（一）" / "1."
    rest: str  # the line after the label


def match_heading(line: str) -> Heading | None:
    for kind, pattern in HEADING_PATTERNS:
        m = pattern.match(line)
        if not m:
            continue
        raw = m.group(1)
        number = _CIRCLED.index(raw) + 1 if kind == "cnum" else cn_to_int(raw)
        if number is None or number <= 0:
            continue
        rest = line[m.end() :]
        if not rest.strip() and kind in ("num", "pnum"):
            continue
        label = m.group(0).strip()
        if kind == "cn":
            label = raw
        return Heading(kind, number, label, rest.strip())
    return None


# --- dates / numbers ----------------------------------------------------------------
_DATE_NUM = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_DATE_CN = re.compile(
    r"^([〇○零一二三四五六七八九Ｏ]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$"
)


def parse_date_line(line: str) -> date | None:
    """A standalone date line (2024年5月11日 / 二〇二四年五月十一日) → date."""
    s = line.strip().strip("（）()")
    m = _DATE_NUM.match(s)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DATE_CN.match(s)
        if m:
            y, mo, d = (cn_to_int(g) for g in m.groups())
            if y and mo and d:
                return date(y, mo, d)
    except ValueError:
        return None
    return None


DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12})\s*[〔\[［【（(]\s*(\d{4})\s*[〕\]］】）)]\s*(\d{1,4})\s*号")


def find_doc_number(text: str) -> str | None:
    m = DOC_NUMBER.search(text)
    if not m:
        return None
    return f"{m.group(1)}〔{m.group(2)}〕{int(m.group(3))}号"


# --- line joining -------------------------------------------------------------------
_SENT_END = tuple("。；：！？…）」”』》!?;:)")
_PAGE_NUMBER = re.compile(r"^[-—－–\s]*\d{1,4}[-—－–\s]*$|^第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?$")
_TITLE_END = re.compile(
    r"(?:通知|意见|措施|办法|方案|规定|计划|要点|细则|决定|公告|通告|函|批复|报告|纲要|规划)$"
)


def _is_break_boundary(prev: str, nxt: str) -> bool:
    """True if ``prev`` and ``nxt`` must stay separate lines."""
    if (
        prev.endswith(("：", ":"))
        and len(prev) <= 12
        and LINE_LABEL.match(prev)
        and not LINE_LABEL.match(nxt)
    ):
        return False  # "责任单位：" with its units on the next line
    if prev.endswith(_SENT_END):
        return True
    h = match_heading(prev)
    if h is not None and len(h.rest) <= 20 and not re.search(r"[，,。；;]", h.rest):
        return True  # a heading-only line ("1. 加强组织领导"), not a line broken mid-sentence
    if match_heading(nxt) or parse_date_line(nxt) or parse_date_line(prev):
        return True
    if DOC_NUMBER.fullmatch(nxt.strip()) or DOC_NUMBER.fullmatch(prev.strip()):
        return True
    if _TITLE_END.search(prev) and "。" not in prev:
        return True
    if nxt.startswith(("附件", "（此件", "(此件", "抄送", "附：")):
        return True
    if LINE_LABEL.match(nxt):
        return True
    if LINE_LABEL.match(prev):
        # "牵头单位：区发改局" on a line of its own stays one, unless the page broke it inside a
        # bracket or after a list separator ("…，各县（" / "市、区）政府（管委会）")
        open_brackets = prev.count("（") + prev.count("(") - prev.count("）") - prev.count(")")
        return not (open_brackets > 0 or prev.endswith(("、", "，", ",")))
    return False


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # on first use: most documents are in simplified characters

    return opencc.OpenCC("t2s")


_HAN = re.compile(r"[\u4e00-\u9fff]")


_PINYIN = re.compile(r"(?<=[\u4e00-\u9fff])[（(][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[）)]")
_TONE = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")


def strip_pinyin(text: str) -> str:
    """Without the pinyin some mirror sites put after characters ("創新(xīn)", "工(gōng)作(zuò)").

    Only when the text carries several with tone marks, so that a Latin word in brackets after a
    Chinese one ("（ppp）") in an ordinary document is left alone."""
    if "(" not in text and "（" not in text:
        return text
    marks = [m for m in _PINYIN.finditer(text[:50000]) if _TONE.search(m.group(0))]
    if len(marks) < 3:
        return text
    return _PINYIN.sub("", text)


def to_simplified(text: str) -> str:
    """The text in simplified characters when it is written in traditional ones.

    Mirror sites and the big5 gateways of government portals carry traditional-character copies
    of mainland documents ("牽頭單位：省發展改革委"); the labels, unit names and numerals the
    importer knows are simplified. A sample decides: converting simplified text changes almost
    nothing, converting a traditional copy changes about one character in five.
    """
    sample = "".join(_HAN.findall(text[:20000]))[:3000]
    if len(sample) < 20:
        return text
    converted = _t2s().convert(sample)
    changed = sum(
        a != b for a, b in zip(sample, converted, strict=False)
    )  # t2s keeps the length of most texts
    if changed < 5 or changed * 25 < len(sample):  # under 4 %: simplified with a stray character
        return text
    return str(_t2s().convert(text))


# "〔责任单位：省发展改革委、省市场监管局按职责分工负责〕": a clause in the brackets of doc numbers
# (〔2022〕 stays: a year is no clause)
_HEX_CLAUSE = re.compile(r"〔([^〔〕]*[\u4e00-\u9fff][^〔〕]{3,})〕")


def clean_lines(text: str) -> list[str]:
    """Normalise and join PDF-broken lines.

    Returns paragraphs; an empty string marks a blank line that survived (a real paragraph
    break). A line not ending in sentence punctuation is joined, without a space, to the next
    non-blank line unless that line starts a new item/heading, is a date or a document number,
    or the current line reads like a document title.
    """
    if "〔" in text:
        text = _HEX_CLAUSE.sub(r"（\1）", text)
    raw = [collapse_spaces(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    raw = [line for line in raw if not _PAGE_NUMBER.match(line) or not line]
    out: list[str] = []
    pending_blank = False
    for line in raw:
        if not line:
            pending_blank = True
            continue
        if out and out[-1] and not _is_break_boundary(out[-1], line):
            out[-1] = out[-1] + line
        else:
            if pending_blank and out:
                out.append("")
            out.append(line)
        pending_blank = False
    return out
