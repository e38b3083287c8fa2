"""The importer's warnings (bot/importer/warning.py) and where a deadline came from, in the
reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.domain import due_sources
from bot.i18n import t
from bot.importer.warning import ImporterWarning, Where


def where_text(lang: str, where: Where) -> str:
    if where.first is None:
        return t(lang, "import.where.measure", measure=where.measure)
    if where.last is None or where.last == where.first:
        return t(lang, "import.where.task", measure=where.measure, first=where.first)
    return t(lang, "import.where.tasks", measure=where.measure, first=where.first, last=where.last)


def warning_text(lang: str, warning: ImporterWarning | dict[str, Any] | str) -> str:
    """One warning; also a stored draft's (its JSON, or the Chinese text older versions kept)."""
    if not isinstance(warning, ImporterWarning):
        warning = ImporterWarning.from_json(warning)
    sep = t(lang, "sep.list")
    values = {k: sep.join(v) if isinstance(v, tuple) else v for k, v in warning.values}
    text = t(lang, f"import.warn.{warning.kind}", **values)
    if warning.where is None:
        return text
    return t(lang, "import.warn.at", where=where_text(lang, warning.where), text=text)


def warning_texts(lang: str, warnings: Iterable[ImporterWarning | dict[str, Any] | str]) -> list[str]:
    return [warning_text(lang, w) for w in warnings]


def due_source_text(lang: str, source: str | None) -> str:
    """A task's ``due_source``: the document's words as written, or who set the date."""
    found = due_sources.marker(source)
    if found is not None:
        return t(lang, "due_source." + found.removeprefix("by:"))
    return source or ""
