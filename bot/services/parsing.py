"""Reading a free-text progress reply. Pure: the raw text is already stored when this runs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.importer.text import cn_to_int

# The whole number, with its sign: "1000%" must not read as its last three digits, nor "-5%" as 5.
_PERCENT = re.compile(r"(?<![\d.])([-−－]\s*)?(\d+(?:\.\d+)?)\s*[%％]")
_PERCENT_ZH = re.compile(r"百分之\s*([零〇一二两三四五六七八九十百\d]+)")
_DONE = re.compile(r"(已|全部|均已|已经|基本)?(完成|办结|落实完毕|完工)(了|啦)?")
_NOT_DONE = re.compile(r"(未|没有|没|尚未|暂未|不能|无法|待)(全部)?(完成|办结)")
_BLOCKED = re.compile(r"受阻|需协调|需要协调|请求协调|阻碍|卡住|停滞|无法推进|难以推进|困难|block", re.I)



@dataclass(frozen=True)
class Parsed:
    status: str | None  # progress | done | blocked | None when nothing was recognised
    percent: int | None
    # A percentage given outside 0–100, as written: not taken, and the contact is told why.
    refused_percent: str | None = None

    @property
    def understood(self) -> bool:
        return self.status is not None


def parse_progress(text: str) -> Parsed:
    text = text.strip()
    if not text:
        return Parsed(None, None)
    percent: int | None = None
    refused: str | None = None
    match = _PERCENT.search(text)
    if match:
        value = float(match.group(2)) * (-1 if match.group(1) else 1)
        if 0 <= value <= 100:
            percent = round(value)
        else:
            refused = match.group(0)
    else:
        zh = _PERCENT_ZH.search(text)
        if zh:
            raw = zh.group(1)
            value_zh = int(raw) if raw.isascii() and raw.isdigit() else cn_to_int(raw)
            if value_zh is not None and 0 <= value_zh <= 100:
                percent = value_zh
            elif value_zh is not None:
                refused = zh.group(0)
    if refused is not None:
        # A figure that cannot be right says nothing reliable about the rest either ("已完成1000%"
        # is not a completion): only a blockage is still read, and a coordinator sees the text.
        return Parsed("blocked" if _BLOCKED.search(text) else None, None, refused_percent=refused)
    if _BLOCKED.search(text):
        return Parsed("blocked", percent)
    without_negations = _NOT_DONE.sub("", text)
    done_match = _DONE.search(without_negations)
    if percent == 100 or (done_match and percent is None and _claims_whole(done_match, without_negations)):
        return Parsed("done", 100)
    if percent is not None:
        return Parsed("progress", percent)
    if done_match:
        return Parsed("progress", None)
    return Parsed(None, None)


def _claims_whole(match: re.Match[str], text: str) -> bool:
    # "已完成" / "已办结" claim the task; "完成了选址" reports a step of it.
    if match.group(1) or match.group(2) == "办结":
        return True
    tail = text[match.end():].strip(" ，,。.!！")
    return not tail
