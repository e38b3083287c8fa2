"""Where a task's deadline came from. ``Task.due_source`` holds the document's own words
("2025年底前") as written, or one of these markers when a person set the date; the markers are
worded where they are shown (bot/views/import_warnings.py: ``due_source_text``)."""

from __future__ import annotations

COORDINATOR = "by:coordinator"  # corrected by a coordinator, in chat or in a draft
ITEM = "by:item"  # given when an ad-hoc item was registered (立项)

# Older versions stored the Chinese words themselves; they read as the markers.
LEGACY = {"督办人设定": COORDINATOR, "立项": ITEM}
MARKERS = (COORDINATOR, ITEM)


def marker(source: str | None) -> str | None:
    """The marker a stored source stands for, or None when it is the document's words (or nothing)."""
    if source is None:
        return None
    source = LEGACY.get(source, source)
    return source if source in MARKERS else None
