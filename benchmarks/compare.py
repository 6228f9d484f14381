"""Two checkouts of this project, timed in turns: the identity run over the corpus.

On a shared VM whose speed drifts by a quarter from one minute to the next, two benchmark
runs minutes apart cannot tell a 5% change from the drift. Here each turn runs every
checkout once, in a fresh process of its own (its imports, its fork server), so a drift
falls on both alike; the medians over the turns are what to compare.

    git worktree add --detach /tmp/before HEAD~3
    .venv/bin/python benchmarks/compare.py /tmp/before . --turns 5 --workers 2

With `--busy`, each run also reports how busy the machine was: the busy core-seconds of
`/proc/stat` during the run (both cores fully used: twice the wall time), the run's own
threads' CPU time, by thread name, and the worker processes' whole CPU (Linux only).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

# One identity run of the corpus in the checkout given as argv[1], after one run to warm the
# caches; its timings as JSON. Run with that checkout first on sys.path, so its own
# `pipeline` is imported (the fork server and its workers inherit the path).
CHILD = r"""
import json, os, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from benchmarks.inputs import bench_settings, corpus_files, find_corpus
from pipeline.cache import MemoryCache
from pipeline.config import create_engine, replace
from pipeline.run import Translator


def _named_threads():
    # each thread's OS name set to its Python name (Python 3.11 leaves them all "python"),
    # so /proc tells the writer from the pool's threads
    import ctypes, threading
    try:
        prctl = ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return
    bootstrap = threading.Thread._bootstrap_inner
    def named(self):
        prctl(15, self.name[:15].encode(), 0, 0, 0)  # PR_SET_NAME
        return bootstrap(self)
    threading.Thread._bootstrap_inner = named


_named_threads()


def busy_jiffies():
    try:
        fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    except OSError:
        return None
    return sum(fields) - fields[3] - fields[4]


def cpu_jiffies(stat_path):
    # user + system jiffies of the process or thread whose /proc stat file this is (None: gone)
    try:
        stat = open(stat_path).read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(stat[11]) + int(stat[12])


def thread_jiffies():
    found = {}
    try:
        tasks = os.listdir(f"/proc/{os.getpid()}/task")
    except OSError:
        return found
    for tid in tasks:
        jiffies = cpu_jiffies(f"/proc/{os.getpid()}/task/{tid}/stat")
        try:
            name = open(f"/proc/{os.getpid()}/task/{tid}/comm").read().strip()
        except OSError:
            continue
        if jiffies is not None:
            found[tid] = ("main" if tid == str(os.getpid()) else name, jiffies)
    return found


def watch(seen, stop):
    # every thread's CPU time, looked at every 20 ms: a thread that ends during the run
    # (the writer's, the pool's) is gone from /proc by the end
    while not stop.wait(0.02):
        seen.update(thread_jiffies())
    seen.update(thread_jiffies())


def worker_cpu(seen):
    # each worker process's whole CPU (its jobs, its pickling), read just before the pool
    # stops them: they are the fork server's children, not this process's
    import pipeline.workers as workers
    close = workers.Pool.close
    def reading(self):
        executor = self._executor or self._started
        for pid in (executor._processes if executor is not None else ()):
            jiffies = cpu_jiffies(f"/proc/{pid}/stat")
            if jiffies is not None:
                seen[pid] = jiffies / 100
        close(self)
    workers.Pool.close = reading


def once(files, corpus, workers, limit):
    import threading
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        settings = replace(bench_settings(Path(tmp), corpus, "identity"), workers=workers)
        worker_seconds.clear()
        busy, threads = busy_jiffies(), thread_jiffies()
        seen, stop = dict(threads), threading.Event()
        watcher = threading.Thread(target=watch, args=(seen, stop), name="compare-watch")
        watcher.start()
        started, cpu = time.perf_counter(), time.process_time()
        report = Translator(settings, create_engine("identity"), MemoryCache()).run(files[:limit])
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = busy_jiffies()
        stop.set()
        watcher.join()
    by_thread = {}
    for tid, (name, jiffies) in seen.items():
        if name != "compare-watch":
            by_thread[name] = by_thread.get(name, 0) + (jiffies - threads.get(tid, (name, 0))[1]) / 100
    return {
        "wall": wall,
        "cpu": cpu + report.worker_cpu,
        "machine_busy": None if busy is None or after is None else (after - busy) / 100,
        "threads": by_thread,
        "worker_processes": sum(worker_seconds.values()) if worker_seconds else None,
    }


worker_seconds = {}
worker_cpu(worker_seconds)
corpus = find_corpus(None)
files = corpus_files(corpus)
workers, limit = int(sys.argv[2]), int(sys.argv[3])
once(files, corpus, workers, limit)
print(json.dumps(once(files, corpus, workers, limit)))
"""


def one_run(checkout: Path, workers: int, limit: int) -> dict[str, Any]:
    """One timed run in a fresh process, the checkout's own code imported."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(checkout), str(workers), str(limit)],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: the run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def compare(checkouts: list[Path], turns: int, workers: int, limit: int) -> list[list[dict[str, Any]]]:
    """Every checkout's runs, each run once a turn, in the same order each turn (a checkout
    named twice is run twice a turn: the noise floor of the comparison)."""
    runs: list[list[dict[str, Any]]] = [[] for _ in checkouts]
    for _ in range(turns):
        for index, checkout in enumerate(checkouts):
            runs[index].append(one_run(checkout, workers, limit))
    return runs


def summary(checkout: Path, runs: list[dict[str, Any]], busy: bool) -> str:
    walls = sorted(round(r["wall"], 2) for r in runs)
    line = f"{checkout}: wall median {statistics.median(walls):.2f} s {walls}, CPU median {statistics.median(r['cpu'] for r in runs):.2f} s"
    if busy and runs[0]["machine_busy"] is not None:
        line += f", machine busy median {statistics.median(r['machine_busy'] for r in runs):.2f} core-s"
        names = sorted({name for r in runs for name in r["threads"]})
        shares = {name: statistics.median(r["threads"].get(name, 0.0) for r in runs) for name in names}
        line += "; threads: " + ", ".join(
            f"{name} {seconds:.2f} s" for name, seconds in sorted(shares.items(), key=lambda kv: -kv[1]) if seconds
        )
        processes = [r["worker_processes"] for r in runs if r["worker_processes"] is not None]
        if processes:  # after the threads, not among them: the run's main thread stays first
            line += f"; workers (processes) {statistics.median(processes):.2f} s"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkouts", nargs="+", type=Path, help="folders holding a checkout of this project (git worktrees)")
    parser.add_argument("--turns", type=int, default=4, help="runs of each checkout, taking turns (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="[translate] workers of each run (default 2; 1: no pool)")
    parser.add_argument("--posts", type=int, default=10_000, help="only the first POSTS corpus posts (a quick look)")
    parser.add_argument("--busy", action="store_true", help="also the machine's busy time and the run's threads' CPU (Linux)")
    args = parser.parse_args(argv)
    checkouts = [c.resolve() for c in args.checkouts]
    missing = [c for c in checkouts if not (c / "pipeline" / "run.py").is_file()]
    if missing:
        parser.error(f"not a checkout of this project: {', '.join(map(str, missing))}")
    for checkout, runs in zip(checkouts, compare(checkouts, args.turns, args.workers, args.posts)):
        print(summary(checkout, runs, args.busy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
