"""Task-division tables (分工表) read as text: one cell per line, header first, then the rows.

Web copies, .docx tables (reader.py emits one line per cell and a blank line after each row) and
saved pages (one line per cell, a blank line per row) all arrive as a header such as
序号 / 重点任务 / 牵头单位 / 责任单位 / 完成时限 followed by the rows' cells. Read as prose the rows
would run together into one measure; here each row becomes a numbered item with a labelled clause,
"3.任务文本（牵头单位：X；责任单位：Y；完成时限：Z）", which the rest of the importer already reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import cn_to_int, collapse_spaces, int_to_cn, match_heading, parse_date_line
from .units import label_role

_SEQ_HEAD = re.compile(r"^(?:序号|编号|序|号)$")
_TASK_HEAD = re.compile(
    r"^(?:[\u4e00-\u9fff]{0,4}(?:任务|事项|措施|举措|内容|工作|目标任务|要点)(?:内容|名称|事项|清单)?)$"
)
_UNIT_HEAD = re.compile(r"^[\u4e00-\u9fff]{0,6}(?:单位|部门|处室|科室|领导|责任人|主体)$")
_DUE_HEAD = re.compile(r"^(?:完成|办结)?(?:时限|时间|期限|时间节点|进度安排|时间安排|时限要求)$")
# a grouping column (its cell merged over the rows of one group): the group is the measure, its rows the tasks
_GROUP_HEAD = re.compile(r"^(?:类别|分类|类型|领域|板块|方面|重点领域|工作类别|任务类别|工作板块|专项|序列)$")
_OTHER_HEAD = re.compile(r"^(?:备注|说明|工作目标|目标|预期目标|指标|考核指标|成果形式|完成标志|具体目标)$")
_SEQ_CELL = re.compile(
    r"^(?:(?:\d{1,3}|[一二三四五六七八九十]{1,3})[、.．]?|[（(](?:\d{1,3}|[一二三四五六七八九十]{1,3})[）)])$"
)
_DUE_CELL = re.compile(
    r"^(?:\d{4}年|\d{1,2}月|年底|年内|长期|持续|每[年季月周]|按季度|按月|上半年|下半年|印发|\d{4}[-—－–至]\d{4}年?)"
)


@dataclass(frozen=True)
class _Column:
    kind: str  # seq / task / unit / due / other
    label: str


def _classify(cell: str) -> _Column | None:
    c = cell.replace(" ", "").rstrip("：:")
    if not c or len(c) > 10:
        return None
    if _SEQ_HEAD.match(c):
        return _Column("seq", c)
    if _GROUP_HEAD.match(c):
        return _Column("group", c)
    if _DUE_HEAD.match(c):
        return _Column("due", "完成时限")
    if _UNIT_HEAD.match(c):
        role = label_role(c)
        label = {"lead": "牵头单位", "co": "配合单位", "support": "数据提供单位", "person": "责任领导"}.get(
            role, "责任单位"
        )
        return _Column("unit", label)
    if _OTHER_HEAD.match(c):
        return _Column("other", c)
    if _TASK_HEAD.match(c):
        return _Column("task", c)
    return None


def _header_at(lines: list[str], i: int) -> tuple[list[_Column], int] | None:
    cols: list[_Column] = []
    j = i
    while j < len(lines):
        line = lines[j]
        if not line:
            if cols and j + 1 < len(lines) and _classify(lines[j + 1]) is None:
                break
            j += 1
            continue
        col = _classify(line)
        if col is None:
            break
        cols.append(col)
        j += 1
    kinds = [c.kind for c in cols]
    if len(cols) >= 3 and "task" in kinds and "unit" in kinds and kinds.count("task") <= 2:
        return cols, j
    return None


def _grouped_rows(lines: list[str], j: int, cols: list[_Column]) -> tuple[list[str], int] | None:
    """A table with a grouping column, rows ending in a blank line (.docx, saved pages): each group
    becomes a heading ("一、<group>") and its rows the paragraphs under it, so that a group is one
    measure and each row one of its tasks with the row's units and deadline."""
    out: list[str] = []
    group = ""
    groups = 0
    k = j
    while k < len(lines) and not lines[k]:
        k += 1
    while k < len(lines):
        if _ends_table(lines[k]):
            break
        cells: list[str] = []
        end = k
        while end < len(lines) and lines[end]:
            cells.append(lines[end])
            end += 1
        if len(cells) == len(cols) - 1 and cols[0].kind == "group" and group:
            cells = [group, *cells]  # the merged cell given on the group's first row only
        if len(cells) != len(cols):
            break
        values = dict(zip((c for c in range(len(cols))), cells, strict=True))
        cell_group = next((values[i] for i, c in enumerate(cols) if c.kind == "group"), "")
        if cell_group and cell_group != group:
            group = cell_group
            groups += 1
            out.append(f"{int_to_cn(groups)}、{group}")
        task = "".join(
            values[i] for i, c in enumerate(cols) if c.kind == "task" and values[i] not in _EMPTY_CELL
        )
        parts = [
            f"{c.label}：{values[i]}"
            for i, c in enumerate(cols)
            if c.kind in ("unit", "due") and values[i] not in _EMPTY_CELL
        ]
        if task:
            out.append(f"{task}{'（' + '；'.join(parts) + '）' if parts else ''}")
        k = end
        while k < len(lines) and not lines[k]:
            k += 1
    if not groups or len(out) <= groups:
        return None
    return out, k


def _ends_table(line: str) -> bool:
    return line.startswith(("附件", "附表", "抄送")) or parse_date_line(line) is not None


def _row_text(seq: str, cells: list[str], cols: list[_Column]) -> str:
    body = [c for c in cols if c.kind != "seq"]
    task_cols = [i for i, c in enumerate(body) if c.kind == "task"]
    values: dict[int, str] = {}
    if len(cells) == len(body):
        values = dict(enumerate(cells))
    else:  # empty cells vanish in flattened copies: place the cells by what they look like
        rest = list(cells)
        due_i = next((i for i, c in enumerate(body) if c.kind == "due"), None)
        if due_i is not None:
            for cell in reversed(rest):
                if _DUE_CELL.match(cell):
                    values[due_i] = cell
                    rest.remove(cell)
                    break
        if rest and task_cols:
            longest = max(rest, key=len)
            values[task_cols[-1]] = longest
            rest.remove(longest)
        # a missing task cell is a merged group cell (重点任务 spanning rows): the rest are units
        free = [i for i, c in enumerate(body) if i not in values and c.kind == "unit"]
        for i, cell in zip(free, rest, strict=False):
            values[i] = cell
    values = {i: v for i, v in values.items() if v not in _EMPTY_CELL}
    task = "".join(values.get(i, "") for i in task_cols if i in values)
    if len(task_cols) == 2 and task_cols[0] in values and task_cols[1] in values:
        first, second = values[task_cols[0]], values[task_cols[1]]
        task = (
            f"{first.rstrip('。：:')}：{second}"
            if len(first) <= 30 and "。" not in first
            else f"{first}{second}"
        )
    parts = [
        f"{c.label}：{values[i]}" for i, c in enumerate(body) if c.kind in ("unit", "due") and values.get(i)
    ]
    clause = f"（{'；'.join(parts)}）" if parts else ""
    return f"{seq}.{task}{clause}" if task else ""


_CELL_SEP = re.compile(r"\t|\s*[|｜]\s*|[ \u3000]{2,}")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_EMPTY_CELL = {"/", "／", "—", "——", "-", "－", "无"}


def _split_row(line: str) -> list[str]:
    cells = [c.strip() for c in _CELL_SEP.split(line.strip().strip("|｜"))]
    return [c if c else "／" for c in cells]


def _explode(raw: list[str]) -> list[str]:
    """Rows written on one line (tab-, bar- or wide-space-separated: copied tables, Markdown
    tables) → one cell per line and a blank line per row, the shape the reader below takes."""
    out: list[str] = []
    in_table = 0
    for line in raw:
        if in_table:
            if _MD_RULE.match(line):
                continue
            cells = _split_row(line)
            if len(cells) >= 2 and line.strip():
                out.extend(cells[:in_table])
                out.append("")
                continue
            in_table = 0
        if "\t" in line or "|" in line or "｜" in line or "  " in line or "\u3000\u3000" in line.strip():
            cells = _split_row(line)
            cols = [_classify(c) for c in cells]
            kinds = [c.kind for c in cols if c is not None]
            if len(cells) >= 3 and None not in cols and "task" in kinds and "unit" in kinds:
                out.extend(cells)
                out.append("")
                in_table = len(cells)
                continue
        out.append(line)
    return out


_TRAILING_BAR = re.compile(r"^([^|｜]*?)\s*[|｜]\s*$")


def flatten_tables(text: str) -> str:
    """Rewrite task-division tables laid out one cell per line as numbered items with clauses."""
    if "单位" not in text and "部门" not in text:
        return text
    raw = text.split("\n")
    if sum(1 for line in raw if _TRAILING_BAR.match(line)) >= 3:
        # a web table copied one cell per line, each cell closed by its bar: "序号 |" / "1 |"
        raw = [m.group(1) if (m := _TRAILING_BAR.match(line)) else line for line in raw]
    if "\t" in text or "|" in text or "｜" in text or "  " in text or "\u3000\u3000" in text:
        exploded = _explode(raw)
        if len(exploded) != len(raw):
            raw = exploded
    lines = [collapse_spaces(line) for line in raw]
    out: list[str] = []
    i = 0
    changed = False
    while i < len(lines):
        line = lines[i]
        found = _header_at(lines, i) if line and _classify(line) is not None else None
        if found is None:
            out.append(raw[i])
            i += 1
            continue
        cols, j = found
        if any(c.kind == "group" for c in cols):
            grouped = _grouped_rows(lines, j, cols)
            if grouped is not None:
                out.extend(grouped[0])
                changed = True
                i = grouped[1]
                continue
            cols = [c for c in cols if c.kind != "group"]
        has_seq = cols[0].kind == "seq"
        width = len([c for c in cols if c.kind != "seq"])
        rows: list[str] = []
        seq_no = 0
        cells: list[str] = []
        seq = ""

        def flush(
            seq: str, seq_no: int, cells: list[str], cols: list[_Column] = cols, rows: list[str] = rows
        ) -> None:
            if cells:
                text_row = _row_text(seq or str(seq_no), cells, cols)
                if text_row:
                    rows.append(text_row)

        while j < len(lines):
            cell = lines[j]
            if cell and _ends_table(cell):
                break
            if not cell:
                if not has_seq and cells:
                    seq_no += 1
                    flush(seq, seq_no, cells)
                    cells, seq = [], ""
                j += 1
                continue
            if has_seq and _SEQ_CELL.match(cell):
                flush(seq, seq_no, cells)
                cells = []
                n = cn_to_int(cell.strip("（）()、.．"))
                seq_no = n if n else seq_no + 1
                seq = str(seq_no)
                j += 1
                continue
            h = match_heading(cell)
            if has_seq and h is not None and h.kind == "num" and h.number == seq_no + 1 and len(h.rest) > 4:
                # "2.开展涉企收费专项清理。": the number and the task share a line
                flush(seq, seq_no, cells)
                seq_no = h.number
                seq, cells = str(seq_no), [h.rest]
                j += 1
                continue
            if h is not None and h.kind in ("cn", "pcn", "zhang") and len(h.rest) <= 30 and "。" not in cell:
                flush(seq, seq_no, cells)  # a group row ("一、产业发展") inside the table stays a heading
                cells, seq = [], ""
                rows.append(cell)
                j += 1
                continue
            if has_seq and not seq and not cells and rows:
                break  # text after the last row
            if len(cells) >= width:
                break  # more lines than columns: the table has ended, the text goes on
            cells.append(cell)
            j += 1
        if not has_seq and cells:
            seq_no += 1
        flush(seq, seq_no, cells)
        if not rows:
            out.append(raw[i])
            i += 1
            continue
        out.extend(rows)
        changed = True
        i = j
    return "\n".join(out) if changed else text
