"""Import in chat: a decomposition kept as a draft, corrected, then saved by the one import service.

The draft holds the parsed decomposition as JSON. Corrections before the confirm edit that JSON
(pure functions below); the confirm hands the edited decomposition to `policies.import_policy`,
the same service `duban import` uses. Nothing here imports aiogram.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col

from bot.domain import due_sources
from bot.importer import Decomposition, ImporterWarning, Measure, PolicyInfo, Task, UnitRef
from bot.services import events
from bot.services import policies as policy_service
from bot.services.uow import UnitOfWork
from models import ImportDraft, Policy

DRAFT_TTL = timedelta(hours=24)
RHYTHMS = ("weekly", "monthly", "quarterly", "semiannual", "yearly", "ongoing")
# Where a task's text may be cut in two: after a full stop or a semicolon.
_SENTENCE = re.compile(r"(?<=[。；;！？])")


class DraftError(Exception):
    """A refusal the handler words in the user's language (`key` is an i18n key)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


# ---------------------------------------------------------------- lossless JSON of a decomposition


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def encode(dec: Decomposition) -> dict[str, Any]:
    info = dec.policy
    return {
        "policy": {
            "title": info.title,
            "doc_number": info.doc_number,
            "issued_on": info.issued_on.isoformat() if info.issued_on else None,
            "horizon": info.horizon.isoformat() if info.horizon else None,
        },
        "measures": [
            {
                "number": m.number,
                "label": m.label,
                "title": m.title,
                "text": m.text,
                "section": m.section,
                "tasks": [
                    {
                        "seq": t.seq,
                        "text": t.text,
                        "lead": list(t.lead),
                        "co": list(t.co),
                        "local": list(t.local),
                        "support": list(t.support),
                        "due": t.due.isoformat() if t.due else None,
                        "due_source": t.due_source,
                        "rhythm": t.rhythm,
                        "targets": list(t.targets),
                        "unit_clause": t.unit_clause,
                    }
                    for t in m.tasks
                ],
            }
            for m in dec.measures
        ],
        "units": [u.to_json() for u in dec.units],
        "warnings": [w.to_json() for w in dec.warnings],
        "fingerprint": dec.fingerprint,
    }


def decode(data: dict[str, Any]) -> Decomposition:
    pol = data["policy"]
    measures = [
        Measure(
            number=m["number"],
            label=m["label"],
            title=m["title"],
            text=m["text"],
            section=m.get("section"),
            tasks=[
                Task(
                    seq=t["seq"],
                    text=t["text"],
                    lead=list(t["lead"]),
                    co=list(t["co"]),
                    local=list(t["local"]),
                    support=list(t["support"]),
                    due=_d(t["due"]),
                    due_source=t["due_source"],
                    rhythm=t["rhythm"],
                    targets=list(t["targets"]),
                    unit_clause=t["unit_clause"],
                )
                for t in m["tasks"]
            ],
        )
        for m in data["measures"]
    ]
    units = [
        UnitRef(name=u["name"], aliases=list(u["aliases"]), kind=u["kind"], known=u["known"])
        for u in data["units"]
    ]
    info = PolicyInfo(
        title=pol["title"],
        doc_number=pol["doc_number"],
        issued_on=_d(pol["issued_on"]),
        horizon=_d(pol["horizon"]),
    )
    return Decomposition(
        policy=info,
        measures=measures,
        units=units,
        warnings=[ImporterWarning.from_json(w) for w in data["warnings"]],
        fingerprint=data["fingerprint"],
    )


# ---------------------------------------------------------------- the draft's life


@dataclass
class DraftView:
    draft: ImportDraft
    data: dict[str, Any]
    preview: policy_service.ImportPreview


async def purge_expired(uow: UnitOfWork) -> int:
    """Abandoned previews expire: their text and decomposition are dropped, the row says so."""
    result = await uow.session.execute(
        update(ImportDraft)
        .where(col(ImportDraft.state) == "open", col(ImportDraft.expires_at) < uow.now)
        .values(state="expired", decomposition=None, source_text="")
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def create_draft(
    uow: UnitOfWork, dec: Decomposition, *, owner: int, source_name: str, source_text: str, actor: str
) -> DraftView:
    await purge_expired(uow)
    preview = await policy_service.preview_import(uow, dec)
    now = uow.now
    draft = ImportDraft(
        owner_user_id=owner,
        source_name=source_name,
        source_text=source_text,
        decomposition=encode(dec),
        policy_id=preview.existing_policy_id,
        state="open",
        created_at=now,
        expires_at=now + DRAFT_TTL,
    )
    uow.session.add(draft)
    await uow.session.flush()
    events.record(
        uow,
        actor=actor,
        kind="import.previewed",
        entity="import_draft",
        entity_id=draft.id,
        to_state="open",
        data={
            "source": source_name,
            "doc_number": dec.policy.doc_number,
            "revises": preview.existing_policy_id,
        },
    )
    return DraftView(draft=draft, data=draft.decomposition or {}, preview=preview)


async def load_draft(uow: UnitOfWork, draft_id: int, *, owner: int) -> DraftView:
    """The owner's open draft. A pressed button is a claim: owner, state and expiry are checked here."""
    await purge_expired(uow)
    draft = await uow.session.get(ImportDraft, draft_id)
    if draft is None or draft.owner_user_id != owner:
        raise DraftError("button.forged")
    if draft.state == "expired":
        raise DraftError("import.expired")
    if draft.state != "open":
        raise DraftError("import.closed")
    data = copy.deepcopy(draft.decomposition or {})
    preview = await policy_service.preview_import(uow, decode(data))
    return DraftView(draft=draft, data=data, preview=preview)


async def open_draft_of(uow: UnitOfWork, owner: int) -> ImportDraft | None:
    await purge_expired(uow)
    return await uow.session.scalar(
        select(ImportDraft)
        .where(col(ImportDraft.owner_user_id) == owner, col(ImportDraft.state) == "open")
        .order_by(col(ImportDraft.id).desc())
        .limit(1)
    )


def save(
    uow: UnitOfWork, view: DraftView, *, actor: str, kind: str, before: Any, after: Any, where: str
) -> None:
    """Stores the edited JSON (a new object, so the JSON column sees the change) and records it."""
    view.draft.decomposition = view.data
    flag_modified(view.draft, "decomposition")  # edited in place: the JSON column cannot see it
    events.record(
        uow,
        actor=actor,
        kind=f"import.corrected.{kind}",
        entity="import_draft",
        entity_id=view.draft.id,
        data={"where": where, "before": before, "after": after},
    )


async def cancel(uow: UnitOfWork, view: DraftView, *, actor: str) -> None:
    view.draft.state, view.draft.decomposition, view.draft.source_text = "cancelled", None, ""
    events.record(
        uow,
        actor=actor,
        kind="import.cancelled",
        entity="import_draft",
        entity_id=view.draft.id,
        from_state="open",
        to_state="cancelled",
    )


async def confirm(
    uow: UnitOfWork, view: DraftView, *, actor: str
) -> tuple[policy_service.ImportOutcome, str]:
    """Saves the (corrected) decomposition through the one import service."""
    if view.preview.same_document:
        raise DraftError("import.same", code=view.preview.existing_code or "—")
    outcome = await policy_service.import_policy(
        uow,
        decode(view.data),
        source_name=view.draft.source_name,
        source_text=view.draft.source_text,
        actor=actor,
    )
    view.draft.state, view.draft.policy_id = "confirmed", outcome.policy_id
    view.draft.decomposition, view.draft.source_text = None, ""
    events.record(
        uow,
        actor=actor,
        kind="import.confirmed",
        entity="import_draft",
        entity_id=view.draft.id,
        from_state="open",
        to_state="confirmed",
        data={"policy_id": outcome.policy_id, "created": outcome.created},
    )
    policy = await uow.session.get(Policy, outcome.policy_id)
    return outcome, (policy.code if policy is not None else "") or ""


# ---------------------------------------------------------------- corrections of the draft (pure)


def task_key(measure: int, seq: int) -> str:
    return f"{measure}.{seq}"


def find_task(data: dict[str, Any], key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    m_no, _, seq = key.partition(".")
    for m in data["measures"]:
        if str(m["number"]) == m_no:
            for t in m["tasks"]:
                if str(t["seq"]) == seq:
                    return m, t
    raise DraftError("import.no_task", ref=key)


def _renumber(measure: dict[str, Any]) -> None:
    for i, t in enumerate(measure["tasks"], start=1):
        t["seq"] = i


def review_units(data: dict[str, Any]) -> list[str]:
    """Names the importer did not find in the directory (单位待确认)."""
    return [u["name"] for u in data["units"] if not u["known"]]


def set_units(data: dict[str, Any], key: str, role: str, names: list[str]) -> tuple[list[str], list[str]]:
    _, task = find_task(data, key)
    names = list(dict.fromkeys(names))
    if role == "lead":
        before = list(task["lead"])
        task["lead"] = names
        # One unit holds one role in a task.
        task["co"] = [n for n in task["co"] if n not in names]
        task["local"] = [n for n in task["local"] if n not in names]
    else:
        before = list(dict.fromkeys([*task["co"], *task["local"]]))
        task["co"], task["local"] = [n for n in names if n not in task["lead"]], []
    _known(data, names)
    return before, names


def _known(data: dict[str, Any], names: list[str]) -> None:
    present = {u["name"] for u in data["units"]}
    for name in names:
        if name not in present:
            data["units"].append({"name": name, "aliases": [], "kind": "other", "known": True})


def map_unit(data: dict[str, Any], old: str, new: str) -> int:
    """A unit under review is an existing unit after all: every task naming it names that one."""
    changed = 0
    for m in data["measures"]:
        for t in m["tasks"]:
            for field_name in ("lead", "co", "local", "support"):
                if old in t[field_name]:
                    t[field_name] = list(dict.fromkeys(new if n == old else n for n in t[field_name]))
                    changed += 1
    data["units"] = [u for u in data["units"] if u["name"] != old]
    _known(data, [new])
    return changed


def accept_unit(data: dict[str, Any], name: str) -> None:
    for u in data["units"]:
        if u["name"] == name:
            u["known"] = True


def set_text(data: dict[str, Any], key: str, text: str) -> str:
    _, task = find_task(data, key)
    before, task["text"] = task["text"], text
    return str(before)


def set_due(data: dict[str, Any], keys: list[str], due: date | None) -> list[str | None]:
    before = []
    for key in keys:
        _, task = find_task(data, key)
        before.append(task["due"])
        task["due"], task["due_source"] = (due.isoformat() if due else None), due_sources.COORDINATOR
    return before


def set_rhythm(data: dict[str, Any], key: str, rhythm: str | None) -> str | None:
    if rhythm is not None and rhythm not in RHYTHMS:
        raise DraftError("fix.bad_rhythm")
    _, task = find_task(data, key)
    before, task["rhythm"] = task["rhythm"], rhythm
    return before


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s.strip()]


def split_text(text: str, *, after: int | None = None, first: str | None = None) -> tuple[str, str]:
    """Cuts a task's text after sentence `after` (1-based) or where the typed `first` part ends."""
    if after is not None:
        parts = sentences(text)
        if not 1 <= after < len(parts):
            raise DraftError("fix.split_bad")
        return "".join(parts[:after]).strip(), "".join(parts[after:]).strip()
    typed = (first or "").strip()
    if typed and text.startswith(typed) and len(typed) < len(text.strip()):
        return typed, text[len(typed) :].strip()
    if typed and typed in text and typed != text.strip():
        rest = text.replace(typed, "", 1).strip()
        return typed, rest
    raise DraftError("fix.split_bad")


def split(data: dict[str, Any], key: str, *, after: int | None = None, first: str | None = None) -> str:
    measure, task = find_task(data, key)
    head, tail = split_text(task["text"], after=after, first=first)
    second = dict(
        task,
        text=tail,
        lead=list(task["lead"]),
        co=list(task["co"]),
        local=list(task["local"]),
        support=list(task["support"]),
        targets=[],
    )
    task["text"] = head
    measure["tasks"].insert(measure["tasks"].index(task) + 1, second)
    _renumber(measure)
    return f"{measure['number']}.{task['seq'] + 1}"


def merge(data: dict[str, Any], key: str, other: str) -> None:
    measure, task = find_task(data, key)
    measure2, task2 = find_task(data, other)
    if measure2 is not measure or task2 is task:
        raise DraftError("fix.merge_bad")
    task["text"] = task["text"].rstrip() + task2["text"].lstrip()
    for field_name in ("lead", "co", "local", "support", "targets"):
        task[field_name] = list(dict.fromkeys([*task[field_name], *task2[field_name]]))
    task["co"] = [n for n in task["co"] if n not in task["lead"]]
    task["local"] = [n for n in task["local"] if n not in task["lead"] and n not in task["co"]]
    if task2["due"] and (not task["due"] or task2["due"] < task["due"]):
        task["due"], task["due_source"] = task2["due"], task2["due_source"]
    measure["tasks"].remove(task2)
    _renumber(measure)


def drop(data: dict[str, Any], key: str) -> str:
    measure, task = find_task(data, key)
    measure["tasks"].remove(task)
    _renumber(measure)
    return str(task["text"])


def task_keys(data: dict[str, Any], scope: str) -> list[str]:
    """Task keys of a due-date scope: one task "2.1", a measure "2", or the whole document "all"."""
    keys = []
    for m in data["measures"]:
        for t in m["tasks"]:
            key = task_key(m["number"], t["seq"])
            if scope == "all" or scope == str(m["number"]) or scope == key:
                keys.append(key)
    if not keys:
        raise DraftError("import.no_task", ref=scope)
    return keys
