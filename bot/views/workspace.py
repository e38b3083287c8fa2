"""Many policies side by side: /policies with its selection buttons, and asking which policy a
number meant. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import callbacks as cb
from bot.domain.text import clip
from bot.i18n import t
from bot.views.board import paginate
from bot.views.formatting import esc
from models import Policy

if TYPE_CHECKING:
    from bot.services.scope import PolicyLine

Markup = dict[str, list[list[dict[str, str]]]]


def policy_label(policy: Policy) -> str:
    return f"{policy.code} {clip(policy.short_title or policy.title, 24)}"


def which_policy(lang: str, ref: str, choices: list[tuple[Policy, str, str]]) -> tuple[str, Markup | None]:
    """A number several policies have: (policy, the reference with its code, the button's payload or
    "" when it would not fit) for each; the coordinator presses one or types the code."""
    rows = [[cb.button(policy_label(policy), data)] for policy, _, data in choices if data]
    codes = "、".join(full for _, full, _ in choices)
    text = t(lang, "ref.which", ref=esc(ref), count=len(choices), examples=esc(codes))
    return text, cb.keyboard(rows) if rows else None


def policies(
    lang: str, lines: list[PolicyLine], lights: dict[int, str], chosen: int | None
) -> tuple[list[str], Markup]:
    """/policies: the messages (the last carries the hint) and the selection buttons for the last."""
    rows_text = []
    buttons: list[dict[str, str]] = []
    for line in lines:
        p = line.policy
        rows_text.append(
            t(
                lang,
                "policies.row",
                light=t(lang, f"light.{lights[p.id or 0]}"),
                code=p.code,
                title=esc(clip(p.short_title or p.title, 60)),
                doc=t(lang, "policies.doc", doc=esc(p.doc_number)) if p.doc_number else "",
                kind=t(lang, f"policy.kind.{p.kind}"),
                tasks=line.tasks,
                assignments=line.assignments,
                done=line.done,
                draft=line.draft,
                selected=t(lang, "policies.selected_mark") if p.id == chosen else "",
            )
        )
        mark = "✓ " if p.id == chosen else ""
        buttons.append(cb.button(mark + p.code, cb.pack(cb.POLICY, "sel", p.id)))
    keyboard = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    if chosen is not None:
        keyboard.append([cb.button(t(lang, "policies.clear"), cb.pack(cb.POLICY, "clr", 0))])
    text, _, pages = paginate(t(lang, "policies.header", count=len(lines)), rows_text, 0)
    messages = []
    for page in range(1, pages):
        messages.append(text)
        text = paginate("", rows_text, page)[0].strip()
    messages.append(text + "\n\n" + t(lang, "policies.hint"))
    return messages, cb.keyboard(keyboard)


def policy_chosen(lang: str, policy: Policy | None) -> str:
    if policy is None:
        return t(lang, "policies.cleared")
    return t(lang, "policies.chosen", code=policy.code, title=esc(clip(policy.short_title or policy.title)))
