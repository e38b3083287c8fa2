"""Telling the coordinators about updates that were parked because they could not be handled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from bot.services import outbox
from bot.services.access import coordinators
from bot.services.uow import UnitOfWork
from bot.views import notices
from models import ParkedUpdate

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


async def notify_coordinators(
    uow: UnitOfWork, *, parked: Sequence[dict[str, Any]], handled: int, left: int, where: str
) -> int:
    """One notice per coordinator: how many were parked, from whom, how many are handled now.
    Returns how many notices were queued."""
    names = list(dict.fromkeys(sender_name(record.get("update") or {}) for record in parked))
    whom = "、".join(names[:MAX_NAMES]) + ("…" if len(names) > MAX_NAMES else "")
    queued = 0
    for coordinator in await coordinators(uow):
        text = notices.parked_notice(
            coordinator.language, count=len(parked), whom=whom, handled=handled, left=left, where=where
        )
        outbox.enqueue(uow.session, chat_id=coordinator.chat_id, text=text, now=uow.now, purpose=PURPOSE)
        queued += 1
    return queued


async def store(uow: UnitOfWork, record: dict[str, Any]) -> None:
    """Parks one update (a record of bot/telegram/polling.py) unless it is parked already."""
    exists = await uow.session.scalar(
        select(col(ParkedUpdate.id)).where(col(ParkedUpdate.update_id) == record["update_id"])
    )
    if exists is None:
        uow.session.add(
            ParkedUpdate(
                update_id=record["update_id"],
                payload=record["update"],
                sender=sender_name(record["update"]),
                error=record.get("error"),
                parked_at=uow.now,
            )
        )


async def waiting(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The parked updates not handled yet, oldest first, as records (with their row id and whether
    the coordinators were told of them)."""
    rows = (
        await uow.session.scalars(
            select(ParkedUpdate).where(col(ParkedUpdate.handled_at).is_(None)).order_by(col(ParkedUpdate.id))
        )
    ).all()
    return [
        {
            "update_id": r.update_id,
            "update": r.payload,
            "error": r.error,
            "row_id": r.id,
            "announced": r.announced_at is not None,
        }
        for r in rows
    ]


async def mark_handled(uow: UnitOfWork, row_ids: Sequence[int]) -> None:
    if row_ids:
        await uow.session.execute(
            update(ParkedUpdate).where(col(ParkedUpdate.id).in_(row_ids)).values(handled_at=uow.now)
        )


async def claim_announcement(uow: UnitOfWork, row_ids: Sequence[int]) -> set[int]:
    """Marks these rows announced and returns those this transaction marked: where several
    instances replay the table at once, each row is announced by the one whose mark lands first
    (the others' conditional update finds it marked, on PostgreSQL once that one commits)."""
    if not row_ids:
        return set()
    claimed = await uow.session.execute(
        update(ParkedUpdate)
        .where(col(ParkedUpdate.id).in_(row_ids), col(ParkedUpdate.announced_at).is_(None))
        .values(announced_at=uow.now)
        .returning(col(ParkedUpdate.id))
    )
    return {row_id for row_id in claimed.scalars() if row_id is not None}


async def mark_announced_by_update(uow: UnitOfWork, update_ids: Sequence[int]) -> None:
    if update_ids:
        await uow.session.execute(
            update(ParkedUpdate)
            .where(col(ParkedUpdate.update_id).in_(update_ids))
            .values(announced_at=uow.now)
        )
