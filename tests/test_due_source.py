"""A deadline a person set is stored as a language-neutral marker and worded when shown; rows
stored by older versions (the Chinese words themselves) read the same."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from bot.app import App
from bot.domain import due_sources
from bot.services import corrections, import_drafts
from bot.views.import_warnings import due_source_text
from models import Task
from tests.conftest import import_seed


@pytest.mark.parametrize(
    ("stored", "zh", "en"),
    [
        (due_sources.COORDINATOR, "督办人设定", "set by the coordinator"),
        ("督办人设定", "督办人设定", "set by the coordinator"),  # a row from before
        (due_sources.ITEM, "立项", "set when the item was registered"),
        ("立项", "立项", "set when the item was registered"),
        ("2025年底前", "2025年底前", "2025年底前"),  # the document's words, as written
        (None, "", ""),
    ],
)
def test_wording(stored: str | None, zh: str, en: str) -> None:
    assert due_source_text("zh", stored) == zh
    assert due_source_text("en", stored) == en


async def test_a_corrected_deadline_is_stored_as_the_marker(app: App) -> None:
    await import_seed(app)
    async with app.work() as uow:
        task = await uow.session.scalar(select(Task).where(col(Task.seq) == 1).limit(1))
        assert task is not None
        await corrections.set_due(uow, [task], date(2030, 6, 30), today=date(2026, 1, 5), actor="test")
        assert task.due_source == due_sources.COORDINATOR and task.due_on == date(2030, 6, 30)
    data = {"measures": [{"number": 1, "tasks": [{"seq": 1, "due": None, "due_source": None}]}]}
    import_drafts.set_due(data, ["1.1"], date(2030, 6, 30))
    assert data["measures"][0]["tasks"][0]["due_source"] == due_sources.COORDINATOR
