"""The weekly summary as a PNG chart.

Top panel: one stacked horizontal bar per measure of its open assignments by light (green /
yellow / red), labelled with "done/total". Bottom panel: only the units below a 100% reporting
rate (red = silent this period, yellow = some reports missing); when every unit is at 100% the
panel says so instead of drawing identical bars.

Uses matplotlib's object API with the Agg canvas created inside the call: no pyplot, no global
backend switch, no rcParams changed outside a local ``rc_context``; safe to call from threads
(wrap in ``asyncio.to_thread`` from the bot). Chinese is drawn with the font from ``fonts``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import IO, Any

from bot.i18n import t

from .fonts import cjk_font_name, cjk_font_path
from .model import LIGHT_COLOR, SummaryData, UnitRow

DPI = 120
WIDTH_IN = 10.0
MAX_MEASURES = 40
MAX_UNITS = 30


def _c(lang: str, key: str, **values: Any) -> str:
    """A chart text: ``chart.<key>`` in bot.i18n, formatted with ``values``."""
    return t(lang, "chart." + key, **values)


@lru_cache(maxsize=4)
def _covered_codepoints(path: str) -> frozenset[int]:
    from matplotlib import ft2font
    from matplotlib.font_manager import findfont

    cps = set(ft2font.FT2Font(path).get_charmap())
    cps |= set(ft2font.FT2Font(findfont("DejaVu Sans")).get_charmap())
    return frozenset(cps)


def _clean(text: str, covered: frozenset[int], max_chars: int | None = None) -> str:
    """Drop characters neither font can draw (emoji …) so no "Glyph missing" warning is raised."""
    s = " ".join(str(text).split())
    s = "".join(c for c in s if ord(c) in covered)
    if max_chars is not None and len(s) > max_chars:
        s = s[: max_chars - 1] + "…"
    return s.replace("$", r"\$")  # no mathtext


def units_to_draw(data: SummaryData) -> tuple[list[UnitRow], int]:
    """The units the lower panel draws (below 100%, silent first, then the lowest rate) and how
    many more there are. Units at 100% all look the same, so they are only counted in the title."""
    short = sorted(
        (u for u in data.units if u.reporting_rate < 1.0 or not u.reported),
        key=lambda u: (u.reported, u.reporting_rate, u.unit),
    )
    return short[:MAX_UNITS], max(0, len(short) - MAX_UNITS)


def render_summary_chart(
    data: SummaryData, path_or_buffer: str | os.PathLike[str] | IO[bytes], lang: str = "zh"
) -> None:
    """Draw the summary chart as PNG into a path or a binary file object."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lang = "en" if lang == "en" else "zh"
    family = cjk_font_name()
    covered = _covered_codepoints(cjk_font_path())

    measures = list(data.measures)
    hidden = 0
    if len(measures) > MAX_MEASURES:
        # A province-wide chart of hundreds of bars is unreadable and slow to draw: show the
        # measures most in need of attention; the ledger's 措施 sheet lists them all.
        keep = sorted(measures, key=lambda m: (-m.red, -m.yellow, m.done - m.total))[:MAX_MEASURES]
        kept = {id(m) for m in keep}
        hidden = len(measures) - MAX_MEASURES
        measures = [m for m in measures if id(m) in kept]
    units, hidden_units = units_to_draw(data)
    n_m = max(len(measures), 1)
    n_u = max(len(units), 1)
    m_h = 0.9 + 0.34 * n_m
    u_h = 0.9 + 0.26 * n_u
    height = min(max(1.2 + m_h + u_h, 4.5), 40.0)

    rc: dict[str, Any] = {
        "font.family": [family, "DejaVu Sans"],
        "font.size": 9,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "none",
    }
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]  # keys are valid rcParams
        fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax_m, ax_u = fig.subplots(2, 1, height_ratios=[m_h, u_h])
        fig.suptitle(
            _clean(
                _c(
                    lang,
                    "title",
                    week=data.week,
                    start=data.period_start.isoformat(),
                    end=data.period_end.isoformat(),
                ),
                covered,
            ),
            fontsize=13,
        )

        # --- measures: stacked bars
        multi = len({m.policy_short for m in measures}) > 1
        labels = [
            _clean(
                (f"{m.policy_short} " if multi and m.policy_short else "") + f"{m.number} {m.title}",
                covered,
                22,
            )
            for m in measures
        ]
        ys = list(range(len(measures)))
        if measures:
            left = [0] * len(measures)
            for key in ("green", "yellow", "undelivered", "red"):
                vals = [max(0, int(getattr(m, key))) for m in measures]
                ax_m.barh(ys, vals, left=left, color=LIGHT_COLOR[key], label=_c(lang, key), height=0.62)
                left = [a + b for a, b in zip(left, vals, strict=True)]
            span = max(max(left), 1)
            for y, m, total in zip(ys, measures, left, strict=True):
                ax_m.text(
                    total + span * 0.01,
                    y,
                    _clean(_c(lang, "done_of", done=m.done, total=m.total), covered),
                    va="center",
                    fontsize=8,
                )
            ax_m.set_xlim(0, span * 1.2)
            ax_m.set_yticks(ys, labels)
            ax_m.invert_yaxis()
            ax_m.legend(loc="lower right", ncols=3, fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.0))
        else:
            ax_m.set_yticks([])
            ax_m.text(0.5, 0.5, _c(lang, "empty"), ha="center", va="center", transform=ax_m.transAxes)
        ax_m.set_title(
            _c(lang, "measures") + (_c(lang, "more", n=hidden) if hidden else ""), loc="left", fontsize=10
        )
        ax_m.xaxis.get_major_locator().set_params(integer=True)

        # --- units below 100%
        uy = list(range(len(units)))
        silent = _c(lang, "silent")
        if units:
            rates = [max(0.0, min(1.0, float(u.reporting_rate))) * 100 for u in units]
            colors = [LIGHT_COLOR["yellow"] if u.reported else LIGHT_COLOR["red"] for u in units]
            ax_u.barh(uy, rates, color=colors, height=0.62)
            for y, r, u in zip(uy, rates, units, strict=True):
                label = f"{r:.0f}%  {u.reports}/{u.expected_reports}" + ("" if u.reported else f" {silent}")
                ax_u.text(
                    r + 1,
                    y,
                    _clean(label, covered),
                    va="center",
                    fontsize=8,
                    color="black" if u.reported else LIGHT_COLOR["red"],
                )
            ax_u.set_yticks(uy, [_clean(u.unit, covered, 16) for u in units])
            for label, u in zip(ax_u.get_yticklabels(), units, strict=True):
                if not u.reported:
                    label.set_color(LIGHT_COLOR["red"])
            ax_u.invert_yaxis()
            from matplotlib.patches import Patch

            ax_u.legend(
                handles=[
                    Patch(color=LIGHT_COLOR["yellow"], label=_c(lang, "reported")),
                    Patch(color=LIGHT_COLOR["red"], label=silent),
                ],
                loc="lower right",
                ncols=2,
                fontsize=8,
                frameon=False,
                bbox_to_anchor=(1.0, 1.0),
            )
            ax_u.set_xlim(0, 125)
            ax_u.set_xticks([0, 25, 50, 75, 100])
        else:
            ax_u.set_yticks([])
            ax_u.set_xticks([])
            message = _c(lang, "all_full", n=len(data.units)) if data.units else _c(lang, "empty")
            ax_u.text(
                0.5,
                0.5,
                _clean(message, covered),
                ha="center",
                va="center",
                transform=ax_u.transAxes,
                fontsize=11,
                color=LIGHT_COLOR["green"] if data.units else "black",
            )
        ax_u.set_title(
            _c(lang, "units") + (_c(lang, "units_more", n=hidden_units) if hidden_units else ""),
            loc="left",
            fontsize=10,
        )

        fig.savefig(path_or_buffer, format="png", dpi=DPI, facecolor="white")


__all__ = ["DPI", "render_summary_chart", "units_to_draw"]
