"""Many policies side by side: /policies, the selected policy, and asking which policy a number meant.

Every handler here is behind the coordinator filter; every button is re-read against the database.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.domain import callbacks as cb
from bot.domain.refs import Ref, RefError, parse_ref
from bot.domain.text import clip
from bot.i18n import t
from bot.services import board as board_service
from bot.services import scope
from bot.services.access import Actor
from bot.services.uow import UnitOfWork
from bot.views import board as views
from bot.views.formatting import esc
from handlers.callbacks import PickAction, PolicyAction
from handlers.filters import is_coordinator
from handlers.util import quietly, say
from models import Policy

WORKSPACE_COMMANDS = ("policies", "new")


def selected_id(actor: Actor) -> int | None:
    contact = scope.coordinator_contact(actor.contacts)
    return contact.selected_policy_id if contact else None


def policy_label(policy: Policy) -> str:
    return f"{policy.code} {clip(policy.short_title or policy.title, 24)}"


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
        rows = []
        for policy in resolved.candidates:
            try:
                data = cb.pack(
                    cb.PICK, command, str(ref.with_code(policy.code)), extra.replace(":", "~") or "-"
                )
            except ValueError:  # over 64 bytes: the coordinator types the code instead
                continue
            rows.append([cb.button(policy_label(policy), data)])
        codes = "、".join(str(ref.with_code(p.code)) for p in resolved.candidates)
        say(
            uow,
            chat_id,
            t(lang, "ref.which", ref=esc(str(ref)), count=len(resolved.candidates), examples=esc(codes)),
            markup=cb.keyboard(rows) if rows else None,
        )
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
    lights = await board_service.rollup(uow, "policy")
    chosen = selected_id(actor)
    rows_text = []
    buttons: list[dict[str, str]] = []
    for line in lines:
        p = line.policy
        light = board_service.rolled(lights.get(p.id or 0, {}))
        rows_text.append(
            t(
                lang,
                "policies.row",
                light=t(lang, f"light.{light}"),
                code=p.code,
                title=esc(clip(p.short_title or p.title, 60)),
                doc=f"（{esc(p.doc_number)}）" if p.doc_number else "",
                kind=t(lang, f"policy.kind.{p.kind}"),
                tasks=line.tasks,
                assignments=line.assignments,
                done=line.done,
                draft=line.draft,
                selected=t(lang, "policies.selected_mark") if p.id == chosen else "",
            )
        )
        mark = "✓ " if p.id == chosen else ""
        buttons.append(cb.button(mark + p.code, cb.pack(cb.POLICY, "sel", p.id)))
    keyboard = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    if chosen is not None:
        keyboard.append([cb.button(t(lang, "policies.clear"), cb.pack(cb.POLICY, "clr", 0))])
    header = t(lang, "policies.header", count=len(lines))
    text, _, pages = views.paginate(header, rows_text, 0)
    for page in range(1, pages):
        say(uow, message.chat.id, text)
        text = views.paginate("", rows_text, page)[0].strip()
    say(uow, message.chat.id, text + "\n\n" + t(lang, "policies.hint"), markup=cb.keyboard(keyboard))


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
    text = (
        t(lang, "policies.chosen", code=policy.code, title=esc(clip(policy.short_title or policy.title)))
        if policy
        else t(lang, "policies.cleared")
    )
    await quietly(query.answer())
    if query.message is not None:
        await quietly(query.message.edit_reply_markup(reply_markup=None))  # type: ignore[union-attr]  # our own message; one over 48 h old cannot be edited
    say(uow, query.message.chat.id if query.message else query.from_user.id, text)


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
    if query.message is not None:
        await quietly(query.message.edit_reply_markup(reply_markup=None))  # type: ignore[union-attr]  # our own message; one over 48 h old cannot be edited
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
