"""aiogram's FSM storage kept in the database, so a half-finished flow survives a restart."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import WriteGate, insert_new
from bot.domain.clock import Clock
from models import FsmState


class SqlStorage(BaseStorage):
    """aiogram FSM storage in the database, so a half-finished flow survives a restart.

    Bound to an update's session (`bound`, which the session middleware does for every update), a
    step's state joins that transaction: SQLite has one writer, and a step of a flow should commit
    (or roll back) with the update that made it. Unbound, each call is its own short transaction.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        gate: WriteGate,
        session: AsyncSession | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.gate = gate  # required, as for the sender: its writes take turns with everyone's
        self.session = session

    def bound(self, session: AsyncSession) -> SqlStorage:
        return SqlStorage(self.sessions, self.clock, self.gate, session)

    @staticmethod
    def key_of(key: StorageKey) -> str:
        """The row's key (the session middleware reads the row with the actor, by this key)."""
        return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or ''}:{key.destiny}"

    async def _write(self, key: StorageKey, **values: Any) -> None:
        if self.session is not None:
            await self._write_in(self.session, key, values)
            return
        async with self.gate(), self.sessions() as session, session.begin():
            await self._write_in(session, key, values)

    async def _write_in(self, session: AsyncSession, key: StorageKey, values: dict[str, Any]) -> None:
        row = await session.get(FsmState, self.key_of(key))
        if row is None:
            # Inserted if absent rather than added: two instances starting the same chat's flow
            # at once would otherwise fail one update on the primary key.
            await session.execute(insert_new(session, FsmState).values(key=self.key_of(key), data={}))
            row = await session.get(FsmState, self.key_of(key))
            assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = self.clock.now()
        await session.flush()

    async def _read(self, key: StorageKey) -> FsmState | None:
        if self.session is not None:
            return await self.session.get(FsmState, self.key_of(key))
        async with self.sessions() as session:
            return await session.get(FsmState, self.key_of(key))

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        # A copy: what the handler changes is written only through set_data.
        return copy.deepcopy(row.data or {}) if row else {}

    async def close(self) -> None:
        return None
