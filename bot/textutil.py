"""Terminal text helpers that know CJK characters take two columns."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def truncate(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def table(headers: list[str], rows: list[list[str]], max_widths: list[int] | None = None) -> str:
    cells = [[str(c) for c in row] for row in rows]
    if max_widths:
        cells = [[truncate(c, w) for c, w in zip(row, max_widths, strict=False)] for row in cells]
    widths = [display_width(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], display_width(c))
    lines = ["  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(pad(c, widths[i]) for i, c in enumerate(row)).rstrip() for row in cells]
    return "\n".join(lines)
