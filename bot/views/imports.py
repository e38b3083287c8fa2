"""Import in chat and corrections: the preview's pages, the correction menus and their buttons. Pure."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from bot.domain import callbacks as cb
from bot.domain.refs import format_task
from bot.domain.text import clip
from bot.i18n import t
from bot.services.import_drafts import RHYTHMS, review_units, sentences, task_key
from bot.services.policies import ImportPreview
from bot.views.formatting import esc, local_time

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


def unit_list(lang: str, names: list[str]) -> str:
    return "、".join(esc(n) for n in names) if names else t(lang, "import.none")


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
            head.extend(esc(line) for line in preview.change_lines)
        for warning in data["warnings"][:10]:
            head.append(t(lang, "import.warning", text=esc(clip(warning, 200))))
        review = review_units(data)
        if review:
            head.append(t(lang, "import.review", units="、".join(esc(n) for n in review)))
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


def unit_choices(
    lang: str, prefix: str, target: int, picked: list[str], matches: list[tuple[int, str]]
) -> tuple[str, dict[str, Any]]:
    rows = [
        [cb.button(("✅ " if name in picked else "") + clip(name, 24), cb.pack(prefix, "pk", target, uid))]
        for uid, name in matches[:8]
    ]
    rows.append([cb.button(t(lang, "fix.units.done"), cb.pack(prefix, "dn", target, 0))])
    text = t(lang, "fix.units.now", units=unit_list(lang, picked))
    if not matches:
        text += "\n" + t(lang, "fix.units.no_match")
    return text, cb.keyboard(rows)
