"""Long background jobs stop between their steps when the bot shuts down."""

from __future__ import annotations

import bot.jobs as jobs_module
from bot.app import App
from bot.jobs import Jobs
from bot.services.dispatch import dispatch
from tests.conftest import import_seed


async def test_a_replan_stops_after_the_step_in_progress(app: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    await import_seed(app)
    async with app.work() as uow:
        await dispatch(uow, None, actor="test")
    jobs = Jobs(app)
    steps = []

    async def rest(busy: float) -> None:
        steps.append(busy)
        jobs.stopping = True  # the runner sets this at shutdown, while a step is running

    monkeypatch.setattr(jobs_module, "give_way", rest)
    result = await jobs.plan(chunk=5)
    assert len(steps) == 1 and result.assignments == 5

    jobs.stopping = False
    steps.clear()
    monkeypatch.setattr(jobs_module, "give_way", lambda busy: _noop())
    whole = await jobs.plan(chunk=50)
    assert whole.assignments > 5  # nothing else held it back


async def _noop() -> None:
    return None
