"""Coordinator commands and buttons. Every handler here is behind the coordinator filter."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain import refs
from bot.domain.dates import parse_date
from bot.domain.refs import Ref, normalize_code, take_ref
from bot.domain.statuses import Status
from bot.i18n import t
from bot.jobs import Jobs
from bot.services import board as board_service
from bot.services import control, coordination, dispatch, dispatch_runs, extensions, review, scope, sealed
from bot.services.access import Actor, unit_names
from bot.services.invites import InviteError, add_coordinator, create_invite
from bot.services.units import find_unit, list_units
from bot.services.uow import UnitOfWork
from bot.views import board as views
from bot.views import formatting, members
from bot.views import tasks as tasks_view
from handlers.callbacks import (
    ConfirmAction,
    ExtensionAction,
    NewAction,
    PageAction,
    PickAction,
    PolicyAction,
    ReviewAction,
)
from handlers.filters import is_coordinator
from handlers.util import edit, parse_int, quietly, refusal, say, unmark
from handlers.workspace import WORKSPACE_COMMANDS, read_ref, resolve_or_ask
from models import Policy

COORDINATOR_COMMANDS = (
    "dispatch",
    "board",
    "measure",
    "unit",
    "overdue",
    "remind",
    "extend",
    "close",
    "reopen",
    "units",
    "invite",
    "addcoordinator",
    "followups",
    "summary",
    "export",
    *WORKSPACE_COMMANDS,
)
# Extending a measure or task moves what is still being worked on (see asg.ALLOWED["extend"]).
EXTENDABLE = (
    Status.ASSIGNED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.BLOCKED,
    Status.RETURNED,
    Status.EXTENDED,
    Status.CLAIMED_DONE,
)


class ReturnFlow(StatesGroup):
    comment = State()


async def listing(kind: str, arg: str, page: int, uow: UnitOfWork, actor: Actor) -> tuple[str, dict | None]:
    lang = actor.language
    now = uow.now
    cal = uow.calendar
    if kind == "board":
        narrowed = await scope.policy_by_code(uow, arg) if arg != "-" else None
        if arg != "-" and narrowed is None:
            raise coordination.CoordinationError("button.forged")
        measures, overdue = await board_service.board(uow, narrowed.id if narrowed else None)
        if not measures:
            return t(lang, "board.empty"), None
        header = views.board_header(lang, now, cal.tz, narrowed.code if narrowed else None)
        policies = await board_service.rollup(uow, "policy")
        policy_lights = {pid: board_service.rolled(c) for pid, c in policies.items()}
        lines = [
            *views.board_lines(lang, measures, policy_lights),
            views.board_totals(lang, measures, overdue),
        ]
    elif kind in ("measure", "task"):
        ref = read_ref(arg)
        policy = await scope.policy_by_code(uow, ref.code) if ref is not None and ref.code else None
        if ref is None or policy is None or ref.measure is None:
            raise coordination.CoordinationError("button.forged")
        number = ref.measure
        rows = await board_service.assignment_lines(uow, measure_number=number, policy_id=policy.id)
        title = await board_service.measure_title(uow, number, policy.id)
        if title is None:
            return t(lang, "measure.not_found", measure=formatting.esc(arg)), None
        if kind == "task":
            rows = [r for r in rows if r.seq == ref.seq]
        header = t(
            lang,
            "measure.header",
            measure=refs.format_measure(policy.code, number),
            title=formatting.esc(title),
        )
        tasks = await board_service.rollup(uow, "task", measure_number=number, policy_id=policy.id or 0)
        lines = views.measure_lines(lang, rows, {tid: board_service.rolled(c) for tid, c in tasks.items()})
    elif kind == "unit":
        unit_id = int(arg)
        rows = await board_service.assignment_lines(uow, unit_ids={unit_id})
        names = await unit_names(uow, {unit_id})
        header = t(lang, "unit.header", unit=formatting.esc(names[0] if names else arg), count=len(rows))
        lines = views.unit_lines(lang, rows)
    elif kind == "overdue":
        rows = await board_service.assignment_lines(uow, overdue_only=True)
        if not rows:
            return t(lang, "overdue.none"), None
        header = t(lang, "overdue.header", count=len(rows))
        lines = views.overdue_lines(lang, rows, cal.local_date(now))
    else:
        raise coordination.CoordinationError("button.forged")
    return views.listing_page(lang, kind, arg, header, lines, page)


async def _narrowing(
    chat_id: int, args: str, uow: UnitOfWork, actor: Actor
) -> tuple[Policy | None, str] | None:
    """An optional policy code first (`/board P1`, `/summary P1 2026-W48`); None after an error."""
    first, _, rest = args.strip().partition(" ")
    if not first or normalize_code(first) is None:
        return None, args.strip()
    policy = await scope.policy_by_code(uow, first)
    if policy is None:
        say(uow, chat_id, t(actor.language, "ref.not_found", ref=formatting.esc(first)))
        return None
    return policy, rest.strip()


async def run_board(chat_id: int, args: str, uow: UnitOfWork, actor: Actor) -> None:
    narrowed = await _narrowing(chat_id, args, uow, actor)
    if narrowed is None:
        return
    policy = narrowed[0]
    text, markup = await listing("board", policy.code if policy else "-", 0, uow, actor)
    say(uow, chat_id, text, markup=markup)


async def board_command(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor) -> None:
    await run_board(message.chat.id, command.args or "", uow, actor)


async def run_measure(chat_id: int, args: str, uow: UnitOfWork, actor: Actor) -> None:
    ref = read_ref(args)
    if ref is None or ref.kind not in ("measure", "task"):
        say(uow, chat_id, t(actor.language, "measure.usage"))
        return
    if ref.kind == "task":
        ref = Ref("measure", ref.code, ref.measure)
    resolved = await resolve_or_ask(uow, actor, chat_id, "measure", ref)
    if resolved is None:
        return
    text, markup = await listing("measure", str(resolved.ref), 0, uow, actor)
    say(uow, chat_id, text, markup=markup)


async def measure_command(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor) -> None:
    await run_measure(message.chat.id, command.args or "", uow, actor)


async def unit_command(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor) -> None:
    name = (command.args or "").strip()
    unit = await find_unit(uow, name) if name else None
    if unit is None:
        say(uow, message.chat.id, t(actor.language, "unit.not_found", name=formatting.esc(name)))
        return
    text, markup = await listing("unit", str(unit.id), 0, uow, actor)
    say(uow, message.chat.id, text, markup=markup)


async def overdue_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    text, markup = await listing("overdue", "-", 0, uow, actor)
    say(uow, message.chat.id, text, markup=markup)


async def page_button(query: CallbackQuery, callback_data: PageAction, uow: UnitOfWork, actor: Actor) -> None:
    try:
        text, markup = await listing(callback_data.kind, callback_data.arg, callback_data.page, uow, actor)
    except (coordination.CoordinationError, ValueError):
        await quietly(query.answer(t(actor.language, "button.forged"), show_alert=True))
        return
    await quietly(query.answer())
    await edit(query, text, markup)


async def units_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    units = await list_units(uow)
    for text in views.unit_directory(actor.language, units, await control.contact_counts(uow)):
        say(uow, message.chat.id, text)


async def run_dispatch(chat_id: int, args: str, uow: UnitOfWork, actor: Actor) -> None:
    arg = args.strip()
    lang = actor.language
    number: int | None = None
    policy: Policy | None = None
    if arg.lower() not in ("all", "全部"):
        ref = read_ref(arg)
        if ref is None or ref.kind not in ("policy", "measure"):
            say(uow, chat_id, t(lang, "dispatch.usage"))
            return
        resolved = await resolve_or_ask(uow, actor, chat_id, "dispatch", ref)
        if resolved is None:
            return
        policy, number = resolved.policy, ref.measure
    plan = await dispatch.plan_dispatch(uow, number, policy.id if policy else None)
    if not plan.assignment_ids:
        say(uow, chat_id, t(lang, "dispatch.nothing", scope=tasks_view.dispatch_scope(plan, lang)))
        return
    say(
        uow,
        chat_id,
        tasks_view.render_dispatch_preview(plan, lang),
        markup=tasks_view.dispatch_keyboard(number, lang, dispatch.plan_fingerprint(plan), plan.policy_code),
    )


async def dispatch_command(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor) -> None:
    await run_dispatch(message.chat.id, command.args or "", uow, actor)


async def dispatch_confirm(
    query: CallbackQuery, callback_data: ConfirmAction, uow: UnitOfWork, actor: Actor, jobs: Jobs
) -> None:
    lang = actor.language
    if callback_data.action == "cancel":
        await quietly(query.answer(t(lang, "dispatch.cancelled")))
        await unmark(query)
        return
    scope_text, _, fingerprint = callback_data.arg.partition(".")
    ref = None if scope_text == "all" else read_ref(scope_text)
    policy = await scope.policy_by_code(uow, ref.code) if ref is not None and ref.code else None
    if scope_text != "all" and (ref is None or policy is None or ref.kind not in ("policy", "measure")):
        await quietly(query.answer(t(lang, "button.forged"), show_alert=True))
        return
    number = ref.measure if ref is not None else None
    chat_id = query.from_user.id if query.message is None else query.message.chat.id
    try:
        run = await dispatch_runs.start(
            uow,
            number,
            actor=actor.tag,
            chat_id=chat_id,
            language=lang,
            expect=fingerprint or None,
            policy_id=policy.id if policy else None,
        )
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    if run is None:
        await quietly(query.answer(t(lang, "button.stale"), show_alert=True))
        return
    # Handed out in the background, a chunk per transaction, so this update (and every reply
    # behind it) is done at once; the job starts once this update's transaction has committed.
    run_id = run.id or 0
    uow.after_commit.append(lambda: jobs.spawn(jobs.dispatch_run(run_id), name=f"dispatch-{run_id}"))
    await quietly(query.answer())
    await unmark(query)
    say(uow, chat_id, t(lang, "dispatch.started", assignments=len(run.assignment_ids)))


async def remind_command(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor) -> None:
    arg = (command.args or "").strip()
    lang = actor.language
    if not arg:
        say(uow, message.chat.id, t(lang, "remind.usage"))
        return
    ref = read_ref(arg)
    if ref is not None and ref.kind == "assignment":
        ids = [ref.assignment or 0]
    elif ref is not None:
        await run_remind(message.chat.id, arg, uow, actor)
        return
    else:
        unit = await find_unit(uow, arg)
        if unit is None:
            say(uow, message.chat.id, t(lang, "unit.not_found", name=formatting.esc(arg)))
            return
        ids = await control.open_assignment_ids_for_unit(uow, unit.id or 0)
    reminded, messages = await control.remind(uow, actor, ids, actor_tag=actor.tag)
    say(uow, message.chat.id, tasks_view.remind_result(lang, reminded, messages))


async def run_extend(chat_id: int, args: str, uow: UnitOfWork, actor: Actor) -> None:
    """`/extend #71 DATE` moves one assignment; `/extend P1-2 DATE` (or a task, or a policy) names
    every open assignment it would move and waits for 确认."""
    ref, raw_date = take_ref(args)
    lang = actor.language
    if ref is None or not raw_date:
        say(uow, chat_id, t(lang, "extend.usage"))
        return
    today = uow.calendar.local_date(uow.now)
    new_due = parse_date(raw_date, today)
    if new_due is None:
        say(uow, chat_id, t(lang, "date.bad"))
        return
    if ref.kind == "assignment":
        try:
            await control.coordinator_extend(uow, actor, ref.assignment or 0, new_due)
        except coordination.CoordinationError as exc:
            say(uow, chat_id, refusal(actor, exc))
            return
        say(uow, chat_id, t(lang, "extend.ok", aid=ref.assignment, due=new_due.isoformat()))
        return
    if new_due < today:
        say(uow, chat_id, t(lang, "date.past", date=new_due.isoformat(), today=today.isoformat()))
        return
    resolved = await resolve_or_ask(uow, actor, chat_id, "extend", ref, new_due.isoformat())
    if resolved is None or resolved.policy is None:
        return
    target = await scope.open_assignments(uow, resolved.policy, resolved.ref, EXTENDABLE)
    if not target.assignment_ids:
        say(uow, chat_id, t(lang, "extend.none", ref=str(resolved.ref)))
        return
    arg = f"{resolved.ref}~{new_due:%Y%m%d}~{target.fingerprint}"
    text, markup = tasks_view.extend_ask(
        lang, str(resolved.ref), len(target.assignment_ids), list(target.units), new_due.isoformat(), arg
    )
    say(uow, chat_id, text, markup=markup)


async def extend_command(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor) -> None:
    await run_extend(message.chat.id, command.args or "", uow, actor)


async def extend_confirm(
    query: CallbackQuery, callback_data: ConfirmAction, uow: UnitOfWork, actor: Actor
) -> None:
    lang = actor.language
    parts = callback_data.arg.split("~")
    ref = read_ref(parts[0]) if len(parts) == 3 else None
    policy = await scope.policy_by_code(uow, ref.code) if ref is not None and ref.code else None
    try:
        new_due = date(int(parts[1][:4]), int(parts[1][4:6]), int(parts[1][6:8])) if policy else None
    except ValueError:
        new_due = None
    if ref is None or policy is None or new_due is None or ref.kind == "assignment":
        await quietly(query.answer(t(lang, "button.forged"), show_alert=True))
        return
    target = await scope.open_assignments(uow, policy, ref, EXTENDABLE)
    if target.fingerprint != parts[2] or new_due < uow.calendar.local_date(uow.now):
        await quietly(query.answer(t(lang, "button.stale"), show_alert=True))
        return
    try:
        for aid in target.assignment_ids:
            await control.coordinator_extend(uow, actor, aid, new_due)
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        raise
    await quietly(query.answer())
    await unmark(query)
    say(
        uow,
        query.message.chat.id if query.message else query.from_user.id,
        t(lang, "extend.bulk_done", ref=str(ref), count=len(target.assignment_ids), due=new_due.isoformat()),
    )


async def close_reopen_command(
    message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor
) -> None:
    ref = read_ref(command.args)
    lang = actor.language
    name = command.command
    if ref is None or ref.kind != "assignment":
        say(uow, message.chat.id, t(lang, f"{name}.usage"))
        return
    aid = ref.assignment or 0
    action = control.coordinator_close if name == "close" else control.coordinator_reopen
    try:
        await action(uow, actor, aid)
    except coordination.CoordinationError as exc:
        say(uow, message.chat.id, refusal(actor, exc))
        return
    say(uow, message.chat.id, t(lang, f"{name}.ok", aid=aid))


async def invite_command(
    message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor, bot: Bot
) -> None:
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
            say(uow, message.chat.id, t(lang, "unit.not_found", name=formatting.esc(" ".join(parts))))
            return
    try:
        invite = await create_invite(
            uow, unit=unit, role=role, ttl_hours=uow.settings.invite_ttl_hours, actor=actor.tag
        )
    except InviteError as exc:
        say(uow, message.chat.id, t(lang, f"invite.err.{exc.code}"))
        return
    me = await bot.me()
    # An invitation is a credential: it goes to the coordinator's private chat, never a group, and
    # the outbox row holds a marker in its place (bot/services/sealed.py).
    code = sealed.STORE.seal(invite.code, lang)
    say(
        uow,
        actor.user_id,
        members.invite_created(
            lang, role, unit.name if unit else None, uow.settings.invite_ttl_hours, me.username, code
        ),
    )


async def add_coordinator_command(
    message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor
) -> None:
    user_id = parse_int(command.args)
    if user_id is None:
        say(uow, message.chat.id, t(actor.language, "coordinator.usage"))
        return
    _, created = await add_coordinator(uow, user_id=user_id, name="", actor=actor.tag)
    say(
        uow,
        message.chat.id,
        t(actor.language, "coordinator.added" if created else "coordinator.exists", user_id=user_id),
    )


# ---------------------------------------------------------------- review and extension buttons


async def approve_button(
    query: CallbackQuery, callback_data: ReviewAction, uow: UnitOfWork, actor: Actor
) -> None:
    try:
        await review.approve_report(uow, actor, callback_data.id)
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    await quietly(query.answer(t(actor.language, "review.approved", rid=callback_data.id)))
    await unmark(query)


async def return_button(
    query: CallbackQuery, callback_data: ReviewAction, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    try:
        unit = await review.report_unit_for_review(uow, actor, callback_data.id)
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    await state.set_state(ReturnFlow.comment)
    await state.update_data(report_id=callback_data.id)
    await quietly(query.answer())
    say(
        uow,
        query.from_user.id,
        t(actor.language, "review.ask_comment", rid=callback_data.id, unit=formatting.esc(unit)),
    )


async def return_comment(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    comment = (message.text or "").strip()
    if comment.startswith("/"):
        say(uow, message.chat.id, t(actor.language, "flow.cancelled"))
        return
    try:
        report = await review.return_report(uow, actor, int(data["report_id"]), comment)
    except coordination.CoordinationError as exc:
        say(uow, message.chat.id, refusal(actor, exc))
        return
    unit = await review.report_unit_for_review(uow, actor, report.id or 0, check_state=False)
    say(uow, message.chat.id, t(actor.language, "review.returned", rid=report.id, unit=formatting.esc(unit)))


async def extension_button(
    query: CallbackQuery, callback_data: ExtensionAction, uow: UnitOfWork, actor: Actor
) -> None:
    if callback_data.action not in ("ok", "no"):
        await quietly(query.answer(t(actor.language, "button.forged"), show_alert=True))
        return
    approve = callback_data.action == "ok"
    try:
        request = await extensions.decide_extension(uow, actor, callback_data.id, approve)
    except coordination.CoordinationError as exc:
        await quietly(query.answer(refusal(actor, exc), show_alert=True))
        return
    await quietly(
        query.answer(t(actor.language, "ext.approved" if approve else "ext.refused", eid=request.id))
    )
    await unmark(query)


async def followups_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    from bot.services import followups

    lang = actor.language
    lines, total = await followups.listing(uow, due_only=False, limit=30)
    if not lines:
        say(uow, message.chat.id, t(lang, "followups.none"))
        return
    say(uow, message.chat.id, views.followup_listing(lang, lines, total, uow.calendar.tz))


async def summary_command(
    message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor, jobs: Jobs
) -> None:
    from bot.services import summary as summary_service

    lang = actor.language
    now = uow.now
    narrowed = await _narrowing(message.chat.id, command.args or "", uow, actor)
    if narrowed is None:
        return
    policy, rest = narrowed
    week = rest or summary_service.week_of(uow.calendar.local_date(now))
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
    jobs.spawn(
        jobs.summary_on_demand(
            week=week,
            contact_id=me.id or 0,
            actor=actor.tag,
            export=export,
            chat_id=actor.user_id,
            lang=lang,
            policy_ids=[policy.id or 0] if policy else None,
            file_prefix=f"{policy.code}-" if policy else "",
        ),
        name=f"{command.command}-{week}",
    )


# Known users who are not coordinators get a clear refusal for these commands.


async def denied_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    say(uow, message.chat.id, t(actor.language, "denied"))


async def denied_button(query: CallbackQuery, actor: Actor) -> None:
    await quietly(query.answer(t(actor.language, "denied"), show_alert=True))


async def run_remind(chat_id: int, args: str, uow: UnitOfWork, actor: Actor) -> None:
    lang = actor.language
    ref = read_ref(args)
    resolved = await resolve_or_ask(uow, actor, chat_id, "remind", ref) if ref is not None else None
    if resolved is None or resolved.policy is None:
        return
    ids = (await scope.open_assignments(uow, resolved.policy, resolved.ref)).assignment_ids
    reminded, messages = await control.remind(uow, actor, ids, actor_tag=actor.tag)
    say(uow, chat_id, tasks_view.remind_result(lang, reminded, messages))


async def run_task(chat_id: int, args: str, uow: UnitOfWork, actor: Actor) -> None:
    from handlers.contact import run_task as task

    await task(chat_id, args, uow, actor)


# What a pressed "which policy?" button runs again, with the chosen code in the reference.
REF_COMMANDS = {
    "measure": run_measure,
    "dispatch": run_dispatch,
    "extend": run_extend,
    "remind": run_remind,
    "board": run_board,
    "task": run_task,
}


def make_router() -> Router:
    """A fresh `router` with its handlers: a router belongs to one Dispatcher only."""
    router = Router(name="coordinator")
    router.message.filter(is_coordinator)
    router.callback_query.filter(is_coordinator)
    router.message.register(board_command, Command("board"))
    router.message.register(measure_command, Command("measure"))
    router.message.register(unit_command, Command("unit"))
    router.message.register(overdue_command, Command("overdue"))
    router.callback_query.register(page_button, PageAction.filter())
    router.message.register(units_command, Command("units"))
    router.message.register(dispatch_command, Command("dispatch"))
    router.callback_query.register(
        dispatch_confirm, ConfirmAction.filter(F.action.in_({"dispatch", "cancel"}))
    )
    router.message.register(remind_command, Command("remind"))
    router.message.register(extend_command, Command("extend"))
    router.callback_query.register(extend_confirm, ConfirmAction.filter(F.action == "extend"))
    router.message.register(close_reopen_command, Command("close", "reopen"))
    router.message.register(invite_command, Command("invite"))
    router.message.register(add_coordinator_command, Command("addcoordinator"))
    router.callback_query.register(approve_button, ReviewAction.filter(F.action == "ok"))
    router.callback_query.register(return_button, ReviewAction.filter(F.action == "ret"))
    router.message.register(return_comment, ReturnFlow.comment, F.text)
    router.callback_query.register(extension_button, ExtensionAction.filter())
    router.message.register(followups_command, Command("followups"))
    router.message.register(summary_command, Command("summary", "export"))
    return router


def make_denied_router() -> Router:
    """A fresh `denied_router` with its handlers: a router belongs to one Dispatcher only."""
    denied_router = Router(name="coordinator-denied")
    denied_router.message.register(denied_command, Command(*COORDINATOR_COMMANDS))
    denied_router.callback_query.register(denied_button, ReviewAction.filter(F.action.in_({"ok", "ret"})))
    denied_router.callback_query.register(denied_button, ExtensionAction.filter())
    denied_router.callback_query.register(denied_button, ConfirmAction.filter())
    denied_router.callback_query.register(denied_button, PageAction.filter())
    denied_router.callback_query.register(denied_button, PolicyAction.filter())
    denied_router.callback_query.register(denied_button, PickAction.filter())
    denied_router.callback_query.register(denied_button, NewAction.filter())
    return denied_router
