"""The results table: a row per figure (or per part of one), rendered as Markdown for the
README's Performance section."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]  # figure, measured, baseline, ratio, target, met (True, False, or None: no target)


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def markdown_table(table: list[Row]) -> str:
    lines = ["| figure | measured | baseline | ratio | target | met |", "|---|---|---|---|---|---|"]
    for row in table:
        met = "—" if row["met"] is None else ("yes" if row["met"] else "**no**")
        lines.append(f"| {row['figure']} | {row['measured']} | {row['baseline']} | {row['ratio']} | {row['target']} | {met} |")
    return "\n".join(lines)
