"""Plain assignment views (batch work) carry the same values as the ORM views, and only the columns asked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from bot.services import assignments as asg
from bot.services.ingest import VIEW_COLUMNS
from models import Assignment
from tests.conftest import import_seed


async def test_plain_views_match_the_orm_views_column_for_column(app: App) -> None:
    from models import TaskMessage

    await import_seed(app)
    async with app.sessions() as session, session.begin():
        ids = set((await session.scalars(select(Assignment.id))).all())
        session.add_all([TaskMessage(chat_id=1, message_id=aid, assignment_id=aid, purpose="dispatch",
                                     created_at=app.clock.now()) for aid in ids])
    async with app.sessions() as session:
        carried, plain = await asg.load_plain_views_of_messages(session, {1}, ids, VIEW_COLUMNS)
        assert carried == {(1, aid): aid for aid in ids}
        await asg.load_views(session, ids)
        orm = session.info["assignment_views"]
        assert set(plain) == ids and len(ids) > 500
        for aid in ids:
            for part, names in VIEW_COLUMNS:
                for name in names:
                    assert getattr(getattr(plain[aid], part), name) == getattr(getattr(orm[aid], part), name), (
                        aid, part, name)
        # Shared rows are one object each, as in the ORM's identity map.
        by_task: dict[int, object] = {}
        for view in plain.values():
            assert by_task.setdefault(view.task.id, view.task) is view.task
        # A column the caller did not ask for is not silently None.
        any_view = next(iter(plain.values()))
        with pytest.raises(AttributeError):
            _ = any_view.policy.title


async def test_views_of_messages_map_each_message_to_its_assignment(app: App) -> None:
    from models import TaskMessage

    await import_seed(app)
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        first, second = (await session.scalars(select(Assignment.id).order_by(Assignment.id).limit(2))).all()
        session.add_all([TaskMessage(chat_id=7, message_id=1, assignment_id=first, purpose="dispatch", created_at=now),
                         TaskMessage(chat_id=7, message_id=2, assignment_id=first, purpose="followup", created_at=now),
                         TaskMessage(chat_id=8, message_id=1, assignment_id=second, purpose="dispatch",
                                     created_at=now)])
    async with app.sessions() as session:
        carried, views = await asg.load_plain_views_of_messages(session, {7, 8}, {1, 2, 3}, VIEW_COLUMNS)
    assert carried == {(7, 1): first, (7, 2): first, (8, 1): second}
    assert set(views) == {first, second} and views[first].assignment.id == first
