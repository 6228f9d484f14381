"""Incremental runs from committed state: a fresh clone bills exactly what changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import make_site, run_cli

import pipeline.stages
from pipeline.glossary import load_glossary
from pipeline.inline import protect_plain

POST = "2025-09-30-aws-ai-revenue.md"
OLD = "でもね、今回のAWSのケースは、ただのバズワードで終わる話ではない、と直感しました。"
NEW = "でもね、今回のAWSの事例は、ただのバズワードで終わる話ではない、と私は直感しました。"


@pytest.fixture
def site(translated_site: Path) -> Path:
    return translated_site


def fresh_clone(site: Path) -> None:
    """What a CI runner has: the committed tree, no cache."""
    shutil.rmtree(site / ".cache")


def edit_paragraph(site: Path) -> str:
    path = site / "content" / "ja" / POST
    text = path.read_text(encoding="utf-8")
    assert text.count(OLD) == 1
    path.write_text(text.replace(OLD, NEW), encoding="utf-8")
    paragraph = next(p for p in path.read_text(encoding="utf-8").split("\n\n") if NEW in p)
    return paragraph


def test_fresh_clone_bills_exactly_the_edited_paragraph(site: Path, deepl_env) -> None:
    fresh_clone(site)
    paragraph = edit_paragraph(site)
    assert run_cli("check").exit_code == 1
    deepl_env.reset_log()
    result = run_cli("translate")
    assert result.exit_code == 0, result.stderr
    keep = load_glossary(site / "glossary").keep_pattern
    assert deepl_env.texts_sent == [protect_plain(paragraph, keep).xml]
    # DeepL bills the text outside the tags: exactly the paragraph
    assert deepl_env.billed_characters == len(paragraph)
    assert run_cli("check").exit_code == 0
    edition = (site / "content" / "en" / POST).read_text(encoding="utf-8")
    assert "EN: " + NEW[:10] in edition


def test_noop_run_sends_nothing_and_parses_nothing(site: Path, deepl_env, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_clone(site)
    calls: list[str] = []
    real_split = pipeline.stages.split_post
    monkeypatch.setattr(pipeline.stages, "split_post", lambda post, *a, **kw: calls.append(post.body[:20]) or real_split(post, *a, **kw))
    deepl_env.reset_log()
    result = run_cli("translate")
    assert result.exit_code == 0
    assert deepl_env.translate_requests == [] and calls == []
    assert "0 written, 2 up to date" in result.stdout


def test_status_and_check_agree_with_translate(site: Path, deepl_env) -> None:
    edit_paragraph(site)
    (site / "content" / "ja" / "2026-01-01-new.md").write_text("---\ntitle: 新しい記事\n---\n\n本文です。\n", encoding="utf-8")
    status = json.loads(run_cli("status", "--json").stdout)
    states = {Path(p["source"]).name: p["state"] for p in status["posts"]}
    assert states == {POST: "stale", "2025-12-25-amazon-trillion-yen-ai-infrastructure.md": "up-to-date", "2026-01-01-new.md": "new"}
    check = run_cli("check")
    assert check.exit_code == 1 and "stale" in check.stdout and "new" in check.stdout
    report = site / "r.json"
    assert run_cli("translate", "--report", str(report)).exit_code == 0
    done = {Path(p["source"]).name: p["status"] for p in json.loads(report.read_text())["posts"]}
    assert done == {POST: "written", "2025-12-25-amazon-trillion-yen-ai-infrastructure.md": "up-to-date", "2026-01-01-new.md": "written"}
    assert run_cli("check").exit_code == 0


def test_orphans_are_reported_and_pruned(site: Path, deepl_env) -> None:
    (site / "content" / "ja" / POST).unlink()
    status = json.loads(run_cli("status", "--json").stdout)
    assert status["counts"]["orphaned"] == 1
    assert (site / "content" / "en" / POST).exists(), "an orphan is left in place without --prune"
    assert run_cli("check").exit_code == 1, "a deleted post still published fails the gate"
    result = run_cli("translate", "--prune")
    assert result.exit_code == 0
    assert not (site / "content" / "en" / POST).exists()
    assert not (site / "translations" / (POST + ".json")).exists()


def test_shards_cover_every_post_exactly_once(tmp_path: Path) -> None:
    from pipeline.survey import shard

    posts = [Path(f"content/ja/2025-01-{i:02d}-p.md") for i in range(1, 24)]
    shares = [shard(posts, k, 4) for k in range(1, 5)]
    assert sorted(p for s in shares for p in s) == sorted(posts)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert shares == [shard(list(reversed(posts)), k, 4) for k in range(1, 5)]


def test_shard_option_translates_only_its_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "-e", "identity", "--shard", "2/2").exit_code == 0
    assert [p.name for p in (tmp_path / "content" / "en").glob("*.md")] == ["2025-12-25-amazon-trillion-yen-ai-infrastructure.md"]
    assert run_cli("translate", "-e", "identity", "--shard", "3/2").exit_code == 2
