"""The benchmark harness still runs: a smoke run (`--quick`) of every figure.

Why: the figures are measured rarely, by hand, so a change that breaks the harness (a state
check that refuses its staging, an import that moved) went unseen until the next measurement.
Timing is never asserted here: speed targets live in the benchmark's own table.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIGURES = ("overhead", "tree", "small_tree", "round_trips", "billing", "leftovers", "real_sites", "hostile")


@pytest.mark.skipif(shutil.which("jekyll") is None, reason="figure 7 builds sites with Jekyll (scripts/test.sh installs it as root on Debian)")
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
