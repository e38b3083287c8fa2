"""`duban import --dry-run`: what importing would change, by the same preview the chat import shows."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from bot.app import App
from bot.importer import Decomposition
from bot.migrate import sqlite_at_head
from bot.services.policies import ImportPreview, preview_import


def _database_ready(url: str) -> bool:
    """A dry run never creates or migrates a database: an SQLite file must exist at HEAD already.
    Another server is asked; a database it cannot read is treated as empty."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite_at_head(url)
    return True


async def preview_against_database(app: App, decomposition: Decomposition) -> ImportPreview | None:
    """The preview (new policy, same document, or a revision with its changes); None without a database."""
    if not _database_ready(app.settings.database_url):
        return None
    from sqlalchemy.exc import SQLAlchemyError

    try:
        async with app.sessions() as session:
            preview = await preview_import(app.unit_of_work(session), decomposition)
            await session.rollback()  # a preview reads only; nothing of it is kept
    except SQLAlchemyError:
        return None
    return preview


def preview_lines(preview: ImportPreview, lang: str) -> list[str]:
    """The dry run's verdict in `lang` (the configured default language), then a revision's changes."""
    from bot.i18n import t
    from bot.views.imports import revision_lines

    if preview.same_document:
        return [t(lang, "dryrun.same", code=preview.existing_code)]
    if preview.existing_policy_id is not None:
        return [
            t(lang, "dryrun.revision", code=preview.existing_code),
            *(f"  {line}" for line in revision_lines(lang, preview)),
        ]
    return [t(lang, "dryrun.new", code=preview.code)]
