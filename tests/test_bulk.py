"""bulk.executemany must store exactly what SQLAlchemy's own executemany stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from bot.app import App
from bot.clock import ManualClock
from bot.services import bulk
from config.settings import Settings
from models import Event, OutboxMessage

SHANGHAI = timezone(timedelta(hours=8))


def _rows(first_entity: int) -> list[dict]:
    # Aware times in two zones, JSON with non-ASCII text, NULLs in every nullable column.
    return [
        {"at": datetime(2025, 9, 23, 10, 0, 1, 250_000, tzinfo=SHANGHAI), "actor": "contact:7", "kind": "report.received",
         "entity": "report", "entity_id": first_entity, "from_state": None, "to_state": None, "reason": None,
         "data": {"assignment_id": 3, "text": "完成60%", "nested": [1, None]}},
        {"at": datetime(2025, 9, 23, 2, 0, tzinfo=UTC), "actor": "system:scheduler", "kind": "assignment.transition",
         "entity": "assignment", "entity_id": first_entity + 1, "from_state": "assigned", "to_state": "in_progress",
         "reason": "理由", "data": None},
    ]


async def _raw(app: App, table: str, where: str) -> list[tuple]:
    async with app.engine.connect() as conn:
        return [tuple(r) for r in (await conn.exec_driver_sql(f"SELECT * FROM {table} WHERE {where}")).all()]


async def _check(app: App) -> None:
    async with app.sessions() as session, session.begin():
        await session.execute(Event.__table__.insert(), _rows(100))  # type: ignore[attr-defined]
        await bulk.executemany(session, bulk.insert_of(Event.__table__, tuple(_rows(0)[0])), _rows(200))  # type: ignore[arg-type]
    by_sqlalchemy = await _raw(app, "event", "entity_id < 200 ORDER BY id")
    by_bulk = await _raw(app, "event", "entity_id >= 200 ORDER BY id")
    assert len(by_bulk) == 2

    def stored(row: tuple) -> tuple:  # all but the id and the entity id, which differ on purpose
        return (*row[1:5], *row[6:])

    assert [stored(r) for r in by_bulk] == [stored(r) for r in by_sqlalchemy]

    async with app.sessions() as session:
        events = (await session.scalars(select(Event).where(Event.entity_id >= 200).order_by(Event.id))).all()
    assert events[0].at == datetime(2025, 9, 23, 2, 0, 1, 250_000, tzinfo=UTC)
    assert events[0].data == {"assignment_id": 3, "text": "完成60%", "nested": [1, None]}
    assert events[1].data is None and events[1].reason == "理由"


async def _check_update(app: App) -> None:
    now = datetime(2025, 9, 23, 2, 0, tzinfo=UTC)
    async with app.sessions() as session, session.begin():
        for n in range(3):
            session.add(OutboxMessage(chat_id=n, text=f"m{n}", state="pending", next_attempt_at=now, created_at=now))
    async with app.sessions() as session, session.begin():
        ids = (await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id))).all()
        changes = [{"row_id": ids[n], "state": "sent", "next_attempt_at": now + timedelta(minutes=n + 1)}
                   for n in range(2)]
        await bulk.executemany(session, bulk.update_by_id(OutboxMessage.__table__, ("state", "next_attempt_at")),  # type: ignore[attr-defined]
                               changes)
    async with app.sessions() as session:
        stored = [(r.chat_id, r.state, r.next_attempt_at) for r in
                  (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()]
    assert stored == [(0, "sent", now + timedelta(minutes=1)), (1, "sent", now + timedelta(minutes=2)),
                      (2, "pending", now)]


async def test_executemany_stores_what_sqlalchemy_stores_on_sqlite(app: App) -> None:
    await _check(app)
    await _check_update(app)


async def test_executemany_stores_what_sqlalchemy_stores_on_postgresql(pg_url: str, clock: ManualClock) -> None:
    application = App.build(Settings(_env_file=None, database_url=pg_url, bot_token=None), clock=clock)
    try:
        async with application.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        await _check(application)
        await _check_update(application)
    finally:
        await application.close()


async def test_executemany_refuses_a_naive_time_like_sqlalchemy(app: App) -> None:
    rows = _rows(300)
    rows[1]["at"] = datetime(2025, 9, 23, 2, 0)
    with pytest.raises(ValueError, match="naive"):
        async with app.sessions() as session, session.begin():
            await bulk.executemany(session, bulk.insert_of(Event.__table__, tuple(rows[0])), rows)  # type: ignore[arg-type]
    async with app.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM event WHERE entity_id >= 300"))).scalar() == 0
