"""Corrections of live tasks in chat: /fix opens a task's correction menu, /due sets deadlines.

Coordinators only, private chat only; a pressed button names a task id that is re-checked (exists,
active) before anything changes. The work is done by bot/services/corrections.py.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.app import App
from bot.domain import callbacks as cb
from bot.domain.dates import parse_date
from bot.i18n import t
from bot.services import corrections as fix
from bot.services.access import Actor
from bot.services.import_drafts import RHYTHMS, sentences
from bot.services.units import find_unit, unit_by_id
from bot.services.uow import UnitOfWork
from bot.views import imports as iv
from bot.views import pickers
from bot.views.formatting import esc
from handlers import unit_picker
from handlers.callbacks import FixAction, ImportAction
from handlers.filters import is_coordinator
from handlers.util import answer, say, unmark
from models import Task


class FixFlow(StatesGroup):
    units = State()
    value = State()


def _selected(actor: Actor) -> int | None:
    """The policy this coordinator selected (/policies), which scopes a reference without a code."""
    return next((c.selected_policy_id for c in actor.contacts if c.role == "coordinator"), None)


def _result(lang: str, result: fix.Correction) -> str:
    return iv.correction_result(lang, result.label, result.messages, result.lost, result.gained)


async def _menu(uow: UnitOfWork, app: App, actor: Actor, chat_id: int, task: Task) -> None:
    lang = actor.language
    rows = await fix.task_units(uow, task.id or 0)
    data = {
        "text": task.text,
        "lead": [n for r, _, n in rows if r == "lead"],
        "co": [n for r, _, n in rows if r != "lead"],
        "local": [],
        "due": task.due_on.isoformat() if task.due_on else None,
        "rhythm": task.rhythm,
    }
    text, markup = iv.fix_menu(lang, task.id or 0, data, await fix.label_of(uow, task))
    say(uow, chat_id, text, markup=markup)


async def fix_command(
    message: Message, command: CommandObject, uow: UnitOfWork, app: App, actor: Actor, state: FSMContext
) -> None:
    lang = actor.language
    ref = (command.args or "").strip()
    if not ref:
        review = await fix.review_units(uow)
        say(uow, message.chat.id, iv.fix_usage(lang, [u.name for u in review]))
        return
    tasks = await fix.find_task(uow, ref, _selected(actor))
    if len(tasks) == 1:
        await state.clear()
        await _menu(uow, app, actor, message.chat.id, tasks[0])
        return
    if len(tasks) > 1:
        # Never guessed: one button per policy that has such a task.
        text, markup = iv.which_task(lang, ref, [(x.id or 0, await fix.label_of(uow, x)) for x in tasks[:8]])
        say(uow, message.chat.id, text, markup=markup)
        return
    unit = await find_unit(uow, ref)
    if unit is not None and unit.needs_review:
        text, markup = pickers.review_ask(lang, cb.FIX, unit.id or 0, 0, unit.name)
        say(uow, message.chat.id, text, markup=markup)
        return
    say(uow, message.chat.id, t(lang, "fix.no_task", ref=esc(ref)))


async def due_command(
    message: Message, command: CommandObject, uow: UnitOfWork, app: App, actor: Actor
) -> None:
    lang = actor.language
    parts = (command.args or "").split()
    if len(parts) != 2:
        say(uow, message.chat.id, t(lang, "due.usage"))
        return
    today = uow.calendar.local_date(uow.now)
    due = parse_date(parts[1], today)
    if due is None:
        say(uow, message.chat.id, t(lang, "date.bad"))
        return
    try:
        tasks = await fix.scope_tasks(uow, parts[0], _selected(actor))
        result = await fix.set_due(uow, tasks, due, today=today, actor=actor.tag)
    except fix.CorrectionError as exc:
        say(uow, message.chat.id, t(lang, exc.key, **{k: esc(str(v)) for k, v in exc.values.items()}))
        return
    say(
        uow,
        message.chat.id,
        t(lang, "due.done", count=len(tasks), due=due.isoformat(), messages=result.messages),
    )


async def fix_button(
    query: CallbackQuery, callback_data: FixAction, uow: UnitOfWork, app: App, actor: Actor, state: FSMContext
) -> None:
    lang = actor.language
    action, arg, chat_id = callback_data.action, callback_data.arg, query.from_user.id
    try:
        if action in ("ua", "um"):
            unit = await unit_by_id(uow, callback_data.id)
            if unit is None or not unit.needs_review:
                raise fix.CorrectionError("button.stale")
            if action == "ua":
                await fix.accept_unit(uow, unit, actor=actor.tag)
                await answer(query, t(lang, "fix.done"))
                return
            await state.set_state(FixFlow.units)
            await state.set_data({"id": unit.id, "field": "map", "picked": []})
            await answer(query)
            say(uow, chat_id, pickers.map_ask(lang, unit.name))
            return
        if action in ("pk", "dn"):
            await _units_button(query, uow, app, actor, state, action, arg, callback_data.id)
            return
        task = await fix.live_task(uow, callback_data.id)
        tid = task.id or 0
        label = await fix.label_of(uow, task)
        if action == "menu":
            await answer(query)
            await _menu(uow, app, actor, chat_id, task)
        elif action in ("lead", "co"):
            picked = [n for r, _, n in await fix.task_units(uow, tid) if (r == "lead") == (action == "lead")]
            await state.set_state(FixFlow.units)
            await state.set_data({"id": tid, "field": action, "picked": picked})
            await answer(query)
            await unit_picker.ask(uow, lang, chat_id, cb.FIX, tid, picked)
        elif action in ("text", "due", "split"):
            await state.set_state(FixFlow.value)
            await state.set_data({"id": tid, "field": action})
            await answer(query)
            if action == "split":
                text, markup = iv.split_menu(lang, cb.FIX, tid, "", task.text)
                say(uow, chat_id, text, markup=markup)
            else:
                say(uow, chat_id, iv.value_ask(lang, action, label))
        elif action == "rhythm":
            await answer(query)
            text, markup = iv.rhythm_ask(lang, cb.FIX, tid, "", label)
            say(uow, chat_id, text, markup=markup)
        elif action == "rv":
            rhythm = None if arg == "-" else RHYTHMS[int(arg)]
            result = await fix.set_rhythm(uow, task, rhythm, actor=actor.tag)
            await answer(query, t(lang, "fix.done"))
            say(uow, chat_id, _result(lang, result))
        elif action == "sa":
            if not 1 <= int(arg) < len(sentences(task.text)):
                raise fix.CorrectionError("fix.split_bad")
            await state.clear()
            result = await fix.split(uow, task, after=int(arg), actor=actor.tag)
            await answer(query, t(lang, "fix.done"))
            say(uow, chat_id, _result(lang, result))
        elif action == "merge":
            others = await fix.merge_candidates(uow, task)
            choices = [(str(o.id), await fix.label_of(uow, o)) for o in others]
            await answer(query)
            text, markup = iv.merge_menu(lang, cb.FIX, tid, "", choices)
            say(uow, chat_id, text, markup=markup)
        elif action == "ma":
            other = await fix.live_task(uow, int(arg))
            result = await fix.merge(uow, task, other, actor=actor.tag)
            await answer(query, t(lang, "fix.done"))
            say(uow, chat_id, _result(lang, result))
        elif action == "drop":
            await answer(query)
            text, markup = iv.drop_ask(lang, tid, label)
            say(uow, chat_id, text, markup=markup)
        elif action == "dy":
            result = await fix.drop(uow, task, actor=actor.tag)
            await answer(query, t(lang, "fix.done"))
            await unmark(query)
            say(uow, chat_id, _result(lang, result))
        else:
            raise fix.CorrectionError("button.forged")
    except fix.CorrectionError as exc:
        await answer(query, t(lang, exc.key, **exc.values), alert=True)
    except (ValueError, IndexError):
        await answer(query, t(lang, "button.forged"), alert=True)


async def _units_button(
    query: CallbackQuery,
    uow: UnitOfWork,
    app: App,
    actor: Actor,
    state: FSMContext,
    action: str,
    arg: str,
    target: int,
) -> None:
    lang = actor.language
    data = await state.get_data()
    if await state.get_state() != FixFlow.units.state or data.get("id") != target:
        raise fix.CorrectionError("button.stale")
    if action == "pk":
        unit = await unit_by_id(uow, int(arg))
        if unit is None:
            raise fix.CorrectionError("button.forged")
        if data["field"] == "map":
            review = await unit_by_id(uow, target)
            if review is None or not review.needs_review:
                raise fix.CorrectionError("button.stale")
            result = await fix.map_unit(uow, review, unit, actor=actor.tag)
            await state.clear()
            await answer(query, t(lang, "fix.done"))
            say(uow, query.from_user.id, _result(lang, result))
            return
        await unit_picker.toggle(query, uow, lang, state, cb.FIX, target, unit.name)
        return
    if data["field"] not in ("lead", "co"):
        raise fix.CorrectionError("button.stale")
    task = await fix.live_task(uow, target)
    ids = []
    for name in data["picked"]:
        unit = await find_unit(uow, name)
        if unit is not None:
            ids.append(unit.id or 0)
    result = await fix.set_units(uow, task, data["field"], ids, actor=actor.tag)
    await state.clear()
    await answer(query, t(lang, "fix.done"))
    say(uow, query.from_user.id, _result(lang, result))


async def units_typed(message: Message, uow: UnitOfWork, app: App, actor: Actor, state: FSMContext) -> None:
    await unit_picker.search(message, uow, actor, state, cb.FIX)


async def value_typed(message: Message, uow: UnitOfWork, app: App, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    lang = actor.language
    text = (message.text or "").strip()
    await state.clear()
    if text.startswith("/"):
        say(uow, message.chat.id, t(lang, "flow.cancelled"))
        return
    try:
        task = await fix.live_task(uow, int(data["id"]))
        if data["field"] == "text":
            result = await fix.set_text(uow, task, text, actor=actor.tag)
        elif data["field"] == "due":
            today = uow.calendar.local_date(uow.now)
            due = parse_date(text, today)
            if due is None:
                raise fix.CorrectionError("date.bad")
            result = await fix.set_due(uow, [task], due, today=today, actor=actor.tag)
        else:
            result = await fix.split(uow, task, first=text, actor=actor.tag)
    except fix.CorrectionError as exc:
        say(uow, message.chat.id, t(lang, exc.key, **exc.values))
        return
    say(uow, message.chat.id, _result(lang, result))


# Known users who are not coordinators (or a coordinator in a group) get a clear refusal.


async def denied_command(message: Message, uow: UnitOfWork, app: App, actor: Actor) -> None:
    key = "private_only.button" if actor.is_coordinator else "denied"
    say(uow, message.chat.id, t(actor.language, key))


async def denied_button(query: CallbackQuery, actor: Actor) -> None:
    await answer(query, t(actor.language, "denied"), alert=True)


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="corrections")
    router.message.filter(is_coordinator, unit_picker.private_coordinator)
    router.callback_query.filter(is_coordinator, unit_picker.private_coordinator)
    router.message.register(fix_command, Command("fix"))
    router.message.register(due_command, Command("due"))
    router.callback_query.register(fix_button, FixAction.filter())
    router.message.register(units_typed, FixFlow.units, F.text)
    router.message.register(value_typed, FixFlow.value, F.text)
    return router


def make_denied_router() -> Router:
    """A fresh `denied_router` with its handlers: a router belongs to one Dispatcher only."""
    denied_router = Router(name="corrections-denied")
    denied_router.message.register(denied_command, Command("fix", "due", "import"))
    denied_router.callback_query.register(denied_button, FixAction.filter())
    denied_router.callback_query.register(denied_button, ImportAction.filter())
    return denied_router
