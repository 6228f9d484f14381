"""The run's writes on threads of their own, each post's whole, finished in the posts' order.

A post's commit (`edition.commit`: memory, state, edition, state, each written atomically
and flushed to the disk) is mostly waiting for the disk: on a corpus run, a quarter of the
run's own time was spent in `fsync`, `open` and `write`. The GIL is free while a thread
waits for them, so the next post's drafting goes on while this one is written; and with a
few writers the disk's waits overlap (a corpus run's last window: its writes took 0.1 s
after the last post was drafted, with one writer). Each post's commit runs whole on one
thread, in its own crash-safe order, and two posts never share a file (the memory, which
they could, is saved by the run's own thread: `Writer.wait` first); the posts are finished
(`finished`: the report, the progress) in the order they were given, so the report and
the files on disk are the serial run's.

A write that raises what no post's failure should (a kill, `KeyboardInterrupt`, a bug
outside the post's own handling) stops the writers as a crash would: the writes not begun
are dropped, those under way end (each is whole or not there, as after a kill), and the
error reaches the run the next time it looks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

K = TypeVar("K")

# posts written at once: enough to overlap the disk's flushes, few enough to leave the cores
# to the run (a write is mostly waiting)
WRITERS = 4


class Writer(Generic[K]):
    """Runs each item's write on a writer thread, and hands each item to `finished` once
    its write is done (or at once, without a write), in the order the items came.
    `writers`: the writes under way at once (1: one after the other)."""

    def __init__(self, finished: Callable[[K], None], writers: int = WRITERS) -> None:
        self._finished = finished
        self._writers = writers
        self._executor: ThreadPoolExecutor | None = None
        self._waiting: deque[tuple[K, Future[None] | None]] = deque()
        self._crashed = False

    def add(self, item: K, write: Callable[[], None] | None) -> None:
        """`write` queued after those given before; `item` finished when it is done."""
        future = None
        if write is not None:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._writers, thread_name_prefix="pipeline-writer")
            future = self._executor.submit(self._guarded, write)
        self._waiting.append((item, future))
        self._finish(wait=False)

    def wait(self) -> None:
        """Every write given so far done, and its item finished (before a write of the
        run's own thread: the memory, which the run goes on changing while it drafts)."""
        self._finish(wait=True)

    def close(self) -> None:
        """Writes not begun are dropped (an interrupted run); those under way end."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _guarded(self, write: Callable[[], None]) -> None:
        if self._crashed:  # a write crashed: the disk stays as the crash left it
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
