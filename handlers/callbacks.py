"""aiogram CallbackData factories for the payloads `bot.domain.callbacks` packs."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.domain import callbacks as cb


class AssignmentAction(CallbackData, prefix=cb.ASSIGNMENT):
    action: str  # ack | rep | ext | det
    id: int


class ReviewAction(CallbackData, prefix=cb.REVIEW):
    action: str  # ok | ret | fix | set-progress | set-done | set-blocked
    id: int


class ExtensionAction(CallbackData, prefix=cb.EXTENSION):
    action: str  # ok | no
    id: int


class ConfirmAction(CallbackData, prefix=cb.CONFIRM):
    action: str  # dispatch | cancel
    arg: str


class PageAction(CallbackData, prefix=cb.PAGE):
    kind: str  # board | measure | unit | overdue | tasks
    arg: str
    page: int


class FlowAction(CallbackData, prefix=cb.FLOW):
    action: str  # status | skip | cancel
    value: str


class ImportAction(CallbackData, prefix=cb.IMPORT):
    action: str  # pg | ok | no | t | u | ua | um | pk | dn | lead | co | text | due | rhythm | rv | split | sa | merge | ma | drop
    id: int  # the draft
    arg: str


class FixAction(CallbackData, prefix=cb.FIX):
    action: str  # the same correction actions as ImportAction
    id: int  # the task
    arg: str


class EvidenceAction(CallbackData, prefix=cb.EVIDENCE):
    id: int  # a ReportAttachment


class PlaceAction(CallbackData, prefix=cb.PLACE):
    id: int  # the kept message (UnplacedReport)
    aid: int  # the task chosen for it


class PolicyAction(CallbackData, prefix=cb.POLICY):
    action: str  # sel | clr
    id: int


class PickAction(CallbackData, prefix=cb.PICK):
    command: str  # measure | dispatch | extend | remind | task | board | summary | export
    ref: str  # the reference with the chosen policy's code, e.g. P2-2
    extra: str  # the rest of the command's arguments ("-" for none), with ":" written as "~"


class NewAction(CallbackData, prefix=cb.NEW):
    action: str  # kind | unit | done | skip | rhythm | ok | cancel
    value: str
