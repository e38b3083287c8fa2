"""The one way a message leaves: a row in the outbox, in the caller's transaction.

Whatever caused the message commits with it or not at all; the sender delivers it later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.db import insert_without_ids
from bot.domain.text import split_message
from models import OutboxMessage

TELEGRAM_TEXT_LIMIT = 4096


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    now: datetime,
    purpose: str = "notice",
    reply_markup: dict[str, Any] | None = None,
    assignment_id: int | None = None,
    followup_id: int | None = None,
    dedupe_key: str | None = None,
    parse_mode: str | None = "HTML",
    reply_to_message_id: int | None = None,
    report_id: int | None = None,
    hold_until: datetime | None = None,
) -> int:
    """Queues a text message, split into several when it exceeds Telegram's limit.

    Only the last part carries the buttons, so they stay under the text they act on.
    Returns how many messages were queued.
    """
    rows = messages(
        chat_id=chat_id,
        text=text,
        now=now,
        purpose=purpose,
        reply_markup=reply_markup,
        assignment_id=assignment_id,
        followup_id=followup_id,
        dedupe_key=dedupe_key,
        parse_mode=parse_mode,
        reply_to_message_id=reply_to_message_id,
        report_id=report_id,
        hold_until=hold_until,
    )
    session.add_all(rows)
    return len(rows)


def messages(
    *,
    chat_id: int,
    text: str,
    now: datetime,
    purpose: str = "notice",
    reply_markup: dict[str, Any] | None = None,
    assignment_id: int | None = None,
    followup_id: int | None = None,
    dedupe_key: str | None = None,
    parse_mode: str | None = "HTML",
    reply_to_message_id: int | None = None,
    report_id: int | None = None,
    hold_until: datetime | None = None,
) -> list[OutboxMessage]:
    """The rows `enqueue` adds, not yet added (for `enqueue_all`)."""
    parts = split_text(text, markup=parse_mode == "HTML")
    rows = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        row = OutboxMessage(
            chat_id=chat_id,
            method="sendMessage",
            text=part,
            parse_mode=parse_mode,
            reply_markup=reply_markup if last else None,
            purpose=purpose,
            assignment_id=assignment_id if last else None,
            followup_id=followup_id,
            dedupe_key=(dedupe_key if index == 0 else f"{dedupe_key}#{index}") if dedupe_key else None,
            reply_to_message_id=reply_to_message_id if index == 0 else None,
            state="pending",
            next_attempt_at=now,
            created_at=now,
            report_id=report_id,
        )
        if hold_until is not None:
            # Waits for bot/services/batches.py to join it with its window's like (not sent alone).
            row.state, row.next_attempt_at = "held", hold_until
        rows.append(row)
    return rows


async def enqueue_all(session: AsyncSession, rows: list[OutboxMessage]) -> None:
    """Queues rows made by `messages` in one statement, written at once (nobody needs their ids)."""
    await insert_without_ids(session, rows)


def enqueue_file(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    file_name: str,
    data: bytes,
    caption: str,
    now: datetime,
    purpose: str,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    if method not in ("sendDocument", "sendPhoto"):
        raise ValueError(method)
    row = OutboxMessage(
        chat_id=chat_id,
        method=method,
        text=caption[:1024],
        parse_mode="HTML",
        file_name=file_name,
        file_bytes=data,
        purpose=purpose,
        dedupe_key=dedupe_key,
        state="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


async def already_queued(session: AsyncSession, dedupe_key: str) -> bool:
    return (
        await session.scalar(select(col(OutboxMessage.id)).where(col(OutboxMessage.dedupe_key) == dedupe_key))
    ) is not None


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT, *, markup: bool = True) -> list[str]:
    """Splits on the text's structure, never inside an HTML tag or entity (see textutil)."""
    return split_message(text, limit, markup=markup)
