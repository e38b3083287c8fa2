"""Text helpers: terminal tables that know CJK characters take two columns, and Telegram HTML
texts split and clipped without breaking a tag or an entity."""

from __future__ import annotations

import html
import re
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


# ------------------------------------------------------------------ Telegram HTML texts

# Longest a title or other one-line field may be where a message shows it.
FIELD_LIMIT = 200

# One piece of Telegram HTML that must never be cut: a tag, an entity, or one character.
_ATOM = re.compile(r"<[^<>]*>|&(?:[a-zA-Z]{2,8}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});|.", re.S)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z0-9-]+)")
_TAGS = re.compile(r"<[^<>]*>")
# Where a cut reads best: a line end, then a sentence end, then a pause, then anywhere.
_SENTENCE_END = set("。！？；!?;")
_PAUSE = set("，、,：: ")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int = FIELD_LIMIT) -> str:
    """A field cut to `limit` characters with "…" (plain text, before escaping)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def strip_html(text: str) -> str:
    """What Telegram would show of this HTML, as plain text."""
    return html.unescape(_TAGS.sub("", text))


def _closers(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _cut(
    text: str, limit: int, *, markup: bool, start: int = 0
) -> tuple[int, int, list[tuple[str, str]]] | None:
    """The best place to cut `text` so the head, with its open tags closed, fits in `limit`
    UTF-16 units. Returns (end of head, start of tail, tags open there). Cuts are between atoms
    only, and after at least one visible character past `start` (the reopened tags); None when
    the markup alone leaves no room for one (a limit smaller than a tag)."""
    stack: list[tuple[str, str]] = []
    size = closing = visible = 0
    best: dict[int, tuple[int, int, list[tuple[str, str]], int]] = {}
    previous = ""
    for match in _ATOM.finditer(text):
        atom = match.group()
        at = match.start()
        if visible and at >= start and size + closing <= limit:
            if atom == "\n":
                rank, tail = 3, at + 1
            elif previous in _SENTENCE_END:
                rank, tail = 2, at
            elif previous in _PAUSE or atom == " ":
                rank, tail = 1, at
            else:
                rank, tail = 0, at
            best[rank] = (at, tail, list(stack), size)
        size += utf16_len(atom)
        if size > limit:
            break
        if markup and atom.startswith("<") and len(atom) > 1:
            name_match = _TAG_NAME.match(atom)
            name = name_match.group(1).lower() if name_match else ""
            if atom.startswith("</"):
                if stack and stack[-1][0] == name:
                    stack.pop()
            else:
                stack.append((name, atom))
            closing = utf16_len(_closers(stack))
            continue
        if at >= start:
            visible += 1
        previous = atom if len(atom) == 1 else ""
    else:
        return len(text), len(text), stack
    # The best-reading cut in the second half of the limit; else the latest cut there is.
    for rank in (3, 2, 1, 0):
        if rank in best and best[rank][3] >= limit // 2:
            end, tail, open_tags, _ = best[rank]
            return end, tail, open_tags
    if not best:
        return None
    end, tail, open_tags, _ = max(best.values(), key=lambda b: b[3])
    return end, tail, open_tags


def split_message(text: str, limit: int, *, markup: bool = True) -> list[str]:
    """Splits a message on its structure (lines, then sentences) into parts of at most `limit`
    UTF-16 units. With `markup` (parse_mode HTML) no cut falls inside a tag or an entity, and a
    tag open at a cut is closed at the end of one part and opened again at the start of the next."""
    parts: list[str] = []
    rest, reopened = text, 0
    while utf16_len(rest) > limit:
        cut = _cut(rest, limit, markup=markup, start=reopened)
        if cut is None:  # the formatting does not fit: the rest goes as escaped plain text
            rest, reopened = html.escape(strip_html(rest), quote=False), 0
            continue
        end, tail, open_tags = cut
        parts.append(rest[:end] + (_closers(open_tags) if markup else ""))
        prefix = "".join(raw for _, raw in open_tags) if markup else ""
        rest, reopened = prefix + rest[tail:], len(prefix)
    parts.append(rest)
    return parts


def clip_html(text: str, limit: int) -> str:
    """An HTML text cut to `limit` UTF-16 units with "…", its open tags closed."""
    if utf16_len(text) <= limit:
        return text
    cut = _cut(text, limit - 1, markup=True)
    if cut is None:
        return clip_html(html.escape(strip_html(text), quote=False), limit)
    end, _, open_tags = cut
    return text[:end] + "…" + _closers(open_tags)
