"""Reading a free-text progress reply. Pure: the raw text is already stored when this runs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.importer.text import cn_to_int

_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*[%％]")
_PERCENT_ZH = re.compile(r"百分之\s*([零〇一二两三四五六七八九十百\d]+)")
_DONE = re.compile(r"(已|全部|均已|已经|基本)?(完成|办结|落实完毕|完工)(了|啦)?")
_NOT_DONE = re.compile(r"(未|没有|没|尚未|暂未|不能|无法|待)(全部)?(完成|办结)")
_BLOCKED = re.compile(r"受阻|需协调|需要协调|请求协调|阻碍|卡住|停滞|无法推进|难以推进|困难|block", re.I)



@dataclass(frozen=True)
class Parsed:
    status: str | None  # progress | done | blocked | None when nothing was recognised
    percent: int | None

    @property
    def understood(self) -> bool:
        return self.status is not None


def parse_progress(text: str) -> Parsed:
    text = text.strip()
    if not text:
        return Parsed(None, None)
    percent: int | None = None
    match = _PERCENT.search(text)
    if match:
        value = float(match.group(1))
        if 0 <= value <= 100:
            percent = round(value)
    else:
        zh = _PERCENT_ZH.search(text)
        if zh:
            raw = zh.group(1)
            value_zh = int(raw) if raw.isascii() and raw.isdigit() else cn_to_int(raw)
            if value_zh is not None and 0 <= value_zh <= 100:
                percent = value_zh
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
