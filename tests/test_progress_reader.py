"""The progress reader against its labelled corpus and misreadings seen in real replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.parsing import Parsed, main, parse_progress, read_corpus, score
from bot.services.reports import reading_of
from bot.views.tasks import describe

CORPUS = Path(__file__).resolve().parent / "data" / "replies.tsv"
# Set below what the reader reaches on the corpus (docs/replies.md has the figures), so a change
# that loses more than a handful of replies fails here.
MIN_ACCURACY = 0.97


def test_corpus_is_large_and_varied() -> None:
    rows = read_corpus(CORPUS)
    assert len(rows) >= 300
    statuses = {want.status for _, want in rows}
    assert statuses == {"progress", "done", "blocked", None}
    assert any(want.invalid_percent is not None for _, want in rows)
    assert sum(1 for text, _ in rows if text.isascii()) >= 30  # English replies
    assert sum(1 for text, _ in rows if "\n" in text) >= 5  # multi-line weekly reports


def test_no_false_completion_over_the_corpus() -> None:
    result = score(read_corpus(CORPUS))
    wrongly_done = [
        text for text, want, got in result.misread if got.status == "done" and want.status != "done"
    ]
    assert result.false_completions == 0, wrongly_done


def test_accuracy_over_the_corpus() -> None:
    result = score(read_corpus(CORPUS))
    assert result.accuracy >= MIN_ACCURACY, [(t, w, g) for t, w, g in result.misread]


@pytest.mark.parametrize(
    ("text", "status", "percent"),
    [
        # Misreadings seen in real replies.
        ("尚未完成，预计下月完成", "progress", None),
        ("基本完成", "progress", 90),
        ("预计年底前完成", "progress", None),
        ("已完成可研报告编制，正在开展环评", "progress", None),
        ("已完成第一批，第二批正在推进", "progress", None),
        ("正在有序推进", "progress", None),
        ("未完成", "progress", None),
        ("暂无新进展", "progress", None),
        ("进度8成", "progress", 80),
        ("completed", "done", 100),
        ("暂无困难，完成40%", "progress", 40),
        ("没有遇到阻碍", "progress", None),
        ("本周已召开推进会，完成70%", "progress", 70),
        # Other ways of saying how far a task is.
        ("七成", "progress", 70),
        ("进度过半", "progress", 50),
        ("超额完成", "done", 100),
        ("已全部完成", "done", 100),
        ("任务已完成", "done", 100),
        ("已完成全部任务", "done", 100),
        ("全面完成", "done", 100),
        ("第一阶段已完成", "progress", None),
        ("前期工作已完成", "progress", None),
        ("力争月底前完成", "progress", None),
        ("无需协调", "progress", None),
        ("未遇到问题，按计划推进", "progress", None),
        ("资金缺口较大", "blocked", None),
        ("用地未落实", "blocked", None),
        ("百分之七十", "progress", 70),
        ("完成100%", "done", 100),
        ("70% done", "progress", 70),
        ("in progress", "progress", None),
        ("on track", "progress", None),
        ("blocked by land approval", "blocked", None),
        ("waiting for approval", "blocked", None),
        ("not yet completed", "progress", None),
        ("expected to complete next month", "progress", None),
        ("almost done", "progress", None),
        ("Done", "done", 100),
        ("finished", "done", 100),
        ("已完成了，但还要补充一些材料", "progress", None),
        ("这个完成了吗？", None, None),
        ("收到", None, None),
    ],
)
def test_issue_cases(text: str, status: str | None, percent: int | None) -> None:
    assert parse_progress(text) == Parsed(status, percent)


@pytest.mark.parametrize(
    ("text", "raw"),
    [("进度-5%", -5), ("完成1000%", 1000), ("完成150%", 150), ("进度120%", 120), ("完成百分之二百", 200)],
)
def test_impossible_percentage_is_flagged_not_taken(text: str, raw: int) -> None:
    parsed = parse_progress(text)
    assert parsed.percent is None and parsed.invalid_percent == raw
    assert parsed.status != "done"


def test_over_fulfilment_is_not_an_invalid_figure() -> None:
    assert parse_progress("超额完成年度任务，完成率120%") == Parsed("done", 100)
    # A growth figure is not progress, so its size is nobody's concern.
    assert parse_progress("同比增长150%，完成60%") == Parsed("progress", 60)


def test_traditional_characters_and_full_width_figures() -> None:
    assert parse_progress("尚未完成，預計下月完成") == Parsed("progress", None)
    assert parse_progress("項目受阻，需協調用地") == Parsed("blocked", None)
    assert parse_progress("完成８５％") == Parsed("progress", 85)


def test_reader_is_pure() -> None:
    texts = ["已完成", "尚未完成，预计下月完成", "需协调，完成30%", "进度-5%"]
    first = [parse_progress(t) for t in texts]
    assert [parse_progress(t) for t in reversed(texts)] == list(reversed(first))


def test_callers_read_the_new_reading() -> None:
    parsed = reading_of("尚未完成，预计下月完成")
    assert parsed.status == "progress" and parsed.understood
    assert describe("zh", parsed.status, parsed.percent) == "推进中"
    # The guided flow's explicit choice still wins over the words.
    assert reading_of("尚未完成", ("done", None)) == Parsed("done", 100)
    assert reading_of("进度-5%").invalid_percent == -5


def test_figures_command_prints_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--corpus", str(CORPUS)]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "false completions (not done, read as done): 0" in out
