"""Who is who: invitations made and accepted, the greeting and the help each role reads. Pure."""

from __future__ import annotations

from bot.i18n import role_name, t
from bot.views.formatting import esc


def invite_created(
    lang: str, role: str, unit: str | None, hours: int, bot_username: str | None, code: str
) -> str:
    """A new invitation for the coordinator's private chat: the link and the code (`code` is the
    sealed form the outbox keeps)."""
    return t(
        lang,
        "invite.created",
        role=role_name(lang, role),
        unit=t(lang, "invite.created.unit", unit=esc(unit)) if unit else "",
        hours=hours,
        link=f"https://t.me/{bot_username}?start={code}",
        code=code,
    )


def invite_accepted(lang: str, *, role: str, group: bool, chat: str, unit: str | None) -> str:
    """An invitation redeemed: a group bound to its unit, a coordinator or observer, or a contact."""
    if group:
        return t(lang, "invite.ok.group", unit=esc(unit or ""))
    if role in ("coordinator", "observer"):
        return t(lang, f"invite.ok.{role}")
    return t(lang, "invite.ok.contact", chat=esc(chat), unit=esc(unit or ""), role=role_name(lang, role))


def greeting(
    lang: str, *, known: bool, coordinator: bool, name: str, units: list[str], role: str | None
) -> str:
    """/start without a code: strangers are told how to join; members are told who they are here.
    `role` is "contact" or "leader" for a unit's member, None for an observer."""
    if not known:
        return t(lang, "stranger")
    if coordinator:
        return t(lang, "start.coordinator", name=esc(name))
    if role is not None:
        return t(
            lang, "start.contact", name=esc(name), unit=esc("、".join(units)), role=role_name(lang, role)
        )
    return t(lang, "start.observer", name=esc(name))


def help_text(lang: str, *, known: bool, coordinator: bool, contact: bool, leader: bool) -> str:
    if not known:
        return t(lang, "stranger")
    if coordinator:
        return t(lang, "help.coordinator") + t(lang, "help.import")
    if contact:
        return t(lang, "help.contact")
    if leader:
        return t(lang, "help.leader")
    return t(lang, "help.observer")
