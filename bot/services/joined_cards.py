"""Report cards joined into one coordinator message (bot/services/batches.py) kept true in place.

A joined message is one outbox row; each card merged into it keeps its own row (state `merged`,
`joined_into` the joined row). When one report is decided or corrected, its block in the joined
text is replaced, its buttons leave the keyboard, and the joined message is edited through the
outbox (or, not yet sent, sent in its true form).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain import callbacks as cb
from bot.views import notices
from models import OutboxMessage

CARD_PURPOSE = "report_notice"


async def link(session: AsyncSession, chat_id: int, chunk: list[OutboxMessage]) -> None:
    """Points the cards of `chunk` at the joined message just queued for `chat_id`."""
    await session.flush()
    joined = await session.scalar(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.purpose) == CARD_PURPOSE,
            col(OutboxMessage.report_id).is_(None),
            col(OutboxMessage.state) == "pending",
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    )
    if joined is None:
        return
    for row in chunk:
        row.joined_into = joined.id


async def update(
    session: AsyncSession, card: OutboxMessage, text: str, markup: dict[str, Any] | None, now: datetime
) -> bool:
    """The merged `card` now reads `text` with `markup`; its joined message follows. False when the
    card is in no joined message this can edit."""
    if card.joined_into is None:
        return False
    joined = await session.get(OutboxMessage, card.joined_into)
    if joined is None or not card.text or card.text not in joined.text:
        return False
    new_text = joined.text.replace(card.text, text, 1)
    card.text, card.reply_markup = text, markup
    members = list(
        (
            await session.scalars(
                select(OutboxMessage)
                .where(col(OutboxMessage.joined_into) == joined.id)
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    )
    rows = notices.joined_buttons(members)
    new_markup = cb.keyboard(rows) if rows else None
    if joined.state == "sent" and joined.telegram_message_id is not None:
        session.add(
            OutboxMessage(
                chat_id=joined.chat_id,
                method="editMessageText",
                text=new_text,
                reply_markup=new_markup,
                edits_message_id=joined.telegram_message_id,
                purpose="card_edit",
                state="pending",
                next_attempt_at=now,
                created_at=now,
            )
        )
    elif joined.state not in ("pending", "held"):
        return False  # never arrived: nothing to correct
    # The row keeps what the chat shows, so the next change starts from it.
    joined.text, joined.reply_markup = new_text, new_markup
    return True
