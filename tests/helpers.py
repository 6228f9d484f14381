"""Shared test helpers: a throwaway copy of the repository's content, and CLI invocation."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from pipeline.cli import app

if TYPE_CHECKING:
    import pytest
    from deepl_server import DeepLTestServer

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted((REPO / "content" / "ja").glob("*.md"))
# the 170 corpus documents (tests/fixtures/corpus) and the sample posts
CORPUS_AND_SAMPLES = sorted((REPO / "tests" / "fixtures" / "corpus" / "ja").rglob("*.md")) + SAMPLES


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


# For tests that count DeepL's requests or tell texts apart by their words alone: DeepL's
# `context` puts each run of short segments in a request of its own, and the same heading in
# two posts (two contexts) under two cache keys.
NO_DEEPL_CONTEXT = "[deepl]\ncontext = false\n"


def make_site(root: Path, posts: list[Path] | None = None) -> Path:
    """A minimal project tree (content/ja + glossary) in `root`, like a fresh clone."""
    (root / "content" / "ja").mkdir(parents=True)
    for post in posts if posts is not None else SAMPLES:
        shutil.copy(post, root / "content" / "ja" / post.name)
    shutil.copytree(REPO / "glossary", root / "glossary")
    return root


def editions(site: Path) -> dict[str, bytes]:
    """Every English edition of the project at `site`, by file name: what a run wrote."""
    return {p.name: p.read_bytes() for p in sorted((site / "content" / "en").glob("*.md"))}


def reference_editions(site: Path, copy: Path, monkeypatch: pytest.MonkeyPatch, server: DeepLTestServer) -> dict[str, bytes]:
    """The editions a healthy server gives, from a copy of `site` (its own cache) translated
    in `copy`; back in `site` after, with the server's log cleared for the run under test."""
    shutil.copytree(site, copy)
    monkeypatch.chdir(copy)
    assert run_cli("translate").exit_code == 0
    monkeypatch.chdir(site)
    server.reset_log()
    return editions(copy)


def run_cli(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def has_jekyll() -> bool:
    """Whether Debian's jekyll is installed (the tests that build a site need it)."""
    from pipeline.site.build import find_jekyll

    try:
        find_jekyll()
    except Exception:
        return False
    return True
