"""The run's summary says what happened (issue 24): what needed no translation, what was
re-translated and why, what was left behind; nothing of it garbled."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import SAMPLES, make_site, run_cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


COUNTS = re.compile(r"(\d+) segments, (\d+) with nothing to translate, (\d+) reused or from cache")


def test_segments_with_no_japanese_are_nothing_to_translate_not_reused(project: Path) -> None:
    """A first run has nothing to reuse; the segments with no Japanese (an English-only
    paragraph, an image) were counted as "reused or from cache"."""
    first = run_cli("translate", "--engine", "pseudo", "--report", "first.json")
    assert first.exit_code == 0, first.stderr
    found = COUNTS.search(first.stdout)
    assert found is not None, first.stdout
    segments, nothing, reused = map(int, found.groups())
    assert nothing > 0 and reused < segments - nothing, first.stdout
    report = json.loads((project / "first.json").read_text(encoding="utf-8"))
    assert sum(p["nothing_to_translate"] for p in report["posts"]) == nothing
    again = run_cli("translate", "--engine", "pseudo", "--force")
    assert COUNTS.search(again.stdout).groups() == (str(segments), str(nothing), str(segments - nothing)), again.stdout  # type: ignore[union-attr]


def test_a_post_with_no_japanese_has_nothing_to_translate(project: Path) -> None:
    post = project / "content" / "ja" / "2024-03-14-groonga-14.0.1.md"
    post.write_text("---\ntitle: Groonga 14.0.1\n---\n\nGroonga 14.0.1 is out.\n\n![logo](logo.png)\n", encoding="utf-8")
    result = run_cli("translate", "--engine", "pseudo", str(post))
    assert result.exit_code == 0, result.stderr
    assert "3 segments, 3 with nothing to translate, 0 reused or from cache" in result.stdout, result.stdout


def test_an_engine_switch_says_it_re_translated(project: Path) -> None:
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    switched = run_cli("translate", "--engine", "identity")
    assert switched.exit_code == 0
    assert f"re-translated {len(SAMPLES)} post(s) built with the pseudo engine (now identity)" in switched.stdout, switched.stdout


def test_a_rebuild_with_the_same_english_is_not_up_to_date(project: Path, deepl_env) -> None:
    """Engine settings changed (formality): every post is sent again and comes back the same;
    the summary said "0 written, 2 up to date" of a run that re-translated both."""
    assert run_cli("translate").exit_code == 0
    (project / "pipeline.toml").write_text('[deepl]\nformality = "prefer_more"\n', encoding="utf-8")
    again = run_cli("translate")
    assert again.exit_code == 0, again.stderr
    assert deepl_env.translate_requests, "the posts were sent again"
    assert f"0 written, {len(SAMPLES)} re-translated to the same English, 0 up to date" in again.stdout, again.stdout


def test_a_dry_run_without_prices_names_the_setting(project: Path) -> None:
    """`[openai]` was read as console markup and vanished: "set  input_price"."""
    result = run_cli("translate", "--engine", "openai", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "set [openai] input_price and output_price" in result.stdout, result.stdout


def test_translate_mentions_orphaned_editions(project: Path) -> None:
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    gone = SAMPLES[0].name
    (project / "content" / "ja" / gone).unlink()
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 0
    assert f"content/en/{gone}" in result.stdout and "--prune" in result.stdout, result.stdout
    pruned = run_cli("translate", "--engine", "pseudo", "--prune")
    assert "orphaned" not in pruned.stdout, pruned.stdout
