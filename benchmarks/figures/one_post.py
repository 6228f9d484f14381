"""10. The editor's run: one post, with the default workers (every core) against none
(`workers = 1`). A pool costs more than one post's reading, so it must not start: not slower."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.figure import Context, Figure, Results
from benchmarks.figures.workers import timed_run
from benchmarks.table import Row
from pipeline.workers import usable_cores

REPEATS = 6  # each side, in turn first: the best of six (a one-post run is short, its noise large)


def measure(ctx: Context) -> Results:
    post = max(ctx.files, key=lambda f: f.stat().st_size)  # the largest post: where a pool would be likeliest to pay
    cores = usable_cores()
    ctx.step(f"10. one-post run: {post.name} with {cores} workers and with 1 (best of {REPEATS})")
    sides: dict[str, list[dict[str, Any]]] = {"default": [], "serial": []}
    for repeat in range(REPEATS):  # in turn first: the second run of a post finds its caches warm
        for side in ("default", "serial") if repeat % 2 == 0 else ("serial", "default"):
            sides[side].append(timed_run([post], ctx.corpus, cores if side == "default" else 1))
    default, serial = sides["default"], sides["serial"]
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
