"""Weekly summary (周报): data model and its renderings (chat HTML, PNG chart, .xlsx ledger, .docx).

Importing this package is cheap: matplotlib, xlsxwriter and python-docx are imported when used.
"""

from .chart import render_summary_chart
from .docx import write_summary_docx
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
    PolicySection,
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
    "PolicySection",
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
    "write_summary_docx",
]
