"""The one way of writing a reference: policy `P1`, measure `P1-2`, task `P1-2.1`, assignment `#71`.

Pure: no database, no Telegram. Formatting always writes the canonical form; parsing also accepts
what people type (lower case, a space after the code, full-width digits, no code at all) and the
legacy `2·1` / `2-1` task forms. A bare number is a measure, never an assignment: an assignment
is only ever `#71`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

# Document policies are P…; ad-hoc items (立项) by kind: 领导批示 J, 会议议定 H, 重点工作 Z, 其他 Q.
CODE_LETTERS = "PJHZQ"
CODE_RE = re.compile(rf"[{CODE_LETTERS}][1-9][0-9]{{0,5}}")

RefKind = Literal["policy", "measure", "task", "assignment"]


class RefError(ValueError):
    """Text that is not a reference."""


@dataclass(frozen=True)
class Ref:
    kind: RefKind
    code: str | None = None  # the policy's code, None when the text named none
    measure: int | None = None
    seq: int | None = None
    assignment: int | None = None

    def __str__(self) -> str:
        if self.kind == "assignment":
            return format_assignment(self.assignment or 0)
        if self.kind == "policy":
            return self.code or ""
        if self.kind == "measure":
            return format_measure(self.code, self.measure or 0)
        return format_task(self.code, self.measure or 0, self.seq or 0)

    def with_code(self, code: str) -> Ref:
        return Ref(self.kind, code, self.measure, self.seq, self.assignment)


def format_measure(code: str | None, number: int) -> str:
    return f"{code}-{number}" if code else str(number)


def format_task(code: str | None, measure_number: int, seq: int) -> str:
    return f"{code}-{measure_number}.{seq}" if code else f"{measure_number}.{seq}"


def format_assignment(assignment_id: int) -> str:
    return f"#{assignment_id}"


# Full-width forms (ＰＩ－２．１, ＃７１) typed with a Chinese input method; nothing else is folded,
# so a superscript or another script's digit is not a number here.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _fold(text: str) -> str:
    return text.translate(_FULL_WIDTH).strip().upper()


def normalize_code(text: str) -> str | None:
    """`p1` → `P1`; None when the text is not a policy code."""
    cleaned = _fold(text)
    return cleaned if CODE_RE.fullmatch(cleaned) else None


_NUM = r"([1-9][0-9]{0,3})"
_SEP = r"[.·・\-]"
_ASSIGNMENT = re.compile(r"#\s*([1-9][0-9]{0,11})")
_WITH_CODE = re.compile(
    rf"([{CODE_LETTERS}][1-9][0-9]{{0,5}})(?:(?:\s*-\s*|\s+){_NUM}(?:\s*{_SEP}\s*{_NUM})?)?"
)
_BARE = re.compile(rf"{_NUM}(?:\s*{_SEP}\s*{_NUM})?")


def parse_ref(text: str | None) -> Ref:
    """Reads one reference. Raises RefError for anything else."""
    if text is None:
        raise RefError("empty")
    cleaned = _fold(text)
    if not cleaned:
        raise RefError("empty")
    if m := _ASSIGNMENT.fullmatch(cleaned):
        return Ref("assignment", assignment=int(m.group(1)))
    if m := _WITH_CODE.fullmatch(cleaned):
        code, measure, seq = m.group(1), m.group(2), m.group(3)
        if measure is None:
            return Ref("policy", code)
        if seq is None:
            return Ref("measure", code, int(measure))
        return Ref("task", code, int(measure), int(seq))
    if m := _BARE.fullmatch(cleaned):
        measure, seq = m.group(1), m.group(2)
        if seq is None:
            return Ref("measure", None, int(measure))
        return Ref("task", None, int(measure), int(seq))
    raise RefError(text)


def take_ref(text: str | None) -> tuple[Ref | None, str]:
    """The reference at the start of a command's arguments, and what follows it.

    Tries the longest start first, so `P1 2.1 2026-03-31` is the task P1-2.1 and then a date,
    and `P1 2026-03-31` is the policy P1 (a date is never a measure number).
    """
    words = (text or "").split()
    for n in (2, 1):
        if len(words) < n:
            continue
        if n == 2 and normalize_code(words[0]) is None:
            continue
        try:
            ref = parse_ref(" ".join(words[:n]))
        except RefError:
            continue
        return ref, " ".join(words[n:])
    return None, " ".join(words)


def task_of(view: Any) -> str:
    """The task reference of an assignment view (anything with .policy.code, .measure.number, .task.seq)."""
    return format_task(view.policy.code, view.measure.number, view.task.seq)


def measure_of(view: Any) -> str:
    return format_measure(view.policy.code, view.measure.number)


def of_view(view: Any) -> dict[str, str]:
    """The reference placeholders every text about one assignment may use: {task}, {measure}."""
    return {"task": task_of(view), "measure": measure_of(view)}
