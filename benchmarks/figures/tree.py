"""What figures 2 (no-op) and 5 (memory) share: a full identity run, then a no-op run, over
the synthetic tree and over its first posts, each in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.figure import Context, Results
from benchmarks.inputs import REPO, bench_settings, build_tree, corpus_files, failures, statuses
from pipeline.cache import TranslationCache
from pipeline.config import create_engine
from pipeline.run import Translator

RUNNER = REPO / "benchmarks" / "run.py"


def _proc_status_kib(field: str) -> int | None:
    """A `kB` field of /proc/self/status (VmHWM, VmRSS), or None where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_kib() -> int:
    """VmHWM (peak resident set) of this process; getrusage where /proc is missing."""
    peak = _proc_status_kib("VmHWM")
    if peak is not None:
        return peak
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss


def current_rss_kib() -> int:
    return _proc_status_kib("VmRSS") or 0


def child_tree_run(tree: Path, limit: int) -> dict[str, Any]:
    """In the child process: one full identity run (disk cache, as the CLI uses) then a no-op run."""
    files = sorted(tree.glob("*.md"))[:limit]
    with tempfile.TemporaryDirectory(prefix="bench-tree-") as tmp:
        settings = bench_settings(Path(tmp), tree, "identity")
        rss_before = current_rss_kib()
        with TranslationCache(settings.path(settings.cache_dir)) as cache:
            started, cpu = time.perf_counter(), time.process_time()
            full = Translator(settings, create_engine("identity"), cache).run(files)
            full_seconds, full_cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = peak_rss_kib()
        with TranslationCache(settings.path(settings.cache_dir)) as cache:
            started, cpu = time.perf_counter(), time.process_time()
            noop = Translator(settings, create_engine("identity"), cache).run(files)
            noop_seconds, noop_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "posts": len(files),
        "bytes": sum(f.stat().st_size for f in files),
        "segments": full.segments,
        "full_seconds": full_seconds,
        "full_cpu_seconds": full_cpu,
        "full_statuses": statuses(full),
        "failures": failures(full),
        "noop_seconds": noop_seconds,
        "noop_cpu_seconds": noop_cpu,
        "noop_statuses": statuses(noop),
        "rss_before_run_kib": rss_before,
        "peak_rss_kib": peak,
    }


def tree_run(tree: Path, limit: int) -> dict[str, Any]:
    """Run child_tree_run in a fresh interpreter (`run.py --child-tree`), so trees do not share
    a heap or a peak."""
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--child-tree", str(tree), "--limit", str(limit)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"tree run over {limit} posts failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _tree_runs(ctx: Context) -> Results:
    ctx.step(f"building the {ctx.size.tree}-post tree")
    tree = ctx.tmp / "tree"
    build_tree(corpus_files(ctx.corpus), ctx.size.tree, tree)
    ctx.step(f"2/5. full + no-op identity runs, {ctx.size.tree} posts (subprocess)")
    big = tree_run(tree, ctx.size.tree)
    ctx.step(f"2/5. full + no-op identity runs, {ctx.size.small_tree} posts (subprocess)")
    return {"tree": big, "small_tree": tree_run(tree, ctx.size.small_tree)}


def tree_runs(ctx: Context) -> Results:
    """The `tree` and `small_tree` entries, measured once for figures 2 and 5."""
    return ctx.once("tree runs", lambda: _tree_runs(ctx))
