"""The house kept tidy by tools: ruff (lint, format, McCabe complexity at most 10) and the
rules no tool checks for us (no function over 60 lines, no module over 700, a benchmark
runner of at most 300, a reason beside every exception to a rule). mypy --strict runs in
test_types.py. Settings live in pyproject.toml."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pipeline"
BENCHMARKS = ROOT / "benchmarks"  # held to the same rules: its figures are code we read and change too
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 700
MAX_RUNNER_LINES = 300  # benchmarks/run.py: one runner; each figure is its own module
needs_ruff = pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed (pip install -e '.[test]')")


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def _sources() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *BENCHMARKS.rglob("*.py")])


@needs_ruff
def test_ruff_finds_nothing() -> None:
    result = _ruff("check", "--no-cache", "pipeline", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_ruff
def test_ruff_format_would_change_nothing() -> None:
    result = _ruff("format", "--no-cache", "--check", "pipeline", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_longer_than_seven_hundred_lines() -> None:
    """A module past 700 lines holds more than one concept: split it along its seams (as
    `pipeline.site` is: build, pages, checks), so each can be read on its own."""
    modules = [path for folder in (PACKAGE, BENCHMARKS) for path in sorted(folder.rglob("*.py"))]
    assert len(modules) > 10  # the walk sees the package, so an empty list means something
    long = [f"{path.relative_to(ROOT)} ({_lines(path)} lines)" for path in modules if _lines(path) > MAX_MODULE_LINES]
    assert long == [], f"modules over {MAX_MODULE_LINES} lines: " + ", ".join(long)


def test_the_benchmark_runner_is_at_most_three_hundred_lines() -> None:
    lines = _lines(BENCHMARKS / "run.py")
    assert lines <= MAX_RUNNER_LINES, f"benchmarks/run.py ({lines} lines) is over {MAX_RUNNER_LINES}: a figure belongs in its own module"


def test_every_exception_to_a_rule_says_why() -> None:
    """`# noqa: CODE` and `# type: ignore[code]` each carry a comment after them saying why."""
    bare = re.compile(r"#\s*(?:noqa(?::\s*[A-Z]+[0-9]+(?:,\s*[A-Z]+[0-9]+)*)?|type:\s*ignore(?:\[[^\]]*\])?)\s*$")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if bare.search(line)
    ]
    assert found == []
