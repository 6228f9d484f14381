"""1. Overhead: the identity pipeline against the bare parse of the same bodies."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.figure import Context, Figure, Results
from benchmarks.inputs import bench_settings, failures, fresh_caches, statuses
from benchmarks.table import Row
from pipeline.cache import MemoryCache
from pipeline.config import Settings, create_engine
from pipeline.markdown import parser
from pipeline.post import read_post
from pipeline.run import Translator


def overhead(files: list[Path], source_dir: Path, repeats: int) -> dict[str, Any]:
    bodies = [read_post(f).body for f in files]
    md = parser(Settings().dialect)  # the very instance the pipeline uses (the default dialect)
    md.parse(bodies[0])
    parse_times, pipeline_times, parse_cpu, pipeline_cpu = [], [], [], []
    report = None
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            md.parse(body)
        parse_times.append(time.perf_counter() - started)
        parse_cpu.append(time.process_time() - cpu)
        with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
            settings = bench_settings(Path(tmp), source_dir, "identity")
            fresh_caches()  # as a run of the CLI starts: nothing read by the repeat before
            started, cpu = time.perf_counter(), time.process_time()
            translator = Translator(settings, create_engine("identity"), MemoryCache())
            report = translator.run(files)
            pipeline_times.append(time.perf_counter() - started)
            pipeline_cpu.append(time.process_time() - cpu + report.worker_cpu)  # the workers' CPU is not this process's
    assert report is not None
    return {
        "posts": len(files),
        "bytes": sum(f.stat().st_size for f in files),
        "segments": report.segments,
        "statuses": statuses(report),
        "failures": failures(report),
        "parse_seconds": parse_times,
        "pipeline_seconds": pipeline_times,
        "parse_cpu_seconds": parse_cpu,
        "pipeline_cpu_seconds": pipeline_cpu,
        "workers": report.workers,  # processes the run's CPU stages ran in besides this one (the default: every core)
        "ratio": min(pipeline_times) / min(parse_times),
        "cpu_ratio": min(pipeline_cpu) / min(parse_cpu),
    }


def measure(ctx: Context) -> Results:
    ctx.step(f"1. overhead over {len(ctx.files)} corpus posts (best of {ctx.size.repeats})")
    return {"overhead": overhead(ctx.files, ctx.corpus, ctx.size.repeats)}


def rows(results: Results) -> list[Row]:
    o = results["overhead"]
    return [
        {
            "figure": f"1. Overhead: identity pipeline vs bare markdown-it parse ({o['posts']} corpus posts)",
            "measured": f"{min(o['pipeline_seconds']):.2f} s",
            "baseline": f"{min(o['parse_seconds']):.2f} s",
            "ratio": f"{o['ratio']:.2f}x (CPU time {o['cpu_ratio']:.2f}x; {o.get('workers', 0)} workers)",
            "target": "≤ 2x",
            "met": o["ratio"] <= 2 and not o["failures"],
        }
    ]


FIGURE = Figure(1, "overhead", measure, rows)
