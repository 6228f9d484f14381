"""Worker processes for a run's CPU-bound stages: reading posts and rendering editions.

A run's own work (parsing, protecting, checking, rendering) is pure Python, serial under
the GIL; threads do not help it, processes do. The pool runs only pure functions of their
arguments (`Job`): everything a run holds besides them stays in the main process, where
it is the only copy: the engine and its request threads, the state, the translation cache
(an sqlite connection must never cross a fork), the translation memory, and every write
(`edition.commit`, in its crash-safe order). Results come back in the order the work was
given, so a run's output and report never depend on which worker finished first.

Workers are forked from a fork server started afresh (spawned where there is none), not
from the run, which by then holds sqlite connections and threads; they ignore Ctrl-C (the
run stops them). A pool costs a process start and the pickling of every job both ways, so
it starts only once enough work is waiting (`Pool.worth`): a run of one post, or a run that
finds every post up to date, never starts one.

The one exception is the CLI's pool (`Pool.start_now`): for a run given enough posts, it is
forked from the CLI itself before it starts any thread or opens the cache, so its workers
are up in milliseconds instead of the most of a second the fork server takes to import
(the run would read its first window alone meanwhile). It is forked before the run knows
which posts are up to date: a run that finds them all so forks two processes for nothing,
a few milliseconds.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pipeline.errors import InternalError, PipelineError, internal_error
from pipeline.heap import collect_less

K = TypeVar("K")
R = TypeVar("R")

START_SIZE = 128 * 1024  # characters of posts waiting to be read before a pool is worth its start (`Pool.worth`)
START_JOBS = 4  # and at least this many jobs: one big post cannot be split between workers
AHEAD = 4  # jobs a worker may have queued ahead of the run (`Pool.ordered`): memory stays bounded
# jobs handed to the processes at once, per worker: enough that a worker never waits for the
# next, few enough that a job the run waits on now (`urgent`) is not queued behind many others
HANDED = 2
# posts read ahead per worker: the workers read the next window's posts while the run drafts
# this one's (its renderings wait behind them, and the workers are never idle)
READ_AHEAD = 16
# a worker yields the cores to the run's own process: its request threads, and the run the
# workers wait on, are not held up by the reading of posts (figure 3b: 1.64x → 1.55x)
NICENESS = 5
# imported once by the fork server: a forked worker starts with them (the main script among
# them, as multiprocessing does by default: a worker would otherwise run it again to start)
PRELOAD = ["__main__", "pipeline.run", "pipeline.stages", "pipeline.warm"]


def usable_cores() -> int:
    """The cores this process may run on (its affinity: a CI container's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Job(Generic[R]):
    """A call of a module-level function `fn(*args)` (picklable both ways), and the size of
    what it works on (a post's characters), which says whether starting the pool pays (`Pool.worth`)."""

    fn: Callable[..., R]
    args: tuple[object, ...]
    size: int = 0

    def __call__(self) -> R:
        return self.fn(*self.args)


@dataclass(eq=False)
class _Given(Generic[R]):
    """A job given to the pool, until its result is taken: handed to the workers (`future`)
    once they are up and have room for it, or done in the run's process (`claimed`, then
    `here`: its result, or its error). `urgent`: handed over before the jobs given without it."""

    job: Job[R]
    urgent: bool = False
    future: Future[tuple[R, float]] | None = None
    claimed: bool = False
    here: tuple[R | None, Exception | None] | None = None

    @property
    def waiting(self) -> bool:
        """Neither handed to the workers nor taken by the run's process: either may take it."""
        return self.future is None and not self.claimed


class Pool:
    """Up to `workers` processes for a run's jobs, started on the first job worth it and
    stopped by `close` (a `with` block); `workers` 1: no process, every job in place.

    The processes start on a thread of their own (each waits for the fork server's
    imports): the run goes on meanwhile, and does the jobs it needs itself. Waiting for a
    result, the run does a job no worker has begun rather than sit idle (`_result`).

    A job is handed to the processes only when they have room for it (`HANDED` each), the
    urgent ones first: a window's renderings, which the run waits on to write the window,
    go before the next window's readings given earlier (the processes take jobs in the
    order handed; with all of them handed at once, each rendering waited behind 32
    readings). A job's end hands over the next (`_landed`, on the pool's result thread)."""

    def __init__(self, workers: int, start_size: int | None = None, start_jobs: int | None = None) -> None:
        self.workers = workers
        self.start_size = START_SIZE if start_size is None else start_size
        self.start_jobs = START_JOBS if start_jobs is None else start_jobs
        self._executor: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None  # starts the processes (`_start`)
        self._started: ProcessPoolExecutor | None = None  # what it started, taken up by `_hand_over`
        self.ran = 0  # the workers, once started for a run's jobs (`start_now`'s: once one is handed over): 0 while none ran
        self.cpu_seconds = 0.0  # CPU time the workers spent on jobs that came back (a benchmark's total)
        self.broken = False  # a worker died (killed, out of memory): the jobs still to come are done in place
        self._given: list[_Given[Any]] = []  # in the order given, results not taken yet
        self._lock = threading.RLock()  # `_given`'s hand-over: the run's thread, and the pool's on a job's end
        self._closing = False

    @property
    def started(self) -> bool:
        return self._executor is not None or self._starting is not None

    def worth(self, jobs: int, size: int) -> bool:
        """Whether `jobs` waiting jobs of `size` in all pay for a start: the pool is on, and
        the work is more than a handful of posts (`start_jobs`, `start_size`)."""
        return self.workers > 1 and not self.broken and (self.started or (jobs >= self.start_jobs and size >= self.start_size))

    def warm(self) -> None:
        """Start the fork server now, in the background, when work may soon be worth a pool:
        its interpreter and imports are then ready when the first worker is asked for, and
        the run does not wait for them."""
        if self.workers > 1 and not self.started and _context().get_start_method() == "forkserver":
            multiprocessing.forkserver.ensure_running()

    def start_now(self) -> bool:
        """The processes forked now, from this very process, when nothing else runs in it
        (no thread: a fork copies only the thread that forks, and a lock another one held
        would stay held in the worker for ever). Such a worker starts in milliseconds, where
        the fork server takes most of a second to import the pipeline (the run would read
        its first window alone meanwhile). False, and nothing done, when the process has
        threads or the system cannot fork: the pool then starts as usual (`submit`)."""
        if self.started or self.workers <= 1 or self.broken:
            return self._executor is not None
        if not sys.platform.startswith("linux") or threading.active_count() > 1:  # macOS: fork is unsafe there
            return False
        try:
            executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"), initializer=_forked)
            executor.submit(int)  # every worker forked now, on this thread, before the executor starts its own
        except Exception:  # no process could start: the usual start is tried when jobs come
            return False
        self._executor = executor  # `ran` is set once a job is handed over: a run with nothing to read used none
        return True

    def submit(self, job: Job[R], urgent: bool = False) -> Callable[[], R]:
        """`job` in a worker, the pool started if it was not (`worth` is the caller's): a call
        that waits for its result (raising its error). `urgent`: the run waits on it before
        the jobs given without it (handed over first)."""
        if not self.started:
            self._starting = threading.Thread(target=self._start, name="pipeline-workers-start", daemon=True)
            self._starting.start()
        given: _Given[R] = _Given(job, urgent)
        with self._lock:
            self._given.append(given)
        self._hand_over()
        return lambda: self._result(given)

    def _start(self) -> None:
        """The processes, every one started now (the pool starts one per job given, each
        waiting for the fork server: the run would wait with it)."""
        try:
            executor = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_worker_started)
            wait([executor.submit(int) for _ in range(self.workers)])
        except Exception:  # no process could start: every job is done in place
            self.broken = True
            return
        self._started, self.ran = executor, self.workers
        self._hand_over()  # the jobs given meanwhile: the run may be busy with one of its own

    def ready(self) -> bool:
        """Wait until the processes are up, the pool started if it was not: False when none
        could start (jobs are then done in place). For a caller whose next jobs must go to a
        worker (a test of what a dying worker does)."""
        if not self.started:
            self.submit(Job(int, ()))()
        starting = self._starting  # read once: the start thread clears it when it hands over (`_hand_over`)
        if starting is not None:
            starting.join()
        self._hand_over()
        return self._executor is not None

    def _hand_over(self) -> None:
        """Jobs given so far to the workers, once they are up, as many as they have room
        for: the urgent first, each kind in the order given."""
        with self._lock:
            if self._executor is None:
                if self._starting is None or self._started is None:  # not started, or still starting
                    return
                self._executor, self._starting = self._started, None
            if self._closing or self.broken:
                return
            room = self.workers * HANDED - sum(1 for g in self._given if g.future is not None and not g.future.done())
            waiting = sorted((g for g in self._given if g.waiting), key=lambda g: not g.urgent)
            for given in waiting[: max(0, room)]:
                if not given.waiting:  # handed over meanwhile, by a job's end this loop set off
                    continue
                try:
                    given.future = self._executor.submit(_run, given.job)
                except (BrokenProcessPool, RuntimeError):  # broken, or shut down by another thread's close
                    self.broken = True
                    return
                self.ran = self.workers
                given.future.add_done_callback(self._landed)

    def _landed(self, _: Future[Any]) -> None:
        """A job ended (or was cancelled): its worker has room for the next."""
        self._hand_over()

    def _result(self, given: _Given[R]) -> R:
        self._hand_over()
        while given.here is None and not (given.future is not None and given.future.done()):
            if self._claim(given):  # not handed over (the workers not up, or busy): done here, not waited for
                self._do_here(given)
            elif not self._help(given):  # the one asked for stays the worker's, once handed over
                assert given.future is not None
                wait([given.future])
        with self._lock:
            self._given.remove(given)
        if given.here is not None:
            value, error = given.here
            if error is not None:
                raise error
            return value  # type: ignore[return-value]  # the job's own result: R
        assert given.future is not None
        try:
            result, cpu = given.future.result()
        except BrokenProcessPool as exc:  # not run again here: the job may be what killed its worker
            self.broken = True
            raise InternalError(
                "a worker process stopped (killed, or out of memory) while this post was in it; run again, "
                "or with --workers 1 to read it in the run's own process"
            ) from exc
        self.cpu_seconds += cpu
        return result

    def _help(self, waiting_for: _Given[Any]) -> bool:
        """While the run waits for `waiting_for`, one job the workers have not begun (the
        last given first: the run needs it last) is taken back and done here, so the run's
        process works instead of waiting (behind a long post). False: none is left."""
        with self._lock:
            found = next((g for g in reversed(self._given) if g is not waiting_for and self._take_back(g, waiting_for)), None)
        if found is None:
            return False
        self._do_here(found)
        return True

    def _take_back(self, given: _Given[Any], waiting_for: _Given[Any]) -> bool:
        """`given` claimed for the run's process while it waits for `waiting_for`: a job of
        the same kind (a rendering while it waits for a rendering: the next window's reading
        would hold up this one's drafting), not handed over or not begun (cancelled)."""
        if given.job.fn is not waiting_for.job.fn or given.claimed:  # claimed: the run's (done, or under way)
            return False
        if given.future is not None and not given.future.cancel():
            return False
        given.future, given.claimed = None, True
        return True

    def _claim(self, given: _Given[Any]) -> bool:
        """`given` for the run's process to do, unless a worker has it."""
        with self._lock:
            if not given.waiting:
                return False
            given.claimed = True
            return True

    @staticmethod
    def _do_here(given: _Given[Any]) -> None:
        """`given`'s job (cancelled, or never handed over: no worker will run it) done here."""
        try:
            given.here = (given.job(), None)
        except Exception as exc:  # raised when its result is asked for, as the worker's would be (`_run`)
            given.here = (None, internal_error(exc))

    def ordered(
        self, items: Iterable[tuple[K, Job[R] | None]], ahead: int = AHEAD, urgent: bool = False
    ) -> Iterator[tuple[K, Callable[[], R] | None]]:
        """Each item back in its order with a call that gives its job's result (raising the
        job's error, as the job in place would): done in a worker once the waiting jobs are
        worth the pool, else in place when the caller asks. An item without a job (nothing
        to compute) comes back with None. A worker holds at most `ahead` jobs in advance of
        the item the caller reached, so results waiting to be taken stay few. `urgent`: the
        jobs go to the workers before those given without it (`submit`)."""
        waiting: deque[tuple[K, Job[R] | None, Callable[[], R] | None]] = deque()
        size, seen = 0, 0
        for key, job in items:
            waiting.append((key, job, None))
            size += job.size if job is not None else 0
            seen += job is not None
            if seen == 2:  # a second job: more may follow
                self.warm()
            if self.worth(sum(1 for _, j, f in waiting if j is not None and f is None), size):
                waiting = deque((k, j, f if f is not None or j is None else self.submit(j, urgent)) for k, j, f in waiting)
            if len(waiting) > (self.workers if self.started else max(self.workers, self.start_jobs)) * ahead:
                key, job, future = waiting.popleft()
                size -= job.size if job is not None else 0
                yield key, future or job
        while waiting:
            key, job, future = waiting.popleft()
            yield key, future or job

    def close(self) -> None:
        """Stop the workers: jobs not begun are dropped (an interrupted or aborted run)."""
        starting = self._starting  # read once: the start thread clears it when it hands over (`_hand_over`)
        if starting is not None:  # still starting: stopped once up
            starting.join()
        with self._lock:
            if self._executor is None:  # started, and not taken up yet
                self._executor, self._starting = self._started, None
            self._closing = True  # a job cancelled below hands over nothing (`_landed`)
            self._given.clear()
        if self._executor is not None:
            if self.broken:
                # A worker started while the pool was breaking is not stopped by it, and the
                # pool's shutdown would wait for it for ever (CPython 3.11): stopped here.
                for process in list(self._executor._processes.values()):
                    process.kill()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _context() -> multiprocessing.context.BaseContext:
    """A fork server where the system has one (a worker starts in milliseconds with the
    pipeline imported, and inherits none of the run's connections or threads), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _worker_started() -> None:
    """Ctrl-C reaches every process of the terminal's group: the run stops its workers. A run
    killed outright (SIGKILL, out of memory) cannot: a worker waiting for jobs would wait for
    ever, holding the run's stdout and stderr open (a CI step that never ends), so it leaves
    as soon as the run is gone (its parent's sentinel)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):  # not on Windows
        os.nice(NICENESS)
    collect_less()  # a worker lives for the run: its collector tuned as the run's (`heap`)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_leave_with, args=(parent.sentinel,), daemon=True).start()


def _forked() -> None:
    """A worker forked from the run itself (`Pool.start_now`): the run's own handler of
    SIGTERM (which unwinds the run) is not a worker's, which just ends."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker_started()


def _leave_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _run(job: Job[R]) -> tuple[R, float]:
    """`job` in a worker, and the CPU time it took; its error sent back as one the run can
    read (`_portable`)."""
    started = time.process_time()
    try:
        return job(), time.process_time() - started
    except Exception as exc:
        raise _portable(exc) from None


def _portable(exc: Exception) -> PipelineError:
    """`exc` as the run's error for the post (`internal_error`), made sure to survive the way
    back: an exception that does not unpickle would break the pool, not just fail a post."""
    error = internal_error(exc)
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return InternalError(str(error.message))
    return error
