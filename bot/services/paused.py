"""Contacts paused by a 403 come back when they write again, and are offered what they missed."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import col

from bot.services import events, outbox
from bot.services.access import Actor
from bot.services.housekeeping import TASK_PURPOSES
from bot.services.uow import UnitOfWork
from bot.views import notices
from models import OutboxMessage


async def resume(uow: UnitOfWork, actor: Actor) -> int:
    """Resumes the paused bindings of the chat the actor just wrote in (a private chat, or a
    group the bot is back in). Tells them how many messages did not reach them and queues
    again the newest task message of each assignment among them. Returns how many were resent."""
    session, now = uow.session, uow.now
    paused = [c for c in actor.contacts if c.paused_at is not None and c.chat_id == actor.chat_id]
    if not paused:
        return 0
    for contact in paused:
        events.record(
            uow,
            actor=actor.tag,
            kind="contact.resumed",
            entity="contact",
            entity_id=contact.id,
            from_state="paused",
            to_state="active",
            data={"paused_at": contact.paused_at.isoformat() if contact.paused_at else None},
        )
        contact.paused_at = None
    missed = list(
        (
            await session.scalars(
                select(OutboxMessage)
                .where(col(OutboxMessage.chat_id) == actor.chat_id, col(OutboxMessage.state) == "failed")
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    )
    if not missed:
        return 0
    # A long message went as several rows; only the last carries the assignment.
    newest: dict[int, list[OutboxMessage]] = {}
    for index, row in enumerate(missed):
        if row.assignment_id is not None and row.purpose in TASK_PURPOSES:
            first = index
            while first > 0 and _earlier_part(missed[first - 1], missed[first]):
                first -= 1
            newest[row.assignment_id] = missed[first : index + 1]
    outbox.enqueue(
        session,
        chat_id=actor.chat_id,
        now=now,
        purpose="reply",
        text=notices.paused_back(actor.language, missed=len(missed), resent=len(newest)),
    )
    for parts in sorted(newest.values(), key=lambda rows: rows[0].id or 0):
        for row in parts:
            outbox.enqueue(
                session,
                chat_id=row.chat_id,
                text=row.text,
                now=now,
                purpose=row.purpose,
                reply_markup=row.reply_markup,
                assignment_id=row.assignment_id,
                parse_mode=row.parse_mode,
            )
    await session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id).in_([r.id for r in missed])).values(state="offered")
    )
    events.record(
        uow,
        actor=actor.tag,
        kind="outbox.offered",
        entity="chat",
        entity_id=None,
        data={"chat_id": actor.chat_id, "missed": len(missed), "resent": len(newest)},
    )
    return len(newest)


def _earlier_part(row: OutboxMessage, later: OutboxMessage) -> bool:
    return (
        row.id == (later.id or 0) - 1
        and row.assignment_id is None
        and row.purpose == later.purpose
        and row.created_at == later.created_at
    )
