"""5. Peak RSS of the full identity run over the tree, against the same over its first posts."""

from __future__ import annotations

from benchmarks.figure import Figure, Results
from benchmarks.figures.tree import tree_runs
from benchmarks.table import Row, mib


def rows(results: Results) -> list[Row]:
    big, small = results["tree"], results["small_tree"]
    mem_ratio = big["peak_rss_kib"] / small["peak_rss_kib"]
    return [
        {
            "figure": f"5. Memory: peak RSS, {big['posts']}-post tree vs {small['posts']}-post tree (identity, disk cache)",
            "measured": mib(big["peak_rss_kib"]),
            "baseline": mib(small["peak_rss_kib"]),
            "ratio": f"{mem_ratio:.2f}x",
            "target": "< 1.5x",
            "met": mem_ratio < 1.5 and not big["failures"],
        }
    ]


FIGURE = Figure(5, "memory", tree_runs, rows)
