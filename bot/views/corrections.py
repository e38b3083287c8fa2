"""What a unit's contacts are told when a coordinator corrects a live task (bot/services/corrections.py).
`label` is the task's reference (P1-2.1), `aid` the unit's assignment. No database."""

from __future__ import annotations

from datetime import date

from bot.domain.text import clip
from bot.i18n import role_name, t
from bot.views.formatting import esc


def lost(lang: str, aid: int | None, label: str, task_text: str) -> str:
    """The unit no longer holds the task: its assignment is cancelled."""
    return t(lang, "fix.notify.lost", aid=aid, label=label, text=esc(clip(task_text, 200)))


def role_changed(lang: str, aid: int | None, label: str, before: str, after: str) -> str:
    """The unit's role in the task changed (lead, co, ...)."""
    return t(
        lang,
        "fix.notify.role",
        aid=aid,
        label=label,
        before=role_name(lang, before),
        after=role_name(lang, after),
    )


def text_corrected(lang: str, aid: int | None, label: str) -> str:
    """The task's text changed; the corrected task message follows this notice."""
    return t(lang, "fix.notify.text", aid=aid, label=label)


def due_moved(lang: str, aid: int | None, label: str, due: date) -> str:
    return t(lang, "fix.notify.due", aid=aid, label=label, due=due.isoformat())


def rhythm_changed(lang: str, aid: int | None, label: str, rhythm: str | None) -> str:
    """The task's reporting rhythm changed; None is no rhythm."""
    return t(
        lang,
        "fix.notify.rhythm",
        aid=aid,
        label=label,
        rhythm=t(lang, f"rhythm.{rhythm}" if rhythm else "import.none"),
    )
