"""The run's writes in a thread of their own, one at a time and in the posts' order.

A post's commit (`edition.commit`: memory, state, edition, state, each written atomically
and flushed to the disk) is mostly waiting for the disk: on a corpus run, a quarter of the
run's own time was spent in `fsync`, `open` and `write`. The GIL is free while a thread
waits for them, so the next post's drafting goes on while this one is written. There is
still one writer, and it takes the commits in the order they were given, so the order of
the writes on disk, and of the posts in the report, is the serial run's.

A write that raises what no post's failure should (a kill, `KeyboardInterrupt`, a bug
outside the post's own handling) stops the writer as a crash would: the writes queued
after it are dropped, and the error reaches the run the next time it looks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

K = TypeVar("K")


class Writer(Generic[K]):
    """Runs each item's write in the writer thread, and hands each item to `finished` once
    its write is done (or at once, without a write), in the order the items came."""

    def __init__(self, finished: Callable[[K], None]) -> None:
        self._finished = finished
        self._executor: ThreadPoolExecutor | None = None
        self._waiting: deque[tuple[K, Future[None] | None]] = deque()
        self._crashed = False

    def add(self, item: K, write: Callable[[], None] | None) -> None:
        """`write` queued after those given before; `item` finished when it is done."""
        future = None
        if write is not None:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="pipeline-writer")
            future = self._executor.submit(self._guarded, write)
        self._waiting.append((item, future))
        self._finish(wait=False)

    def wait(self) -> None:
        """Every write given so far done, and its item finished (before a write of the
        run's own thread: the memory, which the run goes on changing while it drafts)."""
        self._finish(wait=True)

    def close(self) -> None:
        """Writes not begun are dropped (an interrupted run); the one under way ends."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _guarded(self, write: Callable[[], None]) -> None:
        if self._crashed:  # a write before it crashed: the disk stays as the crash left it
            return
        try:
            write()
        except BaseException:
            self._crashed = True
            raise

    def _finish(self, wait: bool) -> None:
        while self._waiting:
            item, future = self._waiting[0]
            if future is not None and not (wait or future.done()):
                return
            self._waiting.popleft()
            if future is not None:
                future.result()  # a crash's error, raised in the run
            self._finished(item)
