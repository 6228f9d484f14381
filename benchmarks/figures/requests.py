"""3. Round trips: a cold run against the DeepL test server, its requests against the fewest
the API's limits allow, its time against the ideal, and a naive client for reference."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.figure import Context, Figure, Results
from benchmarks.inputs import bench_settings, build_tree, failures, statuses
from benchmarks.server import CountingEngine, Server, deepl_engine
from benchmarks.table import Row
from pipeline.cache import TranslationCache
from pipeline.run import Translator
from pipeline.translate import REQUEST_OVERHEAD, request_size

LATENCY = 0.05  # seconds the test server waits before answering each request
SLOW_LATENCY = 0.3  # a round trip nearer the real API's (3e): the run's own work then overlaps the requests


def minimum_requests(texts: Sequence[str], max_texts: int, max_bytes: int) -> int:
    """A lower bound no packing can beat: the count limit and the byte limit, each alone.

    max(ceil(unique texts / 50), ceil(sum of their JSON sizes / (128 KiB - the 2 KiB the
    pipeline reserves for the rest of the request body))).
    """
    unique = list(dict.fromkeys(texts))
    payload = sum(request_size(t) for t in unique)
    return max(math.ceil(len(unique) / max_texts), math.ceil(payload / (max_bytes - REQUEST_OVERHEAD)))


def round_trips(server: Server, tree: Path, files: list[Path], tmp: Path, naive: int, latency: float = LATENCY) -> dict[str, Any]:
    settings = bench_settings(tmp, tree, "deepl")
    engine = CountingEngine(deepl_engine(server.url, settings))
    with TranslationCache(settings.path(settings.cache_dir)) as cache:
        started = time.perf_counter()
        report = Translator(settings, engine, cache).run(files)
        wall = time.perf_counter() - started
    sent = [t for _, _, texts in engine.calls for t in texts]
    unique = list(dict.fromkeys(sent))
    requests = len(engine.calls)
    minimum = minimum_requests(unique, engine.limits.max_texts, engine.limits.max_bytes)
    ideal = requests * latency / settings.jobs

    # The naive baseline: the same texts, one per request, one request at a time.
    single = deepl_engine(server.url, settings)
    sample = unique[:naive]
    started = time.perf_counter()
    for text in sample:
        single.translate([text])
    sample_seconds = time.perf_counter() - started
    per_request = sample_seconds / max(1, len(sample))
    return {
        "posts": len(files),
        "statuses": statuses(report),
        "failures": failures(report),
        "jobs": settings.jobs,
        "latency_seconds": latency,
        "requests": requests,
        "reported_requests": report.usage.requests,
        "retried_texts": report.retried,
        "texts_sent": len(sent),
        "unique_texts": len(unique),
        "payload_bytes": sum(request_size(t) for t in unique),
        "minimum_requests": minimum,
        "requests_ratio": requests / minimum if minimum else None,
        "wall_seconds": wall,
        "api_busy_seconds": engine.busy_seconds(),
        "ideal_seconds": ideal,
        "api_time_ratio": engine.busy_seconds() / ideal if ideal else None,
        "wall_time_ratio": wall / ideal if ideal else None,
        "billed_characters": report.usage.billed_characters,
        "naive": {
            "requests": len(unique),
            "measured_texts": len(sample),
            "measured_seconds": sample_seconds,
            "seconds_per_request": per_request,
            "extrapolated_seconds": per_request * len(unique),
            "extrapolated": len(sample) < len(unique),
        },
    }


@dataclass(frozen=True)
class ColdRun:
    """The cold run figure 4 continues from: its server, tree, files and folder, and figure 3."""

    server: Server
    tree: Path
    files: list[Path]
    folder: Path
    round_trips: dict[str, Any]


def _cold_run(ctx: Context) -> ColdRun:
    ctx.step(f"3. cold run of {len(ctx.files)} posts against the test server ({LATENCY * 1000:.0f} ms latency)")
    tree = ctx.tmp / "rt-tree"
    files = build_tree(ctx.files, len(ctx.files), tree)  # the corpus files, renamed: the billing edit needs a copy
    server = ctx.resources.enter_context(Server(LATENCY))
    return ColdRun(server, tree, files, ctx.tmp / "rt", round_trips(server, tree, files, ctx.tmp / "rt", ctx.size.naive))


def cold_run(ctx: Context) -> ColdRun:
    """The cold run over the corpus posts, done once for figures 3 and 4."""
    return ctx.once("cold run", lambda: _cold_run(ctx))


def slow_run(ctx: Context) -> dict[str, Any]:
    """The cold run again on a fresh copy, against a server that takes `SLOW_LATENCY` a request."""
    ctx.step(f"3e. cold run of {len(ctx.files)} posts against the test server ({SLOW_LATENCY * 1000:.0f} ms latency)")
    tree = ctx.tmp / "rt-slow-tree"
    files = build_tree(ctx.files, len(ctx.files), tree)
    with Server(SLOW_LATENCY) as server:
        return round_trips(server, tree, files, ctx.tmp / "rt-slow", 0, SLOW_LATENCY)


def measure(ctx: Context) -> Results:
    return {"round_trips": cold_run(ctx).round_trips, "slow_round_trips": slow_run(ctx)}


def rows(results: Results) -> list[Row]:
    r = results["round_trips"]
    n = r["naive"]
    est = f"time extrapolated from the first {n['measured_texts']}" if n["extrapolated"] else "measured"
    return [
        {
            "figure": (
                f"3a. Round trips: requests, cold run of {r['posts']} posts, {r['unique_texts']} unique texts "
                f"(minimum = max(⌈texts/50⌉, ⌈bytes/126 KiB⌉))"
            ),
            "measured": f"{r['requests']} requests",
            "baseline": f"{r['minimum_requests']} minimum",
            "ratio": f"{r['requests_ratio']:.3f}x",
            "target": "≤ 1.10x",
            "met": r["requests_ratio"] <= 1.10 and not r["failures"],
        },
        {
            "figure": (
                f"3b. Round trips: time with a request in flight vs ideal requests × "
                f"{r['latency_seconds'] * 1000:.0f} ms / {r['jobs']} jobs"
            ),
            "measured": f"{r['api_busy_seconds']:.2f} s",
            "baseline": f"{r['ideal_seconds']:.2f} s",
            "ratio": f"{r['api_time_ratio']:.2f}x",
            "target": "≤ 1.5x",
            "met": r["api_time_ratio"] <= 1.5,
        },
        {
            "figure": "3c. Round trips: wall time of the whole cold run (our CPU work included) vs the same ideal",
            "measured": f"{r['wall_seconds']:.2f} s",
            "baseline": f"{r['ideal_seconds']:.2f} s",
            "ratio": f"{r['wall_time_ratio']:.2f}x",
            "target": "≤ 1.5x",
            "met": r["wall_time_ratio"] <= 1.5,
        },
        {
            "figure": f"3d. Naive baseline: the same texts one per request, one at a time ({est})",
            "measured": f"{r['requests']} requests, {r['wall_seconds']:.1f} s",
            "baseline": f"{n['requests']} requests, {n['extrapolated_seconds']:.0f} s",
            "ratio": f"{r['requests'] / n['requests']:.3f}x requests, {r['wall_seconds'] / n['extrapolated_seconds']:.3f}x time",
            "target": "(reference)",
            "met": None,
        },
        *_slow_rows(results),
    ]


def _slow_rows(results: Results) -> list[Row]:
    slow = results.get("slow_round_trips")
    if slow is None:  # a results file from before 3e
        return []
    return [
        {
            "figure": (
                f"3e. Round trips at {slow['latency_seconds'] * 1000:.0f} ms a request: wall time of the whole cold run "
                "vs ideal requests × latency / jobs"
            ),
            "measured": f"{slow['wall_seconds']:.2f} s",
            "baseline": f"{slow['ideal_seconds']:.2f} s",
            "ratio": f"{slow['wall_time_ratio']:.2f}x ({slow['requests']} requests)",
            "target": "≤ 1.5x",
            "met": slow["wall_time_ratio"] <= 1.5 and not slow["failures"],
        }
    ]


FIGURE = Figure(3, "round trips", measure, rows)
