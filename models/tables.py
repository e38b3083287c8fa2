"""The tables. Times are UTC (see UTCDateTime); dates are calendar dates in the configured zone (TIMEZONE)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import JSON, Field, SQLModel

from models.types import UTCDateTime


def _when(nullable: bool = True, index: bool = False) -> datetime | None:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)  # type: ignore[no-any-return]


class Policy(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # What people type to name it (P1, J2, …; bot/domain/refs.py): assigned once, never reused or changed.
    code: str = Field(unique=True)
    # document | instruction (领导批示) | meeting (会议议定) | key_work (重点工作) | other
    kind: str = "document"
    title: str = Field(sa_type=Text)
    short_title: str = ""
    doc_number: str | None = Field(default=None, index=True)
    issued_on: date | None = None
    # Tasks without their own deadline fall due at the horizon, which the coordinator may set.
    horizon: date | None = None
    fingerprint: str = Field(index=True)
    source_name: str = ""
    source_text: str = Field(default="", sa_type=Text)
    followup_overrides: dict | None = Field(default=None, sa_type=JSON)
    created_at: datetime | None = _when(nullable=False)
    updated_at: datetime | None = _when()


class Measure(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("policy_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    number: int
    label: str = ""
    title: str = Field(default="", sa_type=Text)
    text: str = Field(default="", sa_type=Text)


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("measure_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    seq: int
    text: str = Field(sa_type=Text)
    due_on: date | None = None
    due_source: str | None = None
    rhythm: str | None = None
    targets: list | None = Field(default=None, sa_type=JSON)
    unit_clause: str | None = Field(default=None, sa_type=Text)
    followup_overrides: dict | None = Field(default=None, sa_type=JSON)
    # A task dropped by a revised document is retired, never deleted: its history stays.
    active: bool = True
    created_at: datetime | None = _when(nullable=False)


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    kind: str = "other"
    known: bool = True
    needs_review: bool = False
    in_seed: bool = False
    created_at: datetime | None = _when(nullable=False)


class UnitAlias(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    alias: str = Field(unique=True)


class Assignment(SQLModel, table=True):
    """One unit's share of one task: the thing that is handed over, chased and closed."""

    __table_args__ = (
        UniqueConstraint("task_id", "unit_id"),
        Index("ix_assignment_status_due", "status", "due_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: str = "lead"  # lead | co | local
    status: str = Field(default="draft", index=True)
    due_on: date | None = None
    # Set on the first approved extension, so the original commitment stays visible.
    original_due_on: date | None = None
    percent: int | None = None
    assigned_at: datetime | None = _when()
    acknowledged_at: datetime | None = _when()
    claimed_done_at: datetime | None = _when()
    done_at: datetime | None = _when()
    last_report_at: datetime | None = _when()
    reminders_count: int = 0
    escalations_count: int = 0
    followup_overrides: dict | None = Field(default=None, sa_type=JSON)
    created_at: datetime | None = _when(nullable=False)
    updated_at: datetime | None = _when()


class Contact(SQLModel, table=True):
    """A chat bound to a role: a person in private chat, or a department's group."""

    __table_args__ = (UniqueConstraint("chat_id", "role", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    role: str  # coordinator | contact | leader | observer
    chat_id: int = Field(sa_type=BigInteger, index=True)
    telegram_user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    is_group: bool = False
    display_name: str = ""
    language: str = "zh"
    active: bool = True
    deactivated_reason: str | None = None
    # Set when Telegram answered 403 (blocked, or the bot left the group): still bound, nothing
    # reaches them; cleared when they write again, and what they missed is offered.
    paused_at: datetime | None = _when()
    # The policy a coordinator works on: references without a code are read within it.
    selected_policy_id: int | None = Field(default=None, foreign_key="policy.id")
    created_at: datetime | None = _when(nullable=False)


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Only a hash of the code is kept: a leaked database does not leak usable invitations.
    code_hash: str = Field(unique=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    role: str
    created_by: str = ""
    created_at: datetime | None = _when(nullable=False)
    expires_at: datetime | None = _when(nullable=False)
    used_at: datetime | None = _when()
    used_by_chat_id: int | None = Field(default=None, sa_type=BigInteger)


class ProgressReport(SQLModel, table=True):
    """A reply as received. raw_text is written before any parsing is attempted."""

    # Covers "the latest live report of each assignment" without visiting the table.
    __table_args__ = (Index("ix_progressreport_latest", "assignment_id", "superseded", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    message_id: int | None = None
    author: str = ""
    raw_text: str = Field(default="", sa_type=Text)
    attachment_kind: str | None = None  # document | photo
    attachment_file_id: str | None = None
    attachment_name: str | None = None
    parsed_status: str | None = None  # progress | done | blocked
    parsed_percent: int | None = None
    parse_ok: bool = False
    # An edit is a new row pointing at the one it replaces; nothing is overwritten.
    supersedes_id: int | None = Field(default=None, foreign_key="progressreport.id")
    superseded: bool = False
    review_state: str = "none"  # none | pending | approved | returned
    # When coordinators were told of it (at once, or in the next digest).
    notified_at: datetime | None = _when()
    review_comment: str | None = Field(default=None, sa_type=Text)
    reviewed_by: str | None = None
    reviewed_at: datetime | None = _when()
    created_at: datetime | None = _when(nullable=False, index=True)


class ExtensionRequest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    reason: str = Field(default="", sa_type=Text)
    requested_due: date
    previous_due: date | None = None
    state: str = "pending"  # pending | approved | refused
    decided_by: str | None = None
    decided_at: datetime | None = _when()
    created_at: datetime | None = _when(nullable=False)


class Followup(SQLModel, table=True):
    """What is due to be chased. The scheduler only reads this table; it keeps no plan in memory."""

    __table_args__ = (Index("ix_followup_state_due", "state", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    kind: str
    # Deterministic per occurrence, so planning twice never schedules twice.
    key: str = Field(unique=True)
    due_at: datetime | None = _when(nullable=False)
    state: str = "pending"  # pending | sent | cancelled
    payload: dict | None = Field(default=None, sa_type=JSON)
    fired_at: datetime | None = _when()
    created_at: datetime | None = _when(nullable=False)
    # Several instances on one database: the instance that claimed the row to fire it, until when.
    # A claim whose lease ran out (its instance was killed) is taken by the next tick anywhere.
    claimed_by: str | None = None
    lease_until: datetime | None = _when()


class Event(SQLModel, table=True):
    """The audit trail. Rows are only ever added."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _when(nullable=False, index=True)
    actor: str
    kind: str = Field(index=True)
    entity: str
    entity_id: int | None = Field(default=None, index=True)
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = Field(default=None, sa_type=Text)
    data: dict | None = Field(default=None, sa_type=JSON)


class OutboxMessage(SQLModel, table=True):
    """Every outgoing message, written in the same transaction as the change that causes it."""

    __table_args__ = (
        Index("ix_outbox_state_next", "state", "next_attempt_at"),
        Index("ix_outbox_chat_slot", "chat_id", "slot_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    method: str = "sendMessage"  # sendMessage | sendDocument | sendPhoto
    text: str = Field(default="", sa_type=Text)
    parse_mode: str | None = "HTML"
    reply_markup: dict | None = Field(default=None, sa_type=JSON)
    reply_to_message_id: int | None = None
    file_name: str | None = None
    file_bytes: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    purpose: str = "notice"
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    followup_id: int | None = Field(default=None, foreign_key="followup.id")
    dedupe_key: str | None = Field(default=None, unique=True)
    # failed: the chat was unreachable (403); offered: a failed row its recipient was told of on return.
    state: str = "pending"  # pending | sent | failed | dead | offered
    attempts: int = 0
    next_attempt_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_type=Text)
    telegram_message_id: int | None = None
    created_at: datetime | None = _when(nullable=False)
    sent_at: datetime | None = _when()
    # editMessageText: the message edited in place; a report card: the report it asks to review.
    edits_message_id: int | None = None
    report_id: int | None = Field(default=None, index=True)
    # A file Telegram already holds (evidence forwarded to a coordinator), sent by its id.
    telegram_file_id: str | None = Field(default=None, sa_type=Text)
    # A report card merged into a batch: the joined message it now lives in, edited when it changes.
    joined_into: int | None = Field(default=None, index=True)
    # Claims (bot/telegram/claims.py): the instance sending this row until lease_until; when it
    # was killed, the row goes to another instance once the lease has run out.
    claimed_by: str | None = None
    lease_until: datetime | None = _when()
    # The send slot it was given (epoch seconds, the limiter's clock): each chat's recent slots
    # are its share of Telegram's per-chat and per-group limits.
    slot_at: float | None = None


class SendPace(SQLModel, table=True):
    """Telegram's bot-wide limits, shared by every instance: one row (id 1). A claim takes the
    next free send slots from `next_slot`; a 429 sets `paused_until` (epoch seconds)."""

    id: int | None = Field(default=None, primary_key=True)
    next_slot: float = 0.0
    paused_until: float = 0.0


class AnswerHold(SQLModel, table=True):
    """A chat whose person has just written: scheduled sends to it wait until `until` (epoch
    seconds, the limiter's clock), so the answer finds the chat's 1/s free. Shared by every
    instance (bot/telegram/claims.py)."""

    chat_id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    until: float = Field(index=True)


class TaskMessage(SQLModel, table=True):
    """Which chat message carries which assignment, so a reply finds its task."""

    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    purpose: str = "dispatch"
    created_at: datetime | None = _when(nullable=False)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram may deliver an update twice; its id is claimed here once."""

    update_id: int = Field(sa_type=BigInteger, primary_key=True)
    processed_at: datetime | None = _when(nullable=False)


class ParkedUpdate(SQLModel, table=True):
    """An update that could not be handled after its retries, kept whole (Telegram's JSON) so it is
    handled later; when the database itself failed it waits in the dead-letter file instead."""

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(sa_type=BigInteger, unique=True)
    payload: dict = Field(sa_type=JSON)
    sender: str = ""
    error: str | None = Field(default=None, sa_type=Text)
    parked_at: datetime | None = _when(nullable=False)
    announced_at: datetime | None = _when()  # the coordinators were told of it
    handled_at: datetime | None = _when(index=True)


class Summary(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("week", "scope"),)
    id: int | None = Field(default=None, primary_key=True)
    week: str  # ISO week, e.g. 2026-W48
    scope: str = "all"
    figures: dict | None = Field(default=None, sa_type=JSON)
    html: str = Field(default="", sa_type=Text)
    created_at: datetime | None = _when(nullable=False)
    sent_at: datetime | None = _when()


class HolidayNotice(SQLModel, table=True):
    """An official holiday schedule the office loaded for a year the packages do not know."""

    year: int = Field(primary_key=True)
    source: str = ""
    holidays: list = Field(default_factory=list, sa_type=JSON)
    workdays: list = Field(default_factory=list, sa_type=JSON)
    loaded_at: datetime | None = _when(nullable=False)


class FsmState(SQLModel, table=True):
    """A conversation step (guided report, extension request, return comment) that survives a restart."""

    key: str = Field(primary_key=True)
    state: str | None = None
    data: dict | None = Field(default=None, sa_type=JSON)
    updated_at: datetime | None = _when()


class ImportDraft(SQLModel, table=True):
    """A decomposition shown in chat before it is saved (import in chat): nothing is live until confirmed."""

    id: int | None = Field(default=None, primary_key=True)
    owner_user_id: int = Field(sa_type=BigInteger, index=True)
    source_name: str = ""
    source_text: str = Field(default="", sa_type=Text)
    decomposition: dict | None = Field(default=None, sa_type=JSON)
    # The policy this document revises, when it is a revised version of one already imported.
    policy_id: int | None = Field(default=None, foreign_key="policy.id")
    state: str = "open"  # open | confirmed | cancelled
    created_at: datetime | None = _when(nullable=False)
    expires_at: datetime | None = _when(nullable=False, index=True)


class UnplacedReport(SQLModel, table=True):
    """A plain message (not a reply) from a unit with several open tasks, kept verbatim until
    somebody says which task it is about; nothing is lost if nobody does."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int | None = None
    author: str = ""
    raw_text: str = Field(default="", sa_type=Text)
    attachments: list | None = Field(default=None, sa_type=JSON)
    report_id: int | None = Field(default=None, foreign_key="progressreport.id")
    placed_at: datetime | None = _when()
    created_at: datetime | None = _when(nullable=False)


class ReportAttachment(SQLModel, table=True):
    """Evidence sent with a report: Telegram's reference, and where the office keeps its copy."""

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="progressreport.id", index=True)
    kind: str  # document | photo | voice | video | video_note | audio | animation
    file_id: str = Field(sa_type=Text)
    file_unique_id: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    stored_path: str | None = Field(default=None, sa_type=Text)
    created_at: datetime | None = _when(nullable=False)


class JobPeriod(SQLModel, table=True):
    """A periodic job's run for one period (a week's summary, a digest's time, a re-plan's ten
    minutes): the first instance to insert the row runs the job, every other one skips it."""

    job: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    instance: str = ""
    claimed_at: datetime | None = _when(nullable=False, index=True)


class DispatchRun(SQLModel, table=True):
    """A confirmed dispatch being handed out in the background, a chunk per transaction: the
    assignments the coordinator confirmed, how far it got, and where to say it is done. A run
    without `finished_at` is resumed after a restart."""

    id: int | None = Field(default=None, primary_key=True)
    actor: str
    chat_id: int = Field(sa_type=BigInteger)
    language: str = "zh"
    assignment_ids: list = Field(default_factory=list, sa_type=JSON)
    unbound: list = Field(default_factory=list, sa_type=JSON)
    position: int = 0  # assignment_ids[:position] are handed out
    handed_out: int = 0
    messages: int = 0
    created_at: datetime | None = _when(nullable=False)
    finished_at: datetime | None = _when(index=True)
    # The instance handing it out until lease_until, renewed each turn: one instance at a time, and a
    # killed one's run goes to another once the lease has run out (bot/services/dispatch_runs.py).
    claimed_by: str | None = None
    lease_until: datetime | None = _when()
