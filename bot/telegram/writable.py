"""`duban run` refuses a database it cannot write: what arrived would be lost."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine


class NotWritable(Exception):
    """The database (or the directory its journal lives in) cannot be written."""


def sqlite_file(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    name = url.database
    if name.startswith("file:"):  # a URI filename (?uri=true)
        name = name[len("file:") :].split("?", 1)[0]
    return Path(name).expanduser()


def check_directory(path: Path) -> None:
    """SQLite in WAL mode creates -wal and -shm files beside the database: its directory must take
    new files. A real file is made (permission bits say nothing for root)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".duban-probe-", dir=path)
    except OSError as exc:
        raise NotWritable(f"{path}: {exc.strerror or exc}") from exc
    os.close(fd)
    os.unlink(name)


# A write that needs no schema (the check runs before migrations) and leaves none behind.
PROBE = ("CREATE TABLE duban_write_probe (x INTEGER)", "DROP TABLE duban_write_probe")


def _check_sqlite(url: URL) -> None:
    """Committed, so it reaches the disk: a rolled-back write never leaves SQLite's page cache and
    would pass on a full disk or under a file-size limit."""
    engine = create_engine(url.set(drivername="sqlite"))
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # takes the write lock: refused on a read-only file
            for statement in PROBE:
                connection.exec_driver_sql(statement)
            connection.exec_driver_sql("COMMIT")
    finally:
        engine.dispose()


async def _check_server(url: URL) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            if url.get_backend_name() == "postgresql":
                read_only = (await connection.execute(text("SHOW transaction_read_only"))).scalar()
                if str(read_only).lower() == "on":
                    raise NotWritable(
                        "the server takes read-only transactions only (transaction_read_only = on)"
                    )
            for statement in PROBE:  # transactional DDL: rolled back, nothing is left
                await connection.execute(text(statement))
            await connection.rollback()
    finally:
        await engine.dispose()


def check_writable(database_url: str, dead_letters: Path) -> None:
    """Raises NotWritable with what failed; the caller prints it and exits non-zero."""
    url = make_url(database_url)
    path = sqlite_file(database_url)
    try:
        if path is not None:
            check_directory(path.parent)
            _check_sqlite(url)
        elif url.get_backend_name() != "sqlite":
            asyncio.run(_check_server(url))
        with dead_letters.open("ab"):
            pass
    except NotWritable:
        raise
    except Exception as exc:
        raise NotWritable(f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}") from exc
