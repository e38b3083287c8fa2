"""/new: registering an ad-hoc item (立项) step by step. Coordinators only; the steps survive a restart
(the FSM storage is SQL); every button is checked against the step the flow is at and the database."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain.dates import parse_date
from bot.i18n import t
from bot.services import items
from bot.services.access import Actor
from bot.services.units import find_unit
from bot.services.uow import UnitOfWork
from bot.views import items as views
from bot.views.formatting import esc
from handlers.callbacks import NewAction
from handlers.filters import is_coordinator
from handlers.util import quietly, say
from models import Unit

KINDS = ("instruction", "meeting", "key_work", "other")
RHYTHM_CHOICES = (*items.RHYTHMS, "none")
# Names typed in one message: separated by 、，, ；; or spaces.
NAME_SPLIT = re.compile(r"[、，,；;\s]+")


class NewFlow(StatesGroup):
    kind = State()
    title = State()
    text = State()
    lead = State()
    co = State()
    due = State()
    rhythm = State()
    confirm = State()


not_a_command = F.text & ~F.text.startswith("/")


async def new_command(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    lang = actor.language
    await state.clear()
    await state.set_state(NewFlow.kind)
    text, markup = views.kind_ask(lang, KINDS)
    say(uow, message.chat.id, text, markup=markup)


async def _at(state: FSMContext, step: State) -> bool:
    return await state.get_state() == step.state


async def new_button(
    query: CallbackQuery, callback_data: NewAction, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lang = actor.language
    chat_id = query.message.chat.id if query.message else query.from_user.id
    action, value = callback_data.action, callback_data.value
    if action == "cancel" and await state.get_state() is not None:
        await state.clear()
        await quietly(query.answer(t(lang, "new.cancelled")))
        say(uow, chat_id, t(lang, "new.cancelled"))
        return
    if action == "kind" and await _at(state, NewFlow.kind) and value in KINDS:
        await state.update_data(kind=value)
        await state.set_state(NewFlow.title)
        await quietly(query.answer())
        say(uow, chat_id, views.title_ask(lang, value))
        return
    step = "lead" if await _at(state, NewFlow.lead) else "co" if await _at(state, NewFlow.co) else None
    if action == "unit" and step is not None and value.isdigit():
        unit = await items.unit_by_id(uow, int(value))
        if unit is None:
            await quietly(query.answer(t(lang, "button.forged"), show_alert=True))
            return
        await quietly(query.answer())
        await _add_units(chat_id, step, [unit], uow, actor, state)
        return
    if action in ("done", "skip") and step is not None:
        data = await state.get_data()
        if step == "lead" and not data.get("lead"):
            await quietly(query.answer(t(lang, "new.err.no_lead"), show_alert=True))
            return
        await quietly(query.answer())
        if step == "lead":
            await state.set_state(NewFlow.co)
            text, markup = views.co_ask(lang)
            say(uow, chat_id, text, markup=markup)
        else:
            await state.set_state(NewFlow.due)
            say(uow, chat_id, t(lang, "new.ask.due"), markup=views.cancel_keyboard(lang))
        return
    if action == "rhythm" and await _at(state, NewFlow.rhythm) and value in RHYTHM_CHOICES:
        await state.update_data(rhythm=None if value == "none" else value)
        await state.set_state(NewFlow.confirm)
        await quietly(query.answer())
        await _summary(chat_id, uow, actor, state)
        return
    if action == "ok" and await _at(state, NewFlow.confirm):
        await quietly(query.answer())
        await _create(chat_id, uow, actor, state)
        return
    # A button of a step the flow has left, or one never sent: nothing happens.
    await quietly(query.answer(t(lang, "button.stale"), show_alert=True))


async def new_title(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    lang = actor.language
    title = (message.text or "").strip()
    if not title or len(title) > items.MAX_TITLE:
        say(uow, message.chat.id, t(lang, "new.err.title", limit=items.MAX_TITLE))
        return
    await state.update_data(title=title)
    await state.set_state(NewFlow.text)
    say(uow, message.chat.id, t(lang, "new.ask.text"), markup=views.cancel_keyboard(lang))


async def new_text(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    lang = actor.language
    text = (message.text or "").strip()
    if not text or len(text) > items.MAX_TEXT:
        say(uow, message.chat.id, t(lang, "new.err.text", limit=items.MAX_TEXT))
        return
    await state.update_data(text=text)
    await state.set_state(NewFlow.lead)
    say(uow, message.chat.id, t(lang, "new.ask.lead"), markup=views.cancel_keyboard(lang))


async def new_units(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    lang = actor.language
    step = "lead" if await _at(state, NewFlow.lead) else "co"
    found: list[Unit] = []
    for name in (n for n in NAME_SPLIT.split(message.text or "") if n):
        unit = await find_unit(uow, name)
        if unit is not None:
            found.append(unit)
            continue
        matches = await items.search_units(uow, name)
        if matches:
            text, markup = views.unit_choices(lang, name, [(u.id or 0, u.name) for u in matches])
            say(uow, message.chat.id, text, markup=markup)
        else:
            say(uow, message.chat.id, t(lang, "new.err.unit", name=esc(name), suggestions="—"))
    if found:
        await _add_units(message.chat.id, step, found, uow, actor, state)


async def _add_units(
    chat_id: int, step: str, units: list[Unit], uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lang = actor.language
    data = await state.get_data()
    chosen: list[str] = list(data.get(step) or [])
    taken = set(data.get("lead") or []) | set(data.get("co") or [])
    for unit in units:
        if unit.name not in taken:
            chosen.append(unit.name)
            taken.add(unit.name)
    await state.update_data({step: chosen})
    text, markup = views.units_chosen(lang, step, chosen)
    say(uow, chat_id, text, markup=markup)


async def new_due(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    lang = actor.language
    today = uow.calendar.local_date(uow.now)
    due = parse_date(message.text or "", today)
    if due is None:
        say(uow, message.chat.id, t(lang, "date.bad"))
        return
    if due < today:
        say(uow, message.chat.id, t(lang, "date.past", date=due.isoformat(), today=today.isoformat()))
        return
    await state.update_data(due=due.isoformat())
    await state.set_state(NewFlow.rhythm)
    text, markup = views.rhythm_ask(lang, items.RHYTHMS)
    say(uow, message.chat.id, text, markup=markup)


def _item(data: dict) -> items.NewItem:
    from datetime import date

    return items.NewItem(
        kind=str(data.get("kind", "")),
        title=str(data.get("title", "")),
        text=str(data.get("text", "")),
        lead=list(data.get("lead") or []),
        co=list(data.get("co") or []),
        due_on=date.fromisoformat(data["due"]) if data.get("due") else None,
        rhythm=data.get("rhythm"),
    )


async def _summary(chat_id: int, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    item = _item(await state.get_data())
    text, markup = views.summary(
        actor.language,
        kind=item.kind,
        title=item.title,
        text=item.text,
        lead=item.lead,
        co=item.co,
        due_on=item.due_on,
        rhythm=item.rhythm,
    )
    say(uow, chat_id, text, markup=markup)


async def _create(chat_id: int, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    from handlers.coordinator import run_dispatch

    lang = actor.language
    item = _item(await state.get_data())
    try:
        created = await items.create_item(uow, item, actor=actor.tag)
    except items.ItemError as exc:
        say(uow, chat_id, t(lang, exc.key, **exc.values))
        return
    await state.clear()
    say(
        uow, chat_id, views.created(lang, created.policy.code, created.policy.title, len(created.assignments))
    )
    # Straight on to the dispatch preview of the new item, confirmed like any other.
    await run_dispatch(chat_id, created.policy.code, uow, actor)


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="items")
    router.message.filter(is_coordinator)
    router.callback_query.filter(is_coordinator)
    router.message.register(new_command, Command("new"))
    router.callback_query.register(new_button, NewAction.filter())
    router.message.register(new_title, NewFlow.title, not_a_command)
    router.message.register(new_text, NewFlow.text, not_a_command)
    router.message.register(new_units, NewFlow.lead, not_a_command)
    router.message.register(new_units, NewFlow.co, not_a_command)
    router.message.register(new_due, NewFlow.due, not_a_command)
    return router
