"""The weekly summary's words around its rendered report (bot/reporting writes the report itself):
the files each reader gets with their names and captions. No database."""

from __future__ import annotations

from typing import NamedTuple

from bot.i18n import t


class SummaryFile(NamedTuple):
    """One file of the summary as a reader's chat shows it; `part` names which rendering it carries."""

    part: str  # chart | ledger | docx
    method: str
    file_name: str
    caption: str


def summary_files(lang: str, week: str) -> list[SummaryFile]:
    """The chart, the ledger and the 周报 .docx, in the order they are sent."""
    return [
        SummaryFile("chart", "sendPhoto", f"summary-{week}.png", week),
        SummaryFile("ledger", "sendDocument", f"duban-ledger-{week}.xlsx", t(lang, "summary.caption.ledger")),
        SummaryFile("docx", "sendDocument", f"duban-summary-{week}.docx", t(lang, "summary.caption.docx")),
    ]
