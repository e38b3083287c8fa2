"""`duban policies` and `duban new`: the policies side by side with their codes, and an ad-hoc item
(立项) registered from the shell through the same service as the chat's /new."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Protocol

from bot.domain.dates import parse_date

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

    async with app.sessions() as session:
        lines = await scope.policy_lines(app.unit_of_work(session))
    if not lines:
        print("还没有政策或立项事项。")
        return 0
    for line in lines:
        p = line.policy
        doc = f"（{p.doc_number}）" if p.doc_number else ""
        print(
            f"{p.code}\t{p.short_title or p.title}{doc}\t任务{line.tasks} 分配{line.assignments} "
            f"办结{line.done} 待交办{line.draft}"
        )
    return 0


async def cmd_new(app: App, args: argparse.Namespace) -> int:
    import re

    from bot.services import items

    split = re.compile(r"[、，,；;\s]+")
    today = app.calendar.local_date(app.clock.now())
    due = parse_date(args.due, today)
    if due is None:
        return _fail(f"看不懂的日期：{args.due}")
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
        from bot.i18n import t

        return _fail(t("zh", exc.key, **exc.values))
    print(
        f"已立项 {created.policy.code}：{created.policy.title}，{len(created.assignments)} 个待交办分配"
        f"（任务 {created.policy.code}-1.1）。交办：在聊天中发送 /dispatch {created.policy.code}"
    )
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
