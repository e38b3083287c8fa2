"""Formatting helpers shared by the views: escaping for Telegram HTML, local times."""

from __future__ import annotations

import html
from datetime import datetime, tzinfo


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def local_time(at: datetime | None, tz: tzinfo) -> str:
    """Month, day and time in ``tz``, the office's configured zone (the calendar's ``tz``)."""
    return at.astimezone(tz).strftime("%m-%d %H:%M") if at else "—"
