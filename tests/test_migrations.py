"""The Alembic history builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import models  # noqa: F401
from bot.migrate import HEAD, upgrade


def _diff(sync_engine) -> list:  # type: ignore[no-untyped-def]
    with sync_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_sqlite_migration_matches_models(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    upgrade(f"sqlite+aiosqlite:///{db}")  # a second run is a no-op
    engine = create_engine(f"sqlite:///{db}")
    assert _diff(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == HEAD


async def test_postgresql_migration_and_a_dispatch(pg_url: str) -> None:
    import asyncio

    from sqlalchemy import func, select

    from bot.app import App
    from bot.domain.clock import ManualClock
    from bot.services import acknowledge, coordination, dispatch
    from config.settings import Settings
    from models import Assignment
    from tests.conftest import T0, import_seed

    await asyncio.to_thread(upgrade, pg_url)
    app = App.build(Settings(_env_file=None, database_url=pg_url, bot_token=None), clock=ManualClock(T0))
    try:
        await import_seed(app)
        await import_seed(app)  # idempotent on PostgreSQL too
        async with app.work() as uow:
            result = await dispatch.dispatch(uow, 2, actor="test")
        assert result.assignments == 11
        async with app.sessions() as session:
            assigned = await session.scalar(
                select(func.count(Assignment.id)).where(Assignment.status == "assigned")
            )
        assert assigned == 11
        # Two presses of 签收 at once: the row lock makes them take turns, one wins.
        from bot.services.access import resolve_actor
        from bot.services.units import find_unit
        from models import Contact

        async with app.work() as uow:
            session = uow.session
            unit = await find_unit(uow, "宜春市人民政府")
            session.add(
                Contact(
                    unit_id=unit.id,
                    role="contact",
                    chat_id=77,
                    telegram_user_id=77,
                    created_at=app.clock.now(),
                )
            )
            aid = await session.scalar(
                select(Assignment.id)
                .where(Assignment.unit_id == unit.id, Assignment.status == "assigned")
                .limit(1)
            )

        async def press() -> str:
            async with app.sessions() as session:
                uow = app.unit_of_work(session)
                actor = await resolve_actor(uow, user_id=77, chat_id=77, name="c", default_language="zh")
                try:
                    await acknowledge.acknowledge(uow, actor, aid)
                    await asyncio.sleep(0.2)  # hold the lock while the other press waits
                    await uow.commit()
                    return "ok"
                except coordination.CoordinationError as exc:
                    await session.rollback()
                    return exc.key

        assert sorted(await asyncio.gather(press(), press())) == ["ack.already", "ok"]
        async with app.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync_conn: compare_metadata(
                    MigrationContext.configure(sync_conn, opts={"compare_type": True}), SQLModel.metadata
                )
            )
        assert diff == []
    finally:
        await app.close()


def test_head_constant_matches_alembic(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from bot.migrate import HEAD, alembic_config, sqlite_at_head

    assert ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_current_head() == HEAD
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    assert not sqlite_at_head(url)
    upgrade(url)
    assert sqlite_at_head(url)


def test_policy_codes_backfilled_in_id_order(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    upgrade(f"sqlite+aiosqlite:///{db}", "0002")
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        for pid in (5, 2, 9):
            conn.execute(
                text(
                    "insert into policy (id, title, short_title, fingerprint, source_name, source_text, "
                    "created_at) values (:id, 't', 't', :fp, '', '', '2026-01-01 00:00:00')"
                ),
                {"id": pid, "fp": f"f{pid}"},
            )
    upgrade(f"sqlite+aiosqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(text("select id, code, kind from policy order by id")).all()
    assert [tuple(r) for r in rows] == [(2, "P1", "document"), (5, "P2", "document"), (9, "P3", "document")]
