"""`pipeline check` fails on everything `translate` would fail on or change: orphaned
editions (a deleted post still published) and editions that need a manual merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SAMPLES, make_site, run_cli

POST = SAMPLES[0].name


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    assert run_cli("check", "--engine", "pseudo").exit_code == 0
    return tmp_path


def test_check_fails_on_an_orphaned_edition(site: Path) -> None:
    (site / "content" / "ja" / POST).unlink()
    result = run_cli("check", "--engine", "pseudo")
    assert result.exit_code == 1
    assert f"orphaned: content/en/{POST}" in result.stdout and "--prune" in result.stdout
    assert run_cli("translate", "--engine", "pseudo", "--prune").exit_code == 0
    assert run_cli("check", "--engine", "pseudo").exit_code == 0


def test_prune_dry_run_lists_what_it_would_delete_and_deletes_nothing(site: Path) -> None:
    (site / "content" / "ja" / POST).unlink()
    result = run_cli("translate", "--engine", "pseudo", "--prune", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"would prune content/en/{POST}" in result.stdout
    assert f"would prune translations/{POST}.json" in result.stdout
    assert (site / "content" / "en" / POST).is_file() and (site / "translations" / f"{POST}.json").is_file()


def test_check_fails_on_an_edition_that_needs_a_manual_merge(site: Path) -> None:
    edition = site / "content" / "en" / POST
    paragraphs = edition.read_text(encoding="utf-8").split("\n\n")
    edition.write_text("\n\n".join(paragraphs[:5] + [paragraphs[5] + " " + paragraphs[6]] + paragraphs[7:]), encoding="utf-8")
    translate = run_cli("translate", "--engine", "pseudo")
    assert translate.exit_code == 1 and "manual merge" in translate.stdout
    status = json.loads(run_cli("status", "--engine", "pseudo", "--json").stdout)
    assert {Path(p["source"]).name: p["state"] for p in status["posts"]}[POST] == "needs-merge"
    result = run_cli("check", "--engine", "pseudo")
    assert result.exit_code == 1
    assert f"needs-merge: content/ja/{POST}" in result.stdout and "split or merged" in result.stdout


def test_status_says_a_restructured_edition_needs_a_merge_when_its_source_changed_too(site: Path) -> None:
    """www.ruby-lang.org, replayed: a translator added paragraphs to an English post in the
    push that also changed the Japanese. `translate` refused it (paragraphs split or merged),
    `status` called it `stale` with "a translator's edits …: kept", which a run would not do."""
    edition = site / "content" / "en" / POST
    paragraphs = edition.read_text(encoding="utf-8").split("\n\n")
    edition.write_text("\n\n".join(paragraphs[:5] + [paragraphs[5] + " " + paragraphs[6]] + paragraphs[7:]), encoding="utf-8")
    source = site / "content" / "ja" / POST
    source.write_text(source.read_text(encoding="utf-8") + "\n追加の段落です。\n", encoding="utf-8")
    translate = run_cli("translate", "--engine", "pseudo")
    assert translate.exit_code == 1 and "split or merged" in translate.stderr, translate.stderr
    status = json.loads(run_cli("status", "--engine", "pseudo", "--json").stdout)
    (mine,) = [p for p in status["posts"] if Path(p["source"]).name == POST]
    assert mine["state"] == "needs-merge" and "split or merged" in mine["reason"], mine


def test_an_english_post_the_pipeline_did_not_write_is_no_orphan(site: Path) -> None:
    """www.ruby-lang.org's `en/news/_posts` holds hundreds of English posts with no Japanese
    source: written by people, never by the pipeline (no state record). They are no orphans:
    `check` passes, no run names them, and `--prune` once deleted every one of them."""
    english_only = site / "content" / "en" / "2020-01-01-english-only.md"
    english_only.write_text("---\ntitle: English only\n---\n\nWritten in English by a person.\n", encoding="utf-8")
    assert run_cli("check", "--engine", "pseudo").exit_code == 0
    ran = run_cli("translate", "--engine", "pseudo", "--prune")
    assert ran.exit_code == 0 and "english-only" not in ran.stdout, ran.stdout
    assert english_only.is_file()
    (site / "content" / "ja" / POST).unlink()  # a post the pipeline did write still goes with its source
    assert run_cli("translate", "--engine", "pseudo", "--prune").exit_code == 0
    assert not (site / "content" / "en" / POST).exists() and english_only.is_file()
