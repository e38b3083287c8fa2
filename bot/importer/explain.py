"""`duban import --explain`: per task, the words of the document each unit and the deadline came from."""

from __future__ import annotations

from bot.i18n import role_name, t

from .models import Decomposition


def explain_lines(dec: Decomposition, lang: str = "zh") -> list[str]:
    """Plain-text lines: each task, then one line per unit and one for the deadline, quoting the words."""
    lines: list[str] = []
    sep = t(lang, "sep.list")
    for measure in dec.measures:
        lines.append(
            t(lang, "explain.measure", number=measure.number, label=measure.label, title=measure.title)
        )
        for task in measure.tasks:
            lines.append(f"  {measure.number}.{task.seq} {task.text}")
            units = task.evidence.get("units", [])
            if not units:
                lines.append("      " + t(lang, "explain.no_units"))
            groups: dict[tuple[str, str, str], list[str]] = {}
            for item in units:  # units named by the same words in the same role share a line
                groups.setdefault((item["role"], item["from"], item["words"]), []).append(item["unit"])
            for (role, source, words), names in groups.items():
                lines.append(
                    "      "
                    + t(
                        lang,
                        "explain.unit",
                        role=role_name(lang, role),
                        units=sep.join(names),
                        source=t(lang, f"explain.from.{source}"),
                        words=words,
                    )
                )
            due = task.evidence.get("due")
            if due and due.get("words"):
                context = due.get("in")
                suffix = (
                    t(lang, "explain.due_in", words=context) if context and context != due["words"] else ""
                )
                when = due["date"] or t(lang, "explain.due_unknown")
                lines.append("      " + t(lang, "explain.due", date=when, words=due["words"], suffix=suffix))
            elif due:
                lines.append("      " + t(lang, "explain.due_horizon", date=due["date"]))
            else:
                lines.append("      " + t(lang, "explain.no_due"))
            if task.rhythm:
                lines.append("      " + t(lang, "explain.rhythm", rhythm=t(lang, f"rhythm.{task.rhythm}")))
    return lines
