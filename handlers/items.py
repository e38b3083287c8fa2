"""/new: registering an ad-hoc item (立项) step by step. Coordinators only; the steps survive a restart
(the FSM storage is SQL); every button is checked against the step the flow is at and the database."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain import callbacks as cb
from bot.domain.dates import parse_date
from bot.i18n import t
from bot.services import items
from bot.services.access import Actor
from bot.services.units import find_unit
from bot.services.uow import UnitOfWork
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


def _button(lang: str, key: str, action: str, value: str = "-", **values: object) -> dict[str, str]:
    return cb.button(t(lang, key, **values), cb.pack(cb.NEW, action, value))


def _cancel_row(lang: str) -> list[dict[str, str]]:
    return [_button(lang, "new.btn.cancel", "cancel")]


not_a_command = F.text & ~F.text.startswith("/")


async def new_command(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    lang = actor.language
    await state.clear()
    await state.set_state(NewFlow.kind)
    rows = [
        [_button(lang, f"policy.kind.{k}", "kind", k) for k in KINDS[:2]],
        [_button(lang, f"policy.kind.{k}", "kind", k) for k in KINDS[2:]],
        _cancel_row(lang),
    ]
    say(uow, message.chat.id, t(lang, "new.ask.kind"), markup=cb.keyboard(rows))


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
        say(uow, chat_id, t(lang, "new.ask.title", kind=t(lang, f"policy.kind.{value}")))
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
            say(
                uow,
                chat_id,
                t(lang, "new.ask.co"),
                markup=cb.keyboard([[_button(lang, "new.btn.skip", "skip")], _cancel_row(lang)]),
            )
        else:
            await state.set_state(NewFlow.due)
            say(uow, chat_id, t(lang, "new.ask.due"), markup=cb.keyboard([_cancel_row(lang)]))
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
    say(uow, message.chat.id, t(lang, "new.ask.text"), markup=cb.keyboard([_cancel_row(lang)]))


async def new_text(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    lang = actor.language
    text = (message.text or "").strip()
    if not text or len(text) > items.MAX_TEXT:
        say(uow, message.chat.id, t(lang, "new.err.text", limit=items.MAX_TEXT))
        return
    await state.update_data(text=text)
    await state.set_state(NewFlow.lead)
    say(uow, message.chat.id, t(lang, "new.ask.lead"), markup=cb.keyboard([_cancel_row(lang)]))


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
            rows = [[cb.button(u.name, cb.pack(cb.NEW, "unit", u.id))] for u in matches]
            say(uow, message.chat.id, t(lang, "new.units.choose", name=esc(name)), markup=cb.keyboard(rows))
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
    done = _button(lang, "new.btn.done", "done")
    say(
        uow,
        chat_id,
        t(lang, f"new.units.{step}", units=esc("、".join(chosen)) or "—"),
        markup=cb.keyboard([[done], _cancel_row(lang)]),
    )


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
    rows = [
        [_button(lang, f"rhythm.{r}", "rhythm", r) for r in items.RHYTHMS],
        [_button(lang, "new.btn.no_rhythm", "rhythm", "none")],
        _cancel_row(lang),
    ]
    say(uow, message.chat.id, t(lang, "new.ask.rhythm"), markup=cb.keyboard(rows))


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
    lang = actor.language
    item = _item(await state.get_data())
    say(
        uow,
        chat_id,
        t(
            lang,
            "new.summary",
            kind=t(lang, f"policy.kind.{item.kind}"),
            title=esc(item.title),
            text=esc(item.text),
            lead=esc("、".join(item.lead)),
            co=esc("、".join(item.co)) or "—",
            due=item.due_on.isoformat() if item.due_on else "—",
            rhythm=t(lang, f"rhythm.{item.rhythm}") if item.rhythm else t(lang, "new.btn.no_rhythm"),
        ),
        markup=cb.keyboard([[_button(lang, "btn.confirm", "ok"), _button(lang, "new.btn.cancel", "cancel")]]),
    )


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
        uow,
        chat_id,
        t(
            lang,
            "new.created",
            code=created.policy.code,
            title=esc(created.policy.title),
            assignments=len(created.assignments),
        ),
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
