"""Invitations: the code never sits in the outbox, guesses are throttled per user, and validity
must be a positive number of hours."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.services import sealed
from bot.services.invites import InviteError, create_invite, hash_code
from bot.services.throttle import FAILURES, AttemptThrottle
from models import (
    Contact,
    Event,
    Invite,
    OutboxMessage,
)
from tests.conftest import Harness
from tests.test_bot_flow import (
    COORD,
    STRANGER,
    _invite,
    _setup,
)

CODE = re.compile(r"start=([A-Za-z0-9_-]{20,})")


async def _stored_texts(h: Harness) -> list[str]:
    async with h.app.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        events = (await session.scalars(select(Event))).all()
    return [r.text or "" for r in rows] + [str(e.data) for e in events]


async def test_invite_code_reaches_the_coordinator_but_not_the_outbox(harness: Harness) -> None:
    h = harness
    await _setup(h)
    h.srv.command(COORD, "/invite 省商务厅")
    await h.deliver()
    sent = h.srv.messages_to(COORD)[-1].text
    match = CODE.search(sent)
    assert match, sent
    code = match.group(1)
    assert sent.count(code) == 2  # in the link and on its own line
    stored = await _stored_texts(h)
    assert not any(code in text for text in stored)
    markers = [text for text in stored if "⟦sealed:" in text]
    assert markers  # the row is kept, with a marker in the code's place
    # Delivered, the code is forgotten here too.
    assert code not in (sealed.STORE.unseal(markers[0]) or "")
    # The delivered code works.
    h.srv.command(STRANGER, f"/start {code}")
    await h.deliver()
    assert "省商务厅" in h.srv.messages_to(STRANGER)[-1].text


async def test_a_code_lost_in_a_restart_is_reported_not_leaked(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    await _setup(h)
    await h.sender.stop()  # the bot "stops" before sending
    h.srv.command(COORD, "/invite 省商务厅")
    for raw in h.srv.take_updates():
        from aiogram.types import Update

        await h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot}))
    monkeypatch.setattr(sealed, "STORE", sealed.SealedStore())  # a new process remembers nothing
    from bot.telegram.sender import Limits, OutboxSender
    from bot.telegram.transport import AiogramTransport

    sender = OutboxSender(
        h.app.sessions,
        AiogramTransport(h.bot),
        h.app.clock,
        Limits(global_per_sec=1000, per_chat_per_sec=1000, per_group_per_min=10000),
        gate=h.app.gate,
    )
    await sender.drain(timeout=20)
    sent = h.srv.messages_to(COORD)[-1].text
    assert "重新发送 /invite" in sent and "⟦" not in sent and not CODE.search(sent), sent


def test_a_sealed_code_is_filled_once_delivered_never_again() -> None:
    marker = sealed.STORE.seal("SECRETCODE", "en")
    assert sealed.for_sending(f"code {marker}") == "code SECRETCODE"
    assert sealed.for_sending("no marker here") == "no marker here"
    sealed.delivered(f"code {marker}")
    after = sealed.for_sending(marker) or ""
    assert "SECRETCODE" not in after and "/invite" in after
    # A marker someone made up names no waiting code.
    assert "SECRETCODE" not in (sealed.for_sending("⟦sealed:AAAAAAAAAAAAAAAA:zh⟧") or "")


async def test_wrong_codes_are_throttled_per_user(harness: Harness) -> None:
    h = harness
    await _setup(h)
    good = await _invite(h, "省商务厅")
    for n in range(FAILURES):
        h.srv.command(STRANGER, f"/start wrong-code-{n}")
    await h.deliver()
    assert all("无效" in s.text for s in h.srv.messages_to(STRANGER))
    answered = len(h.srv.messages_to(STRANGER))
    # Now even the right code is not looked at; one polite answer, then silence.
    h.srv.command(STRANGER, f"/start {good}")
    h.srv.command(STRANGER, "/start wrong-again")
    h.srv.command(STRANGER, f"/start {good}")
    await h.deliver()
    later = h.srv.messages_to(STRANGER)[answered:]
    assert len(later) == 1 and "分钟后再试" in later[0].text, [s.text for s in later]
    async with h.app.sessions() as session:
        invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(good)))
        assert invite is not None and invite.used_at is None
        assert await session.scalar(select(Contact.id).where(Contact.telegram_user_id == STRANGER)) is None
    # Someone else is not affected.
    h.srv.user(STRANGER + 1, first_name="别人")
    h.srv.command(STRANGER + 1, f"/start {good}")
    await h.deliver()
    assert "绑定成功" in h.srv.messages_to(STRANGER + 1)[-1].text


async def test_the_throttle_lifts_after_its_window(harness: Harness) -> None:
    h = harness
    await _setup(h)
    good = await _invite(h, "省商务厅")
    for n in range(FAILURES + 1):
        h.srv.command(STRANGER, f"/start wrong-code-{n}")
    await h.deliver()
    h.app.clock.advance(minutes=11)  # type: ignore[attr-defined]
    h.srv.command(STRANGER, f"/start {good}")
    await h.deliver()
    assert "绑定成功" in h.srv.messages_to(STRANGER)[-1].text


def test_throttle_counts_a_window_of_failures() -> None:
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    throttle = AttemptThrottle(failures=3, window=timedelta(minutes=10))
    for minute in range(3):
        assert not throttle.blocked(1, t0 + timedelta(minutes=minute))
        throttle.failed(1, t0 + timedelta(minutes=minute))
    assert throttle.blocked(1, t0 + timedelta(minutes=5)) and not throttle.blocked(2, t0)
    assert throttle.retry_at(1, t0 + timedelta(minutes=5)) == t0 + timedelta(minutes=10)
    assert not throttle.blocked(1, t0 + timedelta(minutes=10))  # the first failure left the window
    throttle.succeeded(1)
    assert not throttle.blocked(1, t0 + timedelta(minutes=5))


@pytest.mark.parametrize("hours", ["-1", "0", "abc", "100000000"])
def test_cli_invite_refuses_hours_that_are_not_positive(
    hours: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import build_parser

    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["invite", "省商务厅", "--hours", hours])
    assert caught.value.code == 2 and "小时" in capsys.readouterr().err


@pytest.mark.parametrize("hours", [0, -1, 10**9])
async def test_create_invite_refuses_a_validity_that_is_not_positive(harness: Harness, hours: int) -> None:
    async with harness.app.sessions() as session, session.begin():
        with pytest.raises(InviteError) as caught:
            await create_invite(
                harness.app.unit_of_work(session), unit=None, role="observer", ttl_hours=hours, actor="test"
            )
    assert caught.value.code == "bad_ttl"


async def test_invitations_never_go_to_a_group(harness: Harness) -> None:
    h = harness
    await _setup(h)
    h.srv.group(-5000, title="督办办公室群")
    before = len(h.srv.messages_to(-5000))
    h.srv.command(COORD, "/invite coordinator", chat_id=-5000)
    await h.deliver()
    assert len(h.srv.messages_to(-5000)) == before
    assert "邀请码" in h.srv.messages_to(COORD)[-1].text  # it went to the coordinator's private chat
