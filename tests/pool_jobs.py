"""Jobs for the pool's tests (tests/test_workers.py): module-level functions, so a worker
process can import them by name, with nothing else of the test suite."""

from __future__ import annotations

import os
import time


def pid_after(seconds: float) -> int:
    """The process that ran the job, once it has taken `seconds`."""
    time.sleep(seconds)
    return os.getpid()


def clock_after(seconds: float) -> float:
    """`time.monotonic()` once the job has taken `seconds`: a job begun later than another
    that reads the clock at once reads a later time, however the two processes are scheduled."""
    time.sleep(seconds)
    return time.monotonic()


def parent_pid() -> int:
    """The process that started the one that ran the job: the run's, for a worker forked
    from it; the fork server's otherwise."""
    return os.getppid()
