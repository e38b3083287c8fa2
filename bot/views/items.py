"""/new, registering an ad-hoc item (立项) step by step: each step's question and its buttons. Pure."""

from __future__ import annotations

from datetime import date

from bot.domain import callbacks as cb
from bot.i18n import t
from bot.views.formatting import esc

Markup = dict[str, list[list[dict[str, str]]]]


def _button(lang: str, key: str, action: str, value: str = "-", **values: object) -> dict[str, str]:
    return cb.button(t(lang, key, **values), cb.pack(cb.NEW, action, value))


def _cancel_row(lang: str) -> list[dict[str, str]]:
    return [_button(lang, "new.btn.cancel", "cancel")]


def cancel_keyboard(lang: str) -> Markup:
    """A step answered by typing: the only button cancels the flow."""
    return cb.keyboard([_cancel_row(lang)])


def kind_ask(lang: str, kinds: tuple[str, ...]) -> tuple[str, Markup]:
    rows = [
        [_button(lang, f"policy.kind.{k}", "kind", k) for k in kinds[:2]],
        [_button(lang, f"policy.kind.{k}", "kind", k) for k in kinds[2:]],
        _cancel_row(lang),
    ]
    return t(lang, "new.ask.kind"), cb.keyboard(rows)


def title_ask(lang: str, kind: str) -> str:
    return t(lang, "new.ask.title", kind=t(lang, f"policy.kind.{kind}"))


def co_ask(lang: str) -> tuple[str, Markup]:
    """Co-operating units are optional: the step can be skipped."""
    return t(lang, "new.ask.co"), cb.keyboard([[_button(lang, "new.btn.skip", "skip")], _cancel_row(lang)])


def unit_choices(lang: str, typed: str, matches: list[tuple[int, str]]) -> tuple[str, Markup]:
    """A typed name that is no unit's: a button per (id, name) it may have meant."""
    rows = [[cb.button(name, cb.pack(cb.NEW, "unit", uid))] for uid, name in matches]
    return t(lang, "new.units.choose", name=esc(typed)), cb.keyboard(rows)


def units_chosen(lang: str, step: str, chosen: list[str]) -> tuple[str, Markup]:
    """The lead (`step` "lead") or co-operating ("co") units chosen so far."""
    done = _button(lang, "new.btn.done", "done")
    text = t(lang, f"new.units.{step}", units=esc("、".join(chosen)) or "—")
    return text, cb.keyboard([[done], _cancel_row(lang)])


def rhythm_ask(lang: str, rhythms: tuple[str, ...]) -> tuple[str, Markup]:
    rows = [
        [_button(lang, f"rhythm.{r}", "rhythm", r) for r in rhythms],
        [_button(lang, "new.btn.no_rhythm", "rhythm", "none")],
        _cancel_row(lang),
    ]
    return t(lang, "new.ask.rhythm"), cb.keyboard(rows)


def summary(
    lang: str,
    *,
    kind: str,
    title: str,
    text: str,
    lead: list[str],
    co: list[str],
    due_on: date | None,
    rhythm: str | None,
) -> tuple[str, Markup]:
    """The item as it will be registered, to be confirmed."""
    body = t(
        lang,
        "new.summary",
        kind=t(lang, f"policy.kind.{kind}"),
        title=esc(title),
        text=esc(text),
        lead=esc("、".join(lead)),
        co=esc("、".join(co)) or "—",
        due=due_on.isoformat() if due_on else "—",
        rhythm=t(lang, f"rhythm.{rhythm}") if rhythm else t(lang, "new.btn.no_rhythm"),
    )
    return body, cb.keyboard(
        [[_button(lang, "btn.confirm", "ok"), _button(lang, "new.btn.cancel", "cancel")]]
    )


def created(lang: str, code: str, title: str, assignments: int) -> str:
    return t(lang, "new.created", code=code, title=esc(title), assignments=assignments)
