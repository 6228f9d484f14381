"""The house kept tidy by tools: ruff (lint, format, McCabe complexity at most 10) and the
rules no tool checks for us (no function over 60 lines, a reason beside every exception to
a rule). mypy --strict runs in test_types.py. Settings live in pyproject.toml."""

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
