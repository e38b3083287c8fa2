"""`duban` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from bot.app import App
from bot.cli_items import add_item_commands
from bot.cli_units import add_unit_commands
from bot.domain.text import table
from bot.i18n import LANGUAGES, normalise_language, role_name, status_name, t, zone_name
from bot.importer import DocumentError, decompose, read_document
from bot.views.import_warnings import warning_text
from config.settings import Settings, describe_errors

SEED_NAME = "seed_ganfuting_2024_15.txt"


def _seed_path() -> Path:
    return Path(__file__).resolve().parent.parent / "config" / "data" / SEED_NAME


def _parse_date(value: str) -> date:
    from bot.domain.dates import parse_date

    when = parse_date(value)
    if when is None:
        raise argparse.ArgumentTypeError(
            f"日期应为真实的日历日期 YYYY-MM-DD / expected a calendar date YYYY-MM-DD: {value}"
        )
    return when


def _hours(value: str) -> int:
    from bot.services.invites import MAX_TTL_HOURS

    try:
        hours = int(value)
    except ValueError:
        hours = 0
    if not 0 < hours <= MAX_TTL_HOURS:
        raise argparse.ArgumentTypeError(
            f"有效期应为 1 到 {MAX_TTL_HOURS} 小时的整数 / validity must be a whole number of hours, 1 to {MAX_TTL_HOURS}: {value}"
        )
    return hours


def _fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code


def _lang(app: App) -> str:
    return normalise_language(app.settings.default_language)


def migrate(settings: Settings) -> None:
    from bot.migrate import ensure_schema

    ensure_schema(settings.database_url)


async def _import_text(app: App, text: str, source_name: str, horizon: date | None, actor: str):  # type: ignore[no-untyped-def]
    from bot.services.policies import import_policy

    decomposition = decompose(text, app.directory, horizon=horizon)
    async with app.work() as uow:
        outcome = await import_policy(
            uow, decomposition, source_name=source_name, source_text=text, actor=actor, horizon=horizon
        )
    return decomposition, outcome


async def cmd_init(app: App, args: argparse.Namespace) -> int:
    from bot.services.units import sync_directory

    async with app.work() as uow:
        added = await sync_directory(uow, app.directory, "cli:init")
    from sqlalchemy.engine import make_url

    lang = _lang(app)
    url = make_url(app.settings.database_url).render_as_string(hide_password=True)
    print(t(lang, "cli.init.db", url=url))
    print(t(lang, "cli.init.units", added=added))
    if not args.no_seed:
        text = read_document(_seed_path())
        decomposition, outcome = await _import_text(app, text, SEED_NAME, None, "cli:init")
        state = "created" if outcome.created else "unchanged" if outcome.unchanged else "updated"
        print(
            t(
                lang,
                "cli.init.seed",
                title=decomposition.policy.title,
                doc=decomposition.policy.doc_number or "",
                state=t(lang, f"cli.init.state.{state}"),
                measures=len(decomposition.measures),
                tasks=sum(len(m.tasks) for m in decomposition.measures),
            )
        )
    return 0


async def cmd_import(app: App, args: argparse.Namespace) -> int:
    try:
        text = read_document(
            args.path, max_bytes=app.settings.import_max_bytes, max_chars=app.settings.import_max_chars
        )
    except DocumentError as exc:
        lang = _lang(app)
        return _fail(t(lang, "cli.import.failed", reason=exc.message_en if lang == "en" else exc.message_zh))
    decomposition = decompose(text, app.directory, horizon=args.horizon)
    if args.json:
        data = decomposition.to_json(evidence=True)
        # The kind and values are for tools; the text, in the configured language, for people.
        for item, warning in zip(data["warnings"], decomposition.warnings, strict=True):
            item["text"] = warning_text(_lang(app), warning)
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.explain:
        from bot.importer.explain import explain_lines

        print("\n".join(explain_lines(decomposition, _lang(app))))
    if args.dry_run:
        if not args.json and not args.explain:
            from bot.cli_preview import preview_against_database, preview_lines

            lang = normalise_language(app.settings.default_language)
            preview = await preview_against_database(app, decomposition)
            _print_decomposition(decomposition, lang, preview.code if preview else None)
            if preview is not None:
                print("\n".join(preview_lines(preview, lang)))
            print(t(lang, "dryrun.kept_nothing"))
        return 0
    migrate(app.settings)
    from bot.services.policies import import_policy
    from bot.services.units import sync_directory
    from bot.views.imports import outcome_lines

    async with app.work() as uow:
        await sync_directory(uow, app.directory, "cli:import")
        outcome = await import_policy(
            uow,
            decomposition,
            source_name=Path(args.path).name,
            source_text=text,
            actor="cli:import",
            horizon=args.horizon,
        )
    out = sys.stderr if args.json else sys.stdout
    lang = normalise_language(app.settings.default_language)
    if outcome.unchanged:
        print(t(lang, "cli.import.same", code=outcome.code), file=out)
    elif outcome.created:
        counts = {"measures": outcome.measures, "tasks": outcome.tasks, "assignments": outcome.assignments}
        print(t(lang, "cli.import.created", code=outcome.code, **counts), file=out)
    else:
        print(t(lang, "cli.import.revised", code=outcome.code), file=out)
        for line in outcome_lines(lang, outcome) or [t(lang, "applied.none")]:
            print(f"  - {line}", file=out)
    for warning in decomposition.warnings:
        print(t(lang, "cli.warning", text=warning_text(lang, warning)), file=sys.stderr)
    return 0


def _print_decomposition(decomposition, lang: str, code: str | None = None) -> None:  # type: ignore[no-untyped-def]
    from bot.domain.refs import format_task

    info = decomposition.policy
    sep = t(lang, "sep.list")
    print(f"{info.title}\n{info.doc_number or t(lang, 'cli.import.no_doc')}  {info.issued_on or ''}")
    rows = []
    for measure in decomposition.measures:
        for task in measure.tasks:
            rows.append(
                [
                    format_task(code, measure.number, task.seq),
                    task.text,
                    sep.join(task.lead),
                    sep.join(task.co + task.local),
                    task.due.isoformat() if task.due else "",
                ]
            )
    columns = [t(lang, f"cli.import.col.{name}") for name in ("ref", "task", "lead", "co", "due")]
    print(table(columns, rows, [8, 48, 30, 40, 10]))
    for warning in decomposition.warnings:
        print(t(lang, "cli.warning", text=warning_text(lang, warning)))


def _abbreviate_units(names: list[str], cities: set[str], lang: str) -> str:
    city_names = [n for n in names if n in cities]
    others = [n for n in names if n not in cities]
    if len(city_names) == len(cities) and cities:
        others.append(t(lang, "cli.tasks.all_cities"))
    else:
        others += [n.removesuffix("人民政府") for n in city_names]  # the directory's names: data
    return t(lang, "sep.list").join(others)


async def cmd_tasks(app: App, args: argparse.Namespace) -> int:
    from bot.domain.refs import format_task
    from bot.services import scope
    from bot.services.ledger import task_rows
    from bot.services.units import find_unit

    lang = _lang(app)
    async with app.sessions() as session:
        uow = app.unit_of_work(session)
        unit_id = None
        if args.unit:
            unit = await find_unit(uow, args.unit)
            if unit is None:
                return _fail(t(lang, "cli.unknown_unit", unit=args.unit))
            unit_id = unit.id
        try:
            policy, ref = await scope.resolve_cli(uow, args.policy, args.measure)
        except scope.ScopeError as exc:
            sep = t(lang, "sep.list")
            values = {k: sep.join(v) if isinstance(v, list) else v for k, v in exc.values.items()}
            return _fail(t(lang, exc.key, **values))
        rows = await task_rows(
            uow,
            policy_id=policy.id if policy else None,
            measure_number=ref.measure if ref else None,
            unit_id=unit_id,
        )
        if ref is not None and ref.kind == "task":
            rows = [r for r in rows if r.seq == ref.seq]
    if not rows:
        print(t(lang, "cli.tasks.empty"))
        return 0
    cities = {u.name for u in app.directory.cities}
    body = [
        [
            format_task(r.policy_code, r.measure_number, r.seq),
            r.text,
            _abbreviate_units(r.lead, cities, lang),
            _abbreviate_units(r.co + r.local, cities, lang),
            r.due_on.isoformat() if r.due_on else "—",
            _status_digest(r.statuses, lang),
        ]
        for r in rows
    ]
    width = 40 if args.wide is False else 200
    columns = [t(lang, f"cli.tasks.col.{name}") for name in ("ref", "task", "lead", "co", "due", "status")]
    print(table(columns, body, [8, width, 28, 36, 10, 16]))
    print(t(lang, "cli.tasks.count", count=len(rows)))
    return 0


def _status_digest(statuses: dict[str, str], lang: str) -> str:
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return " ".join(f"{status_name(lang, s)}{n}" for s, n in counts.items())


async def cmd_units(app: App, args: argparse.Namespace) -> int:
    from bot.services.units import list_units

    async with app.sessions() as session:
        units = await list_units(app.unit_of_work(session))
    lang = _lang(app)
    rows = [
        [
            str(u.id),
            u.name + ("" if u.known else t(lang, "cli.units.review")),
            t(lang, f"unit.kind.{u.kind}") if f"unit.kind.{u.kind}" in LANGUAGES[lang] else u.kind,
            t(lang, "sep.list").join(u.aliases),
            str(u.assignments),
        ]
        for u in units
    ]
    columns = [
        "#",
        *(t(lang, f"cli.units.col.{name}") for name in ("unit", "kind", "aliases", "assignments")),
    ]
    print(table(columns, rows, [5, 30, 24, 50, 6]))
    return 0


async def cmd_coordinator(app: App, args: argparse.Namespace) -> int:
    from bot.services.invites import add_coordinator

    async with app.work() as uow:
        _, created = await add_coordinator(uow, user_id=args.user_id, name=args.name or "", actor="cli")
    print(t(_lang(app), "cli.coordinator.added" if created else "cli.coordinator.already", user=args.user_id))
    return 0


async def cmd_invite(app: App, args: argparse.Namespace) -> int:
    from bot.services.invites import InviteError, create_invite
    from bot.services.units import find_unit

    lang = _lang(app)
    async with app.work() as uow:
        unit = None
        if args.unit and args.unit != "-":
            unit = await find_unit(uow, args.unit)
            if unit is None:
                return _fail(t(lang, "cli.unknown_unit", unit=args.unit))
        try:
            invite = await create_invite(
                uow,
                unit=unit,
                role=args.role,
                ttl_hours=app.settings.invite_ttl_hours if args.hours is None else args.hours,
                actor="cli",
            )
        except InviteError as exc:
            key = f"invite.err.{exc.code}"
            return _fail(t(lang, key) if key in LANGUAGES[lang] else exc.code)
    username = await _bot_username(app)
    who = f"{invite.unit_name}·" if invite.unit_name else ""
    tz = _tz(app)
    until = invite.expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    role = role_name(lang, args.role)
    print(t(lang, "cli.invite.header", who=who, role=role, until=until, zone=zone_name(lang, tz)))
    print(f"https://t.me/{username}?start={invite.code}" if username else t(lang, "cli.invite.no_token"))
    print(f"/start {invite.code}" if not username else "")
    print(invite.code)
    return 0


def _tz(app: App):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(app.settings.timezone)


async def _bot_username(app: App) -> str | None:
    token = app.settings.token_value()
    if not token:
        return None
    from bot.telegram.transport import make_bot

    bot = make_bot(token, app.settings.telegram_api_base)
    try:
        return (await bot.get_me()).username
    except Exception as exc:  # the invitation is valid anyway; only the link needs the name
        print(t(_lang(app), "cli.invite.no_username", error=type(exc).__name__), file=sys.stderr)
        return None
    finally:
        await bot.session.close()


def _setting_value(raw: str) -> object:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if "," in raw:
        return [int(x) for x in raw.split(",") if x.strip()]
    return int(raw) if raw.lstrip("-").isdigit() else raw


async def cmd_followups_set(app: App, args: argparse.Namespace) -> int:
    from bot.domain.followup_rules import FollowupSettings
    from bot.services import events
    from models import Policy, Task

    try:
        overrides = {k: _setting_value(v) for k, v in (pair.split("=", 1) for pair in args.pairs)}
        FollowupSettings().merged(overrides)  # validates names and values before anything is stored
    except ValueError as exc:
        return _fail(t(_lang(app), "cli.followups.bad_setting", reason=exc))
    async with app.work() as uow:
        target = await uow.session.get(Policy if args.policy else Task, args.policy or args.task)
        if target is None:
            return _fail(t(_lang(app), "cli.followups.no_target"))
        merged = dict(target.followup_overrides or {})
        merged.update(overrides)
        target.followup_overrides = merged
        events.record(
            uow,
            actor="cli",
            kind="followups.configured",
            entity="policy" if args.policy else "task",
            entity_id=target.id,
            data=overrides,
        )
        from bot.services.followups import replan

        await replan(uow, None)
    key = "cli.followups.set_policy" if args.policy else "cli.followups.set_task"
    print(t(_lang(app), key, id=target.id, settings=merged))
    return 0


async def cmd_followups(app: App, args: argparse.Namespace) -> int:
    from bot.services import followups

    await app.load_holiday_notices()
    async with app.work() as uow:
        # The table is the schedule; refreshing it first shows what the bot would do now.
        await followups.replan(uow, None)
    async with app.sessions() as session:
        lines, total = await followups.listing(app.unit_of_work(session), due_only=args.due, limit=args.limit)
    lang = normalise_language(app.settings.default_language)
    if not lines:
        print(t(lang, "cli.followups.none_due" if args.due else "cli.followups.none"))
        return 0
    tz = _tz(app)
    rows = [
        [
            str(x.id),
            x.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            f"#{x.assignment_id}",
            x.unit,
            t(lang, f"followup.kind.{x.kind}"),
        ]
        for x in lines
    ]
    columns = ["#", t(lang, "cli.followups.col.time", zone=zone_name(lang, tz))]
    columns += [t(lang, f"cli.followups.col.{name}") for name in ("assignment", "unit", "kind")]
    print(table(columns, rows, [8, 16, 8, 24, 12]))
    footer = "cli.followups.count_due" if args.due else "cli.followups.count"
    print(t(lang, footer, total=total, shown=len(lines)))
    return 0


async def cmd_holidays(app: App, args: argparse.Namespace) -> int:
    from bot.domain.workcal import load_notices
    from models import HolidayNotice

    lang = _lang(app)
    if args.action == "import":
        try:
            notices = load_notices(args.file)
        except ValueError as exc:
            return _fail(str(exc))
        async with app.work() as uow:
            for notice in notices:
                row = await uow.session.get(HolidayNotice, notice.year)
                data = notice.to_dict()
                if row is None:
                    row = HolidayNotice(year=notice.year, loaded_at=uow.now)
                    uow.session.add(row)
                row.source, row.holidays, row.workdays = notice.source, data["holidays"], data["workdays"]
                row.loaded_at = uow.now
                from bot.services import events

                events.record(
                    uow,
                    actor="cli",
                    kind="holidays.imported",
                    entity="holidays",
                    entity_id=notice.year,
                    data={"source": notice.source},
                )
                print(
                    t(
                        lang,
                        "cli.holidays.imported",
                        year=notice.year,
                        holidays=len(notice.holidays),
                        workdays=len(notice.workdays),
                        source=notice.source or t(lang, "cli.holidays.no_source"),
                    )
                )
        return 0
    await app.load_holiday_notices()
    year = args.year or app.clock.now().astimezone(_tz(app)).year
    source = app.calendar.source_for(year)
    key = f"cli.holidays.source.{source}"
    print(
        t(lang, "cli.holidays.source", year=year, source=t(lang, key) if key in LANGUAGES[lang] else source)
    )
    from datetime import date, timedelta

    day = date(year, 1, 1)
    off, extra = [], []
    while day.year == year:
        working = app.calendar.is_working_day(day)
        if day.weekday() < 5 and not working:
            off.append(day)
        elif day.weekday() >= 5 and working:
            extra.append(day)
        day += timedelta(days=1)
    sep, none = t(lang, "sep.list"), t(lang, "cli.holidays.none")
    print(t(lang, "cli.holidays.off", days=sep.join(d.strftime("%m-%d") for d in off) or none))
    print(t(lang, "cli.holidays.extra", days=sep.join(d.strftime("%m-%d") for d in extra) or none))
    return 0


async def cmd_summary(app: App, args: argparse.Namespace) -> int:
    from bot.reporting import render_summary_html
    from bot.services import summary as summary_service

    args.lang = args.lang or _lang(app)
    await app.load_holiday_notices()
    now = app.clock.now()
    week = args.week or summary_service.week_of(app.calendar.local_date(now))
    try:
        summary_service.week_bounds(week)
    except ValueError as exc:
        return _fail(str(exc))
    async with app.work(now) as uow:
        data = await summary_service.build_summary(uow, week=week)
        messages = render_summary_html(data, lang=args.lang)
        await summary_service.store_summary(uow, data, "\n".join(messages), actor="cli")
        if args.send:
            count = await summary_service.send_summary(
                uow, data, to=await summary_service.recipients(uow), actor="cli", dedupe=False
            )
            print(t(args.lang, "cli.summary.queued", count=count), file=sys.stderr)
    out = Path(args.out) if args.out else None
    if out is not None:
        rendered = summary_service.render_outputs(data, args.lang)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"summary-{week}.html").write_text("\n\n".join(messages), encoding="utf-8")
        (out / f"summary-{week}.png").write_bytes(rendered.chart)
        (out / f"ledger-{week}.xlsx").write_bytes(rendered.ledger)
        (out / f"summary-{week}.docx").write_bytes(rendered.docx)
        names = (
            f"{out}/summary-{week}.html",
            f"summary-{week}.png",
            f"ledger-{week}.xlsx",
            f"summary-{week}.docx",
        )
        print(
            t(args.lang, "cli.summary.written", files=t(args.lang, "sep.list").join(names)), file=sys.stderr
        )
    print(_plain("\n\n".join(messages)))
    return 0


def _plain(html_text: str) -> str:
    import html as html_lib
    import re

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html_text))


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    lang = normalise_language(settings.default_language)
    if args.weeks < 1 or args.weeks > 26:
        return _fail(t(lang, "cli.demo.bad_weeks"))
    print(t(lang, "cli.demo.start", weeks=args.weeks), flush=True)
    result = asyncio.run(run_demo(Path(args.out), weeks=args.weeks))
    print(result.headline)
    for path in result.files:
        print(f"  {path}")
    print(t(lang, "cli.demo.database", db=result.out / "demo.db"))
    return 0


def cmd_run(settings: Settings) -> int:
    import logging

    from bot.telegram.runner import run_bot

    if not settings.token_value():
        return _fail(
            "未设置 BOT_TOKEN。\n"
            "1. 在 Telegram 中打开 @BotFather，发送 /newbot，按提示取名，得到形如 123456:ABC… 的令牌；\n"
            "2. 写入当前目录的 .env 文件：BOT_TOKEN=123456:ABC…（或设为环境变量）；\n"
            "3. 再次运行 duban run。没有令牌也可以先运行 duban demo 看离线演示。\n"
            "BOT_TOKEN is not set: get one from @BotFather (/newbot), put BOT_TOKEN=... in .env, run again."
        )
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.telegram import redact

    clean = redact.install(settings.token_value())
    # aiohttp/aiogram log request URLs at DEBUG, and the URL carries the token.
    logging.getLogger("aiogram.client").setLevel(max(logging.INFO, logging.getLevelName(settings.log_level)))
    from bot.telegram.recovery import dead_letters_for
    from bot.telegram.writable import NotWritable, check_writable

    try:  # before migrating: an update that arrives must have somewhere to go
        check_writable(settings.database_url, dead_letters_for(settings).path)
    except NotWritable as exc:
        return _not_writable(exc, clean)
    migrate(settings)
    try:
        return asyncio.run(run_bot(settings))
    except Exception as exc:
        return _run_failed(exc, clean)


def _not_writable(exc: Exception, clean) -> int:  # type: ignore[no-untyped-def]
    return _fail(
        clean(
            f"数据库无法写入，duban run 未启动（收到的消息将无处保存）：{exc}\n"
            "请检查数据库文件及其所在目录的写权限和磁盘空间。\n"
            f"The database cannot be written, so duban run did not start (what arrives could not "
            f"be kept): {exc}. Check the permissions and free space of the database file and its "
            "directory."
        ),
        2,
    )


def _run_failed(exc: Exception, clean) -> int:  # type: ignore[no-untyped-def]
    """One line, the token masked: aiohttp's errors quote the request URL, which carries it."""
    import logging

    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    if isinstance(exc, TelegramUnauthorizedError):
        return _fail(
            "Telegram 拒绝了 BOT_TOKEN（令牌无效或已被撤销），请向 @BotFather 核对。\n"
            "Telegram refused BOT_TOKEN (invalid or revoked): check it with @BotFather.",
            1,
        )
    if not isinstance(exc, TelegramNetworkError):  # a bug: the (masked) traceback helps
        logging.getLogger("duban").error("duban run stopped", exc_info=exc)
    return _fail(clean(f"运行失败 / duban run failed: {type(exc).__name__}: {exc}"), 1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="duban", description="督办 Duban: policy documents into tracked work"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "init", help="create or upgrade the database, load the unit directory and the seed policy"
    )
    p.add_argument("--no-seed", action="store_true", help="do not import the bundled seed policy")
    p.set_defaults(handler=cmd_init, needs_db=True)

    p = sub.add_parser(
        "import", help="import a policy document (.txt/.md UTF-8 or GB18030, .docx, .pdf, .html)"
    )
    p.add_argument("path")
    p.add_argument("--dry-run", action="store_true", help="decompose and show, persist nothing")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the decomposition as JSON on stdout (each task with its evidence)",
    )
    p.add_argument(
        "--explain", action="store_true", help="show, per task, the words each unit and deadline came from"
    )
    p.add_argument("--horizon", type=_parse_date, help="due date for tasks without their own deadline")
    p.set_defaults(handler=cmd_import, needs_db=False)

    p = sub.add_parser("tasks", help="the ledger as a terminal table")
    p.add_argument("--policy", help="a policy's code (P1, J1 …); `duban policies` lists them")
    p.add_argument(
        "--measure",
        help="a measure or task: 2, 2.1, P1-2, P1-2.1 (a bare number needs --policy "
        "when several policies have it)",
    )
    p.add_argument("--unit")
    p.add_argument("--wide", action="store_true", help="show whole task texts")
    p.set_defaults(handler=cmd_tasks, needs_db=True)

    p = sub.add_parser("units", help="the unit directory with aliases and assignment counts")
    p.set_defaults(handler=cmd_units, needs_db=True)
    add_unit_commands(p)
    add_item_commands(sub)

    p = sub.add_parser("followups", help="list scheduled follow-ups (催办); `followups set` configures them")
    p.add_argument("--due", action="store_true", help="only those due now")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=cmd_followups, needs_db=True)
    fsub = p.add_subparsers(dest="action")
    f = fsub.add_parser(
        "set", help="per-policy or per-task rules, e.g. ack_remind_after_wd=2 warn_before_wd=5,2"
    )
    target = f.add_mutually_exclusive_group(required=True)
    target.add_argument("--policy", type=int)
    target.add_argument("--task", type=int)
    f.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    f.set_defaults(handler=cmd_followups_set, needs_db=True)

    p = sub.add_parser(
        "holidays", help="China's working-day calendar: show a year or import a State Council notice"
    )
    hsub = p.add_subparsers(dest="action", required=True)
    h = hsub.add_parser("import", help="load a notice file (JSON: year, source, holidays, workdays)")
    h.add_argument("file")
    h.set_defaults(handler=cmd_holidays, needs_db=True)
    h = hsub.add_parser("show", help="which source decides a year, its weekday holidays and make-up weekends")
    h.add_argument("year", type=int, nargs="?")
    h.set_defaults(handler=cmd_holidays, needs_db=True)

    p = sub.add_parser("summary", help="the weekly summary (周报): text, chart and Excel ledger")
    p.add_argument("--week", help="ISO week such as 2026-W48 (default: this week so far)")
    p.add_argument("--out", help="directory for summary-WEEK.html/.png and ledger-WEEK.xlsx")
    p.add_argument("--lang", choices=["zh", "en"], help="default: the configured DEFAULT_LANGUAGE")
    p.add_argument(
        "--send", action="store_true", help="(re-)send it to coordinators and observers via the bot"
    )
    p.set_defaults(handler=cmd_summary, needs_db=True)

    p = sub.add_parser(
        "demo", help="offline demonstration: simulated weeks, then the summary, chart and ledger"
    )
    p.add_argument("--weeks", type=int, default=4)
    p.add_argument("--out", default="demo-out")
    p.set_defaults(handler=None, needs_db=False, sync=lambda settings, args=None: None)

    p = sub.add_parser("run", help="run the Telegram bot (long polling, or a webhook with --webhook)")
    p.add_argument(
        "--webhook",
        metavar="URL",
        help="receive updates at this https URL (sets WEBHOOK_URL; "
        "needs WEBHOOK_SECRET; listens on WEBHOOK_LISTEN, path WEBHOOK_PATH)",
    )
    p.set_defaults(handler=None, needs_db=False, sync=cmd_run)

    p = sub.add_parser("coordinator", help="manage coordinators")
    csub = p.add_subparsers(dest="action", required=True)
    c = csub.add_parser("add", help="make a Telegram user a coordinator")
    c.add_argument("user_id", type=int, help="numeric Telegram user id (ask @userinfobot)")
    c.add_argument("--name")
    c.set_defaults(handler=cmd_coordinator, needs_db=True)

    p = sub.add_parser("invite", help="create a one-time, expiring invitation")
    p.add_argument("unit", nargs="?", help="unit name or alias; omit for observer/coordinator")
    p.add_argument("--role", choices=["contact", "leader", "observer", "coordinator"], default="contact")
    p.add_argument("--hours", type=_hours, help="validity in hours, 1 to 8760 (default INVITE_TTL_HOURS)")
    p.set_defaults(handler=cmd_invite, needs_db=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        return _fail(f"配置错误 / configuration error: {describe_errors(exc)}")
    except SettingsError as exc:  # a value that is not even JSON (FOLLOWUPS); names the field only
        return _fail(f"配置错误 / configuration error: {exc}")
    try:
        from bot.domain.followup_rules import FollowupSettings

        FollowupSettings().merged(settings.followups)
    except ValueError as exc:
        return _fail(f"配置错误 FOLLOWUPS / configuration error: {exc}")
    if args.command == "demo":
        return cmd_demo(settings, args)
    if args.command == "run" and args.webhook:
        try:  # validated with the rest: WEBHOOK_SECRET becomes required
            settings = Settings(webhook_url=args.webhook)
        except ValidationError as exc:
            return _fail(f"配置错误 / configuration error: {describe_errors(exc)}")
    if getattr(args, "sync", None):
        return int(args.sync(settings))
    if args.needs_db:
        migrate(settings)

    async def run() -> int:
        app = App.build(settings)
        try:
            return int(await args.handler(app, args))
        finally:
            await app.close()

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
