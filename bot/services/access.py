"""Who is acting: roles come from the database on every update, never from the button pressed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.services.uow import UnitOfWork
from models import Contact, FsmState, Unit

# Commands whose answer lists work across units (or, for /task, any unit's task to a coordinator).
# Asked in a group, the answer would show one unit's members everyone else's work, so they are
# answered in private chats only (the rule is applied once, by `answers_in_private_only`).
PRIVATE_LISTINGS = frozenset(
    {
        "task",
        "board",
        "measure",
        "unit",
        "overdue",
        "units",
        "summary",
        "export",
        "followups",
        "dispatch",
        "policies",
        "new",
    }
)


@dataclass
class Actor:
    user_id: int
    chat_id: int
    name: str
    language: str
    contacts: list[Contact] = field(default_factory=list)
    is_coordinator: bool = False
    is_observer: bool = False
    contact_unit_ids: set[int] = field(default_factory=set)
    leader_unit_ids: set[int] = field(default_factory=set)

    @property
    def known(self) -> bool:
        return bool(self.contacts)

    @property
    def tag(self) -> str:
        return f"tg:{self.user_id}"

    @property
    def in_group(self) -> bool:
        return self.chat_id != self.user_id

    def may_act_for(self, unit_id: int) -> bool:
        return unit_id in self.contact_unit_ids

    def may_see_unit(self, unit_id: int) -> bool:
        return self.is_coordinator or unit_id in self.contact_unit_ids or unit_id in self.leader_unit_ids


def answers_in_private_only(actor: Actor, command: str) -> bool:
    """True when this command, asked where the actor is, must not be answered there: a
    coordinator's or observer's listing in a group. A unit's own members asking in their group see
    only their unit, which the group may see."""
    return (
        actor.in_group and command.lower() in PRIVATE_LISTINGS and (actor.is_coordinator or actor.is_observer)
    )


async def resolve_actor(
    uow: UnitOfWork, *, user_id: int, chat_id: int, name: str, default_language: str
) -> Actor:
    contacts, _ = await read_contacts(uow, user_id=user_id, chat_id=chat_id)
    return actor_from_contacts(
        contacts, user_id=user_id, chat_id=chat_id, name=name, default_language=default_language
    )


async def read_contacts(
    uow: UnitOfWork, *, user_id: int, chat_id: int, flow_key: str | None = None
) -> tuple[list[Contact], FsmState | None]:
    """The active bindings that may speak for who writes here, and (given its key) the chat's flow
    state row (bot/telegram/fsm.py).

    One query for what every update needs, since each statement waits for the driver's thread:
    the coordinators come with it too (kept by the unit of work for its notices). It starts from a
    single row, so a stranger with no binding and no flow still gets one row back.
    """
    # In a private chat the person's own bindings count; in a group, the group's binding
    # (any member speaks for the department) plus the person's own coordinator role.
    own = [col(Contact.telegram_user_id) == user_id]
    if chat_id != user_id:
        own.append(col(Contact.chat_id) == chat_id)
    one = select(literal(1).label("one")).subquery()
    query = (
        select(Contact, FsmState)
        .select_from(one)
        .outerjoin(
            Contact, and_(col(Contact.active).is_(True), or_(*own, col(Contact.role) == "coordinator"))
        )
        .outerjoin(FsmState, col(FsmState.key) == flow_key if flow_key is not None else false())
        .order_by(col(Contact.id))
    )
    contacts: list[Contact] = []
    coordinators: list[Contact] = []
    flow: FsmState | None = None  # the same on every row
    for contact, row_flow in (await uow.session.execute(query)).all():
        flow = row_flow
        if contact is None:
            continue
        if contact.role == "coordinator":
            coordinators.append(contact)
        if contact.telegram_user_id == user_id or (chat_id != user_id and contact.chat_id == chat_id):
            contacts.append(contact)
    if uow.coordinators is None:
        uow.coordinators = coordinators
    return contacts, flow


def actor_from_contacts(
    contacts: list[Contact], *, user_id: int, chat_id: int, name: str, default_language: str
) -> Actor:
    """The roles these active bindings (the user's own, and the chat's when in a group) give."""
    actor = Actor(user_id=user_id, chat_id=chat_id, name=name, language=default_language, contacts=contacts)
    personal = [c for c in contacts if c.telegram_user_id == user_id]
    if personal:
        actor.language = personal[0].language
    elif contacts:
        actor.language = contacts[0].language
    in_group = chat_id != user_id
    for contact in contacts:
        if contact.role == "coordinator" and contact.telegram_user_id == user_id:
            actor.is_coordinator = True
        elif contact.role == "observer" and contact.telegram_user_id == user_id:
            actor.is_observer = True
        elif contact.unit_id is None:
            continue
        elif in_group and contact.chat_id != chat_id:
            # In a group only the group's own binding speaks: a member's personal binding to
            # another unit must not show that unit's tasks to everyone in the group.
            continue
        elif contact.is_group and contact.chat_id != chat_id:
            continue  # a group's binding counts only inside that group
        elif contact.role == "contact":
            actor.contact_unit_ids.add(contact.unit_id)
        elif contact.role == "leader":
            actor.leader_unit_ids.add(contact.unit_id)
    return actor


async def set_language(uow: UnitOfWork, actor: Actor, language: str) -> int:
    changed = 0
    for contact in actor.contacts:
        if contact.telegram_user_id == actor.user_id or contact.chat_id == actor.chat_id:
            contact.language = language
            changed += 1
    return changed


async def unit_names(uow: UnitOfWork, unit_ids: set[int]) -> list[str]:
    if not unit_ids:
        return []
    return list(
        (
            await uow.session.scalars(
                select(col(Unit.name)).where(col(Unit.id).in_(unit_ids)).order_by(col(Unit.id))
            )
        ).all()
    )


async def coordinators(uow: UnitOfWork) -> list[Contact]:
    # Asked once per message sent; the list does not change within one unit of work.
    if uow.coordinators is None:
        uow.coordinators = await coordinator_contacts(uow.session)
    return uow.coordinators


async def coordinator_contacts(session: AsyncSession) -> list[Contact]:
    """The active coordinators, read now (the outbox sender, which has no unit of work)."""
    return list(
        (
            await session.scalars(
                select(Contact)
                .where(col(Contact.role) == "coordinator", col(Contact.active).is_(True))
                .order_by(col(Contact.id))
            )
        ).all()
    )


async def unit_contacts(uow: UnitOfWork, unit_id: int, role: str = "contact") -> list[Contact]:
    if (unit_id, role) in uow.unit_contacts:
        return uow.unit_contacts[(unit_id, role)]
    return list(
        (
            await uow.session.scalars(
                select(Contact)
                .where(
                    col(Contact.unit_id) == unit_id, col(Contact.role) == role, col(Contact.active).is_(True)
                )
                .order_by(col(Contact.id))
            )
        ).all()
    )


async def preload_unit_contacts(uow: UnitOfWork, unit_ids: set[int]) -> None:
    """One query for many units' contacts and leaders, kept for this unit of work's batch work."""
    cache = uow.unit_contacts
    for unit_id in unit_ids:
        for role in ("contact", "leader"):
            cache.setdefault((unit_id, role), [])
    if not unit_ids:
        return
    rows = (
        await uow.session.scalars(
            select(Contact)
            .where(col(Contact.unit_id).in_(unit_ids), col(Contact.active).is_(True))
            .order_by(col(Contact.id))
        )
    ).all()
    for contact in rows:
        if contact.unit_id is not None and contact.role in ("contact", "leader"):
            bucket = cache[(contact.unit_id, contact.role)]
            if contact not in bucket:
                bucket.append(contact)
