"""9. The CPU stages on every core: a run with one worker (none: all in the run's own
process) against a run with as many workers as the machine has cores, over the corpus; and
the same through the CLI, a fresh process each time, as a user or a CI job runs it (its
imports, the pool's start and the last writes included)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.figure import Context, Figure, Results
from benchmarks.inputs import bench_settings, failures, fresh_caches
from benchmarks.table import Row
from pipeline.cache import MemoryCache
from pipeline.config import create_engine
from pipeline.run import Translator
from pipeline.workers import usable_cores


def timed_run(files: list[Path], source_dir: Path, workers: int) -> dict[str, Any]:
    """One identity run of `files` with `workers`: wall time, CPU time (the workers' included)."""
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        settings = dataclasses.replace(bench_settings(Path(tmp), source_dir, "identity"), workers=workers)
        fresh_caches()  # as a run of the CLI starts: nothing read by the run before
        started, cpu = time.perf_counter(), time.process_time()
        report = Translator(settings, create_engine("identity"), MemoryCache()).run(files)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu_seconds + report.worker_cpu, "workers": report.workers, "failures": failures(report)}


def cli_site(files: list[Path], corpus: Path, root: Path) -> Path:
    """A project with `files` as its Japanese posts (their folders under `corpus` kept)."""
    for f in files:
        target = root / "content" / "ja" / f.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, target)
    return root


def cli_run(site: Path, workers: int) -> dict[str, Any]:
    """`pipeline translate --engine identity` in `site` from scratch, in a fresh process: its wall time."""
    for folder in ("content/en", "translations", ".cache"):
        shutil.rmtree(site / folder, ignore_errors=True)
    command = [sys.executable, "-m", "pipeline", "translate", "--engine", "identity", "--workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=site, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "failures": [] if done.returncode == 0 else [f"exit {done.returncode}: {done.stderr.strip()[-300:]}"]}


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of the runs (the others are a busy machine's noise)."""
    return min(runs, key=lambda r: r["seconds"]) | {"all_seconds": [r["seconds"] for r in runs]}


def measure(ctx: Context) -> Results:
    cores = usable_cores()
    ctx.step(f"9. workers: {len(ctx.files)} corpus posts with 1 and {cores} workers (best of {ctx.size.repeats}, taking turns)")
    runs = in_turns(lambda workers: timed_run(ctx.files, ctx.corpus, workers), cores, ctx.size.repeats)
    site = cli_site(ctx.files, ctx.corpus, ctx.tmp / "cli-site")
    cli = in_turns(lambda workers: cli_run(site, workers), cores, ctx.size.repeats)
    return {"workers": {"posts": len(ctx.files), "cores": cores, **runs, "cli": cli}}


def in_turns(run: Callable[[int], dict[str, Any]], cores: int, repeats: int) -> dict[str, Any]:
    """`run` with 1 worker and with `cores`, one of each a turn: a VM whose speed drifts from
    one minute to the next slows both alike, where all of one and then all of the other
    would compare two speeds. The best of each, and the speed-up."""
    turns = [(run(1), run(cores)) for _ in range(repeats)]
    one, every = best([t[0] for t in turns]), best([t[1] for t in turns])
    return {"one": one, "every": every, "speedup": one["seconds"] / every["seconds"]}


def rows(results: Results) -> list[Row]:
    w = results["workers"]
    return [
        {
            "figure": f"9. CPU stages: {w['cores']} workers vs 1 (identity run, {w['posts']} corpus posts)",
            "measured": f"{w['every']['seconds']:.2f} s",
            "baseline": f"{w['one']['seconds']:.2f} s",
            "ratio": f"{w['speedup']:.2f}x faster (CPU {w['every']['cpu_seconds']:.2f} s vs {w['one']['cpu_seconds']:.2f} s)",
            "target": "≥ 1.7x on 2 cores",
            "met": (w["speedup"] >= 1.7 if w["cores"] >= 2 else None) if not (w["one"]["failures"] or w["every"]["failures"]) else False,
        },
        *_cli_rows(w),
    ]


def _cli_rows(w: dict[str, Any]) -> list[Row]:
    cli = w.get("cli")  # absent from results measured before it
    if cli is None:
        return []
    failed = cli["one"]["failures"] or cli["every"]["failures"]
    return [
        {
            "figure": "9b. The same through the CLI, a fresh process each time (imports, the pool's start, the writes)",
            "measured": f"{cli['every']['seconds']:.2f} s",
            "baseline": f"{cli['one']['seconds']:.2f} s",
            "ratio": f"{cli['speedup']:.2f}x faster" if not failed else f"failed: {(cli['one']['failures'] + cli['every']['failures'])[0]}",
            "target": "(reference)",
            "met": None if not failed else False,
        }
    ]


FIGURE = Figure(9, "workers", measure, rows)
