"""The benchmark harness still runs: a smoke run (`--quick`) of every figure.

Why: the figures are measured rarely, by hand, so a change that breaks the harness (a state
check that refuses its staging, an import that moved) went unseen until the next measurement.
Timing is never asserted here: speed targets live in the benchmark's own table.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIGURES = ("overhead", "tree", "small_tree", "round_trips", "billing", "leftovers", "real_sites", "hostile", "workers", "one_post")


@pytest.mark.skipif(
    shutil.which("jekyll") is None, reason="figure 7 builds sites with Jekyll (scripts/test.sh installs it as root on Debian)"
)
def test_every_figure_runs_in_a_quick_run(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    missing = [name for name in FIGURES if name not in results]
    assert not missing, missing
    errors = [row["figure"] for row in results["table"] if "error" in str(row.get("measured", "")).lower()]
    assert not errors, errors
    # the one figure that is a count, not a time: editing one paragraph bills exactly its length
    assert results["billing"]["billed_characters"] == results["billing"]["paragraph_billable"] > 0, results["billing"]


def test_figure_runs_only_the_figures_named(tmp_path: Path) -> None:
    """`--figure N` (figure 1, the quickest) measures and tabulates that figure alone."""
    out = tmp_path / "one.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--figure", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert [name for name in FIGURES if name in results] == ["overhead"]
    assert [row["figure"][:2] for row in results["table"]] == ["1."]


def test_every_figure_module_is_in_the_registry() -> None:
    """A module of benchmarks/figures/ that defines a FIGURE is listed in FIGURES (else it never
    runs), and no two figures share a number (else `--figure N` picks both)."""
    script = (
        "import importlib, pathlib, json\n"
        "from benchmarks.figures import FIGURES\n"
        "names = sorted(p.stem for p in pathlib.Path('benchmarks/figures').glob('*.py') if p.stem != '__init__')\n"
        "defined = [getattr(importlib.import_module(f'benchmarks.figures.{n}'), 'FIGURE', None) for n in names]\n"
        "print(json.dumps({'missing': [n for n, f in zip(names, defined) if f is not None and f not in FIGURES],\n"
        "                  'numbers': [f.number for f in FIGURES]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout)
    assert found["missing"] == []
    assert len(found["numbers"]) == len(set(found["numbers"])) >= 8


def test_compare_times_checkouts_in_turns_and_refuses_another_folder(tmp_path: Path) -> None:
    """`benchmarks/compare.py`: one line per checkout, with what each run measured."""
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "compare.py"), str(REPO), str(REPO), "--turns", "2", "--posts", "16", "--busy"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{REPO}: wall median ") for line in lines), done.stdout
    shape = re.compile(
        r".*: wall median [\d.]+ s \[[\d.]+, [\d.]+\], CPU median [\d.]+ s, machine busy median [\d.]+ core-s; threads: main "
    )
    assert all(shape.match(line) for line in lines), done.stdout
    assert all("workers (processes) " in line for line in lines), done.stdout  # 16 posts (270 KB) start the pool
    refused = subprocess.run([sys.executable, str(REPO / "benchmarks" / "compare.py"), str(tmp_path)], capture_output=True, text=True)
    assert refused.returncode == 2 and f"not a checkout of this project: {tmp_path}" in refused.stderr
