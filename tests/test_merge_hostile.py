"""`merge-shards` reads artifacts that a CI job uploaded: whatever is in one, the merge copies
only regular files from inside it into the tree, refuses posts named outside the tree, reads
any report without a traceback, and cleans up after a merge that was killed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import make_site, run_cli

from pipeline.post import TEMP_SUFFIX

SECRET = "a file outside the artifact, never to be copied"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = make_site(tmp_path / "site")
    monkeypatch.chdir(site)
    return site


@pytest.fixture
def artifact(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One shard's artifact: the editions, state and report of an identity run on a copy."""
    work = tmp_path / "shard"
    shutil.copytree(site, work)
    monkeypatch.chdir(work)
    assert run_cli("translate", "--engine", "identity", "--report", "report.json").exit_code == 0
    monkeypatch.chdir(site)
    folder = tmp_path / "artifact"
    folder.mkdir()
    for name in ("content/en", "translations"):
        shutil.copytree(work / name, folder / name)
    shutil.copy(work / "report.json", folder / "report.json")
    return folder


def _one_error(args: list[str]) -> str:
    result = run_cli("merge-shards", *args)
    assert result.exit_code != 0, result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_the_artifact_merges(site: Path, artifact: Path) -> None:
    result = run_cli("merge-shards", str(artifact))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (site / "content" / "en").glob("*.md")) == sorted(
        p.name for p in (artifact / "content" / "en").glob("*.md")
    )


def test_a_symlink_in_the_artifact_is_refused(site: Path, artifact: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(SECRET, encoding="utf-8")
    edition = next((artifact / "content" / "en").glob("*.md"))
    edition.unlink()
    edition.symlink_to(secret)
    error = _one_error([str(artifact)])
    assert "a symlink in the artifact" in error and edition.name in error, error
    assert not any(SECRET in p.read_text(encoding="utf-8") for p in (site / "content" / "en").rglob("*.md"))


def test_a_post_outside_the_tree_is_refused(site: Path, artifact: Path) -> None:
    report = json.loads((artifact / "report.json").read_text(encoding="utf-8"))
    report["posts"][0]["post"] = "../../../outside.md"
    (artifact / "report.json").write_text(json.dumps(report), encoding="utf-8")
    error = _one_error([str(artifact)])
    assert "names a post outside the tree" in error and "outside.md" in error, error


def test_a_deeply_nested_report_is_one_line(site: Path, artifact: Path) -> None:
    (artifact / "report.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    error = _one_error([str(artifact)])
    assert "not a run report" in error and "report.json" in error, error


def test_a_temp_file_left_by_a_killed_merge_is_removed_by_the_next(site: Path, artifact: Path) -> None:
    left = site / "content" / "en" / f".2026-01-01-x.md.k1ll3d{TEMP_SUFFIX}"
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_text("half a file", encoding="utf-8")
    result = run_cli("merge-shards", str(artifact))
    assert result.exit_code == 0, result.stderr
    assert not left.exists() and "left by a run that was killed" in result.stderr


def test_a_state_file_orphaned_by_a_killed_prune_is_removed_by_the_next(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli("translate", "--engine", "identity").exit_code == 0
    post = next((site / "content" / "ja").glob("*.md"))
    post.unlink()
    (site / "content" / "en" / post.name).unlink()  # a prune killed after the edition, before its state
    state = site / "translations" / f"{post.name}.json"
    assert state.is_file()
    result = run_cli("translate", "--engine", "identity", "--prune")
    assert result.exit_code == 0, result.stderr
    assert not state.exists() and f"pruned translations/{post.name}.json" in result.stdout
