"""`duban new`, `duban policies` and `duban tasks --policy/--measure`: the chat's references on the shell."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

SECOND = Path(__file__).parent / "fixtures" / "docs" / "pcn_paragraph_clauses.txt"


def _cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'office.db'}")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("OFFICE_PROVINCE", raising=False)
    monkeypatch.delenv("UNITS_FILE", raising=False)
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tasks_are_scoped_and_items_registered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*argv: str) -> tuple[int, str, str]:
        return _cli(monkeypatch, tmp_path, capsys, *argv)

    assert run("init")[0] == 0
    assert run("import", str(SECOND))[0] == 0
    code, _, err = run("tasks", "--measure", "2")
    assert code == 2 and "P1-2" in err and "P2-2" in err  # ambiguous: named, not guessed
    code, out, _ = run("tasks", "--policy", "P2", "--measure", "2")
    assert code == 0 and "P2-2.1" in out and "P1-" not in out
    code, out, _ = run("tasks", "--measure", "P1-2.1")
    assert code == 0 and "P1-2.1" in out and "P1-2.2" not in out and "P2-" not in out
    code, _, err = run("tasks", "--policy", "P9")
    assert code == 2 and "P9" in err

    code, out, err = run(
        "new",
        "--kind",
        "meeting",
        "--title",
        "省政府常务会议议定事项",
        "--lead",
        "省发改委",
        "--co",
        "省工信厅、宜春",
        "--due",
        "2099-06-30",
        "--rhythm",
        "monthly",
    )
    assert code == 0, err
    assert "H1" in out
    code, _, err = run("new", "--kind", "other", "--title", "x", "--lead", "火星局", "--due", "2099-01-01")
    assert code == 2 and "火星局" in err
    code, _, err = run("new", "--kind", "other", "--title", "x", "--lead", "省发改委", "--due", "2000-01-01")
    assert code == 2 and "已过" in err
    code, out, _ = run("policies")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["P1", "P2", "H1"]
    code, out, _ = run("tasks", "--policy", "H1")
    assert code == 0 and "H1-1.1" in out and "省发展改革委" in out
