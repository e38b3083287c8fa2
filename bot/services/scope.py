"""What a typed reference points at, among many policies side by side.

A reference with a code (`P1-2`) names its policy. One without (`2`, `2.1`) is read within the
coordinator's selected policy; with none selected it must fit exactly one active policy, or the
answer is "ambiguous" with the candidates, never a guess. Assignments (`#71`) are global.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import col

from bot.domain.refs import Ref, RefError, normalize_code, parse_ref
from bot.domain.statuses import Status
from bot.services import events
from bot.services.uow import UnitOfWork
from models import Assignment, Contact, Measure, Policy, Task, Unit

OPEN = (
    Status.ASSIGNED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.BLOCKED,
    Status.RETURNED,
    Status.EXTENDED,
)


@dataclass
class Resolved:
    """`status`: ok | ambiguous | not_found. On ok, `ref` carries the policy's code."""

    status: str
    ref: Ref
    policy: Policy | None = None
    candidates: list[Policy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


async def active_policies(uow: UnitOfWork) -> list[Policy]:
    """Policies with work still on them (at least one live task), in the order they came."""
    live = select(col(Task.policy_id)).where(col(Task.active).is_(True)).distinct()
    return list(
        (
            await uow.session.scalars(select(Policy).where(col(Policy.id).in_(live)).order_by(col(Policy.id)))
        ).all()
    )


async def policy_by_code(uow: UnitOfWork, code: str) -> Policy | None:
    return await uow.session.scalar(select(Policy).where(col(Policy.code) == code.upper()))


async def _has(uow: UnitOfWork, policy_id: int, ref: Ref) -> bool:
    if ref.kind == "policy":
        return True
    query = select(func.count(col(Measure.id))).where(
        col(Measure.policy_id) == policy_id, col(Measure.number) == ref.measure
    )
    if ref.kind == "task":
        query = (
            select(func.count(col(Task.id)))
            .join(Measure, col(Measure.id) == col(Task.measure_id))
            .where(
                col(Task.policy_id) == policy_id,
                col(Measure.number) == ref.measure,
                col(Task.seq) == ref.seq,
                col(Task.active).is_(True),
            )
        )
    return bool(await uow.session.scalar(query))


async def resolve(uow: UnitOfWork, ref: Ref, selected_policy_id: int | None) -> Resolved:
    if ref.kind == "assignment":
        exists = await uow.session.get(Assignment, ref.assignment or 0)
        return Resolved("ok" if exists else "not_found", ref)
    if ref.code is not None:
        policy = await policy_by_code(uow, ref.code)
        if policy is None or not await _has(uow, policy.id or 0, ref):
            return Resolved("not_found", ref, policy)
        return Resolved("ok", ref, policy)
    if selected_policy_id is not None:
        policy = await uow.session.get(Policy, selected_policy_id)
        if policy is not None:
            if not await _has(uow, policy.id or 0, ref):
                return Resolved("not_found", ref.with_code(policy.code), policy)
            return Resolved("ok", ref.with_code(policy.code), policy)
    candidates = [p for p in await active_policies(uow) if await _has(uow, p.id or 0, ref)]
    if len(candidates) == 1:
        return Resolved("ok", ref.with_code(candidates[0].code), candidates[0])
    if not candidates:
        return Resolved("not_found", ref)
    return Resolved("ambiguous", ref, candidates=candidates)


# ---------------------------------------------------------------- the selected policy


def coordinator_contact(contacts: list[Contact]) -> Contact | None:
    return next((c for c in contacts if c.role == "coordinator"), None)


async def select_policy(
    uow: UnitOfWork, contact: Contact, policy_id: int | None, *, actor: str
) -> Policy | None:
    """Remembers (or, with None, forgets) the coordinator's policy. Re-reads both from the DB."""
    row = await uow.session.get(Contact, contact.id)
    if row is None or row.role != "coordinator":
        raise LookupError("not a coordinator")
    policy = await uow.session.get(Policy, policy_id) if policy_id is not None else None
    if policy_id is not None and policy is None:
        raise LookupError("no such policy")
    old = row.selected_policy_id
    row.selected_policy_id = policy.id if policy else None
    events.record(
        uow,
        actor=actor,
        kind="contact.policy_selected",
        entity="contact",
        entity_id=row.id,
        data={"from": old, "to": row.selected_policy_id, "code": policy.code if policy else None},
    )
    return policy


# ---------------------------------------------------------------- what a reference covers


@dataclass
class Target:
    """The open assignments a measure or task reference covers, for a change named before it is made."""

    ref: Ref
    assignment_ids: list[int] = field(default_factory=list)
    units: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return f"{len(self.assignment_ids)}.{max(self.assignment_ids, default=0)}"


async def open_assignments(
    uow: UnitOfWork, policy: Policy, ref: Ref, statuses: tuple[str, ...] = OPEN
) -> Target:
    query = (
        select(col(Assignment.id), col(Unit.name))
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .where(
            col(Task.policy_id) == policy.id, col(Task.active).is_(True), col(Assignment.status).in_(statuses)
        )
        .order_by(col(Measure.number), col(Task.seq), col(Assignment.id))
    )
    if ref.kind in ("measure", "task"):
        query = query.where(col(Measure.number) == ref.measure)
    if ref.kind == "task":
        query = query.where(col(Task.seq) == ref.seq)
    target = Target(ref)
    for aid, unit in (await uow.session.execute(query)).all():
        assert aid is not None  # the primary key of a stored row
        target.assignment_ids.append(aid)
        if unit not in target.units:
            target.units.append(unit)
    return target


@dataclass
class PolicyLine:
    policy: Policy
    tasks: int
    assignments: int
    done: int
    draft: int


async def policy_lines(uow: UnitOfWork) -> list[PolicyLine]:
    """Every policy with its counts, for /policies (lights come from board.rollup)."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        await uow.session.execute(
            select(col(Task.policy_id), col(Assignment.status), func.count(col(Assignment.id)))
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .where(col(Task.active).is_(True), col(Assignment.status) != Status.CANCELLED)
            .group_by(col(Task.policy_id), col(Assignment.status))
        )
    ).all()
    for pid, status, n in rows:
        counts.setdefault(pid, {})[status] = n
    tasks = dict(
        (
            await uow.session.execute(
                select(col(Task.policy_id), func.count(col(Task.id)))
                .where(col(Task.active).is_(True))
                .group_by(col(Task.policy_id))
            )
        ).all()
    )
    lines = []
    for policy in (await uow.session.scalars(select(Policy).order_by(col(Policy.id)))).all():
        c = counts.get(policy.id or 0, {})
        lines.append(
            PolicyLine(
                policy,
                tasks.get(policy.id or 0, 0),
                sum(c.values()),
                c.get(Status.DONE, 0),
                c.get(Status.DRAFT, 0),
            )
        )
    return lines


class ScopeError(ValueError):
    """A reference given on the command line that names nothing, or more than one thing:
    ``key`` (bot/i18n) and its values, worded by the command line in the configured language."""

    def __init__(self, key: str, **values: str | list[str]) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


async def resolve_cli(
    uow: UnitOfWork, policy_text: str | None, measure_text: str | None
) -> tuple[Policy | None, Ref | None]:
    """`--policy P1 --measure 2` (or `--measure P1-2`, `--measure 2.1`): the policy and the measure
    or task reference, the same reading as in chat; ambiguity is an error that names the choices."""
    policy = None
    if policy_text:
        code = normalize_code(policy_text)
        policy = await policy_by_code(uow, code) if code else None
        if policy is None:
            raise ScopeError("cli.scope.no_policy", policy=policy_text)
    if not measure_text:
        return policy, None
    try:
        ref = parse_ref(measure_text)
    except RefError:
        raise ScopeError("cli.scope.bad_ref", ref=measure_text) from None
    if ref.kind not in ("measure", "task"):
        raise ScopeError("cli.scope.not_measure", ref=measure_text)
    if policy is not None:
        if ref.code is not None and ref.code != policy.code:
            raise ScopeError("cli.scope.other_policy", ref=measure_text, code=ref.code, policy=policy.code)
        ref = ref.with_code(policy.code)
    resolved = await resolve(uow, ref, None)
    if resolved.status == "ambiguous":
        choices = [str(ref.with_code(p.code)) for p in resolved.candidates]
        raise ScopeError("cli.scope.ambiguous", ref=str(ref), choices=choices, first=choices[0])
    if resolved.status == "not_found":
        raise ScopeError("cli.scope.not_found", ref=str(resolved.ref))
    return resolved.policy, resolved.ref
