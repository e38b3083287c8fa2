"""One update's or one job step's work: its session, its time, what it has read and what it changed.

The session middleware makes one per update, each job one per step, the command line and the demo
one per command; every service takes it as its first argument. `commit` re-plans the follow-ups of
the assignments whose state changed, then commits, so the schedule always commits with the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.followup_rules import FollowupSettings
from bot.domain.workcal import WorkCalendar

if TYPE_CHECKING:
    from bot.services.assignments import AssignmentView
    from config.settings import Settings
    from models import Contact


@dataclass
class UnitOfWork:
    session: AsyncSession
    now: datetime
    settings: Settings
    calendar: WorkCalendar
    followup_settings: FollowupSettings
    # Assignments whose state changed (an event was recorded on them): their follow-ups are re-planned.
    touched: set[int] = field(default_factory=set)
    # Read once per unit of work; the rows are in the session's identity map, so they stay current.
    views: dict[int, AssignmentView] = field(default_factory=dict)
    coordinators: list[Contact] | None = None
    unit_contacts: dict[tuple[int, str], list[Contact]] = field(default_factory=dict)
    # Work that may start only once this unit of work is committed (a background job that reads
    # what it wrote); dropped if it rolls back.
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    async def replan_touched(self) -> None:
        if self.touched:
            from bot.services.followups import replan

            touched, self.touched = self.touched, set()
            await replan(self, touched)

    async def commit(self) -> None:
        await self.replan_touched()
        await self.session.commit()
        started, self.after_commit = self.after_commit, []
        for work in started:
            work()
