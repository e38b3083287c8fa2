"""The steps the import preview and /fix share: who may use them, and choosing a task's units.

Both keep the choice in the FSM data (`picked`: unit names, `matches`: the last search's
(id, name) pairs); what is done with the final choice stays with each flow.
"""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import t
from bot.services.access import Actor
from bot.services.corrections import search_units
from bot.services.units import find_unit
from bot.services.uow import UnitOfWork
from bot.views import pickers
from handlers.util import answer, edit, say


def private_coordinator(event: Message | CallbackQuery, actor: Actor | None = None) -> bool:
    """A coordinator in a private chat (a button's message may be gone: then its chat is unknown)."""
    if actor is None or not actor.is_coordinator:
        return False
    message = event.message if isinstance(event, CallbackQuery) else event
    chat = getattr(message, "chat", None)
    return chat is None or chat.type == "private"


async def with_picked(
    uow: UnitOfWork, picked: list[str], matches: list[tuple[int, str]]
) -> list[tuple[int, str]]:
    """The chosen units stay on the buttons, so one can be unchosen, then the search's matches."""
    chosen = []
    for name in picked:
        unit = await find_unit(uow, name)
        if unit is not None and unit.name == name:
            chosen.append((unit.id or 0, name))
    return [*chosen, *[m for m in matches if m[1] not in picked]]


async def ask(uow: UnitOfWork, lang: str, chat_id: int, prefix: str, target: int, picked: list[str]) -> None:
    """The picker's first message, with the units the task holds now as buttons."""
    text, markup = pickers.units_ask(lang, prefix, target, picked, await with_picked(uow, picked, []))
    say(uow, chat_id, text, markup=markup)


async def toggle(
    query: CallbackQuery, uow: UnitOfWork, lang: str, state: FSMContext, prefix: str, target: int, name: str
) -> None:
    """A pressed unit is chosen, or unchosen if it was; the picker's message shows the new choice."""
    data = await state.get_data()
    picked = list(data.get("picked", []))
    picked.remove(name) if name in picked else picked.append(name)
    await state.update_data(picked=picked)
    await answer(query)
    matches = [(int(m[0]), str(m[1])) for m in data.get("matches", [])]
    text, markup = pickers.unit_choices(lang, prefix, target, picked, await with_picked(uow, picked, matches))
    await edit(query, text, markup)


async def search(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext, prefix: str) -> None:
    """Part of a unit's name typed: the matches come back as buttons (a command cancels the flow)."""
    data = await state.get_data()
    text = (message.text or "").strip()
    if text.startswith("/"):
        await state.clear()
        say(uow, message.chat.id, t(actor.language, "flow.cancelled"))
        return
    picked = list(data.get("picked", []))
    matches = await with_picked(uow, picked, await search_units(uow, text))
    await state.update_data(matches=[list(m) for m in matches])
    label, markup = pickers.unit_choices(actor.language, prefix, int(data["id"]), picked, matches)
    say(uow, message.chat.id, label, markup=markup)
