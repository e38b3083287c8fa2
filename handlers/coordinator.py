"""Coordinator commands and buttons. Every handler here is behind the coordinator filter."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import callbacks as cb
from bot import views
from bot.dates import parse_date
from bot.i18n import role_name, t
from bot.jobs import Jobs
from bot.services import board as board_service
from bot.services import coordination as co
from bot.services import sealed
from bot.services.access import Actor, unit_names
from bot.services.invites import InviteError, add_coordinator, create_invite
from bot.services.units import find_unit, list_units
from bot.services.uow import UnitOfWork
from handlers.callbacks import ConfirmAction, ExtensionAction, PageAction, ReviewAction
from handlers.filters import is_coordinator
from handlers.util import parse_int, quietly, refusal, say

router = Router(name="coordinator")
router.message.filter(is_coordinator)
router.callback_query.filter(is_coordinator)

COORDINATOR_COMMANDS = ("dispatch", "board", "measure", "unit", "overdue", "remind", "extend", "close", "reopen",
                        "units", "invite", "addcoordinator", "followups", "summary", "export")


class ReturnFlow(StatesGroup):
    comment = State()


def _pager(kind: str, arg: str, page: int, pages: int, lang: str) -> dict | None:
    if pages <= 1:
        return None
    row = []
    if page > 0:
        row.append(cb.button(t(lang, "btn.prev"), cb.pack(cb.PAGE, kind, arg, page - 1)))
    if page < pages - 1:
        row.append(cb.button(t(lang, "btn.next"), cb.pack(cb.PAGE, kind, arg, page + 1)))
    return cb.keyboard([row])


async def _listing(kind: str, arg: str, page: int, uow: UnitOfWork,
                   actor: Actor) -> tuple[str, dict | None]:
    lang = actor.language
    now = uow.now
    cal = uow.calendar
    if kind == "board":
        measures, overdue = await board_service.board(uow)
        if not measures:
            return t(lang, "board.empty"), None
        header = t(lang, "board.title", date=co.local_time(now))
        policies = await board_service.rollup(uow, "policy")
        policy_lights = {pid: board_service.rolled(c) for pid, c in policies.items()}
        lines = [*views.board_lines(lang, measures, policy_lights), views.board_totals(lang, measures, overdue)]
    elif kind == "measure":
        number = int(arg)
        rows = await board_service.assignment_lines(uow, measure_number=number)
        title = await board_service.measure_title(uow, number)
        if title is None:
            return t(lang, "measure.not_found", number=number), None
        header = t(lang, "measure.header", number=number, title=co.esc(title))
        tasks = await board_service.rollup(uow, "task", measure_number=number)
        lines = views.measure_lines(lang, rows, {tid: board_service.rolled(c) for tid, c in tasks.items()})
    elif kind == "unit":
        unit_id = int(arg)
        rows = await board_service.assignment_lines(uow, unit_ids={unit_id})
        names = await unit_names(uow, {unit_id})
        header = t(lang, "unit.header", unit=co.esc(names[0] if names else arg), count=len(rows))
        lines = views.unit_lines(lang, rows)
    elif kind == "overdue":
        rows = await board_service.assignment_lines(uow, overdue_only=True)
        if not rows:
            return t(lang, "overdue.none"), None
        header = t(lang, "overdue.header", count=len(rows))
        lines = views.overdue_lines(lang, rows, cal.local_date(now))
    else:
        raise co.CoordinationError("button.forged")
    text, page, pages = views.paginate(header, lines, page)
    if pages > 1:
        text += "\n\n" + t(lang, "page.footer", page=page + 1, pages=pages)
    return text, _pager(kind, arg, page, pages, lang)


@router.message(Command("board"))
async def board_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    text, markup = await _listing("board", "-", 0, uow, actor)
    say(uow, message.chat.id, text, markup=markup)


@router.message(Command("measure"))
async def measure_command(message: Message, command: CommandObject, uow: UnitOfWork,
                          actor: Actor) -> None:
    number = parse_int(command.args)
    if number is None:
        say(uow, message.chat.id, t(actor.language, "number.bad"))
        return
    text, markup = await _listing("measure", str(number), 0, uow, actor)
    say(uow, message.chat.id, text, markup=markup)


@router.message(Command("unit"))
async def unit_command(message: Message, command: CommandObject, uow: UnitOfWork,
                       actor: Actor) -> None:
    name = (command.args or "").strip()
    unit = await find_unit(uow, name) if name else None
    if unit is None:
        say(uow, message.chat.id, t(actor.language, "unit.not_found", name=co.esc(name)))
        return
    text, markup = await _listing("unit", str(unit.id), 0, uow, actor)
    say(uow, message.chat.id, text, markup=markup)


@router.message(Command("overdue"))
async def overdue_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    text, markup = await _listing("overdue", "-", 0, uow, actor)
    say(uow, message.chat.id, text, markup=markup)


@router.callback_query(PageAction.filter())
async def page_button(query: CallbackQuery, callback_data: PageAction, uow: UnitOfWork,
                      actor: Actor) -> None:
    try:
        text, markup = await _listing(callback_data.kind, callback_data.arg, callback_data.page, uow,
                                      actor)
    except (co.CoordinationError, ValueError):
        await quietly(query.answer(t(actor.language, "button.forged"), show_alert=True))
        return
    await quietly(query.answer())
    if query.message is not None:
        from aiogram.types import InlineKeyboardMarkup

        await quietly(query.message.edit_text(  # type: ignore[union-attr]
            text, reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None))


@router.message(Command("units"))
async def units_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    units = await list_units(uow)
    contact_counts = await co.contact_counts(uow)
    lines = [t(actor.language, "units.row", name=co.esc(u.name),
               alias=f"（{co.esc('、'.join(u.aliases[:3]))}）" if u.aliases else "", count=u.assignments,
               contacts=contact_counts.get(u.id, 0)) for u in units]
    _, _, pages = views.paginate("", lines, 0)
    for page in range(pages):
        say(uow, message.chat.id, views.paginate("", lines, page)[0].strip())


@router.message(Command("dispatch"))
async def dispatch_command(message: Message, command: CommandObject, uow: UnitOfWork,
                           actor: Actor) -> None:
    arg = (command.args or "").strip().lower()
    if arg not in ("all", "全部") and parse_int(arg) is None:
        say(uow, message.chat.id, t(actor.language, "dispatch.usage"))
        return
    number = None if arg in ("all", "全部") else parse_int(arg)
    plan = await co.plan_dispatch(uow, number)
    lang = actor.language
    if not plan.assignment_ids:
        scope = t(lang, "dispatch.scope.measure", number=number) if number is not None else ""
        say(uow, message.chat.id, t(lang, "dispatch.nothing", scope=scope))
        return
    say(uow, message.chat.id, co.render_dispatch_preview(plan, lang),
        markup=co.dispatch_keyboard(number, lang, co.plan_fingerprint(plan)))


@router.callback_query(ConfirmAction.filter())
async def dispatch_confirm(query: CallbackQuery, callback_data: ConfirmAction, uow: UnitOfWork,
                           actor: Actor) -> None:
    lang = actor.language
    if callback_data.action == "cancel":
        await quietly(query.answer(t(lang, "dispatch.cancelled")))
        if query.message is not None:
            await quietly(query.message.edit_reply_markup(reply_markup=None))  # type: ignore[union-attr]
        return
    scope, _, fingerprint = callback_data.arg.partition(".")
    if callback_data.action != "dispatch" or (scope != "all" and parse_int(scope) is None):
        await quietly(query.answer(t(lang, "button.forged"), show_alert=True))
        return
    number = None if scope == "all" else parse_int(scope)
    try:
        result = await co.dispatch(uow, number, actor=actor.tag,
                                   expect=fingerprint or None)
    except co.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    if result.assignments == 0:
        await quietly(query.answer(t(lang, "button.stale"), show_alert=True))
        return
    note = t(lang, "dispatch.unbound_note", units="、".join(result.unbound)) if result.unbound else ""
    await quietly(query.answer())
    if query.message is not None:
        await quietly(query.message.edit_reply_markup(reply_markup=None))  # type: ignore[union-attr]
    say(uow, query.from_user.id if query.message is None else query.message.chat.id,
        t(lang, "dispatch.done", assignments=result.assignments, messages=result.messages, unbound_note=note))


@router.message(Command("remind"))
async def remind_command(message: Message, command: CommandObject, uow: UnitOfWork,
                         actor: Actor) -> None:
    arg = (command.args or "").strip()
    lang = actor.language
    if not arg:
        say(uow, message.chat.id, t(lang, "remind.usage"))
        return
    aid = parse_int(arg)
    if aid is not None:
        ids = [aid]
    else:
        unit = await find_unit(uow, arg)
        if unit is None:
            say(uow, message.chat.id, t(lang, "unit.not_found", name=co.esc(arg)))
            return
        ids = await co.open_assignment_ids_for_unit(uow, unit.id or 0)
    reminded, messages = await co.remind(uow, actor, ids, actor_tag=actor.tag)
    say(uow, message.chat.id,
        t(lang, "remind.sent", count=reminded, messages=messages) if reminded else t(lang, "remind.none"))


def _two_args(command: CommandObject) -> tuple[int | None, str]:
    parts = (command.args or "").split()
    return (parse_int(parts[0]) if parts else None), (parts[1] if len(parts) > 1 else "")


@router.message(Command("extend"))
async def extend_command(message: Message, command: CommandObject, uow: UnitOfWork,
                         actor: Actor) -> None:
    aid, raw_date = _two_args(command)
    lang = actor.language
    if aid is None or not raw_date:
        say(uow, message.chat.id, t(lang, "extend.usage"))
        return
    new_due = parse_date(raw_date, uow.calendar.local_date(uow.now))
    if new_due is None:
        say(uow, message.chat.id, t(lang, "date.bad"))
        return
    try:
        await co.coordinator_extend(uow, actor, aid, new_due)
    except co.CoordinationError as exc:
        say(uow, message.chat.id, refusal(actor, exc))
        return
    say(uow, message.chat.id, t(lang, "extend.ok", aid=aid, due=new_due.isoformat()))


@router.message(Command("close", "reopen"))
async def close_reopen_command(message: Message, command: CommandObject, uow: UnitOfWork,
                               actor: Actor) -> None:
    aid = parse_int(command.args)
    lang = actor.language
    name = command.command
    if aid is None:
        say(uow, message.chat.id, t(lang, f"{name}.usage"))
        return
    action = co.coordinator_close if name == "close" else co.coordinator_reopen
    try:
        await action(uow, actor, aid)
    except co.CoordinationError as exc:
        say(uow, message.chat.id, refusal(actor, exc))
        return
    say(uow, message.chat.id, t(lang, f"{name}.ok", aid=aid))


@router.message(Command("invite"))
async def invite_command(message: Message, command: CommandObject, uow: UnitOfWork,
                         actor: Actor, bot: Bot) -> None:
    lang = actor.language
    parts = (command.args or "").split()
    if not parts:
        say(uow, message.chat.id, t(lang, "invite.usage"))
        return
    role = "contact"
    if parts[-1] in ("contact", "leader", "observer", "coordinator"):
        role = parts.pop()
    unit = None
    if parts:
        unit = await find_unit(uow, " ".join(parts))
        if unit is None:
            say(uow, message.chat.id, t(lang, "unit.not_found", name=co.esc(" ".join(parts))))
            return
    try:
        invite = await create_invite(uow, unit=unit, role=role,
                                     ttl_hours=uow.settings.invite_ttl_hours, actor=actor.tag)
    except InviteError as exc:
        say(uow, message.chat.id, t(lang, f"invite.err.{exc.code}"))
        return
    me = await bot.me()
    # An invitation is a credential: it goes to the coordinator's private chat, never a group, and
    # the outbox row holds a marker in its place (bot/services/sealed.py).
    code = sealed.STORE.seal(invite.code, lang)
    say(uow, actor.user_id, t(
        lang, "invite.created", role=role_name(lang, role), unit=f"·{co.esc(unit.name)}" if unit else "",
        hours=uow.settings.invite_ttl_hours, link=f"https://t.me/{me.username}?start={code}",
        code=code))


@router.message(Command("addcoordinator"))
async def add_coordinator_command(message: Message, command: CommandObject, uow: UnitOfWork,
                                  actor: Actor) -> None:
    user_id = parse_int(command.args)
    if user_id is None:
        say(uow, message.chat.id, t(actor.language, "coordinator.usage"))
        return
    _, created = await add_coordinator(uow, user_id=user_id, name="", actor=actor.tag)
    say(uow, message.chat.id,
        t(actor.language, "coordinator.added" if created else "coordinator.exists", user_id=user_id))


# ---------------------------------------------------------------- review and extension buttons


@router.callback_query(ReviewAction.filter(F.action == "ok"))
async def approve_button(query: CallbackQuery, callback_data: ReviewAction, uow: UnitOfWork,
                         actor: Actor) -> None:
    try:
        await co.approve_report(uow, actor, callback_data.id)
    except co.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    await quietly(query.answer(t(actor.language, "review.approved", rid=callback_data.id)))
    if query.message is not None:
        await quietly(query.message.edit_reply_markup(reply_markup=None))  # type: ignore[union-attr]


@router.callback_query(ReviewAction.filter(F.action == "ret"))
async def return_button(query: CallbackQuery, callback_data: ReviewAction, uow: UnitOfWork,
                        actor: Actor, state: FSMContext) -> None:
    try:
        unit = await co.report_unit_for_review(uow, actor, callback_data.id)
    except co.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    await state.set_state(ReturnFlow.comment)
    await state.update_data(report_id=callback_data.id)
    await quietly(query.answer())
    say(uow, query.from_user.id, t(actor.language, "review.ask_comment", rid=callback_data.id,
                                            unit=co.esc(unit)))


@router.message(ReturnFlow.comment, F.text)
async def return_comment(message: Message, uow: UnitOfWork, actor: Actor,
                         state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    comment = (message.text or "").strip()
    if comment.startswith("/"):
        say(uow, message.chat.id, t(actor.language, "flow.cancelled"))
        return
    try:
        report = await co.return_report(uow, actor, int(data["report_id"]), comment)
    except co.CoordinationError as exc:
        say(uow, message.chat.id, refusal(actor, exc))
        return
    unit = await co.report_unit_for_review(uow, actor, report.id or 0, check_state=False)
    say(uow, message.chat.id, t(actor.language, "review.returned", rid=report.id, unit=co.esc(unit)))


@router.callback_query(ExtensionAction.filter())
async def extension_button(query: CallbackQuery, callback_data: ExtensionAction, uow: UnitOfWork,
                           actor: Actor) -> None:
    if callback_data.action not in ("ok", "no"):
        await quietly(query.answer(t(actor.language, "button.forged"), show_alert=True))
        return
    approve = callback_data.action == "ok"
    try:
        request = await co.decide_extension(uow, actor, callback_data.id, approve)
    except co.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    await quietly(query.answer(t(actor.language, "ext.approved" if approve else "ext.refused", eid=request.id)))
    if query.message is not None:
        await quietly(query.message.edit_reply_markup(reply_markup=None))  # type: ignore[union-attr]


@router.message(Command("followups"))
async def followups_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    from bot.services import followups

    lang = actor.language
    lines, total = await followups.listing(uow, due_only=False, limit=30)
    if not lines:
        say(uow, message.chat.id, t(lang, "followups.none"))
        return
    rows = [t(lang, "followups.row", when=co.local_time(x.due_at), aid=x.assignment_id, unit=co.esc(x.unit),
              kind=t(lang, f"followup.kind.{x.kind}")) for x in lines]
    text, _, _ = views.paginate(t(lang, "followups.header", total=total, shown=len(lines)), rows, 0)
    say(uow, message.chat.id, text)


@router.message(Command("summary", "export"))
async def summary_command(message: Message, command: CommandObject, uow: UnitOfWork,
                          actor: Actor, jobs: Jobs) -> None:
    from bot.services import summary as summary_service

    lang = actor.language
    now = uow.now
    week = (command.args or "").strip() or summary_service.week_of(uow.calendar.local_date(now))
    try:
        summary_service.week_bounds(week)
    except ValueError:
        say(uow, message.chat.id, t(lang, "summary.bad_week"))
        return
    me = next((c for c in actor.contacts if c.role == "coordinator"), None)
    if me is None:
        return
    # Reading and rendering take seconds at province scale: in the background, so this update
    # (and every reply behind it) is done at once; the summary is queued when it is ready.
    export = command.command == "export"
    say(uow, message.chat.id, t(lang, "export.generating" if export else "summary.generating"))
    jobs.spawn(jobs.summary_on_demand(week=week, contact_id=me.id, actor=actor.tag, export=export,
                                      chat_id=actor.user_id, lang=lang), name=f"{command.command}-{week}")


# Known users who are not coordinators get a clear refusal for these commands.
denied_router = Router(name="coordinator-denied")


@denied_router.message(Command(*COORDINATOR_COMMANDS))
async def denied_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    say(uow, message.chat.id, t(actor.language, "denied"))


@denied_router.callback_query(ReviewAction.filter(F.action.in_({"ok", "ret"})))
@denied_router.callback_query(ExtensionAction.filter())
@denied_router.callback_query(ConfirmAction.filter())
@denied_router.callback_query(PageAction.filter())
async def denied_button(query: CallbackQuery, actor: Actor) -> None:
    await quietly(query.answer(t(actor.language, "denied"), show_alert=True))

