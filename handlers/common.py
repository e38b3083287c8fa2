"""Start (with invitation codes), help, language, and polite answers to everything else."""

from __future__ import annotations

import math

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.i18n import t
from bot.services import access
from bot.services.housekeeping import STRANGER_PURPOSE, stranger_answer_due
from bot.services.invites import InviteError, redeem_invite
from bot.services.throttle import AttemptThrottle
from bot.services.uow import UnitOfWork
from bot.views import members
from handlers.filters import is_stranger
from handlers.util import quietly, say


async def start(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    actor: access.Actor,
    invite_throttle: AttemptThrottle,
) -> None:
    code = (command.args or "").strip()
    if code:
        if not _attempt_allowed(message, uow, actor, invite_throttle):
            return
        is_group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        try:
            contact = await redeem_invite(
                uow,
                code=code,
                chat_id=message.chat.id,
                user_id=message.from_user.id,  # type: ignore[union-attr]  # a command comes from a user
                is_group=is_group,
                name=(message.chat.title if is_group else actor.name) or "",
                language=actor.language,
            )
        except InviteError as exc:
            invite_throttle.failed(actor.user_id, uow.now)
            say(uow, message.chat.id, t(actor.language, f"invite.err.{exc.code}"))
            return
        invite_throttle.succeeded(actor.user_id)
        unit = (await access.unit_names(uow, {contact.unit_id})) if contact.unit_id else []
        text = members.invite_accepted(
            actor.language, role=contact.role, group=is_group, chat=actor.name, unit=unit[0] if unit else None
        )
        say(uow, message.chat.id, text)
        return
    await _greet(message, uow, actor)


def _attempt_allowed(
    message: Message, uow: UnitOfWork, actor: access.Actor, throttle: AttemptThrottle
) -> bool:
    """False, after at most one polite answer, while this user has failed too often lately; the
    code is then not looked at."""
    now = uow.now
    if not throttle.blocked(actor.user_id, now):
        return True
    if throttle.should_answer_blocked(actor.user_id, now):
        minutes = max(1, math.ceil((throttle.retry_at(actor.user_id, now) - now).total_seconds() / 60))
        say(uow, message.chat.id, t(actor.language, "invite.err.throttled", minutes=minutes))
    return False


async def _greet(message: Message, uow: UnitOfWork, actor: access.Actor) -> None:
    member = (
        actor.known and not actor.is_coordinator and bool(actor.contact_unit_ids or actor.leader_unit_ids)
    )
    units = await access.unit_names(uow, actor.contact_unit_ids | actor.leader_unit_ids) if member else []
    role = ("contact" if actor.contact_unit_ids else "leader") if member else None
    text = members.greeting(
        actor.language,
        known=actor.known,
        coordinator=actor.is_coordinator,
        name=actor.name,
        units=units,
        role=role,
    )
    say(uow, message.chat.id, text)


async def help_command(message: Message, uow: UnitOfWork, actor: access.Actor) -> None:
    text = members.help_text(
        actor.language,
        known=actor.known,
        coordinator=actor.is_coordinator,
        contact=bool(actor.contact_unit_ids),
        leader=bool(actor.leader_unit_ids),
    )
    say(uow, message.chat.id, text)


async def lang_command(
    message: Message, command: CommandObject, uow: UnitOfWork, actor: access.Actor
) -> None:
    choice = (command.args or "").strip().lower()
    if choice not in ("zh", "en", "中文", "english"):
        say(uow, message.chat.id, t(actor.language, "lang.usage"))
        return
    language = "en" if choice in ("en", "english") else "zh"
    if actor.known:
        await access.set_language(uow, actor, language)
    say(uow, message.chat.id, t(language, "lang.set"))


# The routers below this one handle members; everyone else ends up here.


async def stranger_message(message: Message, uow: UnitOfWork, actor: access.Actor) -> None:
    if message.chat.type != ChatType.PRIVATE and not (message.text or "").startswith("/"):
        return  # unbound groups: stay quiet rather than answer every member
    if await stranger_answer_due(uow, message.chat.id):
        say(uow, message.chat.id, t(actor.language, "stranger"), purpose=STRANGER_PURPOSE)


async def stranger_button(query: CallbackQuery, actor: access.Actor) -> None:
    await quietly(query.answer(t(actor.language, "denied"), show_alert=True))


async def sticker(message: Message, uow: UnitOfWork, actor: access.Actor) -> None:
    if message.chat.type == ChatType.PRIVATE:
        say(uow, message.chat.id, t(actor.language, "odd.sticker"))


async def unknown_command(message: Message, uow: UnitOfWork, actor: access.Actor) -> None:
    say(uow, message.chat.id, t(actor.language, "odd.unknown_command"))


async def anything_else(message: Message, uow: UnitOfWork, actor: access.Actor) -> None:
    if message.chat.type != ChatType.PRIVATE:
        return  # in a group, only replies to the bot's messages are meant for it
    if message.text or message.caption or message.document or message.photo:
        say(uow, message.chat.id, t(actor.language, "report.no_task"))
    else:
        say(uow, message.chat.id, t(actor.language, "odd.empty"))


async def unknown_button(query: CallbackQuery, actor: access.Actor) -> None:
    await quietly(query.answer(t(actor.language, "button.forged"), show_alert=True))


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="common")
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    router.message.register(lang_command, Command("lang"))
    return router


def make_stranger_router() -> Router:
    """A fresh `stranger_router` with its handlers: a router belongs to one Dispatcher only."""
    stranger_router = Router(name="strangers")
    stranger_router.message.register(stranger_message, is_stranger)
    stranger_router.callback_query.register(stranger_button, is_stranger)
    return stranger_router


def make_fallback_router() -> Router:
    """A fresh `fallback_router` with its handlers: a router belongs to one Dispatcher only."""
    fallback_router = Router(name="fallback")
    fallback_router.message.register(sticker, F.sticker)
    fallback_router.message.register(unknown_command, F.text.startswith("/"))
    fallback_router.message.register(anything_else)
    fallback_router.callback_query.register(unknown_button)
    return fallback_router
