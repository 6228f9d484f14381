"""What a translation run costs: overhead, no-op runs, round trips, billing and memory.

    .venv/bin/python benchmarks/run.py              # full run (1,000-post tree), about a minute on 2 cores
    .venv/bin/python benchmarks/run.py --quick      # smaller trees, figure 7 on its smallest site, about 35 s
    .venv/bin/python benchmarks/run.py --figure 3   # only figure 3 (repeatable)

Prints a Markdown table (paste it into README.md) and writes everything measured, with the
machine it ran on, to benchmarks/results/latest.json. Each figure is a ratio of two numbers
measured side by side in this one run; see benchmarks/README.md for what each one means.

This file is the runner only: each figure is a module of benchmarks/figures/ (listed in
benchmarks/figures/__init__.py), and what they share is in benchmarks/*.py.

Nothing here touches the repository: every tree, edition, state file and cache lives in a
temporary folder, and DeepL is tests/deepl_server.py started as a subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# This checkout's `pipeline`, first: works from a fresh clone without `pip install -e .`, and
# never measures another checkout's copy that an editable install points at.
sys.path.insert(0, str(REPO))

from benchmarks.figure import FULL, QUICK, Context, Figure, Results  # noqa: E402  (after the path above)
from benchmarks.figures import FIGURES  # noqa: E402  (after the path above)
from benchmarks.figures.tree import child_tree_run  # noqa: E402  (after the path above)
from benchmarks.inputs import corpus_files, find_corpus  # noqa: E402  (after the path above)
from benchmarks.machine import machine  # noqa: E402  (after the path above)
from benchmarks.table import Row, markdown_table  # noqa: E402  (after the path above)

RESULTS = REPO / "benchmarks" / "results" / "latest.json"
SITES_FIGURE = 7  # what --sites runs alone


def arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Benchmark the translation pipeline (see benchmarks/README.md).")
    ap.add_argument("--quick", action="store_true", help="smaller trees and samples, figure 7 on its smallest site (about 35 s)")
    ap.add_argument("--corpus", type=Path, help="folder of Japanese .md files (default: tests/fixtures/corpus/ja)")
    ap.add_argument("--json", type=Path, default=RESULTS, help=f"where to write the results (default: {RESULTS.relative_to(REPO)})")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--sites", action="store_true", help="only figure 7, the real Jekyll sites (needs Jekyll)")
    ap.add_argument(
        "--figure",
        type=int,
        action="append",
        metavar="N",
        choices=[f.number for f in FIGURES],
        help="run only figure N (repeatable): " + ", ".join(f"{f.number} {f.name}" for f in FIGURES),
    )
    ap.add_argument("--child-tree", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def chosen(numbers: list[int] | None) -> list[Figure]:
    """The figures asked for, in the registry's order (all of them when none is named)."""
    return [f for f in FIGURES if not numbers or f.number in numbers]


def measure(figures: list[Figure], args: argparse.Namespace, results: Results) -> list[Row]:
    """Run `figures` into `results`, in a temporary folder deleted afterwards; their table rows."""
    size = QUICK if args.quick else FULL
    corpus = Path(results["corpus"])
    files = corpus_files(corpus)[: size.corpus]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name, ExitStack() as resources:
        ctx = Context(size=size, quick=args.quick, corpus=corpus, files=files, tmp=Path(tmp_name), resources=resources)
        for figure in figures:
            results.update(figure.measure(ctx))
    return [row for figure in figures for row in figure.rows(results)]


def report(results: Results, table: list[Row], args: argparse.Namespace) -> None:
    """Write the results JSON, print the table and the machine it ran on."""
    results["table"] = table
    results["markdown"] = markdown_table(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    m = results["machine"]
    print(markdown_table(table))
    print()
    load = m.get("load_average")
    print(
        f"{m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}, Python {m['python']}, "
        f"markdown-it-py {m['markdown_it_py']}; {results['seconds']:.0f} s in all"
        + (" (--quick)" if args.quick else "")
        + (f"; load average {load[0]:.2f} before the run" if load else "")
    )
    try:
        shown = args.json.resolve().relative_to(Path.cwd())
    except ValueError:
        shown = args.json
    print(f"written to {shown}")


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.child_tree is not None:
        print(json.dumps(child_tree_run(args.child_tree, args.limit)))
        return 0

    started = time.perf_counter()
    results: dict[str, Any] = {"quick": args.quick, "corpus": str(find_corpus(args.corpus)), "machine": machine()}
    if args.sites:  # figure 7 alone: its table, no results file
        table = measure(chosen([SITES_FIGURE]), args, results)
        print(markdown_table(table))
        return 1 if args.check and any(r["met"] is False for r in table) else 0

    table = measure(chosen(args.figure), args, results)
    results["seconds"] = time.perf_counter() - started
    if hasattr(os, "getloadavg"):
        results["machine"]["load_average_after"] = list(os.getloadavg())
    report(results, table, args)
    return 1 if args.check and any(r["met"] is False for r in table) else 0


if __name__ == "__main__":
    sys.exit(main())
