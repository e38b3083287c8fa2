"""SQLite on the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs each connection in a worker thread and hands every call across: SQLAlchemy makes
four calls per statement (cursor, execute, fetch, close), about 0.1 ms each on a small VM, while
SQLite itself answers a small query in a few microseconds. A batch of progress replies spends
more time in those hand-offs than in SQLite. This module gives the dialect (through
`create_async_engine(async_creator=...)`) a connection whose coroutines run the stdlib `sqlite3`
call directly and return.

Why it is safe here: nothing in the bot waits on SQLite's lock while holding it elsewhere in the
same thread. WAL readers never wait; writers inside this process take turns through the app's
`WriteGate` before they begin. A writer in ANOTHER process (a CLI command) can make a call here
sleep in SQLite's busy handler; the loop then waits as long as that other transaction, which is
what the gate would have made every writer do anyway. `SQLITE_DRIVER=thread` selects aiosqlite.

The members mirror what SQLAlchemy's aiosqlite adapter uses of `aiosqlite.Connection` and
`aiosqlite.Cursor` (see sqlalchemy/dialects/sqlite/aiosqlite.py); the exceptions are sqlite3's
own, which aiosqlite re-exports, so SQLAlchemy maps them the same way.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy feeds directly to set the
    isolation level: runs the function at once and settles the future."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)
        else:
            future.set_result(result)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._tx = _RunNow(connection)
        self._open = True

    @property
    def _connection(self) -> sqlite3.Connection | None:
        # SQLAlchemy's adapter checks this to see whether the connection is still open.
        return self._conn if self._open else None

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._open:
            self._open = False
            self._conn.close()

    def stop(self) -> None:
        if self._open:
            self._open = False
            self._conn.close()

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any],
                              deterministic: bool = False) -> None:
        self._conn.create_function(name, num_params, func, deterministic=deterministic)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def inline_creator(database: str, *, timeout: float, uri: bool = False) -> Callable[[], Any]:
    """The `async_creator` for `create_async_engine`: one sqlite3 connection per call."""

    async def connect() -> InlineConnection:
        # check_same_thread=False: the pool may close a connection from a finaliser elsewhere.
        return InlineConnection(sqlite3.connect(database, timeout=timeout, uri=uri, check_same_thread=False))

    return connect
