"""The CI workflow as a whole: its jobs run for real (tests/workflow_sim.py) in temporary
git repositories, with the translate matrix raised to N shards, against the DeepL test
server; nothing a shard writes may be lost when the pull-request job gathers them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import SAMPLES
from workflow_sim import Run, Workflow, copy_project, git

THIRD = "2026-01-05-shards.md"
THIRD_TEXT = """---
title: "分割して翻訳する"
tags: ["AI"]
---

翻訳を複数の機械に分けても、翻訳者の修正は一つも失われてはならない。

その仕組みを、実際の手順で確かめる。
"""


def posts(count: int) -> dict[str, str]:
    chosen = {p.name: p.read_text(encoding="utf-8") for p in SAMPLES}
    if count > len(chosen):
        chosen[THIRD] = THIRD_TEXT
    return chosen


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare `origin` whose `main` holds the site; posts are added by each test."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    return bare


def publish(origin: Path, work: Path, site_posts: dict[str, str], config: str | None = None) -> None:
    git(work.parent, "clone", "-q", origin.as_uri(), str(work))
    copy_project(work, site_posts, config)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "posts")
    git(work, "push", "-q", "origin", "HEAD:main")


def on_branch(origin: Path, path: str, branch: str = "english-editions") -> str | None:
    if not git(origin, "branch", "--list", branch).strip():
        return None
    listed = git(origin, "ls-tree", "--name-only", branch, "--", path).strip()
    return git(origin, "show", f"{branch}:{path}") if listed else None


LAYOUT, LOCALISED_LAYOUT = "layout: post\n", "layout: post-en\n"


def translator_edits(origin: Path, work: Path, site_posts: dict[str, str], output: str = "content/en") -> dict[str, str]:
    """A translator commits, on the editions branch, a new English for one paragraph of
    every post; returns post → that English."""
    git(work, "fetch", "-q", "origin", "english-editions")
    git(work, "checkout", "-q", "-B", "english-editions", "FETCH_HEAD")
    edits = {}
    for name, source in site_posts.items():
        paragraph = [p for p in source.split("---\n", 2)[2].split("\n\n") if p.strip()][1]
        edition = work / output / name
        text = edition.read_text(encoding="utf-8")
        machine = next(p for p in text.split("\n\n") if paragraph[:15] in p).strip("\n")
        edits[name] = f"A translator's English for the second paragraph of {name}."
        # and a front matter value the pipeline does not translate (issue 23: kept too)
        edition.write_text(text.replace(machine, edits[name]).replace(LAYOUT, LOCALISED_LAYOUT), encoding="utf-8")
    git(work, "commit", "-q", "-am", "translator: better English")
    git(work, "push", "-q", "origin", "english-editions")
    return edits


def assert_succeeded(run: Run) -> None:
    for log in run.logs:
        assert log.returncode == 0, f"{log.job}: {log.name} failed:\n{log.output}"
    assert not run.failed_jobs


def memory_on_branch(origin: Path) -> list[dict[str, str]]:
    text = on_branch(origin, "translations/memory.jsonl") or ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("shards", [2, 3])
def test_shards_merge_without_losing_anything(shards: int, origin: Path, tmp_path: Path, deepl_server) -> None:
    site_posts = posts(3)
    publish(origin, tmp_path / "dev", site_posts)
    workflow = Workflow(origin, tmp_path / "ci", {"DEEPL_AUTH_KEY": deepl_server.auth_key}, shards)

    with pytest.MonkeyPatch.context() as env:
        env.setenv("DEEPL_SERVER_URL", deepl_server.url)
        first = workflow.run()
        assert_succeeded(first)
        billed_first = deepl_server.billed_characters
        body = first.pull_request.body if first.pull_request else ""
        for name in site_posts:
            assert on_branch(origin, f"content/en/{name}") is not None, f"edition of {name} lost"
            assert on_branch(origin, f"translations/{name}.json") is not None, f"state of {name} lost"
            assert f"`{name}`" in body.split("### Translation review", 1)[1], f"review summary misses {name}"

        edits = translator_edits(origin, tmp_path / "dev", site_posts)
        second = workflow.run()
        assert_succeeded(second)

    assert deepl_server.billed_characters == billed_first, "the second push billed characters"
    memory = memory_on_branch(origin)
    for name, english in edits.items():
        assert english in (on_branch(origin, f"content/en/{name}") or ""), f"the translator's edit of {name} was lost"
        assert {"en": english, "origin": "human", "post": name} in [{k: m[k] for k in ("en", "origin", "post")} for m in memory], (
            f"the translation memory lost the translator's edit of {name}"
        )
        state = json.loads(on_branch(origin, f"translations/{name}.json") or "{}")
        assert [s["o"] for s in state["segments"]].count("human") == 1, f"the state of {name} forgot the edit"
        if LAYOUT in site_posts[name]:
            assert LOCALISED_LAYOUT in (on_branch(origin, f"content/en/{name}") or ""), f"the layout edit of {name} was lost"
            assert state["carried"], f"the state of {name} does not say the layout edit is kept"
    # the pull request adds the shards up: every post written, every billed character counted once
    assert f"**{len(site_posts)} edition(s) written** by {shards} shard(s)" in body, body
    assert f"{billed_first:,} characters billed" in body, body
    assert second.pull_request is not None
    assert "**0 edition(s) written**" in second.pull_request.body and " 0 characters billed" in second.pull_request.body
    assert f"`{THIRD}`" in second.pull_request.body  # the review still covers every shard's posts


def test_two_shards_keep_both_translators_edits_in_the_memory(origin: Path, tmp_path: Path, deepl_server, monkeypatch) -> None:
    """The reproduction of issue 18: one edit in each of the two sample posts, two shards;
    download-artifact's merge used to keep only the last shard's memory.jsonl."""
    site_posts = posts(2)
    publish(origin, tmp_path / "dev", site_posts)
    monkeypatch.setenv("DEEPL_SERVER_URL", deepl_server.url)
    workflow = Workflow(origin, tmp_path / "ci", {"DEEPL_AUTH_KEY": deepl_server.auth_key}, 2)
    assert_succeeded(workflow.run())
    edits = translator_edits(origin, tmp_path / "dev", site_posts)
    assert_succeeded(workflow.run())
    approved = {m["post"]: m["en"] for m in memory_on_branch(origin)}
    assert approved == edits


def test_the_summary_counts_segments_kept_in_japanese_and_glossary_misses(origin: Path, tmp_path: Path, deepl_server, monkeypatch) -> None:
    """An engine answer that breaks a segment's markup keeps the Japanese (flag `structure`):
    the pull request says how many, added up over the shards."""
    site_posts = posts(2)
    publish(origin, tmp_path / "dev", site_posts)
    monkeypatch.setenv("DEEPL_SERVER_URL", deepl_server.url)
    deepl_server.set_translator(lambda text, params: re.sub(r"<[^>]+>", "", text) if "<" in text else "English.")
    run = Workflow(origin, tmp_path / "ci", {"DEEPL_AUTH_KEY": deepl_server.auth_key}, 2).run()
    assert_succeeded(run)
    body = run.pull_request.body if run.pull_request else ""
    reports = [json.loads(files["report.json"]) for name, files in run.artifacts.items() if name.startswith("editions-")]
    kept = sum(p["kept_japanese"] for r in reports for p in r["posts"])
    misses = sum(p["glossary_misses"] for r in reports for p in r["posts"])
    assert kept > 0 and all(any(p["kept_japanese"] for p in r["posts"]) for r in reports)  # both shards kept some
    assert misses > 0 and all(any(p["glossary_misses"] for p in r["posts"]) for r in reports)
    assert f"{kept} segment(s) kept in Japanese" in body and f"{misses} glossary miss(es)" in body, body



def test_more_shards_than_posts(origin: Path, tmp_path: Path, deepl_server, monkeypatch) -> None:
    """A shard with no post to translate still reports (nothing), and the others' work stays."""
    site_posts = posts(2)
    publish(origin, tmp_path / "dev", site_posts)
    monkeypatch.setenv("DEEPL_SERVER_URL", deepl_server.url)
    run = Workflow(origin, tmp_path / "ci", {"DEEPL_AUTH_KEY": deepl_server.auth_key}, 3).run()
    assert_succeeded(run)
    assert json.loads(run.artifacts["editions-3"]["report.json"])["posts"] == []
    assert run.pull_request is not None and "**2 edition(s) written** by 3 shard(s)" in run.pull_request.body
    assert all(on_branch(origin, f"content/en/{name}") for name in site_posts)


def test_an_edition_pruned_by_the_shards_leaves_the_pull_request(origin: Path, tmp_path: Path, deepl_server, monkeypatch) -> None:
    """`translate --prune` deletes the edition of a removed post in every shard; the merge
    used to bring it back from the checkout (a missing file overwrites nothing)."""
    site_posts = posts(3)
    dev = tmp_path / "dev"
    publish(origin, dev, site_posts)
    monkeypatch.setenv("DEEPL_SERVER_URL", deepl_server.url)
    workflow = Workflow(origin, tmp_path / "ci", {"DEEPL_AUTH_KEY": deepl_server.auth_key}, 2)
    assert_succeeded(workflow.run())
    git(dev, "fetch", "-q", "origin", "english-editions")
    git(dev, "merge", "-q", "FETCH_HEAD")  # the editions pull request is merged
    git(dev, "rm", "-q", f"content/ja/{THIRD}")
    git(dev, "commit", "-q", "-m", "remove a post")
    git(dev, "push", "-q", "origin", "HEAD:main")
    run = workflow.run()
    assert_succeeded(run)
    assert run.pull_request is not None and run.pull_request.commit is not None, "no pull request removes the pruned edition"
    assert on_branch(origin, f"content/en/{THIRD}") is None and on_branch(origin, f"translations/{THIRD}.json") is None
    assert on_branch(origin, f"content/en/{SAMPLES[0].name}") is not None


BROKEN = "2026-02-01-broken-front-matter.md"  # sorted last: shard 1 of 2 has it and the first sample
BROKEN_TEXT = "---\ntitle: [閉じていない\n---\n\n本文です。\n"
OWN_PATHS = '[paths]\noutput = "english"\nstate = "english-state"\n'


def test_one_bad_post_fails_its_shard_and_every_other_edition_reaches_the_pull_request(
    origin: Path, tmp_path: Path, deepl_server, monkeypatch
) -> None:
    """Issue 24: a shard that exits 1 (a post whose front matter does not parse) used to skip
    the pull-request job (`needs` without a status function), so no edition of any post was
    proposed; and the workflow's hard-coded content/en and translations uploaded nothing of a
    project with its own [paths]."""
    good = posts(2)
    publish(origin, tmp_path / "dev", {**good, BROKEN: BROKEN_TEXT}, config=OWN_PATHS)
    monkeypatch.setenv("DEEPL_SERVER_URL", deepl_server.url)
    workflow = Workflow(origin, tmp_path / "ci", {"DEEPL_AUTH_KEY": deepl_server.auth_key}, 2)
    run = workflow.run()

    assert run.failed_jobs == ["translate-1"], run.output("translate-1")  # the failed shard still shows red
    assert "pull-request" not in run.skipped_jobs and run.pull_request is not None, run.output("pull-request")
    assert all(log.returncode == 0 for log in run.logs if log.job == "pull-request"), run.output("pull-request")
    for name in good:  # the failed shard's good post too
        assert on_branch(origin, f"english/{name}") is not None, f"edition of {name} lost\n{run.output('pull-request')}"
        assert on_branch(origin, f"english-state/{name}.json") is not None, f"state of {name} lost"
    assert on_branch(origin, f"english/{BROKEN}") is None
    assert on_branch(origin, "english-state/.pipeline.lock") is None, "the run lock was proposed as an edition"
    assert not git(origin, "ls-tree", "-r", "--name-only", "english-editions", "--", "content/en", "translations").strip()
    body = run.pull_request.body
    failed = body.split("failed or need a manual merge", 1)[1]
    assert f"`{BROKEN}`" in failed and "malformed YAML front matter" in failed, body

    # a translator's fix on the editions branch, under the project's own output folder, survives the next run
    edits = translator_edits(origin, tmp_path / "dev", good, output="english")
    again = workflow.run()
    assert again.failed_jobs == ["translate-1"]
    for name, english in edits.items():
        assert english in (on_branch(origin, f"english/{name}") or ""), f"the translator's edit of {name} was lost"


def test_a_quota_stop_keeps_what_was_done(origin: Path, tmp_path: Path, deepl_server, monkeypatch) -> None:
    """The account runs out during shard 1's second post: both shards exit 3 (red), the post
    translated before the stop reaches the pull request, and its body names the others and why."""
    from helpers import make_site, run_cli

    site_posts = posts(3)
    first = sorted(site_posts)[0]  # shard 1 takes it, then THIRD; shard 2 the other sample
    scratch = make_site(tmp_path / "scratch", [p for p in SAMPLES if p.name == first])
    monkeypatch.chdir(scratch)
    dry = run_cli("translate", "--engine", "deepl", "--dry-run")
    cost = int(re.search(r"would bill ([\d,]+)", dry.stdout).group(1).replace(",", ""))  # type: ignore[union-attr]
    monkeypatch.chdir(tmp_path)
    publish(origin, tmp_path / "dev", site_posts, config="[translate]\nwindow_texts = 1\n")  # a window per post
    monkeypatch.setenv("DEEPL_SERVER_URL", deepl_server.url)
    deepl_server.init_character_limit(cost + 5)
    run = Workflow(origin, tmp_path / "ci", {"DEEPL_AUTH_KEY": deepl_server.auth_key}, 2).run()

    assert run.failed_jobs == ["translate-1", "translate-2"], run.output("translate-1")
    exits = [log.returncode for log in run.logs if log.name == "Translate new and stale posts"]
    assert exits == [3, 3], run.output("translate-1") + run.output("translate-2")
    assert run.pull_request is not None and run.pull_request.commit is not None, run.output("pull-request")
    assert on_branch(origin, f"content/en/{first}") is not None, "the post done before the stop was lost"
    failed = run.pull_request.body.split("failed or need a manual merge", 1)[1]
    for name in set(site_posts) - {first}:
        assert on_branch(origin, f"content/en/{name}") is None
        assert f"`{name}`" in failed, run.pull_request.body
    assert "quota" in failed.lower(), run.pull_request.body


def test_two_shards_produce_every_target_language_in_one_pull_request(origin: Path, tmp_path: Path, deepl_server, monkeypatch) -> None:
    """Issue 28: with `[translate] targets`, each shard writes every language, and the pull
    request carries every language's editions and state, with a summary per language."""
    site_posts = posts(2)
    publish(origin, tmp_path / "dev", site_posts, config='[translate]\ntargets = ["EN-US", "ZH-HANS", "KO"]\n')
    monkeypatch.setenv("DEEPL_SERVER_URL", deepl_server.url)
    workflow = Workflow(origin, tmp_path / "ci", {"DEEPL_AUTH_KEY": deepl_server.auth_key}, 2)
    first = workflow.run()
    assert_succeeded(first)
    billed = deepl_server.billed_characters
    for folder, state, mark in (("en", "translations", "EN: "), ("zh-hans", "translations/zh-hans", "ZH: "), ("ko", "translations/ko", "KO: ")):
        for name in site_posts:
            edition = on_branch(origin, f"content/{folder}/{name}") or ""
            assert f"\nlang: {folder}\n" in edition and mark in edition, f"{folder} edition of {name}"
            assert on_branch(origin, f"{state}/{name}.json") is not None, f"{folder} state of {name}"
        assert on_branch(origin, f"{state}/.pipeline.lock") is None
    assert first.pull_request is not None
    body = first.pull_request.body
    for heading in ("### EN-US (content/en)", "### ZH-HANS (content/zh-hans)", "### KO (content/ko)"):
        assert f"{heading}\n\n**2 edition(s) written** by 2 shard(s)" in body, body
    assert {"report.html", "report.zh-hans.html", "report.ko.html"} <= set(first.artifacts["review-report"])
    second = workflow.run()
    assert_succeeded(second)
    assert deepl_server.billed_characters == billed, "the second push billed characters"
