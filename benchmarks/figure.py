"""What a figure is, and what every figure is given: the run's size, the corpus, a temporary
folder, and the work figures share (the tree runs of figures 2 and 5, the cold run of
figures 3 and 4), done once by whichever figure asks first."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from benchmarks.table import Row

Results = dict[str, Any]  # what a figure measured, by its key in the results JSON
T = TypeVar("T")


@dataclass(frozen=True)
class Size:
    tree: int  # posts in the synthetic tree (no-op and memory figures)
    small_tree: int  # the tree memory is compared against
    corpus: int | None  # corpus files for overhead and round trips (None: all)
    naive: int  # texts the one-per-request baseline really sends (the rest is extrapolated)
    repeats: int  # overhead: best of this many runs of each side


FULL = Size(tree=1000, small_tree=100, corpus=None, naive=100, repeats=3)
QUICK = Size(tree=200, small_tree=20, corpus=40, naive=20, repeats=1)


@dataclass
class Context:
    """One benchmark run, as the figures see it."""

    size: Size
    quick: bool
    corpus: Path  # the corpus folder
    files: list[Path]  # its first `size.corpus` files: overhead, round trips, leftovers
    tmp: Path  # deleted after the run: every figure writes under a folder of its own here
    resources: ExitStack  # closed after the last figure (the test servers a figure starts)
    started: float = field(default_factory=time.perf_counter)
    shared: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str) -> None:
        """Progress, on stderr."""
        print(f"[{time.perf_counter() - self.started:6.1f} s] {name}", file=sys.stderr, flush=True)

    def once(self, name: str, make: Callable[[], T]) -> T:
        """`make()`'s value, made by the first figure that needs it and kept for the others."""
        if name not in self.shared:
            self.shared[name] = make()
        return cast(T, self.shared[name])


@dataclass(frozen=True)
class Figure:
    """A numbered figure: `measure` returns its entries of the results JSON; `rows` reads its
    rows of the table from all the results (a figure's rows may use another's entries)."""

    number: int
    name: str
    measure: Callable[[Context], Results]
    rows: Callable[[Results], list[Row]]
