"""Weekly summary (周报): data model and its renderings (chat HTML, PNG chart, .xlsx ledger).

Importing this package is cheap: matplotlib is imported only when a chart is drawn.
"""

from .chart import render_summary_chart
from .fonts import CJKFontNotFoundError, cjk_font_name
from .html import render_summary_html, render_unit_digest_html, split_html_messages
from .ledger import write_ledger
from .model import (
    AssignmentRow,
    Change,
    Headline,
    ItemRow,
    Light,
    MeasureRow,
    ProgressLine,
    ReportRow,
    SummaryData,
    UnitRow,
)

__all__ = [
    "AssignmentRow",
    "CJKFontNotFoundError",
    "Change",
    "Headline",
    "ItemRow",
    "Light",
    "MeasureRow",
    "ProgressLine",
    "ReportRow",
    "SummaryData",
    "UnitRow",
    "cjk_font_name",
    "render_summary_chart",
    "render_summary_html",
    "render_unit_digest_html",
    "split_html_messages",
    "write_ledger",
]
