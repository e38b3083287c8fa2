"""References: one way of writing them, the forms people type read back to the same thing."""

from __future__ import annotations

import pytest

from bot.domain.refs import Ref, RefError, format_assignment, format_measure, format_task, parse_ref, take_ref
from bot.services.policy_codes import next_number


def test_formats() -> None:
    assert format_measure("P1", 2) == "P1-2"
    assert format_task("P1", 2, 1) == "P1-2.1"
    assert format_task(None, 2, 1) == "2.1"
    assert format_assignment(71) == "#71"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1-2.1", Ref("task", "P1", 2, 1)),
        ("p1-2.1", Ref("task", "P1", 2, 1)),
        ("P1 2.1", Ref("task", "P1", 2, 1)),
        ("P1-2-1", Ref("task", "P1", 2, 1)),
        ("J3-1.1", Ref("task", "J3", 1, 1)),
        ("P1-2", Ref("measure", "P1", 2)),
        ("P1 2", Ref("measure", "P1", 2)),
        ("P12", Ref("policy", "P12")),
        ("2.1", Ref("task", None, 2, 1)),
        ("2·1", Ref("task", None, 2, 1)),
        ("2-1", Ref("task", None, 2, 1)),
        ("２．１", Ref("task", None, 2, 1)),
        ("2", Ref("measure", None, 2)),
        ("#71", Ref("assignment", assignment=71)),
        ("＃71", Ref("assignment", assignment=71)),
    ],
)
def test_parse(text: str, expected: Ref) -> None:
    assert parse_ref(text) == expected


@pytest.mark.parametrize(
    "text", ["", "  ", "P", "P0", "X1-2", "#", "#0", "2.", "0", "2.1.3", "abc", "P1-", "71#"]
)
def test_not_a_reference(text: str) -> None:
    with pytest.raises(RefError):
        parse_ref(text)


def test_round_trip() -> None:
    for ref in (
        Ref("task", "P3", 10, 4),
        Ref("measure", "H2", 1),
        Ref("assignment", assignment=5),
        Ref("policy", "Z1"),
    ):
        assert parse_ref(str(ref)) == ref


def test_take_ref_leaves_the_rest() -> None:
    assert take_ref("P1 2.1 2026-03-31") == (Ref("task", "P1", 2, 1), "2026-03-31")
    assert take_ref("P1-2 2026-03-31") == (Ref("measure", "P1", 2), "2026-03-31")
    assert take_ref("P1 2026-03-31") == (Ref("policy", "P1"), "2026-03-31")
    assert take_ref("2 2026-03-31") == (Ref("measure", None, 2), "2026-03-31")
    assert take_ref("#2 2026-03-31") == (Ref("assignment", assignment=2), "2026-03-31")
    assert take_ref("省工信厅") == (None, "省工信厅")
    assert take_ref(None) == (None, "")


def test_codes_are_never_reused() -> None:
    assert next_number([], "P") == 1
    assert next_number(["P1", "P3", "J7"], "P") == 4
    assert next_number(["P1", "P3", "J7"], "J") == 8
