"""`duban import --explain`: per task, the words of the document each unit and the deadline came from."""

from __future__ import annotations

from .models import Decomposition

_ROLE_ZH = {"lead": "牵头", "co": "配合", "local": "属地", "support": "数据提供"}
_FROM_ZH = {"clause": "责任单位括注/标注", "sentence": "句中", "carried": "前文统一说明"}


def explain_lines(dec: Decomposition) -> list[str]:
    """Plain-text lines: each task, then one line per unit and one for the deadline, quoting the words."""
    lines: list[str] = []
    for measure in dec.measures:
        lines.append(f"措施{measure.number}（{measure.label}）{measure.title}")
        for task in measure.tasks:
            lines.append(f"  {measure.number}.{task.seq} {task.text}")
            units = task.evidence.get("units", [])
            if not units:
                lines.append("      单位：（未找到，请指定）")
            groups: dict[tuple[str, str, str], list[str]] = {}
            for item in units:  # units named by the same words in the same role share a line
                groups.setdefault((item["role"], item["from"], item["words"]), []).append(item["unit"])
            for (role, source, words), names in groups.items():
                lines.append(
                    f"      {_ROLE_ZH.get(role, role)} {'、'.join(names)} ← "
                    f"{_FROM_ZH.get(source, source)}：“{words}”"
                )
            due = task.evidence.get("due")
            if due and due.get("words"):
                context = due.get("in")
                suffix = f"（出自：“{context}”）" if context and context != due["words"] else ""
                lines.append(f"      截止 {due['date'] or '无法换算'} ← “{due['words']}”{suffix}")
            elif due:
                lines.append(f"      截止 {due['date']} ← 未写明期限，按 --horizon")
            else:
                lines.append("      截止：文件未写明")
            if task.rhythm:
                lines.append(f"      报送节奏 {task.rhythm}")
    return lines
