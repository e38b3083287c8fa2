"""Keeping the tables to what is still needed: strangers' traffic and finished sends are purged.

The audit trail (events) is never purged, nor an outbox row that is a task's message (a reply
to any copy of it is matched by its text, see `copies`), nor one that was not delivered (a
paused contact is offered it when they come back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, not_, or_, select
from sqlmodel import col

from bot.db import rowcount
from bot.services.uow import UnitOfWork
from models import OutboxMessage, ProcessedUpdate

# One polite answer per stranger chat in this period, however often they write.
STRANGER_PERIOD = timedelta(minutes=10)
STRANGER_PURPOSE = "stranger"
# Telegram keeps an unconfirmed update for 24 hours: an older claim can never stop a duplicate.
KEEP_UPDATE_CLAIMS = timedelta(days=2)
KEEP_STRANGER_ROWS = timedelta(days=1)
KEEP_SENT_ROWS = timedelta(days=30)
# Rows deleted per statement, so one purge never holds the writer for long.
PURGE_CHUNK = 5000

# Messages that carry an assignment, so a reply to them finds its task (the sender records them).
TASK_PURPOSES = ("dispatch", "remind", "review_notice", "control_notice", "followup")


async def stranger_answer_due(uow: UnitOfWork, chat_id: int) -> bool:
    """Whether this unbound chat is due a polite answer: not if it got one within the period."""
    now = uow.now
    recent = await uow.session.scalar(
        select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.purpose) == STRANGER_PURPOSE,
            col(OutboxMessage.created_at) > now - STRANGER_PERIOD,
        )
        .limit(1)
    )
    return recent is None


@dataclass
class PurgeResult:
    update_claims: int = 0
    outbox_rows: int = 0
    more: bool = False  # a chunk was full: run again


async def purge_chunk(uow: UnitOfWork) -> PurgeResult:
    """Deletes one chunk of each kind of row that is no longer needed."""
    session, now = uow.session, uow.now
    result = PurgeResult()
    claims = (
        select(col(ProcessedUpdate.update_id))
        .where(col(ProcessedUpdate.processed_at) < now - KEEP_UPDATE_CLAIMS)
        .limit(PURGE_CHUNK)
    )
    gone = await session.execute(delete(ProcessedUpdate).where(col(ProcessedUpdate.update_id).in_(claims)))
    result.update_claims = rowcount(gone)
    is_task_message = and_(
        col(OutboxMessage.assignment_id).is_not(None), col(OutboxMessage.purpose).in_(TASK_PURPOSES)
    )
    stale = or_(
        # A stranger's answer, whatever became of it.
        and_(
            col(OutboxMessage.purpose) == STRANGER_PURPOSE,
            col(OutboxMessage.created_at) < now - KEEP_STRANGER_ROWS,
        ),
        # Finished work: delivered long ago, and not a task's message.
        and_(
            col(OutboxMessage.state) == "sent",
            col(OutboxMessage.sent_at) < now - KEEP_SENT_ROWS,
            not_(is_task_message),
        ),
    )
    rows = select(col(OutboxMessage.id)).where(stale).limit(PURGE_CHUNK)
    gone = await session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(rows)))
    result.outbox_rows = rowcount(gone)
    result.more = max(result.update_claims, result.outbox_rows) >= PURGE_CHUNK
    from bot.services.import_drafts import purge_expired

    await purge_expired(uow)  # abandoned import previews (they are also purged on access)
    return result
