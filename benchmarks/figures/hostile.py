"""8. Hostile posts: time linear in size."""

from __future__ import annotations

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

HOSTILE: dict[str, tuple[Callable[[int], str], int, int]] = {  # name: (the post's body at `size` bytes, full size, quick size)
    "a line of backticks": (lambda n: "`" * n + "\n", 3_000, 3_000),
    "a paragraph with no sentence end": (lambda n: "word " * (n // 5) + "\n", 60_000, 60_000),
    # each `<a` hides the next from the HTML tokenizer until the one before is read as text
    "an HTML block of unfinished tags": (lambda n: "<div>\n" + "<a 日本 " * (n // 10) + ">\n</div>\n", 60_000, 60_000),
    "an ordinary post": (lambda n: "これは日本語の段落です。二つ目の文があります。\n\n" * (n // 74), 20_000_000, 4_000_000),
}


def hostile(tmp: Path, quick: bool) -> dict[str, Any]:
    """7. Posts built to be slow, translated by the identity engine at their full size and at a
    quarter of it: in linear time the time per byte is the same (ratio 1)."""
    results: dict[str, Any] = {}
    for i, (name, (body, full, quick_size)) in enumerate(HOSTILE.items()):
        size = quick_size if quick else full
        seconds = []
        for n in (size // 4, size):
            folder = tmp / f"{i}-{n}"
            source = folder / "ja"
            source.mkdir(parents=True)
            post = source / "2020-01-01-hostile.md"
            post.write_text(f"---\ntitle: テスト\n---\n\n{body(n)}", encoding="utf-8")
            runs: list[float] = []
            # the best of 3 (a run of a tenth of a second is at the mercy of a busy machine),
            # or of 1 for a run that takes seconds
            while len(runs) < 3 and (not runs or runs[0] < 1):
                settings = bench_settings(folder / f"run{len(runs)}", source, "identity")
                fresh_caches()  # else a run after the first reads its HTML block's events from the cache
                started = time.perf_counter()
                report = Translator(settings, create_engine("identity"), MemoryCache()).run([post])
                runs.append(time.perf_counter() - started)
                if failures(report):
                    return {"error": f"{name}: {failures(report)}"}
            seconds.append(min(runs))
        results[name] = {"bytes": size, "seconds": seconds[1], "quarter_seconds": seconds[0], "ratio": seconds[1] / (4 * seconds[0])}
    return results


def measure(ctx: Context) -> Results:
    ctx.step("8. hostile posts: full size and a quarter, identity engine")
    return {"hostile": hostile(ctx.tmp / "hostile", ctx.quick)}


def rows(results: Results) -> list[Row]:
    hostile_posts = results.get("hostile", {})
    if "error" in hostile_posts:
        return [{"figure": "8. Hostile posts", "measured": hostile_posts["error"], "baseline": "", "ratio": "", "target": "", "met": False}]
    return [
        {
            "figure": f"8. Hostile post, {name} ({h['bytes']:,} bytes): identity run vs 4 × the run at a quarter of its size",
            "measured": f"{h['seconds']:.2f} s",
            "baseline": f"4 × {h['quarter_seconds']:.2f} s",
            "ratio": f"{h['ratio']:.2f}x",
            "target": "≤ 1.5x (linear)",
            "met": h["ratio"] <= 1.5,
        }
        for name, h in hostile_posts.items()
    ]


FIGURE = Figure(8, "hostile posts", measure, rows)
