"""Alembic, driven from code so `duban init` needs no alembic.ini on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

import migrations

# The newest revision in migrations/versions; a test keeps it equal to Alembic's head.
HEAD = "0011_send6_run_lease"


def alembic_config(database_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    # Percent signs in passwords would otherwise be read as interpolation.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def sqlite_at_head(database_url: str) -> bool:
    """True when an SQLite database is already at HEAD: `duban run` then skips loading Alembic,
    which is a sixth of its start-up time."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    try:
        with sqlite3.connect(f"file:{url.database}?mode=ro", uri=True) as conn:
            row = conn.execute("select version_num from alembic_version").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == HEAD


def ensure_schema(database_url: str) -> None:
    if not sqlite_at_head(database_url):
        upgrade(database_url)
