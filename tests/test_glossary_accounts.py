"""One DeepL account, several trees (issue 25): a run never deletes a glossary another tree
may be using (only our own older than `STALE_GLOSSARY_AGE`, under the run lock), and a
glossary deleted mid-run is made again and the request asked once more."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import deepl
import pytest
from deepl_server import DeepLTestServer
from helpers import make_site, run_cli


def _two_hours_ago() -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _other_tree(root: Path) -> Path:
    """A second blog: the same posts, one term more (so its own glossary)."""
    make_site(root)
    with (root / "glossary" / "terms.tsv").open("a", encoding="utf-8") as handle:
        handle.write("term\t半導体\tsemiconductor\t\n")
    return root


def test_two_trees_on_one_account_both_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer) -> None:
    first, second = make_site(tmp_path / "first"), _other_tree(tmp_path / "second")
    env = {**os.environ, "DEEPL_AUTH_KEY": deepl_env.auth_key, "DEEPL_SERVER_URL": deepl_env.url}
    runs: list[subprocess.CompletedProcess[str]] = []
    started: list[bool] = []

    def second_tree_runs_meanwhile(text: str, params: dict[str, Any]) -> str:
        if not started:  # the first tree's first request: the second tree runs from start to end
            started.append(True)
            runs.append(
                subprocess.run([sys.executable, "-m", "pipeline", "translate"], cwd=second, env=env, capture_output=True, text=True)
            )
        return "EN: " + text

    deepl_env.set_translator(second_tree_runs_meanwhile)
    monkeypatch.chdir(first)
    result = run_cli("translate", "--jobs", "1")
    assert runs and runs[0].returncode == 0, runs[0].stdout + runs[0].stderr if runs else "the second tree never ran"
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(deepl_env.glossaries) == 2 and deepl_env.glossaries_deleted == 0
    used = {r.body.get("glossary_id") for r in deepl_env.translate_requests}
    assert used == set(deepl_env.glossaries)  # each tree its own glossary, from start to end
    assert len(list((first / "content" / "en").glob("*.md"))) == 2 and len(list((second / "content" / "en").glob("*.md"))) == 2


def test_a_glossary_deleted_mid_run_is_made_again_and_the_request_asked_once_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer
) -> None:
    make_site(tmp_path)
    client = deepl.Translator(deepl_env.auth_key, server_url=deepl_env.url)
    deleted: list[str] = []

    def deleted_while_answering(text: str, params: dict[str, Any]) -> str:
        if not deleted:  # someone else (an older version of us, a person) deletes it
            deleted.append(params["glossary_id"])
            client.delete_glossary(params["glossary_id"])
        return "EN: " + text

    deepl_env.set_translator(deleted_while_answering)
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--jobs", "1")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert deepl_env.glossaries_created == 2
    (remade,) = deepl_env.glossaries
    ids = [r.body.get("glossary_id") for r in deepl_env.translate_requests]
    assert ids[0] == deleted[0] and ids[-1] == remade and remade != deleted[0]
    refused = [r for r in deepl_env.requests if r.path == "/v2/translate" and r.status == 400]
    assert len(refused) == 1 and refused[0].body.get("glossary_id") == deleted[0]  # asked once more, not again and again


def test_only_our_glossaries_older_than_the_grace_period_are_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer
) -> None:
    old = deepl_env.add_glossary("pipeline-0ld", "ja", "en", {"猫": "cat"})
    old.creation_time = _two_hours_ago()
    fresh = deepl_env.add_glossary("pipeline-fresh", "ja", "en", {"犬": "dog"})
    someone_elses = deepl_env.add_glossary("team-terms", "ja", "en", {"鳥": "bird"})
    someone_elses.creation_time = _two_hours_ago()
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate").exit_code == 0
    names = {g.name for g in deepl_env.glossaries.values()}
    assert "pipeline-0ld" not in names and {"pipeline-fresh", "team-terms"} <= names, names
    assert fresh.glossary_id in deepl_env.glossaries


def test_the_run_lock_is_held_before_any_glossary_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer
) -> None:
    """A second run in the same tree waits at the lock before it touches any glossary."""
    from pipeline.cli.common import run_lock
    from pipeline.config import Settings

    old = deepl_env.add_glossary("pipeline-0ld", "ja", "en", {"猫": "cat"})
    old.creation_time = _two_hours_ago()
    make_site(tmp_path)
    env = {**os.environ, "DEEPL_AUTH_KEY": deepl_env.auth_key, "DEEPL_SERVER_URL": deepl_env.url}
    with run_lock(Settings(root=tmp_path)):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "translate"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
        )
        assert waiting.stderr is not None
        said = waiting.stderr.readline()
        assert "waiting for it to finish" in said, said
        assert old.glossary_id in deepl_env.glossaries and not [r for r in deepl_env.requests if "glossaries" in r.path]
    assert waiting.wait(timeout=120) == 0, waiting.stderr.read()
    assert old.glossary_id not in deepl_env.glossaries  # once it holds the lock, the stale one goes
