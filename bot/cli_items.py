"""`duban policies` and `duban new`: the policies side by side with their codes, and an ad-hoc item
(立项) registered from the shell through the same service as the chat's /new."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Protocol

from bot.domain.dates import parse_date
from bot.i18n import normalise_language, t

if TYPE_CHECKING:
    from bot.app import App

KIND_WORDS = {"instruction": "领导批示", "meeting": "会议议定", "key_work": "重点工作", "other": "其他"}


class Subcommands(Protocol):
    """What `ArgumentParser.add_subparsers()` returns, as far as adding commands to it goes."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


async def cmd_policies(app: App, args: argparse.Namespace) -> int:
    from bot.services import scope

    lang = normalise_language(app.settings.default_language)
    async with app.sessions() as session:
        lines = await scope.policy_lines(app.unit_of_work(session))
    if not lines:
        print(t(lang, "cli.policies.none"))
        return 0
    for line in lines:
        p = line.policy
        doc = t(lang, "policies.doc", doc=p.doc_number) if p.doc_number else ""
        counts = t(
            lang,
            "cli.policies.counts",
            tasks=line.tasks,
            assignments=line.assignments,
            done=line.done,
            draft=line.draft,
        )
        print(f"{p.code}\t{p.short_title or p.title}{doc}\t{counts}")
    return 0


async def cmd_new(app: App, args: argparse.Namespace) -> int:
    import re

    from bot.services import items

    lang = normalise_language(app.settings.default_language)
    split = re.compile(r"[、，,；;\s]+")
    today = app.calendar.local_date(app.clock.now())
    due = parse_date(args.due, today)
    if due is None:
        return _fail(t(lang, "cli.new.bad_date", due=args.due))
    item = items.NewItem(
        kind=args.kind,
        title=args.title,
        text=args.text or args.title,
        lead=[n for n in split.split(args.lead) if n],
        co=[n for n in split.split(args.co or "") if n],
        due_on=due,
        rhythm=None if args.rhythm == "none" else args.rhythm,
    )
    try:
        async with app.work() as uow:
            created = await items.create_item(uow, item, actor="cli")
    except items.ItemError as exc:
        return _fail(t(lang, exc.key, **exc.values))
    code, title = created.policy.code, created.policy.title
    print(t(lang, "cli.new.created", code=code, title=title, count=len(created.assignments)))
    return 0


def add_item_commands(sub: Subcommands) -> None:
    p = sub.add_parser("policies", help="policies and ad-hoc items with their codes (P1, J1 …) and counts")
    p.set_defaults(handler=cmd_policies, needs_db=True)
    p = sub.add_parser(
        "new", help="register an ad-hoc item (立项): a leader's instruction, meeting decision …"
    )
    p.add_argument(
        "--kind",
        required=True,
        choices=list(KIND_WORDS),
        help="instruction 领导批示 | meeting 会议议定 | key_work 重点工作 | other 其他",
    )
    p.add_argument("--title", required=True)
    p.add_argument("--text", help="the task's text (default: the title)")
    p.add_argument("--lead", required=True, help="lead units, separated by 、 or commas")
    p.add_argument("--co", help="co-operating units, separated by 、 or commas")
    p.add_argument("--due", required=True, help="deadline, e.g. 2026-03-31")
    p.add_argument("--rhythm", choices=["weekly", "monthly", "quarterly", "none"], default="none")
    p.set_defaults(handler=cmd_new, needs_db=True)
