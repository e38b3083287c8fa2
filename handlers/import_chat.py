"""Import in chat: a document or pasted text becomes a preview; its buttons correct and confirm it.

Coordinators only, private chat only. Every button is re-validated against the database (the draft's
owner, state and expiry) in bot/services/import_drafts.py.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.app import App
from bot.domain import callbacks as cb
from bot.domain.dates import parse_date
from bot.i18n import t
from bot.importer import DocumentError, decompose, read_document
from bot.services import import_drafts as drafts
from bot.services.access import Actor
from bot.services.units import unit_by_id
from bot.services.uow import UnitOfWork
from bot.views import imports as iv
from bot.views import pickers
from bot.views.formatting import esc
from handlers import unit_picker
from handlers.callbacks import ImportAction
from handlers.filters import is_coordinator
from handlers.util import answer, edit, say, unmark

SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
# A pasted message this long, outside any command or flow, is a document to import.
PASTE_MIN_CHARS = 400


class ImportFlow(StatesGroup):
    text = State()  # /import, then the text
    units = State()  # typing part of a unit's name; matches come back as buttons
    value = State()  # a typed value: text, deadline, split point


# ---------------------------------------------------------------- receiving a document


async def _preview_new(
    uow: UnitOfWork, app: App, actor: Actor, chat_id: int, text: str, source_name: str
) -> None:
    lang = actor.language
    dec = decompose(text, app.directory)
    if not dec.measures:
        say(uow, chat_id, t(lang, "import.nothing"))
        return
    view = await drafts.create_draft(
        uow, dec, owner=actor.user_id, source_name=source_name, source_text=text, actor=actor.tag
    )
    _send_preview(uow, app, actor, chat_id, view, 0)


def _send_preview(
    uow: UnitOfWork, app: App, actor: Actor, chat_id: int, view: drafts.DraftView, page: int
) -> None:
    text, markup = iv.render_preview(
        actor.language,
        view.draft.id or 0,
        view.data,
        view.preview,
        page,
        view.draft.expires_at,
        uow.calendar.tz,
    )
    say(uow, chat_id, text, markup=markup, purpose="import_preview")


async def document_received(
    message: Message, uow: UnitOfWork, app: App, actor: Actor, bot: Bot, state: FSMContext
) -> None:
    lang = actor.language
    document = message.document
    assert document is not None
    name = document.file_name or "document"
    if not name.lower().endswith(SUFFIXES):
        say(uow, message.chat.id, t(lang, "import.bad_kind", name=esc(name)))
        return
    limit = uow.settings.import_max_bytes
    if document.file_size is not None and document.file_size > limit:
        say(uow, message.chat.id, iv.too_big(lang, limit))
        return
    await state.clear()
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(buffer.getvalue())
        try:
            text = read_document(path, max_bytes=limit, max_chars=uow.settings.import_max_chars)
        except DocumentError as exc:
            say(uow, message.chat.id, iv.import_failed(lang, exc.message_zh, exc.message_en))
            return
    await _preview_new(uow, app, actor, message.chat.id, text, name)


async def import_command(
    message: Message, command: CommandObject, uow: UnitOfWork, app: App, actor: Actor, state: FSMContext
) -> None:
    text = (command.args or "").strip()
    if not text:
        await state.set_state(ImportFlow.text)
        say(uow, message.chat.id, t(actor.language, "import.ask_text"))
        return
    await _preview_new(uow, app, actor, message.chat.id, text, "chat")


async def import_text(message: Message, uow: UnitOfWork, app: App, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    text = message.text or ""
    if text.startswith("/"):
        say(uow, message.chat.id, t(actor.language, "flow.cancelled"))
        return
    await _preview_new(uow, app, actor, message.chat.id, text, "chat")


async def pasted_text(message: Message, uow: UnitOfWork, app: App, actor: Actor) -> None:
    await _preview_new(uow, app, actor, message.chat.id, message.text or "", "chat")


# ---------------------------------------------------------------- preview buttons


async def _load(
    query: CallbackQuery, uow: UnitOfWork, app: App, actor: Actor, draft_id: int
) -> drafts.DraftView | None:
    try:
        return await drafts.load_draft(uow, draft_id, owner=actor.user_id)
    except drafts.DraftError as exc:
        await answer(query, t(actor.language, exc.key, **exc.values), alert=True)
        if exc.key == "import.expired":
            say(uow, query.from_user.id, t(actor.language, "import.expired"))
        return None


async def import_button(
    query: CallbackQuery,
    callback_data: ImportAction,
    uow: UnitOfWork,
    app: App,
    actor: Actor,
    state: FSMContext,
) -> None:
    lang = actor.language
    view = await _load(query, uow, app, actor, callback_data.id)
    if view is None:
        return
    action, arg = callback_data.action, callback_data.arg
    chat_id = query.from_user.id
    try:
        if action == "pg":
            await answer(query)
            text, markup = iv.render_preview(
                lang,
                view.draft.id or 0,
                view.data,
                view.preview,
                int(arg) if arg.isdigit() else 0,
                view.draft.expires_at,
                uow.calendar.tz,
            )
            await edit(query, text, markup)
        elif action == "ok":
            outcome, code = await drafts.confirm(uow, view, actor=actor.tag)
            await answer(query)
            await state.clear()
            await unmark(query)
            say(uow, chat_id, iv.import_done(lang, outcome, code))
        elif action == "no":
            await drafts.cancel(uow, view, actor=actor.tag)
            await state.clear()
            await answer(query, t(lang, "import.cancelled"))
            await unmark(query)
        elif action == "t":
            _, task = drafts.find_task(view.data, arg)
            await answer(query)
            text, markup = iv.correction_menu(
                lang,
                cb.IMPORT,
                view.draft.id or 0,
                arg,
                iv.task_lines(
                    lang,
                    task,
                    iv.draft_task_label(view.preview.code, arg),
                    set(drafts.review_units(view.data)),
                ),
            )
            say(uow, chat_id, text, markup=markup)
        elif action == "u":
            names = drafts.review_units(view.data)
            index = int(arg) if arg.isdigit() else -1
            if not 0 <= index < len(names):
                raise drafts.DraftError("button.stale")
            await answer(query)
            text, markup = pickers.review_ask(lang, cb.IMPORT, view.draft.id or 0, index, names[index])
            say(uow, chat_id, text, markup=markup)
        elif action in ("ua", "um"):
            names = drafts.review_units(view.data)
            index = int(arg) if arg.isdigit() else -1
            if not 0 <= index < len(names):
                raise drafts.DraftError("button.stale")
            if action == "ua":
                drafts.accept_unit(view.data, names[index])
                drafts.save(
                    uow,
                    view,
                    actor=actor.tag,
                    kind="unit_accepted",
                    before=names[index],
                    after=names[index],
                    where="units",
                )
                await answer(query, t(lang, "fix.done"))
                _send_preview(uow, app, actor, chat_id, view, 0)
            else:
                await state.set_state(ImportFlow.units)
                await state.set_data(
                    {"p": cb.IMPORT, "id": view.draft.id, "field": "map", "unit": names[index], "picked": []}
                )
                await answer(query)
                say(uow, chat_id, pickers.map_ask(lang, names[index]))
        elif action in ("lead", "co"):
            _, task = drafts.find_task(view.data, arg)
            picked = (
                list(task["lead"]) if action == "lead" else list(dict.fromkeys([*task["co"], *task["local"]]))
            )
            await state.set_state(ImportFlow.units)
            await state.set_data(
                {"p": cb.IMPORT, "id": view.draft.id, "key": arg, "field": action, "picked": picked}
            )
            await answer(query)
            await unit_picker.ask(uow, lang, chat_id, cb.IMPORT, view.draft.id or 0, picked)
        elif action in ("pk", "dn"):
            await _units_button(query, uow, app, actor, state, view, action, arg)
        elif action in ("text", "due"):
            # A deadline's scope is a task ("2.1"), a measure ("2") or the whole document ("all").
            drafts.task_keys(view.data, arg) if action == "due" else drafts.find_task(view.data, arg)
            await state.set_state(ImportFlow.value)
            await state.set_data({"p": cb.IMPORT, "id": view.draft.id, "key": arg, "field": action})
            await answer(query)
            say(uow, chat_id, iv.value_ask(lang, action, iv.draft_scope(lang, arg)))
        elif action == "rhythm":
            drafts.find_task(view.data, arg)
            await answer(query)
            text, markup = iv.rhythm_ask(lang, cb.IMPORT, view.draft.id or 0, arg, arg)
            say(uow, chat_id, text, markup=markup)
        elif action == "rv":
            key, _, value = arg.partition("~")
            rhythm = None if value == "-" else drafts.RHYTHMS[int(value)]
            before = drafts.set_rhythm(view.data, key, rhythm)
            drafts.save(uow, view, actor=actor.tag, kind="rhythm", before=before, after=rhythm, where=key)
            await answer(query, t(lang, "fix.done"))
            _send_preview(uow, app, actor, chat_id, view, 0)
        elif action == "split":
            _, task = drafts.find_task(view.data, arg)
            await state.set_state(ImportFlow.value)
            await state.set_data({"p": cb.IMPORT, "id": view.draft.id, "key": arg, "field": "split"})
            await answer(query)
            text, markup = iv.split_menu(lang, cb.IMPORT, view.draft.id or 0, arg, task["text"])
            say(uow, chat_id, text, markup=markup)
        elif action == "sa":
            key, _, after = arg.partition("~")
            new_key = drafts.split(view.data, key, after=int(after))
            drafts.save(uow, view, actor=actor.tag, kind="split", before=key, after=[key, new_key], where=key)
            await state.clear()
            await answer(query, t(lang, "fix.done"))
            _send_preview(uow, app, actor, chat_id, view, 0)
        elif action == "merge":
            measure, task = drafts.find_task(view.data, arg)
            others = iv.merge_choices(view.preview.code, arg, measure, task)
            await answer(query)
            text, markup = iv.merge_menu(lang, cb.IMPORT, view.draft.id or 0, arg, others)
            say(uow, chat_id, text, markup=markup)
        elif action == "ma":
            key, _, seq = arg.partition("~")
            other = f"{key.partition('.')[0]}.{seq}"
            drafts.merge(view.data, key, other)
            drafts.save(uow, view, actor=actor.tag, kind="merge", before=[key, other], after=key, where=key)
            await answer(query, t(lang, "fix.done"))
            _send_preview(uow, app, actor, chat_id, view, 0)
        elif action == "drop":
            text = drafts.drop(view.data, arg)
            drafts.save(uow, view, actor=actor.tag, kind="drop", before=text, after=None, where=arg)
            await answer(query, t(lang, "fix.done"))
            _send_preview(uow, app, actor, chat_id, view, 0)
        else:
            raise drafts.DraftError("button.forged")
    except drafts.DraftError as exc:
        await answer(query, t(lang, exc.key, **exc.values), alert=True)
    except (ValueError, IndexError):
        await answer(query, t(lang, "button.forged"), alert=True)


async def _units_button(
    query: CallbackQuery,
    uow: UnitOfWork,
    app: App,
    actor: Actor,
    state: FSMContext,
    view: drafts.DraftView,
    action: str,
    arg: str,
) -> None:
    lang = actor.language
    data = await state.get_data()
    if await state.get_state() != ImportFlow.units.state or data.get("id") != view.draft.id:
        raise drafts.DraftError("button.stale")
    if action == "pk":
        unit = await unit_by_id(uow, int(arg))
        if unit is None:
            raise drafts.DraftError("button.forged")
        if data["field"] == "map":
            drafts.map_unit(view.data, data["unit"], unit.name)
            drafts.save(
                uow,
                view,
                actor=actor.tag,
                kind="unit_mapped",
                before=data["unit"],
                after=unit.name,
                where="units",
            )
            await state.clear()
            await answer(query, t(lang, "fix.done"))
            _send_preview(uow, app, actor, query.from_user.id, view, 0)
            return
        await unit_picker.toggle(query, uow, lang, state, cb.IMPORT, view.draft.id or 0, unit.name)
        return
    if data["field"] not in ("lead", "co"):
        raise drafts.DraftError("button.stale")
    before, after = drafts.set_units(view.data, data["key"], data["field"], list(data["picked"]))
    drafts.save(uow, view, actor=actor.tag, kind=data["field"], before=before, after=after, where=data["key"])
    await state.clear()
    await answer(query, t(lang, "fix.done"))
    _send_preview(uow, app, actor, query.from_user.id, view, 0)


async def units_typed(message: Message, uow: UnitOfWork, app: App, actor: Actor, state: FSMContext) -> None:
    if (await state.get_data()).get("p") == cb.IMPORT:
        await unit_picker.search(message, uow, actor, state, cb.IMPORT)


async def value_typed(message: Message, uow: UnitOfWork, app: App, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    if data.get("p") != cb.IMPORT:
        return
    lang = actor.language
    text = (message.text or "").strip()
    await state.clear()
    if text.startswith("/"):
        say(uow, message.chat.id, t(lang, "flow.cancelled"))
        return
    try:
        view = await drafts.load_draft(uow, int(data["id"]), owner=actor.user_id)
        key, field_name = str(data["key"]), data["field"]
        if field_name == "text":
            before = drafts.set_text(view.data, key, text)
            drafts.save(uow, view, actor=actor.tag, kind="text", before=before, after=text, where=key)
        elif field_name == "due":
            due = checked_due(text, uow)
            keys = drafts.task_keys(view.data, key)
            before_list = drafts.set_due(view.data, keys, due)
            drafts.save(
                uow,
                view,
                actor=actor.tag,
                kind="due",
                before=before_list,
                after=due.isoformat() if due else None,
                where=key,
            )
        elif field_name == "split":
            new_key = drafts.split(view.data, key, first=text)
            drafts.save(uow, view, actor=actor.tag, kind="split", before=key, after=[key, new_key], where=key)
        else:
            return
    except drafts.DraftError as exc:
        say(uow, message.chat.id, t(lang, exc.key, **exc.values))
        return
    _send_preview(uow, app, actor, message.chat.id, view, 0)


def checked_due(text: str, uow: UnitOfWork) -> Any:
    """A typed deadline: a real calendar date, not before today ("无" clears it)."""
    if text in ("无", "-", "none"):
        return None
    today = uow.calendar.local_date(uow.now)
    due = parse_date(text, today)
    if due is None:
        raise drafts.DraftError("date.bad")
    if due < today:
        raise drafts.DraftError("date.past", today=today.isoformat())
    return due


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="import-chat")
    router.message.filter(is_coordinator, unit_picker.private_coordinator)
    router.callback_query.filter(is_coordinator, unit_picker.private_coordinator)
    router.message.register(document_received, StateFilter(None), F.document)
    router.message.register(import_command, Command("import"))
    router.message.register(import_text, ImportFlow.text, F.text)
    router.message.register(
        pasted_text,
        StateFilter(None),
        F.text.func(lambda s: len(s) >= PASTE_MIN_CHARS and not s.startswith("/")),
    )
    router.callback_query.register(import_button, ImportAction.filter())
    router.message.register(units_typed, ImportFlow.units, F.text)
    router.message.register(value_typed, ImportFlow.value, F.text)
    return router
