"""10. The editor's run: one post, with the default workers (every core) against none
(`workers = 1`). A pool costs more than one post's reading, so it must not start: not slower."""

from __future__ import annotations

from pathlib import Path

from benchmarks.figure import Context, Figure, Results
from benchmarks.figures.workers import timed_run
from benchmarks.table import Row
from pipeline.workers import usable_cores

REPEATS = 5  # each side, alternately: the best of five (a one-post run is short, its noise large)


def measure(ctx: Context) -> Results:
    post = max(ctx.files, key=lambda f: f.stat().st_size)  # the largest post: where a pool would be likeliest to pay
    cores = usable_cores()
    ctx.step(f"10. one-post run: {post.name} with {cores} workers and with 1 (best of {REPEATS})")
    default, serial = [], []
    for _ in range(REPEATS):
        default.append(timed_run([post], ctx.corpus, cores))
        serial.append(timed_run([post], ctx.corpus, 1))
    best_default, best_serial = min(r["seconds"] for r in default), min(r["seconds"] for r in serial)
    return {
        "one_post": {
            "post": Path(post).name,
            "bytes": post.stat().st_size,
            "cores": cores,
            "default_seconds": [r["seconds"] for r in default],
            "serial_seconds": [r["seconds"] for r in serial],
            "workers_started": max(r["workers"] for r in default),
            "failures": [f for r in default + serial for f in r["failures"]],
            "ratio": best_default / best_serial,
        }
    }


def rows(results: Results) -> list[Row]:
    o = results["one_post"]
    return [
        {
            "figure": f"10. One-post run: default workers ({o['cores']}) vs 1 ({o['bytes'] // 1024} KiB post)",
            "measured": f"{min(o['default_seconds']):.3f} s",
            "baseline": f"{min(o['serial_seconds']):.3f} s",
            "ratio": f"{o['ratio']:.2f}x ({o['workers_started']} workers started)",
            "target": "≤ 1.05x, no worker",
            "met": o["ratio"] <= 1.05 and o["workers_started"] == 0 and not o["failures"],
        }
    ]


FIGURE = Figure(10, "one-post run", measure, rows)
