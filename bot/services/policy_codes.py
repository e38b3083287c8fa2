"""Policy codes: P1, P2 … for documents, J/H/Z/Q + number for ad-hoc items, by kind.

A code is given once, when the policy is created, and never changes or comes back: the next
number is one past the highest ever given with that letter.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import Policy

KINDS = ("document", "instruction", "meeting", "key_work", "other")
AD_HOC_KINDS = KINDS[1:]
LETTER = {"document": "P", "instruction": "J", "meeting": "H", "key_work": "Z", "other": "Q"}


def letter_for(kind: str) -> str:
    if kind not in LETTER:
        raise ValueError(f"unknown policy kind {kind!r}")
    return LETTER[kind]


def next_number(codes: list[str], letter: str) -> int:
    numbers = [int(c[1:]) for c in codes if c[:1] == letter and c[1:].isdigit()]
    return max(numbers, default=0) + 1


async def next_code(session: AsyncSession, kind: str) -> str:
    letter = letter_for(kind)
    codes = list(
        (await session.scalars(select(col(Policy.code)).where(col(Policy.code).like(f"{letter}%")))).all()
    )
    return f"{letter}{next_number(codes, letter)}"


async def assign_code(session: AsyncSession, policy: Policy) -> str:
    """Gives a new policy its code (call before its first flush)."""
    if not policy.code:
        policy.code = await next_code(session, policy.kind or "document")
    return policy.code
