"""`duban run` refuses a PostgreSQL database it cannot write, as it refuses a read-only SQLite file
(tests/test_failed_updates_e2e.py): what arrived would be lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.telegram.writable import NotWritable, check_writable
from tests import pgserver


async def test_a_read_only_postgresql_database_is_refused(pg_url: str, tmp_path: Path) -> None:
    import asyncpg

    dead_letters = tmp_path / "dead.jsonl"
    await asyncio.to_thread(check_writable, pg_url, dead_letters)  # a writable one passes
    name = pg_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(pgserver.dsn())
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    finally:
        await admin.close()
    with pytest.raises(NotWritable, match="read-only"):
        await asyncio.to_thread(check_writable, pg_url, dead_letters)
    # The probe leaves nothing behind on the writable database either.
    assert pgserver.fetch(name, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
