"""How long the event loop is held while the province-scale summary is read, rendered and queued.

Run: .venv/bin/python bench/summary_loop.py --db /tmp/duban-bench/province-<HEAD>.db [--stall-ms 150]

The database is bench/summary.py's (`bench/summary.py --db PATH` or latency (c) makes it); it is
copied to a scratch file first, since the last phase writes to it. The summary goes through the
steps `/summary` takes (`Jobs.summary_on_demand`): read and rendered in a child process
(`read_and_render_apart`), then `send_summary` to one coordinator in a unit of work at the write
gate (the Monday job takes the same steps, rendering every language). Meanwhile a ticker sleeps
10 ms at a time and records how late it wakes: the time anything else on the loop (a reply) would
have waited at that moment. Prints each phase's wall time and the ticker's lateness (p50 / p99 /
max), how long the write gate was held, the garbage collector's collections (each full one with
its phase), and then every stall over --stall-ms: when it began, which phase, how much CPU this
process used during it (about the stall's length: something in this process held the loop or the
interpreter lock; about none: the process was waiting for a core or the disk), how much of it the
garbage collector took, and what the threads were doing, sampled every 5 ms by a watchdog thread. Prints figures,
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App
from bot.domain.clock import ManualClock
from config.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stall:
    began: float
    lag: float
    cpu: float
    phase: str
    gc: float = 0.0
    stacks: collections.Counter[str] = field(default_factory=collections.Counter)


class Watch:
    """The ticker on the loop and a watchdog thread that notes where the threads are while the
    ticker is overdue."""

    def __init__(self, stall: float) -> None:
        self.stall = stall
        self.t0 = time.monotonic()
        self.phase = "start"
        self.lags: list[float] = []
        self.stalls: list[Stall] = []
        self.beat = time.monotonic()
        self.samples: list[tuple[float, str]] = []
        self.running = True
        self.main = threading.get_ident()
        self.dog = threading.Thread(target=self._watchdog, daemon=True, name="watchdog")
        # (began, seconds, generation) of every collection by the garbage collector.
        self.collections: list[tuple[float, float, int]] = []
        self._gc_began = 0.0
        self.full: list[tuple[float, float, str]] = []
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_began = time.monotonic()
        else:
            self.collections.append((self._gc_began, time.monotonic() - self._gc_began, info["generation"]))
            if info["generation"] == 2:
                self.full.append((self._gc_began - self.t0, time.monotonic() - self._gc_began, self.phase))

    async def ticker(self) -> None:
        self.dog.start()
        while self.running:
            began, cpu = time.monotonic(), time.process_time()
            self.beat = began
            await asyncio.sleep(0.01)
            now = time.monotonic()
            lag = now - began - 0.01
            self.lags.append(lag)
            if lag >= self.stall:
                stall = Stall(began - self.t0, lag, time.process_time() - cpu, self.phase)
                stall.stacks.update(s for t, s in self.samples if began <= t <= now)
                stall.gc = sum(d for t, d, _ in self.collections if began <= t <= now)
                self.stalls.append(stall)
            self.beat = now

    def _watchdog(self) -> None:
        while self.running:
            time.sleep(0.005)
            now = time.monotonic()
            if now - self.beat < 0.05:
                continue
            for ident, frame in sys._current_frames().items():
                if ident == threading.get_ident():
                    continue
                where = [
                    f"{Path(f.filename).name}:{f.lineno} {f.name}"
                    for f in traceback.extract_stack(frame)
                    if "asyncio" not in f.filename and "selectors" not in f.filename
                ][-4:]
                name = "loop" if ident == self.main else "thread"
                self.samples.append((now, f"{name}: " + " < ".join(reversed(where))))
            if len(self.samples) > 200_000:
                del self.samples[:100_000]

    def take(self) -> list[float]:
        lags, self.lags = self.lags, []
        return lags


def _line(name: str, seconds: float, lags: list[float]) -> str:
    s = sorted(lags) or [0.0]
    return (
        f"  {name:<26} {seconds:6.2f} s   loop held p50 {s[len(s) // 2] * 1000:4.0f} ms  "
        f"p99 {s[int(len(s) * 0.99)] * 1000:4.0f} ms  max {s[-1] * 1000:4.0f} ms"
    )


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--week", default="2025-W38")
    ap.add_argument("--stall-ms", type=float, default=150.0)
    args = ap.parse_args()
    from bot.services.offload import Reader, read_and_render_apart
    from bot.services.summary import render_outputs, send_summary
    from models import Contact

    scratch = Path(tempfile.mkdtemp(prefix="summary-loop-"))
    db = scratch / "duban.db"
    shutil.copyfile(args.db, db)
    app = App.build(
        Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db}", bot_token=None),
        clock=ManualClock(datetime(2025, 9, 22, 2, tzinfo=UTC)),
    )
    async with app.work() as uow:
        coordinator = Contact(
            chat_id=-999_001, role="coordinator", display_name="bench", language="zh", created_at=uow.now
        )
        uow.session.add(coordinator)
    watch = Watch(args.stall_ms / 1000)
    print(f"bench/summary_loop.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  load average {_load()}")
    task = asyncio.create_task(watch.ticker())
    await asyncio.sleep(0.1)
    watch.take()

    watch.phase, began = "apart", time.monotonic()
    reader = Reader(app.settings, app.calendar, app.followup_settings, app.clock.now())
    data, made = await read_and_render_apart(reader, render_outputs, "zh", week=args.week)
    rendered = {"zh": made}
    print(_line("read + render (zh) apart", time.monotonic() - began, watch.take()))

    watch.phase, began = "queue", time.monotonic()
    gate_held = 0.0
    async with app.work() as uow:
        gate_from = time.monotonic()
        contact = await uow.session.get(Contact, coordinator.id)
        assert contact is not None
        await send_summary(uow, data, to=[contact], actor="bench", dedupe=False, rendered=rendered)
    gate_held = time.monotonic() - gate_from
    sizes = ", ".join(f"{len(b) // 1024} KiB" for b in rendered["zh"][1:])
    print(
        _line("queue (one reader)", time.monotonic() - began, watch.take())
        + f"  gate held {gate_held * 1000:.0f} ms"
    )
    print(f"  files: chart, ledger, 周报 {sizes}; load average {_load()}")

    full = [d for _, d, _ in watch.full]
    print(
        f"  garbage collector: {len(watch.collections)} collections, {sum(d for _, d, _ in watch.collections):.2f} s "
        f"in all; {len(full)} of the oldest generation, longest {max(full, default=0) * 1000:.0f} ms"
    )
    for at, seconds, phase in watch.full:
        print(f"    a full collection at {at:6.2f} s ({phase}): {seconds * 1000:.0f} ms")
    watch.running = False
    await task
    await app.close()
    shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"\n  stalls of {args.stall_ms:.0f} ms or more (began s after start, phase, lag, this process's CPU meanwhile):"
    )
    for s in watch.stalls:
        print(
            f"  {s.began:7.2f} s  {s.phase:<7} {s.lag * 1000:5.0f} ms  cpu {s.cpu * 1000:5.0f} ms  "
            f"garbage collector {s.gc * 1000:5.0f} ms"
        )
        for where, n in s.stacks.most_common(4):
            print(f"        {n:3d} x {where}")


if __name__ == "__main__":  # the renderer's child process imports this module again
    asyncio.run(main())
