"""Button payloads packed by services without aiogram match what aiogram's factories parse."""

from __future__ import annotations

import pytest

from bot.domain import callbacks as cb
from handlers.callbacks import AssignmentAction, ConfirmAction, ExtensionAction, PageAction, ReviewAction


def test_pure_packing_matches_aiogram_factories() -> None:
    assert cb.pack(cb.ASSIGNMENT, "ack", 42) == AssignmentAction(action="ack", id=42).pack()
    assert cb.pack(cb.REVIEW, "ret", 7) == ReviewAction(action="ret", id=7).pack()
    assert cb.pack(cb.EXTENSION, "ok", 3) == ExtensionAction(action="ok", id=3).pack()
    assert cb.pack(cb.CONFIRM, "dispatch", "all") == ConfirmAction(action="dispatch", arg="all").pack()
    assert cb.pack(cb.PAGE, "unit", "5", 2) == PageAction(kind="unit", arg="5", page=2).pack()
    assert AssignmentAction.unpack(cb.pack(cb.ASSIGNMENT, "det", 9)) == AssignmentAction(action="det", id=9)


def test_packing_refuses_telegrams_64_byte_limit() -> None:
    with pytest.raises(ValueError):
        cb.pack(cb.CONFIRM, "dispatch", "x" * 70)


def test_workspace_payloads_match() -> None:
    from handlers.callbacks import PickAction, PolicyAction

    assert cb.pack(cb.POLICY, "sel", 3) == PolicyAction(action="sel", id=3).pack()
    assert (
        cb.pack(cb.PICK, "measure", "P2-2", "-")
        == PickAction(command="measure", ref="P2-2", extra="-").pack()
    )


def test_every_keyboard_payload_the_views_pack_parses_back() -> None:
    """Each prefix the views pack without aiogram is the one its factory parses, field for field."""
    from handlers.callbacks import (
        EvidenceAction,
        FixAction,
        FlowAction,
        ImportAction,
        NewAction,
        PlaceAction,
    )

    assert FlowAction.unpack(cb.pack(cb.FLOW, "status", "done")) == FlowAction(action="status", value="done")
    assert FixAction.unpack(cb.pack(cb.FIX, "pk", 12, 34)) == FixAction(action="pk", id=12, arg="34")
    assert ImportAction.unpack(cb.pack(cb.IMPORT, "rv", 5, "2.1~-")) == ImportAction(
        action="rv", id=5, arg="2.1~-"
    )
    assert NewAction.unpack(cb.pack(cb.NEW, "unit", 9)) == NewAction(action="unit", value="9")
    assert EvidenceAction.unpack(cb.pack(cb.EVIDENCE, 3)) == EvidenceAction(id=3)
    assert PlaceAction.unpack(cb.pack(cb.PLACE, 4, 71)) == PlaceAction(id=4, aid=71)


def test_the_views_keyboards_round_trip() -> None:
    """Every button of the keyboards the handlers send parses with the factory its router filters on."""
    from bot.views import board, items, pickers, tasks
    from bot.views import imports as iv
    from handlers.callbacks import (
        AssignmentAction,
        ConfirmAction,
        FixAction,
        FlowAction,
        ImportAction,
        NewAction,
        PageAction,
        ReviewAction,
    )

    factories = {
        cb.ASSIGNMENT: AssignmentAction,
        cb.CONFIRM: ConfirmAction,
        cb.FIX: FixAction,
        cb.FLOW: FlowAction,
        cb.IMPORT: ImportAction,
        cb.NEW: NewAction,
        cb.PAGE: PageAction,
        cb.REVIEW: ReviewAction,
    }
    keyboards = [
        tasks.report_status_keyboard("en"),
        tasks.skip_keyboard("zh"),
        tasks.correct_status_keyboard("zh", 17),
        tasks.extend_ask("zh", "P1-2", 3, ["省财政厅"], "2026-06-30", "P1-2~20260630~abc")[1],
        board.pager("zh", "board", "-", 1, 3),
        board.detail_keyboard("zh", [], {}, fix_task_id=8),
        pickers.unit_choices("zh", cb.FIX, 8, ["省财政厅"], [(3, "省财政厅"), (4, "省科技厅")])[1],
        pickers.review_ask("en", cb.IMPORT, 5, 0, "某某局")[1],
        iv.which_task("zh", "2.1", [(8, "P1-2.1"), (9, "P2-2.1")])[1],
        iv.drop_ask("zh", 8, "P1-2.1")[1],
        iv.rhythm_ask("zh", cb.IMPORT, 5, "2.1", "2.1")[1],
        items.kind_ask("zh", ("instruction", "meeting", "key_work", "other"))[1],
        items.rhythm_ask("zh", ("weekly", "monthly", "quarterly"))[1],
        items.units_chosen("zh", "lead", ["省财政厅"])[1],
    ]
    seen = 0
    for markup in keyboards:
        assert markup is not None
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button["callback_data"]
                factory = factories[data.partition(cb.SEPARATOR)[0]]
                assert factory.unpack(data).pack() == data
                seen += 1
    assert seen >= 30
