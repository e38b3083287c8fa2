"""The ledger (台账) as an .xlsx workbook, written with xlsxwriter in ``constant_memory`` mode.

Sheets (zh / en): 总览 Overview, 措施 Measures, 任务分配 Assignments, 本期报送 Reports, 单位报送 Units.
Every sheet has a bold, filled header row, frozen panes at A2, an auto-filter over the data,
column widths sized for CJK text (a CJK character counts double), wrapped long text, real Excel
dates (yyyy-mm-dd; times yyyy-mm-dd hh:mm in the configured zone) and the traffic light as a coloured
fill with its emoji and name.

The report sheet holds one period's reports (thousands of rows) and the assignment sheet up to
~20,000 rows, so a well-kept library is fast enough: xlsxwriter's ``constant_memory`` mode keeps
one row in memory and streams the rest to a temporary file. In that mode rows must be written in
order, so each streamed sheet sizes its columns from the header and the first 200 rows (buffered),
then writes them and streams the rest.

``assignments`` and ``reports`` are iterated exactly once and may be generators. A sheet that
would exceed Excel's 1,048,576 rows continues on "<name> (2)", etc.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from typing import IO, TYPE_CHECKING, Any

from bot.i18n import t, zone_name

from .model import (
    LIGHT_EMOJI,
    LIGHT_FILL,
    AssignmentRow,
    ReportRow,
    SummaryData,
    claim_name,
    light_name,
    review_name,
    role_name,
    status_name,
    task_label,
)

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    CellWriter = Callable[[int, int, Any, Format], None]

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767  # in UTF-16 code units, as Excel counts
_SAMPLE_ROWS = 200  # rows looked at to size the columns of streamed sheets
_TRUNCATED = "…[截断]"

HEADER_FILL = "D9E1F2"
_BORDER_COLOR = "#BFBFBF"
_BASE_FONT = {"font_name": "等线", "font_size": 11, "font_family": 2, "font_charset": 134}

# --------------------------------------------------------------------------- values

# Characters an .xlsx cell cannot carry (or that Excel would show as _xHHHH_): dropped;
# a carriage return becomes a line feed.
_BAD_RE = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BAD_SEARCH = _BAD_RE.search


def _clean(value: Any) -> str | None:
    """Cell text: ``None`` for an empty cell; bad characters dropped; Excel's cell limit kept."""
    if value is None:
        return None
    s = value if type(value) is str else str(value)
    if not s:
        return None
    if _BAD_SEARCH(s) is not None:
        s = _BAD_RE.sub("", s.replace("\r\n", "\n").replace("\r", "\n"))
    if len(s) > EXCEL_MAX_CELL_CHARS // 2:
        units = s.encode("utf-16-le")
        if len(units) > 2 * EXCEL_MAX_CELL_CHARS:
            keep = 2 * (EXCEL_MAX_CELL_CHARS - len(_TRUNCATED.encode("utf-16-le")) // 2)
            s = units[:keep].decode("utf-16-le", "ignore") + _TRUNCATED
    return s or None


def _local(value: datetime, tz: tzinfo) -> datetime:
    """Naive wall-clock time in ``tz`` of an aware or naive-UTC datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz).replace(tzinfo=None)


def display_width(text: Any) -> int:
    """Width in Excel character units: East-Asian wide/fullwidth characters count double."""
    s = "" if text is None else str(text)
    if s.isascii():
        return len(s)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


# --------------------------------------------------------------------------- sheet model


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "str"  # str | wrap | int | date | datetime | light | pct
    min_width: float = 6
    max_width: float = 40


_FIXED_WIDTH = {"date": 12, "datetime": 17, "light": 11, "pct": 9}


def _widths(columns: Sequence[Column], sample: Sequence[Sequence[Any]]) -> list[float]:
    widths: list[float] = []
    for i, col in enumerate(columns):
        head = display_width(col.header) + 2
        if col.kind in _FIXED_WIDTH:
            widths.append(max(_FIXED_WIDTH[col.kind], head))
            continue
        vals = sorted(display_width(row[i]) for row in sample if i < len(row) and row[i] is not None)
        body = vals[int(len(vals) * 0.9)] if vals else 0  # 90th percentile: one huge cell must not win
        widths.append(round(min(max(head, body + 2, col.min_width), col.max_width), 1))
    return widths


class _Formats:
    """The workbook's cell formats (created once per workbook)."""

    def __init__(self, wb: Workbook) -> None:
        def fmt(**props: Any) -> Format:
            return wb.add_format({**_BASE_FONT, **props})

        top = {"valign": "top"}
        self.header = fmt(
            bold=True,
            bg_color="#" + HEADER_FILL,
            pattern=1,
            border=1,
            border_color=_BORDER_COLOR,
            align="center",
            valign="vcenter",
            text_wrap=True,
        )
        self.top = fmt(**top)
        self.wrap = fmt(text_wrap=True, **top)
        self.bold = fmt(bold=True, **top)
        self.date = fmt(num_format="yyyy-mm-dd", **top)
        self.datetime = fmt(num_format="yyyy-mm-dd hh:mm", **top)
        self.pct = fmt(num_format="0%", **top)
        self.light = {
            light: fmt(bg_color="#" + rgb, pattern=1, align="center", **top)
            for light, rgb in LIGHT_FILL.items()
        }


RowWriter = Callable[[int, Any], None]


class _Ledger:
    def __init__(self, wb: Workbook, lang: str, tz: tzinfo) -> None:
        self.wb = wb
        self.lang = lang
        self.tz = tz
        self.f = _Formats(wb)
        self.reports_written = [0]

    def sheet(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[Any],
        writer: Callable[[Worksheet], RowWriter],
        sample_values: Callable[[Any], Sequence[Any]] | None = None,
    ) -> int:
        """Write a sheet; ``writer(ws)`` returns a function writing one row object at a 0-based row.

        Returns the number of data rows (over all continuation sheets).
        """
        it = iter(rows)
        head = list(itertools.islice(it, _SAMPLE_ROWS))
        sample = [sample_values(r) for r in head] if sample_values else head
        widths = _widths(columns, sample)
        data_rows = itertools.chain(head, it)
        del head, sample
        last = EXCEL_MAX_ROWS - 1  # 0-based index of Excel's last row
        total = 0
        part = 1
        while True:
            ws = self.wb.add_worksheet(name if part == 1 else f"{name} ({part})")
            self.print_setup(ws)
            for i, w in enumerate(widths):
                ws.set_column(i, i, w)
            ws.freeze_panes(1, 0)
            for i, col in enumerate(columns):
                ws.write_string(0, i, col.header, self.f.header)
            write = writer(ws)
            r = 0
            for row in data_rows:
                r += 1
                write(r, row)
                if r >= last:
                    break
            ws.autofilter(0, 0, max(r, 1), len(columns) - 1)
            total += r
            if r < last:
                return total
            peek = list(itertools.islice(data_rows, 1))
            if not peek:
                return total
            data_rows = itertools.chain(peek, data_rows)
            part += 1

    def print_setup(self, ws: Worksheet) -> None:
        """Printable as it is: A4 landscape, one page wide, the header row on every page."""
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # as wide as one page, as many pages long as needed
        ws.repeat_rows(0)
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.set_footer("&C" + _l(self.lang, "footer"))

    # ------------------------------------------------------------------ cell helpers

    def light_text(self, light: str | None) -> str | None:
        if not light:
            return None
        return f"{LIGHT_EMOJI.get(light, '')} {light_name(light, self.lang)}".strip()

    def write_value(self, ws: Worksheet, r: int, c: int, value: Any, fmt: Format | None = None) -> None:
        """Generic cell (small sheets): the cell type is chosen from the Python value."""
        f = self.f
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            ws.write_blank(r, c, None, fmt or f.top)
        elif isinstance(value, bool):
            ws.write_string(r, c, "✓" if value else "✗", fmt or f.top)
        elif isinstance(value, int | float):
            ws.write_number(r, c, value, fmt or f.top)
        elif isinstance(value, datetime):
            ws.write_datetime(r, c, _local(value, self.tz), fmt or f.datetime)
        elif isinstance(value, date):
            ws.write_datetime(r, c, value, fmt or f.date)
        else:
            self.write_text(ws, r, c, value, fmt or f.top)

    def write_text(self, ws: Worksheet, r: int, c: int, value: Any, fmt: Format) -> None:
        s = _clean(value)
        if s is None:
            ws.write_blank(r, c, None, fmt)
        else:
            ws.write_string(r, c, s, fmt)

    def write_light(self, ws: Worksheet, r: int, c: int, light: str | None) -> None:
        text = self.light_text(light)
        if text is None:
            ws.write_blank(r, c, None, self.f.top)
        else:
            ws.write_string(r, c, text, self.f.light.get(light or "", self.f.top))

    # ------------------------------------------------------------------ row writers

    def generic_writer(self, columns: Sequence[Column]) -> Callable[[Worksheet], RowWriter]:
        def bind(ws: Worksheet) -> RowWriter:
            def write(r: int, row: Sequence[Any]) -> None:
                for c, (col, value) in enumerate(zip(columns, row, strict=False)):
                    if col.kind == "light":
                        self.write_light(ws, r, c, value)
                    elif col.kind == "pct":
                        self.write_value(ws, r, c, value, self.f.pct)
                    elif col.kind == "wrap" and isinstance(value, str):
                        self.write_text(ws, r, c, value, self.f.wrap)
                    else:
                        self.write_value(ws, r, c, value)

            return write

        return bind

    def overview_writer(self, ws: Worksheet) -> RowWriter:
        f = self.f

        def write(r: int, row: tuple[str, Any]) -> None:
            key, value = row
            self.write_text(ws, r, 0, key, f.bold)
            if isinstance(value, tuple) and value and value[0] == "pct":
                ws.write_number(r, 1, float(value[1]), f.pct)
            elif isinstance(value, datetime):
                ws.write_datetime(r, 1, value.replace(tzinfo=None), f.datetime)  # already local time
            elif isinstance(value, str):
                self.write_text(ws, r, 1, value, f.wrap)
            else:
                self.write_value(ws, r, 1, value)

        return write

    def assignment_writer(self, ws: Worksheet) -> RowWriter:
        f, lang = self.f, self.lang
        top, wrap, light_fmt = f.top, f.wrap, f.light
        text, blank, when = self.write_text, ws.write_blank, ws.write_datetime
        string, number = _or_blank(ws)
        role_of = _names_once(role_name, lang)
        status_of = _names_once(status_name, lang)

        def write(r: int, a: AssignmentRow) -> None:
            text(ws, r, 0, task_label(a.measure_number, a.task_seq), top)
            number(r, 1, a.task_seq, top)
            text(ws, r, 2, a.task_text, wrap)
            text(ws, r, 3, a.unit, top)
            string(r, 4, role_of(a.role), top)
            due = a.due_on
            if due is None:
                blank(r, 5, None, f.date)
            else:
                when(r, 5, due.date() if isinstance(due, datetime) else due, f.date)
            string(r, 6, status_of(a.status), top)
            string(r, 7, self.light_text(a.light), light_fmt.get(a.light, top))
            if a.last_report_at is None:
                blank(r, 8, None, f.datetime)
            else:
                when(r, 8, _local(a.last_report_at, self.tz), f.datetime)
            text(ws, r, 9, a.last_report_text, wrap)
            number(r, 10, a.reminders_count, top)
            text(ws, r, 11, a.policy_short, top)
            number(r, 12, a.assignment_id, top)

        return write

    def report_writer(self, ws: Worksheet) -> RowWriter:
        f, lang = self.f, self.lang
        top, wrap, dt = f.top, f.wrap, f.datetime
        text, when = self.write_text, ws.write_datetime
        string, number = _or_blank(ws)
        claim_of = _names_once(claim_name, lang)
        review_of = _names_once(review_name, lang)
        seen = self.reports_written

        def write(r: int, rep: ReportRow) -> None:
            seen[0] += 1
            # 序号: what the chat and the .docx cite ("〔台账57〕"); counts on over continuation sheets.
            number(r, 0, rep.ref if rep.ref is not None else seen[0], top)
            number(r, 1, rep.report_id, top)
            when(r, 2, _local(rep.reported_at, self.tz), dt)
            text(ws, r, 3, rep.unit, top)
            text(ws, r, 4, task_label(rep.measure_number, rep.task_seq), top)
            number(r, 5, rep.task_seq, top)
            text(ws, r, 6, rep.author, top)
            string(r, 7, claim_of(rep.status_claimed), top)
            number(r, 8, rep.percent, top)
            text(
                ws,
                r,
                9,
                f"{rep.text}\n{_l(lang, 'attachments')}{rep.attachments}" if rep.attachments else rep.text,
                wrap,
            )
            string(r, 10, review_of(rep.review_state), top)
            number(r, 11, rep.assignment_id, top)

        return write


def _or_blank(ws: Worksheet) -> tuple[CellWriter, CellWriter]:
    """The big sheets' writers of a string already clean and of a whole number, blank for None."""
    string, number, blank = ws.write_string, ws.write_number, ws.write_blank

    def string_or_blank(r: int, c: int, value: str | None, fmt: Format) -> None:
        if value is None:
            blank(r, c, None, fmt)
        else:
            string(r, c, value, fmt)

    def int_or_blank(r: int, c: int, value: int | None, fmt: Format) -> None:
        if value is None:
            blank(r, c, None, fmt)
        else:
            number(r, c, int(value), fmt)

    return string_or_blank, int_or_blank


def _names_once(name_of: Callable[[Any, str], str], lang: str) -> Callable[[Any], str | None]:
    """A code's name in a cell (a role, a status), worked out once per sheet."""
    names: dict[Any, str | None] = {}

    def name(code: Any) -> str | None:
        if code in names:
            return names[code]
        value = names[code] = _clean(name_of(code, lang))
        return value

    return name


# --------------------------------------------------------------------------- the ledger

# Each sheet's columns once (kind and widths). ``header`` holds the column's text id here: its name
# in each language is ``ledger.col.<sheet>.<id>`` in bot.i18n (see _columns).
_SHAPES: dict[str, tuple[Column, ...]] = {
    "overview": (
        Column("item", min_width=16),
        Column("value", "wrap", min_width=30, max_width=70),
    ),
    "measures": (
        Column("policy"),
        Column("measure", max_width=10),
        Column("title", "wrap", min_width=20, max_width=50),
        Column("tasks", "int"),
        Column("done", "int"),
        Column("red", "int"),
        Column("yellow", "int"),
        Column("green", "int"),
        Column("done_rate", "pct"),
        Column("light", "light"),
    ),
    "assignments": (
        Column("measure", max_width=10),
        Column("task_seq", "int"),
        Column("task", "wrap", min_width=30, max_width=60),
        Column("unit", min_width=12, max_width=30),
        Column("role"),
        Column("due", "date"),
        Column("status", min_width=8),
        Column("light", "light"),
        Column("last_report_at", "datetime"),
        Column("last_report_text", "wrap", min_width=30, max_width=60),
        Column("reminders", "int"),
        Column("policy"),
        Column("assignment_id", "int"),
    ),
    "reports": (
        Column("ref", "int"),
        Column("report_id", "int"),
        Column("reported_at", "datetime"),
        Column("unit", min_width=12, max_width=30),
        Column("measure", max_width=10),
        Column("task_seq", "int"),
        Column("author", min_width=8, max_width=20),
        Column("claimed_status", min_width=8),
        Column("percent", "int"),
        Column("text", "wrap", min_width=40, max_width=80),
        Column("review", min_width=8),
        Column("assignment_id", "int"),
    ),
    "units": (
        Column("unit", min_width=12, max_width=30),
        Column("tasks", "int"),
        Column("expected", "int"),
        Column("reports", "int"),
        Column("rate", "pct"),
        Column("reported"),
        Column("red", "int"),
        Column("overdue", "int"),
    ),
}


def _l(lang: str, key: str, **values: Any) -> str:
    """A ledger text: ``ledger.<key>`` in bot.i18n, formatted with ``values``."""
    return t(lang, "ledger." + key, **values)


def _columns(sheet: str, lang: str) -> tuple[Column, ...]:
    """A sheet's column shapes with their header names in ``lang``."""
    return tuple(replace(col, header=_l(lang, f"col.{sheet}.{col.header}")) for col in _SHAPES[sheet])


def _overview_rows(data: SummaryData, lang: str) -> list[tuple[str, Any]]:
    hd = data.headline

    def h(key: str) -> str:
        return _l(lang, "row." + key)

    policy = h("policy")
    rows: list[tuple[str, Any]] = [
        (
            policy,
            p.title
            + (
                t(lang, "summary.doc", doc=p.doc_number)
                if p.doc_number and p.doc_number not in p.title
                else ""
            ),
        )
        for p in data.policies
    ] or [(policy, None)]
    rows += [
        (h("week"), data.week),
        (h("start"), data.period_start),
        (h("end"), data.period_end),
        (_l(lang, "row.generated", zone=zone_name(lang, data.tz)), _local(data.generated_at, data.tz)),
        (h("tasks"), hd.tasks),
        (h("total"), hd.total),
        (h("done"), hd.done),
        (h("in_progress"), hd.in_progress),
        (h("na"), hd.not_acknowledged),
        (h("overdue"), hd.overdue),
        (h("red"), hd.red),
        (h("yellow"), hd.yellow),
        (h("green"), hd.green),
        (h("undelivered"), hd.undelivered),
        (h("reports"), hd.reports_this_week),
        (h("rate"), ("pct", data.overall_reporting_rate)),
        (h("silent"), t(lang, "summary.sep").join(u.unit for u in data.units if not u.reported)),
    ]
    c = data.change
    if c is not None:
        rows += [
            (h("prev"), c.prev_week),
            (h("d_done"), c.done_delta),
            (h("d_red"), c.red_delta),
            (h("d_overdue"), c.overdue_delta),
            (h("d_reports"), c.reports_delta),
            (h("d_rate"), ("pct", c.rate_delta)),
        ]
    return rows


def _write_sheets(ledger: _Ledger, data: SummaryData, lang: str) -> dict[str, int]:
    n_overview, n_measures, n_assign, n_reports, n_units = (
        _l(lang, "sheet." + sheet) for sheet in ("overview", "measures", "assignments", "reports", "units")
    )
    counts: dict[str, int] = {}
    counts[n_overview] = ledger.sheet(
        n_overview,
        _columns("overview", lang),
        _overview_rows(data, lang),
        ledger.overview_writer,
        lambda r: (r[0], r[1] if isinstance(r[1], str) else ""),
    )

    m_cols = _columns("measures", lang)
    m_rows = [
        (
            m.policy_short,
            m.number,
            m.title,
            m.total,
            m.done,
            m.red,
            m.yellow,
            m.green,
            (m.done / m.total) if m.total else 0.0,
            m.light,
        )
        for m in data.measures
    ]
    counts[n_measures] = ledger.sheet(n_measures, m_cols, m_rows, ledger.generic_writer(m_cols))

    counts[n_assign] = ledger.sheet(
        n_assign,
        _columns("assignments", lang),
        data.assignments,
        ledger.assignment_writer,
        lambda a: (
            task_label(a.measure_number, a.task_seq),
            a.task_seq,
            a.task_text,
            a.unit,
            role_name(a.role, lang),
            None,
            status_name(a.status, lang),
            None,
            None,
            a.last_report_text,
            None,
            a.policy_short,
            None,
        ),
    )

    counts[n_reports] = ledger.sheet(
        n_reports,
        _columns("reports", lang),
        data.reports,
        ledger.report_writer,
        lambda r: (
            None,
            None,
            None,
            r.unit,
            task_label(r.measure_number, r.task_seq),
            None,
            r.author,
            claim_name(r.status_claimed, lang),
            None,
            f"{r.text}\n{_l(lang, 'attachments')}{r.attachments}" if r.attachments else r.text,
            review_name(r.review_state, lang),
            None,
        ),
    )

    u_cols = _columns("units", lang)
    yes, no = _l(lang, "yes"), _l(lang, "no")
    u_rows = [
        (
            u.unit,
            u.assignments,
            u.expected_reports,
            u.reports,
            float(u.reporting_rate),
            yes if u.reported else no,
            u.red,
            u.overdue,
        )
        for u in sorted(data.units, key=lambda u: (u.reported, u.reporting_rate, u.unit))
    ]
    counts[n_units] = ledger.sheet(n_units, u_cols, u_rows, ledger.generic_writer(u_cols))
    return counts


def write_ledger(
    data: SummaryData, path_or_buffer: str | os.PathLike[str] | IO[bytes], lang: str = "zh"
) -> dict[str, int]:
    """Write the ledger workbook to a path or a binary file object.

    Iterates ``data.assignments`` and ``data.reports`` once each (generators welcome).
    Returns the number of data rows written per sheet (by the first sheet name of each table).
    Nothing is written to ``path_or_buffer`` if building the workbook fails.
    """
    import xlsxwriter  # imported here: importing bot.reporting stays cheap

    lang = "en" if lang == "en" else "zh"
    target = os.fspath(path_or_buffer) if isinstance(path_or_buffer, os.PathLike) else path_or_buffer
    # constant_memory keeps one row in memory and spills each sheet's rows to a temporary file;
    # they live in a directory of our own so that they are removed even if writing fails.
    # The workbook is assembled in a directory of our own and only then copied to the target, so
    # a failure half-way leaves the target untouched and the sheets' spilled rows go with ``tmp``.
    with tempfile.TemporaryDirectory(prefix="duban-ledger-", ignore_cleanup_errors=True) as tmp:
        assembled = os.path.join(tmp, "ledger.xlsx")
        wb = xlsxwriter.Workbook(assembled, {"constant_memory": True, "in_memory": False, "tmpdir": tmp})
        wb.set_properties(
            {
                "title": _l(lang, "title", week=data.week),
                "author": "Duban",
                "created": data.generated_at.astimezone(UTC),
            }
        )
        counts = _write_sheets(_Ledger(wb, lang, data.tz), data, lang)
        wb.close()
        if isinstance(target, str):
            shutil.copyfile(assembled, target)
        else:
            with open(assembled, "rb") as built:
                shutil.copyfileobj(built, target)
    return counts


__all__ = ["EXCEL_MAX_ROWS", "display_width", "write_ledger"]
