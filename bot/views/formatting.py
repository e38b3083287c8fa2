"""Formatting helpers shared by the views: escaping for Telegram HTML, local times."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def local_time(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else "—"
