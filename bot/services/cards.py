"""Coordinators' report cards kept true in place: a decided card says so, and a
contact's 更正 changes the card rather than adding another. Edits leave through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.services import assignments as asg
from bot.services import joined_cards
from bot.services.access import coordinators
from bot.services.uow import UnitOfWork
from bot.views import notices
from models import OutboxMessage, ProgressReport

CARD_PURPOSE = joined_cards.CARD_PURPOSE


async def _cards(session: AsyncSession, report_id: int) -> list[OutboxMessage]:
    return list(
        (
            await session.scalars(
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.report_id) == report_id,
                    col(OutboxMessage.purpose) == CARD_PURPOSE,
                    col(OutboxMessage.method) == "sendMessage",
                )
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    )


def _edit(session: AsyncSession, card: OutboxMessage, text: str, markup: dict | None, now: datetime) -> None:
    if card.state in ("pending", "held"):
        # Not sent yet (or still held for its batch): send the true version instead.
        card.text, card.reply_markup = text, markup
        return
    if card.state != "sent" or card.telegram_message_id is None:
        return  # never arrived: nothing to correct
    session.add(
        OutboxMessage(
            chat_id=card.chat_id,
            method="editMessageText",
            text=text,
            reply_markup=markup,
            edits_message_id=card.telegram_message_id,
            purpose="card_edit",
            report_id=card.report_id,
            state="pending",
            next_attempt_at=now,
            created_at=now,
        )
    )


async def _languages(uow: UnitOfWork) -> dict[int, str]:
    return {c.chat_id: c.language for c in await coordinators(uow)}


async def decided(uow: UnitOfWork, view: asg.AssignmentView, report: ProgressReport, *, who: str) -> int:
    """Every card of this report loses its buttons and gains the decision: by whom, when."""
    session, now = uow.session, uow.now
    languages = await _languages(uow)
    cards = await _cards(session, report.id or 0)
    for card in cards:
        lang = languages.get(card.chat_id, "zh")
        text = notices.decided_card(lang, view, report, who=who, at=now, tz=uow.calendar.tz)
        if card.state == "merged":
            await joined_cards.update(session, card, text, None, now)
        else:
            _edit(session, card, text, None, now)
    return len(cards)


async def refresh(uow: UnitOfWork, view: asg.AssignmentView, report: ProgressReport) -> int:
    """The cards of a corrected report, re-rendered with the new reading and their buttons."""
    from bot.views.tasks import report_card_text

    session, now = uow.session, uow.now
    languages = await _languages(uow)
    cards = [
        c for c in await _cards(session, report.id or 0) if c.state in ("pending", "held", "sent", "merged")
    ]
    edited = 0
    for card in cards:
        text = report_card_text(languages.get(card.chat_id, "zh"), view, report, uow.calendar.tz)
        if card.state == "merged":
            edited += await joined_cards.update(session, card, text, card.reply_markup, now)
            continue
        _edit(session, card, text, card.reply_markup, now)
        edited += 1
    return edited
