"""The summary read and rendered in a child process: the child sees what the bot would, the bot
gets the figures back without the rows."""

from __future__ import annotations

from bot.app import App
from bot.domain.clock import ManualClock
from bot.reporting import model as rm
from bot.services import summary as s
from bot.services.offload import Reader, read_and_render_apart
from tests.test_summary_service import NOW, _ledger


def what_the_child_read(data: rm.SummaryData, lang: str) -> tuple[str, list[int], list[int], list[str]]:
    """Module-level, so the child process can be handed it."""
    return (
        lang,
        [a.assignment_id for a in data.assignments],
        [r.report_id for r in data.reports],
        [m.number for m in data.measures],
    )


async def test_the_child_reads_what_the_bot_would_and_hands_back_only_the_figures(
    app: App, clock: ManualClock
) -> None:
    clock.set(NOW)
    await _ledger(app)
    async with app.sessions() as session:
        here = await s.build_summary(app.unit_of_work(session, NOW), week="2025-W47")
    reader = Reader(app.settings, app.calendar, app.followup_settings, NOW)

    figures, (lang, assignments, reports, measures) = await read_and_render_apart(
        reader, what_the_child_read, "en", week="2025-W47"
    )

    assert lang == "en"
    assert assignments == [a.assignment_id for a in here.assignments] and len(assignments) == 6
    assert reports == [r.report_id for r in here.reports] and reports
    assert measures == [m.number for m in here.measures] == ["P1-1", "P1-2"]
    assert figures.headline == here.headline and figures.units == here.units
    assert figures.change == here.change and figures.week == "2025-W47"
    assert s.figures_of(figures) == s.figures_of(here)
    assert not list(figures.assignments) and not list(figures.reports) and not figures.policies


async def test_a_summary_narrowed_to_a_policy_is_read_narrowed(app: App, clock: ManualClock) -> None:
    clock.set(NOW)
    await _ledger(app)
    reader = Reader(app.settings, app.calendar, app.followup_settings, NOW)

    figures, (_, assignments, _, _) = await read_and_render_apart(
        reader, what_the_child_read, "zh", week="2025-W47", policy_ids=[-1]
    )

    assert assignments == [] and figures.headline.total == 0
