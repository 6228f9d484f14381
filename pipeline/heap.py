"""The garbage collector, tuned for a run.

A post's reading allocates hundreds of thousands of small containers (markdown-it's tokens,
segments, units) that live until the post is written. CPython's cyclic collector runs a
young collection every 700 allocations and, every hundred of those, walks every object
the run holds: on the corpus, a fifth to a quarter of a run's CPU went to collections that
found next to nothing (the objects are not garbage yet), and unpickling a worker's reading
in the run's process took five times as long with them as without.

A larger young generation keeps the collector for what it is for (a run's cycles are
few: markdown-it's parser states, exceptions with their tracebacks) at a bounded cost in
memory: at most `YOUNG` container objects wait for a collection, a few megabytes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 50_000  # allocations between young collections (CPython's default: 700)


def collect_less() -> None:
    """For a process that lives for the run (a worker): young collections every `YOUNG`
    allocations, the older generations' thresholds as they were."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)


@contextmanager
def collecting_less() -> Iterator[None]:
    """`collect_less` for the block's duration, then the thresholds as they were: a run
    inside a longer-lived program (the tests, an editor's tool) leaves its collector alone."""
    before = gc.get_threshold()
    collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*before)
