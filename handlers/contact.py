"""What department contacts do: acknowledge, report by replying, guided report, extension, details."""

from __future__ import annotations

import re
from datetime import date

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain import refs
from bot.domain.dates import find_date
from bot.domain.statuses import Status
from bot.i18n import t
from bot.services import acknowledge, coordination, copies, evidence, extensions
from bot.services import board as board_service
from bot.services import plain_reports as plain
from bot.services import reports as reports_service
from bot.services.access import Actor
from bot.services.uow import UnitOfWork
from bot.views import board as views
from bot.views import formatting
from bot.views import tasks as tasks_view
from handlers.callbacks import AssignmentAction, EvidenceAction, FlowAction, PlaceAction, ReviewAction
from handlers.filters import is_member, is_reply
from handlers.util import edit, quietly, refusal, rekey, say, unmark


class ReportFlow(StatesGroup):
    status = State()
    percent = State()
    text = State()


class ExtensionFlow(StatesGroup):
    text = State()


def parse_date_and_reason(text: str, today: date | None = None) -> tuple[date | None, str]:
    return find_date(text, today)


def attachment_of(message: Message) -> tuple[str | None, str | None, str | None]:
    """(kind, file_id, file name) of the evidence a message carries, if any."""
    if message.document is not None:
        return "document", message.document.file_id, message.document.file_name or "document"
    if message.photo:
        return "photo", message.photo[-1].file_id, "photo.jpg"
    # Evidence comes as video and voice too; keep a reference to whatever was sent.
    for attr in ("video", "voice", "audio", "video_note", "animation"):
        media = getattr(message, attr, None)
        if media is not None:
            return attr, media.file_id, getattr(media, "file_name", None) or attr
    return None, None, None


def evidence_of(message: Message) -> list[dict[str, object]]:
    """Every file the message carries, with what Telegram says of it."""
    kind, _, name = attachment_of(message)
    if kind is None:
        return []
    media = message.photo[-1] if kind == "photo" and message.photo else getattr(message, kind)
    return [
        {
            "kind": kind,
            "file_id": media.file_id,
            "file_unique_id": media.file_unique_id,
            "name": getattr(media, "file_name", None) or name,
            "size": media.file_size,
        }
    ]


def _incoming(message: Message, actor: Actor) -> reports_service.IncomingReport:
    kind, file_id, name = attachment_of(message)
    return reports_service.IncomingReport(
        chat_id=message.chat.id,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        author=actor.name,
        attachment_kind=kind,
        attachment_file_id=file_id,
        attachment_name=name,
        attachments=evidence_of(message),
    )


async def my_tasks(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    units = actor.contact_unit_ids | actor.leader_unit_ids
    lang = actor.language
    if not units:
        say(uow, message.chat.id, t(lang, "mytasks.none"))
        return
    rows = await board_service.assignment_lines(uow, unit_ids=units)
    rows = [r for r in rows if r.status != Status.DRAFT]
    if not rows:
        say(uow, message.chat.id, t(lang, "mytasks.none"))
        return
    for text in views.pages_of(t(lang, "mytasks.header", count=len(rows)), views.unit_lines(lang, rows)):
        say(uow, message.chat.id, text)


async def task_command(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor) -> None:
    await run_task(message.chat.id, command.args or "", uow, actor)


async def run_task(chat_id: int, args: str, uow: UnitOfWork, actor: Actor) -> None:
    """`/task #71` is one assignment; `/task P1-2.1` (or `2.1`) is a task with its units' assignments."""
    from handlers.coordinator import listing
    from handlers.workspace import read_ref, resolve_or_ask

    lang = actor.language
    ref = read_ref(args)
    if ref is None:
        say(uow, chat_id, t(lang, "task.usage"))
        return
    if ref.kind == "assignment":
        await _send_detail(chat_id, ref.assignment or 0, uow, actor)
        return
    if ref.kind != "task":
        say(uow, chat_id, t(lang, "ref.assignment_hint", ref=formatting.esc(args.strip())))
        return
    if actor.is_coordinator:
        resolved = await resolve_or_ask(uow, actor, chat_id, "task", ref)
        if resolved is not None:
            text, markup = await listing("task", str(resolved.ref), 0, uow, actor)
            say(uow, chat_id, text, markup=markup)
        return
    # A unit's members see their own share of that task number, each line with its policy's code.
    units = actor.contact_unit_ids | actor.leader_unit_ids
    rows = [
        r
        for r in await board_service.assignment_lines(uow, unit_ids=units, measure_number=ref.measure)
        if r.seq == ref.seq and r.status != Status.DRAFT and (ref.code is None or r.policy_code == ref.code)
    ]
    if not rows:
        say(uow, chat_id, t(lang, "ref.not_found", ref=formatting.esc(str(ref))))
        return
    say(uow, chat_id, views.task_share(lang, str(ref), rows))


async def _send_detail(chat_id: int, aid: int, uow: UnitOfWork, actor: Actor) -> None:
    try:
        view = await coordination.assignment_for_actor(uow, actor, aid, act=False)
    except coordination.CoordinationError as exc:
        say(uow, chat_id, refusal(actor, exc))
        return
    light = await board_service.light_of(uow, aid)
    reports = await reports_service.report_history(uow, aid)
    files = await evidence.of_reports(uow, [r.id for r in reports if r.id is not None])
    # A coordinator corrects the task from here (handlers/corrections.py re-checks the press).
    fix_id = view.task.id if actor.is_coordinator and not actor.in_group else None
    say(
        uow,
        chat_id,
        views.task_detail(actor.language, view, light, reports, uow.calendar.tz, files),
        markup=views.detail_keyboard(actor.language, reports, files, fix_id),
    )


async def assignment_button(
    query: CallbackQuery, callback_data: AssignmentAction, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lang = actor.language
    aid = callback_data.id
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if callback_data.action == "det":
        await quietly(query.answer())
        await _send_detail(chat_id, aid, uow, actor)
        return
    if callback_data.action == "ack":
        try:
            view = await acknowledge.acknowledge(uow, actor, aid)
        except coordination.CoordinationError as exc:
            await quietly(query.answer(refusal(actor, exc), show_alert=True))
            return
        ref = refs.of_view(view)
        await quietly(query.answer(t(lang, "ack.ok", aid=aid, **ref)))
        await rekey(query, tasks_view.task_keyboard(aid, lang, acknowledged=True))
        say(uow, chat_id, tasks_view.ack_reply(lang, aid, ref, actor.name if actor.in_group else None))
        return
    if callback_data.action not in ("rep", "ext"):
        await quietly(query.answer(t(lang, "button.forged"), show_alert=True))
        return
    try:
        view = await coordination.assignment_for_actor(uow, actor, aid, act=True)
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    if view.assignment.status in (Status.DONE, Status.CANCELLED, Status.DRAFT):
        await quietly(
            query.answer(tasks_view.report_closed(lang, aid, view.assignment.status), show_alert=True)
        )
        return
    await quietly(query.answer())
    await state.update_data(assignment_id=aid)
    if callback_data.action == "rep":
        await state.set_state(ReportFlow.status)
        say(
            uow,
            chat_id,
            t(lang, "flow.report.status", aid=aid),
            markup=tasks_view.report_status_keyboard(lang),
        )
    else:
        await state.set_state(ExtensionFlow.text)
        due = view.assignment.due_on.isoformat() if view.assignment.due_on else t(lang, "task.no_due")
        say(uow, chat_id, t(lang, "ext.ask", aid=aid, due=due))


async def flow_cancel(query: CallbackQuery, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    await quietly(query.answer(t(actor.language, "flow.cancelled")))


async def flow_status(
    query: CallbackQuery, callback_data: FlowAction, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    if callback_data.value not in ("progress", "done", "blocked"):
        await quietly(query.answer(t(actor.language, "button.forged"), show_alert=True))
        return
    await state.update_data(status=callback_data.value)
    await quietly(query.answer())
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if callback_data.value == "progress":
        await state.set_state(ReportFlow.percent)
        say(
            uow,
            chat_id,
            t(actor.language, "flow.report.percent"),
            markup=tasks_view.skip_keyboard(actor.language),
        )
    else:
        await state.set_state(ReportFlow.text)
        say(uow, chat_id, t(actor.language, "flow.report.text"))


async def flow_skip_percent(query: CallbackQuery, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    await state.set_state(ReportFlow.text)
    await quietly(query.answer())
    say(
        uow,
        query.message.chat.id if query.message else query.from_user.id,
        t(actor.language, "flow.report.text"),
    )


async def flow_percent(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    raw = (message.text or "").strip().rstrip("%％")
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 0 <= int(raw) <= 100:
        say(uow, message.chat.id, t(actor.language, "flow.report.percent_bad"))
        return
    await state.update_data(percent=int(raw))
    await state.set_state(ReportFlow.text)
    say(uow, message.chat.id, t(actor.language, "flow.report.text"))


async def flow_text(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    if (message.text or "").startswith("/"):
        await state.clear()
        say(uow, message.chat.id, t(actor.language, "flow.cancelled"))
        return
    data = await state.get_data()
    await state.clear()
    if message.reply_to_message is not None:
        replied = await reports_service.find_assignment_by_message(
            uow, message.chat.id, message.reply_to_message.message_id
        )
        if replied is not None and replied != int(data["assignment_id"]):
            # A reply to another task's message is a report on that task; the flow is dropped.
            await _report(message, replied, uow, actor)
            return
    await _report(
        message,
        int(data["assignment_id"]),
        uow,
        actor,
        explicit=(data.get("status", "progress"), data.get("percent")),
    )


async def extension_text(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    text = message.text or ""
    if text.startswith("/"):
        await state.clear()
        say(uow, message.chat.id, t(actor.language, "flow.cancelled"))
        return
    when, reason = parse_date_and_reason(text, uow.calendar.local_date(uow.now))
    if when is None:
        say(uow, message.chat.id, t(actor.language, "ext.bad"))
        return
    data = await state.get_data()
    try:
        request = await extensions.request_extension(uow, actor, int(data["assignment_id"]), when, reason)
    except coordination.CoordinationError as exc:
        say(uow, message.chat.id, refusal(actor, exc))
        if exc.key in ("ext.past", "ext.no_reason", "date.bad", "date.unreasonable"):
            return  # let them try again within the flow
        await state.clear()
        return
    await state.clear()
    say(uow, message.chat.id, t(actor.language, "ext.sent", eid=request.id))


async def fix_button(query: CallbackQuery, callback_data: ReviewAction, actor: Actor) -> None:
    await quietly(query.answer())
    await rekey(query, tasks_view.correct_status_keyboard(actor.language, callback_data.id))


async def set_status_button(
    query: CallbackQuery, callback_data: ReviewAction, uow: UnitOfWork, actor: Actor
) -> None:
    status = callback_data.action.removeprefix("set-")
    try:
        report = await reports_service.correct_report(uow, actor, callback_data.id, status)
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    understood = tasks_view.describe(actor.language, report.parsed_status, report.parsed_percent)
    await quietly(query.answer(t(actor.language, "report.fixed", rid=report.id, understood=understood)))
    await unmark(query)
    say(
        uow,
        query.message.chat.id if query.message else query.from_user.id,
        t(actor.language, "report.fixed", rid=report.id, understood=understood),
    )


# ---------------------------------------------------------------- replies


async def reply_to_bot(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    replied = message.reply_to_message
    assert replied is not None
    aid = await reports_service.find_assignment_by_message(uow, message.chat.id, replied.message_id)
    if aid is None and _from_this_bot(message, replied):
        aid = await copies.adopt(
            uow,
            chat_id=message.chat.id,
            message_id=replied.message_id,
            shown_text=replied.text or replied.caption or "",
        )
    if aid is None:
        # Not a task message: read it as a plain report (addressed to the bot if it answers the bot).
        await plain_report(message, uow, actor, addressed=_from_this_bot(message, replied))
        return
    if message.sticker is not None:
        say(uow, message.chat.id, t(actor.language, "odd.sticker"))
        return
    await _report(message, aid, uow, actor)


async def _report(
    message: Message, aid: int, uow: UnitOfWork, actor: Actor, explicit: tuple[str, int | None] | None = None
) -> None:
    incoming = _incoming(message, actor)
    if not incoming.text.strip() and incoming.attachment_kind is None:
        say(uow, message.chat.id, t(actor.language, "report.empty"), reply_to=message.message_id)
        return
    try:
        view = await coordination.assignment_for_actor(uow, actor, aid, act=True)
    except coordination.CoordinationError:
        say(uow, message.chat.id, t(actor.language, "report.not_yours"), reply_to=message.message_id)
        return
    if view.assignment.status in (Status.DONE, Status.CANCELLED):
        say(
            uow,
            message.chat.id,
            tasks_view.report_closed(actor.language, aid, view.assignment.status),
        )
        # Kept anyway: nothing a unit sends is thrown away.
        await reports_service.store_raw_report(uow, actor, aid, incoming)
        return
    outcome = await reports_service.receive_report(
        uow, actor, aid, incoming, explicit=explicit, notify_now=uow.settings.report_notify == "instant"
    )
    if outcome is None:  # the raw text is stored; only reading it failed
        say(uow, message.chat.id, t(actor.language, "error.saved"), reply_to=message.message_id)


async def edited_report(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    previous = await reports_service.latest_report_for_message(uow, message.chat.id, message.message_id)
    if previous is None or previous.superseded:
        return
    try:
        await reports_service.receive_report(
            uow,
            actor,
            previous.assignment_id,
            _incoming(message, actor),
            supersedes=previous,
            notify_now=uow.settings.report_notify == "instant",
        )
    except coordination.CoordinationError:
        return


def _from_this_bot(message: Message, replied: Message) -> bool:
    return (
        replied.from_user is not None and message.bot is not None and replied.from_user.id == message.bot.id
    )


# ---------------------------------------------------------------- plain reports

REPORT_CONTENT = F.text | F.caption | F.document | F.photo | F.video | F.voice | F.audio | F.video_note


async def plain_message(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    await plain_report(message, uow, actor, addressed=False)


async def plain_report(message: Message, uow: UnitOfWork, actor: Actor, *, addressed: bool) -> None:
    """A message that is not a reply to a task: the unit's only open task, or a question which."""
    private = message.chat.type == ChatType.PRIVATE
    text = message.text or message.caption or ""
    if not actor.contact_unit_ids or message.sticker is not None:
        if private:
            say(uow, message.chat.id, t(actor.language, "report.no_task"))
        return
    if not private and not (addressed or await _mentions_bot(message) or plain.reads_as_report(text)):
        return  # a group's chit-chat is not meant for the bot
    tasks = await plain.open_tasks(uow, actor.contact_unit_ids)
    if not tasks:
        say(uow, message.chat.id, t(actor.language, "plain.none"), reply_to=message.message_id)
        return
    if len(tasks) == 1:
        await _report(message, tasks[0].assignment_id, uow, actor)
        return
    incoming = _incoming(message, actor)
    if not incoming.text.strip() and incoming.attachment_kind is None:
        say(uow, message.chat.id, t(actor.language, "report.empty"), reply_to=message.message_id)
        return
    held = await plain.hold(uow, actor, tasks[0].unit_id, incoming)
    say(
        uow,
        message.chat.id,
        t(actor.language, "plain.which", count=len(tasks)),
        reply_to=message.message_id,
        markup=tasks_view.choice_keyboard(actor.language, held.id or 0, tasks),
    )


async def place_button(
    query: CallbackQuery, callback_data: PlaceAction, uow: UnitOfWork, actor: Actor
) -> None:
    try:
        await plain.place(
            uow,
            actor,
            callback_data.id,
            callback_data.aid,
            notify_now=uow.settings.report_notify == "instant",
        )
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    await quietly(query.answer(t(actor.language, "plain.placed", aid=callback_data.aid)))
    await edit(query, t(actor.language, "plain.placed", aid=callback_data.aid), None)


async def _mentions_bot(message: Message) -> bool:
    text = message.text or message.caption or ""
    if "@" not in text or message.bot is None:
        return False
    me = await message.bot.me()
    return bool(me.username) and f"@{me.username}".lower() in text.lower()


# ---------------------------------------------------------------- evidence


async def evidence_button(
    query: CallbackQuery, callback_data: EvidenceAction, uow: UnitOfWork, actor: Actor
) -> None:
    """Sends the file to whoever pressed, after checking they may see the report's unit."""
    try:
        attachment, caption = await reports_service.evidence_for_actor(uow, actor, callback_data.id)
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    await quietly(query.answer())
    chat_id = query.message.chat.id if query.message else query.from_user.id
    evidence.send_to(uow, attachment, chat_id, caption)


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="contact")
    router.message.filter(is_member)
    router.callback_query.filter(is_member)
    router.message.register(my_tasks, Command("tasks"))
    router.message.register(task_command, Command("task"))
    router.callback_query.register(assignment_button, AssignmentAction.filter())
    router.callback_query.register(flow_cancel, FlowAction.filter(F.action == "cancel"))
    router.callback_query.register(
        flow_status, StateFilter(ReportFlow.status), FlowAction.filter(F.action == "status")
    )
    router.callback_query.register(
        flow_skip_percent, StateFilter(ReportFlow.percent), FlowAction.filter(F.action == "skip")
    )
    router.message.register(flow_percent, StateFilter(ReportFlow.percent), F.text)
    router.message.register(flow_text, StateFilter(ReportFlow.text), F.text | F.document | F.photo)
    router.message.register(extension_text, StateFilter(ExtensionFlow.text), F.text)
    router.callback_query.register(fix_button, ReviewAction.filter(F.action == "fix"))
    router.callback_query.register(set_status_button, ReviewAction.filter(F.action.startswith("set-")))
    router.message.register(reply_to_bot, is_reply)
    router.edited_message.register(edited_report)
    router.message.register(
        plain_message,
        ~F.reply_to_message,
        ~F.text.startswith("/"),
        ~F.caption.startswith("/"),
        REPORT_CONTENT,
    )
    router.callback_query.register(place_button, PlaceAction.filter())
    router.callback_query.register(evidence_button, EvidenceAction.filter())
    return router
