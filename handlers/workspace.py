"""Many policies side by side: /policies, the selected policy, and asking which policy a number meant.

Every handler here is behind the coordinator filter; every button is re-read against the database.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.domain import callbacks as cb
from bot.domain.refs import Ref, RefError, parse_ref
from bot.i18n import t
from bot.services import board as board_service
from bot.services import scope
from bot.services.access import Actor
from bot.services.uow import UnitOfWork
from bot.views import workspace as views
from bot.views.formatting import esc
from handlers.callbacks import PickAction, PolicyAction
from handlers.filters import is_coordinator
from handlers.util import quietly, say, unmark

WORKSPACE_COMMANDS = ("policies", "new")


def selected_id(actor: Actor) -> int | None:
    contact = scope.coordinator_contact(actor.contacts)
    return contact.selected_policy_id if contact else None


async def resolve_or_ask(
    uow: UnitOfWork, actor: Actor, chat_id: int, command: str, ref: Ref, extra: str = ""
) -> scope.Resolved | None:
    """The reference resolved, or None after telling the coordinator why not (asking which policy
    with a button per candidate when it fits several)."""
    lang = actor.language
    resolved = await scope.resolve(uow, ref, selected_id(actor))
    if resolved.ok:
        return resolved
    if resolved.status == "ambiguous":
        choices = []
        for policy in resolved.candidates:
            full = str(ref.with_code(policy.code))
            try:
                data = cb.pack(cb.PICK, command, full, extra.replace(":", "~") or "-")
            except ValueError:  # over 64 bytes: the coordinator types the code instead
                data = ""
            choices.append((policy, full, data))
        text, markup = views.which_policy(lang, str(ref), choices)
        say(uow, chat_id, text, markup=markup)
        return None
    say(uow, chat_id, t(lang, "ref.not_found", ref=esc(str(resolved.ref))))
    return None


def read_ref(text: str | None) -> Ref | None:
    try:
        return parse_ref(text)
    except RefError:
        return None


async def policies_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    lang = actor.language
    lines = await scope.policy_lines(uow)
    if not lines:
        say(uow, message.chat.id, t(lang, "policies.none"))
        return
    counts = await board_service.rollup(uow, "policy")
    lights = {x.policy.id or 0: board_service.rolled(counts.get(x.policy.id or 0, {})) for x in lines}
    messages, markup = views.policies(lang, lines, lights, selected_id(actor))
    for text in messages[:-1]:
        say(uow, message.chat.id, text)
    say(uow, message.chat.id, messages[-1], markup=markup)


async def policy_button(
    query: CallbackQuery, callback_data: PolicyAction, uow: UnitOfWork, actor: Actor
) -> None:
    lang = actor.language
    contact = scope.coordinator_contact(actor.contacts)
    if contact is None or callback_data.action not in ("sel", "clr"):
        await quietly(query.answer(t(lang, "button.forged"), show_alert=True))
        return
    try:
        policy = await scope.select_policy(
            uow, contact, callback_data.id if callback_data.action == "sel" else None, actor=actor.tag
        )
    except LookupError:
        await quietly(query.answer(t(lang, "button.forged"), show_alert=True))
        return
    await quietly(query.answer())
    await unmark(query)
    say(
        uow, query.message.chat.id if query.message else query.from_user.id, views.policy_chosen(lang, policy)
    )


async def pick_button(query: CallbackQuery, callback_data: PickAction, uow: UnitOfWork, actor: Actor) -> None:
    """The policy chosen for an ambiguous number: the command runs again with the code in it, so
    everything the command checks is checked again."""
    from handlers import coordinator

    run = coordinator.REF_COMMANDS.get(callback_data.command)
    ref = read_ref(callback_data.ref)
    if run is None or ref is None or ref.code is None:
        await quietly(query.answer(t(actor.language, "button.forged"), show_alert=True))
        return
    await quietly(query.answer())
    await unmark(query)
    extra = "" if callback_data.extra == "-" else callback_data.extra.replace("~", ":")
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await run(chat_id, f"{ref} {extra}".strip(), uow, actor)


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="workspace")
    router.message.filter(is_coordinator)
    router.callback_query.filter(is_coordinator)
    router.message.register(policies_command, Command("policies"))
    router.callback_query.register(policy_button, PolicyAction.filter())
    router.callback_query.register(pick_button, PickAction.filter())
    return router
