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
