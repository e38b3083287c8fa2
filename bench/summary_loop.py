"""How long the event loop is held while the province-scale summary is read and rendered.

Run: .venv/bin/python bench/summary_loop.py --db /tmp/duban-bench/province-<HEAD>.db

The database is bench/summary.py's (`bench/summary.py --db PATH` or latency (c) makes it). The
summary is built and rendered as `/summary` does it (`build_summary`, then `render_for`), while a
ticker sleeps 10 ms at a time and records how late it wakes: the time anything else on the loop
(a reply) would have waited at that moment. Prints each phase's wall time and the ticker's
lateness (p50 / p99 / max). Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App
from bot.domain.clock import ManualClock
from config.settings import Settings


def _line(name: str, seconds: float, lags: list[float]) -> str:
    s = sorted(lags) or [0.0]
    return (
        f"  {name:<24} {seconds:6.2f} s   loop held p50 {s[len(s) // 2] * 1000:4.0f} ms  "
        f"p99 {s[int(len(s) * 0.99)] * 1000:4.0f} ms  max {s[-1] * 1000:4.0f} ms"
    )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--week", default="2025-W38")
    args = ap.parse_args()
    from bot.services.summary import build_summary, render_for

    app = App.build(
        Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{args.db}", bot_token=None),
        clock=ManualClock(datetime(2025, 9, 22, 2, tzinfo=UTC)),
    )
    lags: list[float] = []
    running = True

    async def ticker() -> None:
        while running:
            began = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - began - 0.01)

    print(
        f"bench/summary_loop.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  load average "
        f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    task = asyncio.create_task(ticker())
    began = time.monotonic()
    async with app.sessions() as session:
        data = await build_summary(app.unit_of_work(session), week=args.week)
    print(_line(f"read ({len(data.assignments)} + {len(data.reports)} rows)", time.monotonic() - began, lags))
    lags.clear()
    began = time.monotonic()
    await render_for(data, {"zh"})
    print(_line("render (zh)", time.monotonic() - began, lags))
    running = False
    await task
    await app.close()


if __name__ == "__main__":  # the renderer's child process imports this module again
    asyncio.run(main())
