"""Coordinators' notices joined per window: ten quick reports of one unit are one
card, a morning's acknowledgements one notice, never one message per keystroke.

Report cards and acknowledgement notices are queued as `held` outbox rows until the end of their
window; `release` then sends a group of one as it is (its card can still be edited in place) and
joins larger groups — per coordinator, kind, and for reports per unit — into one message whose
buttons name the report they decide.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlmodel import col

from bot.services import events, joined_cards, outbox
from bot.services.access import coordinators
from bot.services.uow import UnitOfWork
from bot.views import notices
from models import Assignment, OutboxMessage, ProgressReport, Unit

# Buttons of at most this many reports per message, as in the review digest.
PER_MESSAGE = 8


async def release(uow: UnitOfWork) -> int:
    """Sends the held groups whose oldest row's window has ended; returns the messages queued."""
    session, now = uow.session, uow.now
    # Locked: a release running at the same moment on another instance waits, then finds these
    # rows no longer held (PostgreSQL re-reads a locked row's condition), so nothing is joined twice.
    held = list(
        (
            await session.scalars(
                select(OutboxMessage)
                .where(col(OutboxMessage.state) == "held")
                .order_by(col(OutboxMessage.id))
                .with_for_update()
            )
        ).all()
    )
    if not held:
        return 0
    report_ids = {r.report_id for r in held if r.report_id is not None}
    units: dict[int, tuple[int, str]] = {}
    if report_ids:
        for rid, uid, name in (
            await session.execute(
                select(col(ProgressReport.id), col(Unit.id), col(Unit.name))
                .join(Assignment, col(Assignment.id) == col(ProgressReport.assignment_id))
                .join(Unit, col(Unit.id) == col(Assignment.unit_id))
                .where(col(ProgressReport.id).in_(report_ids))
            )
        ).all():
            assert rid is not None and uid is not None  # primary keys of stored rows
            units[rid] = (uid, name)
    groups: dict[tuple[int, str, int], list[OutboxMessage]] = defaultdict(list)
    for row in held:
        unit_id = units.get(row.report_id or 0, (0, ""))[0]
        groups[(row.chat_id, row.purpose, unit_id)].append(row)
    languages = {c.chat_id: c.language for c in await coordinators(uow)}
    queued = 0
    for (chat_id, purpose, unit_id), rows in groups.items():
        if min(r.next_attempt_at for r in rows if r.next_attempt_at is not None) > now:
            continue  # the window of the group's first notice is still open
        if len(rows) == 1:
            rows[0].state, rows[0].next_attempt_at = "pending", now
            queued += 1
            continue
        lang = languages.get(chat_id, "zh")
        unit = units.get(rows[0].report_id or 0, (0, ""))[1]
        for start in range(0, len(rows), PER_MESSAGE):
            chunk = rows[start : start + PER_MESSAGE]
            text, markup = notices.batched_notice(
                lang, purpose, unit, chunk, total=len(rows), first=start == 0
            )
            parts = outbox.enqueue(
                session, chat_id=chat_id, now=now, purpose=purpose, text=text, reply_markup=markup
            )
            queued += parts
            if parts == 1 and purpose == joined_cards.CARD_PURPOSE:
                await joined_cards.link(session, chat_id, chunk)
        for row in rows:
            row.state = "merged"
        events.record(
            uow,
            actor="system:batches",
            kind="notice.batched",
            entity="outbox",
            entity_id=rows[0].id,
            data={
                "purpose": purpose,
                "rows": [r.id for r in rows],
                "unit_id": unit_id or None,
                "chat_id": chat_id,
            },
        )
    return queued
