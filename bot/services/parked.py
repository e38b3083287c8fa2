"""Telling the coordinators about updates that were parked because they could not be handled."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from bot.services import outbox
from bot.services.access import coordinators

PURPOSE = "parked_notice"
MAX_NAMES = 10


def sender_name(update: dict[str, Any]) -> str:
    """Who sent a parked update, from its raw JSON (first and last name, else @username, else the id)."""
    for key in ("message", "edited_message", "callback_query", "channel_post"):
        event = update.get(key)
        if isinstance(event, dict) and isinstance(event.get("from"), dict):
            user = event["from"]
            name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
            return name or (f"@{user['username']}" if user.get("username") else str(user.get("id", "?")))
    return "?"


async def notify_coordinators(session: AsyncSession, *, parked: Sequence[dict[str, Any]], handled: int, left: int,
                              where: str, now: datetime) -> int:
    """One notice per coordinator: how many were parked, from whom, how many are handled now.
    Returns how many notices were queued."""
    names = list(dict.fromkeys(sender_name(record.get("update") or {}) for record in parked))
    whom = "、".join(names[:MAX_NAMES]) + ("…" if len(names) > MAX_NAMES else "")
    queued = 0
    for coordinator in await coordinators(session):
        lang = coordinator.language
        text = t(lang, "parked_notice", count=len(parked), whom=html.escape(whom, quote=False), handled=handled)
        if left:
            text += t(lang, "parked_notice.left", left=left, where=html.escape(where, quote=False))
        outbox.enqueue(session, chat_id=coordinator.chat_id, text=text, now=now, purpose=PURPOSE)
        queued += 1
    return queued
