"""File names are data, not Markdown: the summaries that become a pull request's body show
a hostile name as text, never as a link or an image."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import SAMPLES, make_site, run_cli
from markdown_it import MarkdownIt

NAME = "2025-01-01-x`[click](evil.example)![i](evil.png)` | **b**.md"


def _inline_tokens(markdown: str) -> list:
    parser = MarkdownIt("commonmark").enable("table")
    return [child for token in parser.parse(markdown) if token.children for child in token.children]


def _assert_inert(markdown: str) -> None:
    tokens = _inline_tokens(markdown)
    assert not [t for t in tokens if t.type in ("link_open", "image", "html_inline")], markdown
    bold = [b for a, b in zip(tokens, tokens[1:]) if a.type == "strong_open"]
    assert not [t for t in bold if t.content == "b"], markdown
    # GitHub reads `\|` inside a table cell's code span as `|` (GFM spec, tables extension)
    assert any(t.type == "code_inline" and NAME in t.content.replace("\\|", "|") for t in tokens), markdown


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_site(tmp_path, [])
    shutil.copy(SAMPLES[0], tmp_path / "content" / "ja" / NAME)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_run_summary_escapes_file_names(hostile: Path) -> None:
    result = run_cli("translate", "--engine", "pseudo", "--summary", "summary.md")
    assert result.exit_code == 0, result.stderr
    _assert_inert((hostile / "summary.md").read_text(encoding="utf-8"))


def test_the_run_summary_escapes_names_in_errors(hostile: Path) -> None:
    (hostile / "content" / "ja" / NAME).write_bytes(b"\xff not UTF-8")
    result = run_cli("translate", "--engine", "pseudo", "--summary", "summary.md")
    assert result.exit_code == 1
    _assert_inert((hostile / "summary.md").read_text(encoding="utf-8"))


def test_the_review_summary_escapes_file_names(hostile: Path) -> None:
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    result = run_cli("review")  # the posts the last run wrote
    assert result.exit_code == 0, result.stdout
    _assert_inert((hostile / ".cache" / "pipeline" / "review" / "summary.md").read_text(encoding="utf-8"))
