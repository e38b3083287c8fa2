"""One-time, expiring invitations. Only a hash of the code is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import col

from bot.db import rowcount
from bot.services import events
from bot.services.uow import UnitOfWork
from models import Contact, Invite, Unit

ROLES = ("contact", "leader", "observer", "coordinator")
# A year: longer is a mistake, and far beyond it the expiry no longer fits a datetime.
MAX_TTL_HOURS = 8760
UNIT_ROLES = ("contact", "leader")


class InviteError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # unknown | used | expired | needs_unit | bad_role | group_role | bad_ttl


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class NewInvite:
    code: str
    expires_at: datetime
    role: str
    unit_name: str | None


async def create_invite(
    uow: UnitOfWork, *, unit: Unit | None, role: str, ttl_hours: int, actor: str
) -> NewInvite:
    if role not in ROLES:
        raise InviteError("bad_role")
    if role in UNIT_ROLES and unit is None:
        raise InviteError("needs_unit")
    if not 0 < ttl_hours <= MAX_TTL_HOURS:
        raise InviteError("bad_ttl")
    # 128 bits in Telegram's deep-link alphabet (A-Z a-z 0-9 _ -), under its 64-character limit.
    code = secrets.token_urlsafe(16)
    invite = Invite(
        code_hash=hash_code(code),
        unit_id=unit.id if unit else None,
        role=role,
        created_by=actor,
        created_at=uow.now,
        expires_at=uow.now + timedelta(hours=ttl_hours),
    )
    uow.session.add(invite)
    await uow.session.flush()
    events.record(
        uow,
        actor=actor,
        kind="invite.created",
        entity="invite",
        entity_id=invite.id,
        to_state="open",
        data={"unit": unit.name if unit else None, "role": role},
    )
    return NewInvite(
        code=code, expires_at=invite.expires_at or uow.now, role=role, unit_name=unit.name if unit else None
    )


async def redeem_invite(
    uow: UnitOfWork,
    *,
    code: str,
    chat_id: int,
    user_id: int,
    is_group: bool,
    name: str,
    language: str,
) -> Contact:
    invite = await uow.session.scalar(select(Invite).where(col(Invite.code_hash) == hash_code(code)))
    if invite is None:
        raise InviteError("unknown")
    if invite.used_at is not None:
        raise InviteError("used")
    if invite.expires_at is not None and invite.expires_at <= uow.now:
        raise InviteError("expired")
    if is_group and invite.role != "contact":
        # A group can be a department's contact point, never a coordinator or leader.
        raise InviteError("group_role")
    # Claimed with a conditional update, so two simultaneous /start with one code cannot both win
    # (on PostgreSQL nothing else serialises them).
    claimed = await uow.session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=uow.now, used_by_chat_id=chat_id)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        raise InviteError("used")
    invite.used_at, invite.used_by_chat_id = uow.now, chat_id
    contact = await uow.session.scalar(
        select(Contact).where(
            col(Contact.chat_id) == chat_id,
            col(Contact.role) == invite.role,
            col(Contact.unit_id) == invite.unit_id,
        )
    )
    if contact is None:
        contact = Contact(
            unit_id=invite.unit_id,
            role=invite.role,
            chat_id=chat_id,
            telegram_user_id=None if is_group else user_id,
            is_group=is_group,
            display_name=name,
            language=language,
            created_at=uow.now,
        )
        uow.session.add(contact)
    contact.active, contact.deactivated_reason = True, None
    await uow.session.flush()
    events.record(
        uow,
        actor=f"tg:{user_id}",
        kind="invite.redeemed",
        entity="invite",
        entity_id=invite.id,
        from_state="open",
        to_state="used",
        data={"contact_id": contact.id, "chat_id": chat_id, "role": invite.role},
    )
    return contact


async def add_coordinator(
    uow: UnitOfWork, *, user_id: int, name: str, actor: str, language: str = "zh"
) -> tuple[Contact, bool]:
    contact = await uow.session.scalar(
        select(Contact).where(col(Contact.telegram_user_id) == user_id, col(Contact.role) == "coordinator")
    )
    created = contact is None
    if contact is None:
        contact = Contact(
            role="coordinator",
            chat_id=user_id,
            telegram_user_id=user_id,
            display_name=name,
            language=language,
            created_at=uow.now,
        )
        uow.session.add(contact)
    elif contact.active:
        return contact, False
    contact.active = True
    await uow.session.flush()
    events.record(
        uow,
        actor=actor,
        kind="coordinator.added",
        entity="contact",
        entity_id=contact.id,
        to_state="active",
        data={"user_id": user_id},
    )
    return contact, created
