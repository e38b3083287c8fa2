"""/summary is answered at once; the summary is read and rendered in the background and then queued."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.types import Update

from bot.services import offload
from tests.conftest import Harness
from tests.test_bot_flow import COORD, YICHUN, dispatch_and_find


async def test_summary_answers_at_once_and_the_summary_follows_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.send_text(YICHUN, "完成40%", reply_to=task_msg)
    await h.deliver()
    release = asyncio.Event()
    real_render = offload.read_and_render_apart

    async def slow_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        await release.wait()
        return await real_render(*args, **kwargs)

    monkeypatch.setattr(offload, "read_and_render_apart", slow_render)
    mark = h.srv.mark()
    h.srv.command(COORD, "/summary")
    for raw in h.srv.take_updates():
        # The update is done while the summary is still being rendered.
        await asyncio.wait_for(
            h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot})), 10
        )
    await h.sender.drain(timeout=20)
    now_sent = h.srv.sent[mark:]
    assert [s.text for s in now_sent if s.chat_id == COORD] == ["正在生成周报…"]
    # A contact's reply meanwhile is answered too.
    h.srv.send_text(YICHUN, "完成60%", reply_to=task_msg)
    for raw in h.srv.take_updates():
        await asyncio.wait_for(
            h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot})), 10
        )
    await h.sender.drain(timeout=20)
    assert any(s.chat_id == YICHUN for s in h.srv.sent[mark:])
    assert h.dispatcher["jobs"].background
    release.set()
    await h.deliver()
    to_coord = [s for s in h.srv.sent[mark:] if s.chat_id == COORD]
    assert any("督办周报" in (s.text or "") for s in to_coord if s.method == "sendMessage")
    # Each part of the summary once: one chart, one ledger, one 周报, one heading.
    assert sum(1 for s in to_coord if s.method == "sendPhoto") == 1
    names = [s.document_name for s in to_coord if s.method == "sendDocument"]
    assert sorted(n.rsplit(".", 1)[1] for n in names if n) == ["docx", "xlsx"]
    texts = [s.text for s in to_coord if s.method == "sendMessage"]
    assert len(texts) == len(set(texts))
    assert not h.dispatcher["jobs"].background
