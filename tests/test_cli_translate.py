"""End to end: the `translate` command against the DeepL test server over real HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import NO_DEEPL_CONTEXT, SAMPLES, make_site, run_cli

from pipeline.post import read_post

pytestmark = pytest.mark.usefixtures("deepl_env")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def front_matter_lines(path: Path) -> list[str]:
    post = read_post(path)
    assert post.front_matter is not None
    return post.front_matter.text.splitlines()


def test_writes_both_editions_with_untouched_keys_byte_identical(site: Path, deepl_env) -> None:
    result = run_cli("translate")
    assert result.exit_code == 0, result.stderr
    for source in SAMPLES:
        edition = site / "content" / "en" / source.name
        assert edition.is_file()
        src_lines = front_matter_lines(source)
        en_lines = front_matter_lines(edition)
        translated = ("title:", "excerpt:", "categories:", "tags:", "author:", "reading_time:")
        kept_src = [line for line in src_lines if not line.startswith(translated)]
        kept_en = [line for line in en_lines if not line.startswith(translated)]
        assert kept_en == kept_src + ["lang: en", f"ref: {source.stem}"]
        minutes = next(line for line in en_lines if line.startswith("reading_time:"))
        assert re.fullmatch(r"reading_time: [1-9]\d*", minutes)  # recomputed from the English words
        title = next(line for line in en_lines if line.startswith("title:"))
        assert title.startswith('title: "EN: ')  # quoting style kept, value translated
        body = read_post(edition).body
        assert "EN: " in body
        assert body.count("---END---") == read_post(source).body.count("---END---")


def test_second_run_bills_nothing(site: Path, deepl_env) -> None:
    assert run_cli("translate").exit_code == 0
    billed = deepl_env.billed_characters
    requests = len(deepl_env.translate_requests)
    assert billed > 0 and requests > 0
    second = run_cli("translate", "--force")  # even a forced rebuild is served without the engine
    assert second.exit_code == 0
    assert deepl_env.billed_characters == billed
    assert len(deepl_env.translate_requests) == requests
    assert "0 characters billed" in second.stdout


def test_cache_alone_serves_a_second_run_of_fresh_state(site: Path, deepl_env) -> None:
    """Even with the committed state gone, the disk cache means nothing is paid twice."""
    assert run_cli("translate").exit_code == 0
    billed = deepl_env.billed_characters
    for state in (site / "translations").rglob("*.json"):
        state.unlink()
    assert run_cli("translate").exit_code == 0
    assert deepl_env.billed_characters == billed


def test_batches_respect_limits_and_go_in_parallel(site: Path, deepl_env) -> None:
    (site / "pipeline.toml").write_text(NO_DEEPL_CONTEXT, encoding="utf-8")  # counts requests
    assert run_cli("translate", "--jobs", "3").exit_code == 0
    sent = deepl_env.translate_requests
    assert sent, "no requests recorded"
    for request in sent:
        assert len(request.texts) <= 50
        assert len(json.dumps(request.body)) < 128 * 1024
        assert request.body["tag_handling"] == "xml"
        assert request.body["source_lang"] == "JA" and request.body["target_lang"] == "EN-US"
    texts = deepl_env.texts_sent
    assert len(texts) == len(set(texts)), "a text was sent twice in one run"
    # 106 segments in the samples, 3 repeated paragraphs, some need no engine: 3 requests at most
    assert len(sent) == -(-len(texts) // 50)


def test_changing_an_option_misses_the_cache(site: Path, deepl_env) -> None:
    assert run_cli("translate").exit_code == 0
    first = len(deepl_env.texts_sent)
    assert run_cli("translate", "--to", "EN-GB").exit_code == 0
    assert len(deepl_env.texts_sent) == 2 * first
    assert deepl_env.translate_requests[-1].body["target_lang"] == "EN-GB"


def test_no_key_exits_2_before_any_work(site: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:
    monkeypatch.delenv("DEEPL_AUTH_KEY")
    result = run_cli("translate")
    assert result.exit_code == 2
    assert "DEEPL_AUTH_KEY" in result.stderr and "--engine pseudo" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (site / "content" / "en").exists()
    assert deepl_env.requests == []


def test_dry_run_calls_nothing_and_writes_nothing(site: Path, deepl_env) -> None:
    result = run_cli("translate", "--dry-run")
    assert result.exit_code == 0
    match = re.search(r"would bill ([\d,]+) characters", result.stdout)
    assert match and int(match.group(1).replace(",", "")) > 1000
    assert deepl_env.requests == []
    assert not (site / "content" / "en").exists()


def test_paths_and_globs_select_posts(site: Path, deepl_env) -> None:
    result = run_cli("translate", "content/ja/2025-09-*.md")
    assert result.exit_code == 0
    written = sorted(p.name for p in (site / "content" / "en").glob("*.md"))
    assert written == ["2025-09-30-aws-ai-revenue.md"]


def test_runs_from_a_subfolder_of_the_project(site: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:
    """Like git: run in content/ja/, the command finds the project (pipeline.toml here) above."""
    (site / "pipeline.toml").write_text('[translate]\nwindow_texts = 500\n', encoding="utf-8")
    monkeypatch.chdir(site / "content" / "ja")
    result = run_cli("translate", "2025-09-30-aws-ai-revenue.md")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (site / "content" / "en").glob("*.md")) == ["2025-09-30-aws-ai-revenue.md"]
    assert (site / "translations" / "2025-09-30-aws-ai-revenue.md.json").is_file()
    assert not (site / "content" / "ja" / "content").exists()
    status = run_cli("status")
    assert "new         ../../content/ja/2025-12-25-amazon-trillion-yen-ai-infrastructure.md" in status.stdout


def test_a_site_inside_a_larger_repository_is_found_without_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:
    """No pipeline.toml, the git checkout's top elsewhere: the folder holding content/ja wins."""
    (tmp_path / ".git").mkdir()
    blog = make_site(tmp_path / "blog")
    monkeypatch.chdir(blog / "content")
    result = run_cli("translate")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (blog / "content" / "en").glob("*.md")) == sorted(p.name for p in SAMPLES)
    assert not (tmp_path / "content").exists() and not (tmp_path / "translations").exists()


def test_status_says_which_engine_built_an_edition(site: Path, deepl_env) -> None:
    """After the offline demo, `status` must not leave a newcomer guessing why all is stale."""
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    status = run_cli("status")
    assert "built with the pseudo engine, not deepl; add --engine pseudo to compare with that" in status.stdout
    assert "2 up-to-date" in run_cli("status", "--engine", "pseudo").stdout


def test_report_file(site: Path, deepl_env) -> None:
    assert run_cli("translate", "--report", "report.json").exit_code == 0
    report = json.loads((site / "report.json").read_text())
    assert report["billed_characters"] == deepl_env.billed_characters
    assert {p["status"] for p in report["posts"]} == {"written"}
    assert sum(p["sent"] for p in report["posts"]) == len(deepl_env.texts_sent)


def test_python_dash_m_works(site: Path, deepl_env) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "translate" in done.stdout
