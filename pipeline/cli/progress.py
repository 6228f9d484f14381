"""A translate run's progress as an operator reads it, from the core's `RunProgress` events.

On a terminal: rich's bar over the segments, with the posts done, what was billed and an
ETA. Without one (a CI log, output piped to a file) a bar is noise and its redraws are
lost, so plain lines instead: one at the end of each window and at least one every
`PIPELINE_PROGRESS_INTERVAL` seconds (10 by default), from a timer, so a long request in
flight still shows the run is alive.
"""

from __future__ import annotations

import os
import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from pipeline.run import RunProgress

INTERVAL_ENV = "PIPELINE_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 10.0


def interval_from_env() -> float:
    """Seconds between plain progress lines: the environment's, when a positive number."""
    try:
        seconds = float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL))
    except ValueError:
        return DEFAULT_INTERVAL
    return seconds if seconds > 0 else DEFAULT_INTERVAL


def _posts(event: RunProgress) -> str:
    return f"{event.posts_done}/{event.posts_total if event.posts_total is not None else '?'} posts"


class ProgressView:
    """Context manager handing out the callback a run reports to; draws or writes it."""

    def __init__(self, console: Console, total_posts: int, unit: str, interval: float | None = None) -> None:
        self.console, self.unit = console, unit
        self.interval = interval if interval is not None else interval_from_env()
        self.latest = RunProgress("post", 0, total_posts, 0, 0, 0, 0, 0.0)
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self._task: TaskID | None = None
        self._stop = threading.Event()
        self._printing = threading.Lock()  # a line is read and printed in one go: the timer's never comes out stale
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> ProgressView:
        if self.console.is_terminal:
            self.bar = Progress(
                TextColumn("translating"),
                BarColumn(),
                TextColumn("{task.fields[segments]} · {task.fields[posts]} · {task.fields[billed]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self._task = self.bar.add_task("", total=None, segments="reading", posts=_posts(self.latest), billed="")
        else:
            self._ticker = threading.Thread(target=self._tick, name="progress-lines", daemon=True)
            self._ticker.start()
        return self

    def __call__(self, event: RunProgress) -> None:
        self.latest = event
        if self.bar is not None and self._task is not None:
            self.bar.update(
                self._task,
                completed=event.segments_done,
                total=event.segments_total or None,
                segments=f"{event.segments_done:,}/{event.segments_total:,} segments",
                posts=_posts(event),
                billed=self._billed(event),
            )
        elif event.event == "window":
            self._line()

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self._line()

    def _billed(self, event: RunProgress) -> str:
        """What was billed so far; an engine billed by tokens has its count only at the end."""
        return f"{event.billed:,} {self.unit} billed" if self.unit == "characters" else f"billed in {self.unit}"

    def _line(self) -> None:
        with self._printing:
            self._print(self.latest)

    def _print(self, e: RunProgress) -> None:
        self.console.print(
            f"progress: {_posts(e)}, {e.segments_done:,}/{e.segments_total:,} segments, "
            f"{self._billed(e)} in {e.requests} request(s), {time.monotonic() - self.started:.0f}s elapsed",
            markup=False,
            highlight=False,
        )

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.bar is not None:
            self.bar.stop()
