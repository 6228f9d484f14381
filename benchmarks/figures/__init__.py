"""The figures, in the order they run and appear in the table. Adding one: a module here
that defines `FIGURE = Figure(number, name, measure, rows)`, and its line below."""

from __future__ import annotations

from benchmarks.figure import Figure
from benchmarks.figures import billing, hostile, leftovers, memory, noop, overhead, requests, sites

FIGURES: tuple[Figure, ...] = (
    overhead.FIGURE,
    noop.FIGURE,
    requests.FIGURE,
    billing.FIGURE,
    memory.FIGURE,
    leftovers.FIGURE,
    sites.FIGURE,
    hostile.FIGURE,
)
