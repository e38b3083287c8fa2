"""Importer benchmark: read + decompose a long document built from the seed's measures.

Run: .venv/bin/python bench/import_bench.py [--reps 100] [--runs 7]

A page is counted as 616 characters (GB/T 9704 official-document layout: 22 lines × 28 chars).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.importer import decompose, read_document  # noqa: E402
from bot.importer.text import int_to_cn, match_heading  # noqa: E402
from config.directory import load_directory  # noqa: E402

SEED = ROOT / "config" / "data" / "seed_ganfuting_2024_15.txt"
CHARS_PER_PAGE = 22 * 28


def build_document(reps: int) -> str:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if (h := match_heading(line.strip())) and h.kind == "cn")
    head, body = lines[:first], lines[first:]
    measures: list[list[str]] = []
    for line in body:
        h = match_heading(line.strip())
        if h is not None and h.kind == "cn":
            measures.append([h.rest])
        elif measures:
            measures[-1].append(line)
    out = list(head)
    n = 0
    for _ in range(reps):
        for m in measures:
            n += 1
            out.append(f"{int_to_cn(n)}、{m[0]}")
            out.extend(m[1:])
    return "\n".join(out) + "\n"


def build_pages(pages: int) -> str:
    """A document of about ``pages`` pages (whole measures)."""
    reps = 1
    while len(build_document(reps)) < pages * CHARS_PER_PAGE:
        reps += 1
    return build_document(reps)


def time_import(path: Path, runs: int) -> tuple[float, float, int, int]:
    directory = load_directory()
    times = []
    measures = tasks = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        dec = decompose(read_document(path), directory)
        times.append(time.perf_counter() - t0)
        measures = len(dec.measures)
        tasks = sum(len(m.tasks) for m in dec.measures)
    return min(times), statistics.median(times), measures, tasks


def write_pdf(text: str, path: Path) -> int:
    """The text as a PDF with a text layer, 22 lines of up to 28 characters a page; returns pages."""
    import mplfonts
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", "", str(Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf"))
    pdf.set_font("cjk", size=11)
    lines = [
        chunk
        for line in text.splitlines()
        for chunk in ([line[i : i + 28] for i in range(0, len(line), 28)] or [""])
    ]
    for start in range(0, len(lines), 22):
        pdf.add_page()
        for line in lines[start : start + 22]:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return pdf.pages_count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=100, help="repetitions of the seed's 10 measures")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        docs = [
            ("seed", SEED.read_text(encoding="utf-8")),
            ("100 pages", build_pages(100)),
            (f"seed measures x{args.reps}", build_document(args.reps)),
        ]
        for name, text in docs:
            path = Path(tmp) / "doc.txt"
            path.write_text(text, encoding="utf-8")
            best, median, measures, tasks = time_import(path, args.runs)
            pages = len(text) / CHARS_PER_PAGE
            print(
                f"{name:>24}: {len(text):>8,} chars ≈ {pages:6.0f} pages, {measures:>5} measures, "
                f"{tasks:>6} tasks | best {best:.3f} s, median {median:.3f} s (runs={args.runs})"
            )
        _, text = docs[1]
        path = Path(tmp) / "doc.txt"
        path.write_text(text, encoding="utf-8")
        best, median, _, _ = time_import(path, args.runs)
        print(f"import 100 pages: {median:.2f} s (target < 1 s)")
        _, text = docs[2]
        path.write_text(text, encoding="utf-8")
        best, median, _, _ = time_import(path, args.runs)
        print(
            f"import seed measures x{args.reps} ({len(text) / CHARS_PER_PAGE:.0f} pages): {median:.2f} s (target < 1 s)"
        )
        pdf = Path(tmp) / "doc.pdf"
        pages = write_pdf(docs[1][1], pdf)
        best, median, measures, tasks = time_import(pdf, args.runs)
        print(
            f"import {pages}-page PDF ({measures} measures, {tasks} tasks): best {best:.2f} s, "
            f"median {median:.2f} s (target < 5 s for 100 pages)"
        )


if __name__ == "__main__":
    main()
