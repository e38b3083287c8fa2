"""Compare two decompositions of (versions of) a policy document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from bot.domain.refs import format_task

from .models import Decomposition, Task

_NORM = re.compile(r"[\s，,。；;、：:“”\"'（）()]")
SAME_PLACE_RATIO = 0.35  # same measure number and seq: reworded if at least this similar
MOVED_RATIO = 0.7  # elsewhere: reworded if at least this similar


@dataclass(frozen=True)
class TaskKey:
    measure: int
    seq: int

    def zh(self, code: str | None = None) -> str:
        """The one reference format (P1-2.1; 2.1 when the policy has no code yet)."""
        return format_task(code, self.measure, self.seq)


@dataclass
class TaskChange:
    kind: str  # added / removed / reworded / units / due
    old: TaskKey | None
    new: TaskKey | None
    old_text: str | None = None
    new_text: str | None = None
    similarity: float | None = None
    lead_before: list[str] = field(default_factory=list)
    lead_after: list[str] = field(default_factory=list)
    co_before: list[str] = field(default_factory=list)
    co_after: list[str] = field(default_factory=list)
    due_before: date | None = None
    due_after: date | None = None


@dataclass
class DecompositionDiff:
    added: list[TaskChange] = field(default_factory=list)
    removed: list[TaskChange] = field(default_factory=list)
    reworded: list[TaskChange] = field(default_factory=list)
    units_changed: list[TaskChange] = field(default_factory=list)
    due_changed: list[TaskChange] = field(default_factory=list)
    measures_added: list[str] = field(default_factory=list)
    measures_removed: list[str] = field(default_factory=list)
    measures_retitled: list[tuple[str, str]] = field(default_factory=list)
    title_change: tuple[str, str] | None = None  # (old, new)
    doc_number_change: tuple[str | None, str | None] | None = None  # (old, new); None: no 文号
    same_document: bool = False  # identical fingerprints

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.reworded
            or self.units_changed
            or self.due_changed
            or self.measures_added
            or self.measures_removed
            or self.measures_retitled
            or self.title_change is not None
            or self.doc_number_change is not None
        )


def _norm(text: str) -> str:
    return _NORM.sub("", text)


def _ratio(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < MOVED_RATIO * 0.5 or matcher.quick_ratio() < SAME_PLACE_RATIO:
        return 0.0
    return matcher.ratio()


def diff_decompositions(old: Decomposition, new: Decomposition) -> DecompositionDiff:
    """Tasks added, removed, reworded (same measure+seq or high similarity), units/deadline changes."""
    diff = DecompositionDiff(same_document=bool(old.fingerprint) and old.fingerprint == new.fingerprint)
    if old.policy.title != new.policy.title:
        diff.title_change = (old.policy.title, new.policy.title)
    if old.policy.doc_number != new.policy.doc_number:
        diff.doc_number_change = (old.policy.doc_number, new.policy.doc_number)

    old_m = {m.number: m for m in old.measures}
    new_m = {m.number: m for m in new.measures}
    for n in sorted(set(new_m) - set(old_m)):
        diff.measures_added.append(f"{n}. {new_m[n].title}")
    for n in sorted(set(old_m) - set(new_m)):
        diff.measures_removed.append(f"{n}. {old_m[n].title}")
    for n in sorted(set(old_m) & set(new_m)):
        if old_m[n].title != new_m[n].title:
            diff.measures_retitled.append((f"{n}. {old_m[n].title}", f"{n}. {new_m[n].title}"))

    olds = [(TaskKey(m.number, t.seq), t, _norm(t.text)) for m in old.measures for t in m.tasks]
    news = [(TaskKey(m.number, t.seq), t, _norm(t.text)) for m in new.measures for t in m.tasks]
    old_free = set(range(len(olds)))
    pairs: list[tuple[int, int, float | None]] = []
    new_free: list[int] = []

    by_text: dict[str, list[int]] = {}
    for i, (_, _, norm) in enumerate(olds):
        by_text.setdefault(norm, []).append(i)
    for j, (key, _, norm) in enumerate(news):
        cands = [i for i in by_text.get(norm, []) if i in old_free]
        if cands:
            i = next((i for i in cands if olds[i][0].measure == key.measure), cands[0])
            old_free.discard(i)
            pairs.append((i, j, None))
        else:
            new_free.append(j)

    old_by_key = {olds[i][0]: i for i in old_free}
    still: list[int] = []
    for j in new_free:
        at = old_by_key.get(news[j][0])
        if at is not None and at in old_free:
            r = _ratio(olds[at][2], news[j][2])
            if r >= SAME_PLACE_RATIO:
                old_free.discard(at)
                pairs.append((at, j, r))
                continue
        still.append(j)

    unmatched_new: list[int] = []
    for j in still:
        best, best_r = None, MOVED_RATIO
        key = news[j][0]
        pool = sorted(old_free, key=lambda i: (olds[i][0].measure != key.measure, i))
        if len(pool) * max(1, len(still)) > 200_000:
            pool = [i for i in pool if olds[i][0].measure == key.measure]
        for i in pool:
            r = _ratio(olds[i][2], news[j][2])
            if r > best_r:
                best, best_r = i, r
        if best is None:
            unmatched_new.append(j)
        else:
            old_free.discard(best)
            pairs.append((best, j, best_r))

    for j in unmatched_new:
        key, t, _ = news[j]
        diff.added.append(TaskChange("added", None, key, new_text=t.text, lead_after=t.lead, co_after=_co(t)))
    for i in sorted(old_free):
        key, t, _ = olds[i]
        diff.removed.append(
            TaskChange("removed", key, None, old_text=t.text, lead_before=t.lead, co_before=_co(t))
        )
    for i, j, sim in sorted(pairs, key=lambda p: p[1]):
        ok, ot, _ = olds[i]
        nk, nt, _ = news[j]
        if sim is not None:
            diff.reworded.append(TaskChange("reworded", ok, nk, ot.text, nt.text, similarity=round(sim, 3)))
        if ot.lead != nt.lead or set(_co(ot)) != set(_co(nt)):
            diff.units_changed.append(
                TaskChange(
                    "units",
                    ok,
                    nk,
                    ot.text,
                    nt.text,
                    lead_before=list(ot.lead),
                    lead_after=list(nt.lead),
                    co_before=_co(ot),
                    co_after=_co(nt),
                )
            )
        if ot.due != nt.due:
            diff.due_changed.append(
                TaskChange("due", ok, nk, ot.text, nt.text, due_before=ot.due, due_after=nt.due)
            )
    return diff


def _co(task: Task) -> list[str]:
    return list(dict.fromkeys([*task.co, *task.local]))
