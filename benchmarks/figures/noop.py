"""2. A no-op run over the tree, when every edition is up to date, against the full run."""

from __future__ import annotations

from benchmarks.figure import Figure, Results
from benchmarks.figures.tree import tree_runs
from benchmarks.table import Row


def rows(results: Results) -> list[Row]:
    big = results["tree"]
    noop_ratio = big["noop_seconds"] / big["full_seconds"]
    return [
        {
            "figure": f"2. No-op run vs full identity run ({big['posts']}-post tree)",
            "measured": f"{big['noop_seconds']:.2f} s",
            "baseline": f"{big['full_seconds']:.2f} s",
            "ratio": f"{noop_ratio:.1%}",
            "target": "≤ 5%",
            "met": noop_ratio <= 0.05 and big["noop_statuses"] == {"up-to-date": big["posts"]},
        }
    ]


FIGURE = Figure(2, "no-op run", tree_runs, rows)
