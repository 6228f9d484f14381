"""How often a run's threads take turns at the GIL.

The run's thread holds the GIL for long stretches (reading posts, drafting them), while the
request threads need it only for moments: to send a batch, to read its answer. Each moment
waits for the holder to let go, which CPython asks of it every switch interval (5 ms by
default). An answer read in a few such moments came back 10-30 ms late: against a server
that takes 50 ms, requests were in flight 1.55 times as long as the ideal on average (benchmark
figure 3b), and the cold run waited for them (3c). At 1 ms the requests' median and tail
shrink (60 ms and 70 ms, against 62 ms and 83 ms), 3b reads 1.45 on average (nine cold runs
each, in turns), and the run's own CPU work is no slower (figures 1 and 9 within the
machine's noise).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while another waits for it (CPython's default: 0.005)


@contextmanager
def switching_often() -> Iterator[None]:
    """`SWITCH_INTERVAL` for the block's duration, then the interval as it was: a run inside a
    longer-lived program (the tests, an editor's tool) leaves it alone."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(before)
