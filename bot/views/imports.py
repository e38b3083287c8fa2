"""Import in chat and corrections: the preview's pages, the correction menus and their buttons. Pure."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from bot.domain import callbacks as cb
from bot.domain.refs import format_task
from bot.domain.text import clip
from bot.i18n import t
from bot.importer import DecompositionDiff
from bot.services.import_drafts import RHYTHMS, review_units, sentences, task_key
from bot.services.policies import ImportOutcome, ImportPreview
from bot.views.formatting import esc, local_time
from bot.views.import_warnings import warning_text
from bot.views.pickers import unit_list

PAGE_CHARS = 3300  # the page text; the header and footer stay under Telegram's 4,096
TASK_BUTTONS_PER_ROW = 4
# The correction menu, one button per kind (the same for a draft task and a live one).
FIELDS = ("lead", "co", "text", "due", "rhythm", "split", "merge", "drop")


def draft_task_label(code: str | None, key: str) -> str:
    """A preview's task (key "2.1") written as the one reference format, with the code it will have."""
    measure, _, seq = key.partition(".")
    if not (measure.isdigit() and seq.isdigit()):
        return key
    return format_task(code, int(measure), int(seq))


def task_lines(lang: str, task: dict[str, Any], label: str, review: set[str]) -> str:
    def mark(names: list[str]) -> list[str]:
        return [f"{n}⚠" if n in review else n for n in names]

    co = list(dict.fromkeys([*task["co"], *task["local"]]))
    rhythm = t(lang, f"rhythm.{task['rhythm']}") if task["rhythm"] else t(lang, "import.none")
    return t(
        lang,
        "import.task",
        label=label,
        text=esc(clip(task["text"], 160)),
        lead=unit_list(lang, mark(task["lead"])),
        co=unit_list(lang, mark(co)),
        due=task["due"] or t(lang, "import.no_due"),
        rhythm=rhythm,
    )


def preview_pages(
    lang: str, data: dict[str, Any], code: str | None = None
) -> list[list[tuple[str | None, str]]]:
    """Pages of (task key or None, text block), each page under PAGE_CHARS."""
    review = set(review_units(data))
    blocks: list[tuple[str | None, str]] = []
    for m in data["measures"]:
        blocks.append(
            (None, t(lang, "import.measure", label=esc(m["label"]), title=esc(clip(m["title"], 80))))
        )
        for task in m["tasks"]:
            key = task_key(m["number"], task["seq"])
            blocks.append((key, task_lines(lang, task, draft_task_label(code, key), review)))
    pages: list[list[tuple[str | None, str]]] = [[]]
    size = 0
    for block in blocks:
        if pages[-1] and size + len(block[1]) > PAGE_CHARS:
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += len(block[1]) + 1
    return pages


def render_preview(
    lang: str,
    draft_id: int,
    data: dict[str, Any],
    preview: ImportPreview,
    page: int,
    expires_at: datetime | None,
    tz: tzinfo,
) -> tuple[str, dict[str, Any]]:
    pages = preview_pages(lang, data, preview.code)
    page = max(0, min(page, len(pages) - 1))
    pol = data["policy"]
    tasks = sum(len(m["tasks"]) for m in data["measures"])
    head = [
        t(
            lang,
            "import.header",
            title=esc(clip(pol["title"], 120)),
            doc=esc(pol["doc_number"] or "—"),
            measures=len(data["measures"]),
            tasks=tasks,
        )
    ]
    no_due = [task_key(m["number"], x["seq"]) for m in data["measures"] for x in m["tasks"] if not x["due"]]
    if page == 0:
        if preview.same_document:
            head.append(t(lang, "import.same", code=preview.existing_code or "—"))
        elif preview.existing_policy_id is not None:
            head.append(t(lang, "import.revision", code=preview.existing_code or "—"))
            head.extend(esc(line) for line in revision_lines(lang, preview))
        for warning in data["warnings"][:10]:
            text = warning_text(lang, warning)
            head.append(t(lang, "import.warning", text=esc(clip(text, 200))))
        review = review_units(data)
        if review:
            head.append(t(lang, "import.review", units=t(lang, "sep.list").join(esc(n) for n in review)))
        if no_due:
            head.append(t(lang, "import.no_due_warning", count=len(no_due)))
    body = "\n".join(text for _, text in pages[page])
    footer = t(
        lang,
        "import.footer",
        page=page + 1,
        pages=len(pages),
        expires=local_time(expires_at, tz) if expires_at else "—",
    )
    text = "\n".join(head) + "\n\n" + body + "\n\n" + footer
    rows: list[list[dict[str, str]]] = []
    keys = [key for key, _ in pages[page] if key is not None]
    for i in range(0, len(keys), TASK_BUTTONS_PER_ROW):
        rows.append(
            [
                cb.button(f"✏️{draft_task_label(preview.code, k)}", cb.pack(cb.IMPORT, "t", draft_id, k))
                for k in keys[i : i + TASK_BUTTONS_PER_ROW]
            ]
        )
    if page == 0:
        for i, name in enumerate(review_units(data)[:8]):
            rows.append(
                [
                    cb.button(
                        t(lang, "import.btn.review", unit=clip(name, 20)),
                        cb.pack(cb.IMPORT, "u", draft_id, i),
                    )
                ]
            )
    nav = []
    if page > 0:
        nav.append(cb.button(t(lang, "btn.prev"), cb.pack(cb.IMPORT, "pg", draft_id, page - 1)))
    if page < len(pages) - 1:
        nav.append(cb.button(t(lang, "btn.next"), cb.pack(cb.IMPORT, "pg", draft_id, page + 1)))
    if nav:
        rows.append(nav)
    rows.append([cb.button(t(lang, "import.btn.due_all"), cb.pack(cb.IMPORT, "due", draft_id, "all"))])
    last = [cb.button(t(lang, "import.btn.cancel"), cb.pack(cb.IMPORT, "no", draft_id, 0))]
    if not preview.same_document:
        last.insert(0, cb.button(t(lang, "import.btn.confirm"), cb.pack(cb.IMPORT, "ok", draft_id, 0)))
    rows.append(last)
    return text, cb.keyboard(rows)


def revision_lines(lang: str, preview: ImportPreview) -> list[str]:
    """A revised document's changes against the policy it revises (plain text)."""
    return diff_lines(lang, preview.diff, preview.existing_code) if preview.diff is not None else []


def correction_menu(lang: str, prefix: str, target: int, key: str, text: str) -> tuple[str, dict[str, Any]]:
    """The buttons 牵头单位 / 配合单位 / 内容 / 截止日期 / 报送频次 / 拆分 / 合并 / 删除 for one task.

    `prefix` is cb.IMPORT (a draft task: target = draft id, key = "2.1") or cb.FIX (a live task:
    target = task id, key unused)."""

    def b(field_name: str) -> dict[str, str]:
        return cb.button(t(lang, f"fix.btn.{field_name}"), cb.pack(prefix, field_name, target, key or 0))

    rows = [[b("lead"), b("co")], [b("text"), b("due"), b("rhythm")], [b("split"), b("merge"), b("drop")]]
    if prefix == cb.IMPORT:
        measure = key.partition(".")[0]
        rows.append(
            [
                cb.button(
                    t(lang, "import.btn.due_measure", measure=measure),
                    cb.pack(cb.IMPORT, "due", target, measure),
                ),
                cb.button(t(lang, "import.btn.back"), cb.pack(cb.IMPORT, "pg", target, 0)),
            ]
        )
    return text, cb.keyboard(rows)


def rhythm_keyboard(lang: str, prefix: str, target: int, key: str) -> dict[str, Any]:
    buttons = [
        cb.button(t(lang, f"rhythm.{r}"), cb.pack(prefix, "rv", target, f"{key}~{i}" if key else str(i)))
        for i, r in enumerate(RHYTHMS)
    ]
    buttons.append(
        cb.button(t(lang, "import.none"), cb.pack(prefix, "rv", target, f"{key}~-" if key else "-"))
    )
    return cb.keyboard([buttons[:3], buttons[3:6], buttons[6:]])


def split_menu(lang: str, prefix: str, target: int, key: str, text: str) -> tuple[str, dict[str, Any]]:
    parts = sentences(text)
    lines = [t(lang, "fix.split.ask")] + [f"{i}. {esc(clip(s, 120))}" for i, s in enumerate(parts, start=1)]
    buttons = [
        cb.button(
            t(lang, "fix.split.after", n=i), cb.pack(prefix, "sa", target, f"{key}~{i}" if key else str(i))
        )
        for i in range(1, len(parts))
    ][:12]
    return "\n".join(lines), cb.keyboard([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


def merge_menu(
    lang: str, prefix: str, target: int, key: str, others: list[tuple[str, str]]
) -> tuple[str, dict[str, Any]]:
    """`others`: (payload arg, label) of the tasks of the same measure this one may absorb."""
    if not others:
        return t(lang, "fix.merge.none"), cb.keyboard([])
    buttons = [cb.button(label, cb.pack(prefix, "ma", target, arg)) for arg, label in others][:12]
    return t(lang, "fix.merge.ask"), cb.keyboard([buttons[i : i + 4] for i in range(0, len(buttons), 4)])


# ---------------------------------------------------------------- what the handlers of /fix and /import say


def correction_result(lang: str, label: str, messages: int, lost: list[str], gained: list[str]) -> str:
    """A correction made: the task, the messages queued to units, the units that lost or gained it."""
    text = t(lang, "fix.result", label=label, messages=messages)
    if lost:
        text += "\n" + t(lang, "fix.result.lost", units=t(lang, "sep.list").join(esc(n) for n in lost))
    if gained:
        text += "\n" + t(lang, "fix.result.gained", units=t(lang, "sep.list").join(esc(n) for n in gained))
    return text


def fix_usage(lang: str, review: list[str]) -> str:
    """/fix without a reference, naming the units still waiting to be accepted or mapped."""
    extra = (
        t(lang, "fix.review.list", units=t(lang, "sep.list").join(esc(n) for n in review)) if review else ""
    )
    return t(lang, "fix.usage") + extra


def fix_menu(lang: str, task_id: int, task: dict[str, Any], label: str) -> tuple[str, dict[str, Any]]:
    """A live task's correction menu, headed by what the task is now."""
    return correction_menu(
        lang, cb.FIX, task_id, "", t(lang, "fix.menu") + "\n" + task_lines(lang, task, label, set())
    )


def which_task(lang: str, ref: str, tasks: list[tuple[int, str]]) -> tuple[str, dict[str, Any]]:
    """A reference several policies' tasks answer to: one button per (task id, label), never a guess."""
    rows = [[cb.button(label, cb.pack(cb.FIX, "menu", tid, 0))] for tid, label in tasks[:8]]
    return t(lang, "fix.ambiguous", ref=esc(ref)), cb.keyboard(rows)


def drop_ask(lang: str, task_id: int, label: str) -> tuple[str, dict[str, Any]]:
    return t(lang, "fix.drop.ask", label=label), cb.keyboard(
        [[cb.button(t(lang, "fix.drop.yes"), cb.pack(cb.FIX, "dy", task_id, 0))]]
    )


def rhythm_ask(lang: str, prefix: str, target: int, key: str, ref: str) -> tuple[str, dict[str, Any]]:
    return t(lang, "fix.ask.rhythm", ref=ref), rhythm_keyboard(lang, prefix, target, key)


def value_ask(lang: str, field_name: str, ref: str) -> str:
    """Asking for a typed value (the task's text or deadline) of `ref`."""
    return t(lang, f"fix.ask.{field_name}", ref=ref)


def draft_scope(lang: str, arg: str) -> str:
    """A draft deadline's scope as the coordinator reads it: a task ("2.1"), a measure, or all."""
    if "." in arg:
        return arg
    return t(lang, "import.scope.all") if arg == "all" else t(lang, "import.scope.measure", measure=arg)


def merge_choices(
    code: str | None, key: str, measure: dict[str, Any], task: dict[str, Any]
) -> list[tuple[str, str]]:
    """The other draft tasks of `key`'s measure, as (payload arg, label) for merge_menu."""
    return [
        (f"{key}~{x['seq']}", draft_task_label(code, task_key(measure["number"], x["seq"])))
        for x in measure["tasks"]
        if x is not task
    ]


# ---------------------------------------------------------------- a revision's changes, in the reader's language


def _short(text: str | None, n: int = 40) -> str:
    text = text or ""
    return text if len(text) <= n else text[:n] + "…"


def _names(lang: str, names: list[str]) -> str:
    return t(lang, "sep.list").join(names) if names else t(lang, "diff.no_units")


def _date(lang: str, d: date | None) -> str:
    return d.isoformat() if d else t(lang, "diff.no_due")


def diff_lines(lang: str, diff: DecompositionDiff, code: str | None = None) -> list[str]:
    """What a revised document changes, one plain-text line per item (the caller escapes them);
    tasks written with the policy's `code`."""
    if diff.is_empty:
        return [t(lang, "diff.none")]
    lines: list[str] = []
    if diff.title_change is not None:
        lines.append(t(lang, "diff.title", old=diff.title_change[0], new=diff.title_change[1]))
    if diff.doc_number_change is not None:
        old, new = diff.doc_number_change
        none = t(lang, "diff.no_doc_number")
        lines.append(t(lang, "diff.doc_number", old=old or none, new=new or none))
    lines += [t(lang, "diff.measure.added", measure=m) for m in diff.measures_added]
    lines += [t(lang, "diff.measure.removed", measure=m) for m in diff.measures_removed]
    lines += [t(lang, "diff.measure.retitled", old=old, new=new) for old, new in diff.measures_retitled]
    if diff.added:
        lines.append(t(lang, "diff.added", count=len(diff.added)))
        lines += [
            t(lang, "diff.task.added", task=c.new.zh(code), text=_short(c.new_text))
            for c in diff.added
            if c.new
        ]
    if diff.removed:
        lines.append(t(lang, "diff.removed", count=len(diff.removed)))
        lines += [
            t(lang, "diff.task.removed", task=c.old.zh(code), text=_short(c.old_text))
            for c in diff.removed
            if c.old
        ]
    if diff.reworded:
        lines.append(t(lang, "diff.reworded", count=len(diff.reworded)))
        lines += [
            t(
                lang,
                "diff.task.reworded",
                task=c.new.zh(code),
                old=_short(c.old_text, 24),
                new=_short(c.new_text, 24),
            )
            for c in diff.reworded
            if c.new
        ]
    if diff.units_changed:
        lines.append(t(lang, "diff.units", count=len(diff.units_changed)))
        for c in diff.units_changed:
            parts = []
            if c.lead_before != c.lead_after:
                parts.append(
                    t(
                        lang,
                        "diff.units.lead",
                        old=_names(lang, c.lead_before),
                        new=_names(lang, c.lead_after),
                    )
                )
            plus = [n for n in c.co_after if n not in c.co_before]
            minus = [n for n in c.co_before if n not in c.co_after]
            if plus:
                parts.append(t(lang, "diff.units.co_added", units=_names(lang, plus)))
            if minus:
                parts.append(t(lang, "diff.units.co_removed", units=_names(lang, minus)))
            if c.new:
                what = t(lang, "diff.units.sep").join(parts) or t(lang, "diff.units.reordered")
                lines.append(t(lang, "diff.task.changed", task=c.new.zh(code), what=what))
    if diff.due_changed:
        lines.append(t(lang, "diff.due", count=len(diff.due_changed)))
        lines += [
            t(
                lang,
                "diff.task.changed",
                task=c.new.zh(code),
                what=f"{_date(lang, c.due_before)} → {_date(lang, c.due_after)}",
            )
            for c in diff.due_changed
            if c.new
        ]
    return lines


def outcome_lines(lang: str, outcome: ImportOutcome) -> list[str]:
    """What applying a revision changed, one plain-text line per task (the caller escapes them)."""
    return [
        *(t(lang, "applied.added", task=x) for x in outcome.added),
        *(t(lang, "applied.removed", task=x) for x in outcome.removed),
        *(t(lang, "applied.reworded", task=x) for x in outcome.reworded),
        *(t(lang, "applied.units", task=x) for x in outcome.units_changed),
    ]


def import_done(lang: str, outcome: ImportOutcome, code: str) -> str:
    """A confirmed import: a new policy's counts, or a revision with what it changed."""
    key = "import.saved" if outcome.created else "import.applied"
    head = t(
        lang, key, code=code, measures=outcome.measures, tasks=outcome.tasks, assignments=outcome.assignments
    )
    return "\n".join([head, *(esc(line) for line in outcome_lines(lang, outcome))])


def too_big(lang: str, limit_bytes: int) -> str:
    return t(lang, "import.too_big", mb=f"{limit_bytes / 1_000_000:.0f}")


def import_failed(lang: str, reason_zh: str, reason_en: str) -> str:
    """A document that could not be read, with the reader's reason in the reader's language."""
    return t(lang, "import.failed", reason=esc(reason_en if lang == "en" else reason_zh))
