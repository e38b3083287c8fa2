"""The unit picker a draft task and a live task share: chosen units as buttons, a search's matches,
and the question whether a unit the directory does not know is accepted or mapped. Pure."""

from __future__ import annotations

from typing import Any

from bot.domain import callbacks as cb
from bot.domain.text import clip
from bot.i18n import t
from bot.views.formatting import esc


def unit_list(lang: str, names: list[str]) -> str:
    return "、".join(esc(n) for n in names) if names else t(lang, "import.none")


def unit_choices(
    lang: str, prefix: str, target: int, picked: list[str], matches: list[tuple[int, str]]
) -> tuple[str, dict[str, Any]]:
    """`prefix` is cb.IMPORT (target = draft id) or cb.FIX (target = task id); `matches` are
    (unit id, name), the chosen ones first."""
    rows = [
        [cb.button(("✅ " if name in picked else "") + clip(name, 24), cb.pack(prefix, "pk", target, uid))]
        for uid, name in matches[:8]
    ]
    rows.append([cb.button(t(lang, "fix.units.done"), cb.pack(prefix, "dn", target, 0))])
    text = t(lang, "fix.units.now", units=unit_list(lang, picked))
    if not matches:
        text += "\n" + t(lang, "fix.units.no_match")
    return text, cb.keyboard(rows)


def units_ask(
    lang: str, prefix: str, target: int, picked: list[str], matches: list[tuple[int, str]]
) -> tuple[str, dict[str, Any]]:
    """The picker's first message: which units hold the task now, and a button per chosen one."""
    _, markup = unit_choices(lang, prefix, target, picked, matches)
    return t(lang, "fix.units.ask", units=unit_list(lang, picked)), markup


def map_ask(lang: str, name: str) -> str:
    """Mapping a unit under review: the coordinator types part of the directory unit's name."""
    return t(lang, "fix.units.ask", units=esc(name))


def review_ask(lang: str, prefix: str, target: int, arg: str | int, name: str) -> tuple[str, dict[str, Any]]:
    """A unit the directory does not know: accept it as a new unit, or map it to a known one."""
    return t(lang, "import.review.ask", unit=esc(name)), cb.keyboard(
        [
            [
                cb.button(t(lang, "import.btn.accept"), cb.pack(prefix, "ua", target, arg)),
                cb.button(t(lang, "import.btn.map"), cb.pack(prefix, "um", target, arg)),
            ]
        ]
    )
