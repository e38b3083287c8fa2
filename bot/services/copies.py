"""Copies of a task message that reached a chat without being recorded.

The sender records a task message when Telegram confirms it. A crash while the request is in
flight loses that confirmation, though the message may have arrived; the row is then sent again,
and the chat holds two copies of which only the second is known. Telegram offers no way to ask
which messages a chat holds, so the first copy is recognised when someone replies to it: a
message of the bot in that chat whose text is one the outbox sent there as a task message.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.domain.text import strip_html
from bot.services import events
from bot.services.housekeeping import TASK_PURPOSES
from bot.services.uow import UnitOfWork
from models import OutboxMessage, TaskMessage

# How far back in a chat's task messages a copy is looked for.
LOOK_BACK = 200


def _shown(text: str, html: bool) -> str:
    """The text as a reader sees it, whitespace normalised (Telegram trims and keeps lines)."""
    return " ".join((strip_html(text) if html else text).split())


async def adopt(uow: UnitOfWork, *, chat_id: int, message_id: int, shown_text: str) -> int | None:
    """Records the bot's message `message_id` in this chat as a copy of the task message whose
    text it shows, and returns that assignment; None when it is no task message of this chat."""
    session, now = uow.session, uow.now
    wanted = _shown(shown_text, html=False)
    if not wanted:
        return None
    rows = list(
        (
            await session.scalars(
                select(OutboxMessage)
                .where(col(OutboxMessage.chat_id) == chat_id, col(OutboxMessage.purpose).in_(TASK_PURPOSES))
                .order_by(col(OutboxMessage.id).desc())
                .limit(LOOK_BACK)
            )
        ).all()
    )
    rows.reverse()
    for index, row in enumerate(rows):
        if _shown(row.text, html=row.parse_mode == "HTML") != wanted:
            continue
        # A long message went as several rows; the last one carries the assignment.
        carrier = next(
            (
                later
                for later in rows[index:]
                if later.assignment_id is not None
                and later.created_at == row.created_at
                and later.purpose == row.purpose
            ),
            None,
        )
        if carrier is None or carrier.assignment_id is None:
            continue
        # Only this update reads this message id in this chat, so nothing can record it meanwhile.
        session.add(
            TaskMessage(
                chat_id=chat_id,
                message_id=message_id,
                assignment_id=carrier.assignment_id,
                purpose=carrier.purpose,
                created_at=now,
            )
        )
        events.record(
            uow,
            actor="system:copies",
            kind="task_message.copy_found",
            entity="task_message",
            entity_id=None,
            data={
                "assignment_id": carrier.assignment_id,
                "chat_id": chat_id,
                "message_id": message_id,
                "outbox_id": row.id,
            },
        )
        return carrier.assignment_id
    return None
