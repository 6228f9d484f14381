"""The Markdown dialect comes from the site's renderer (Jekyll: kramdown unless told otherwise)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import REPO, make_site, run_cli

from pipeline.config import load_settings
from pipeline.dialect import site_dialect
from pipeline.errors import ConfigError


def _site(root: Path, config: str) -> Path:
    site = root / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "_config.yml").write_text(config, encoding="utf-8")
    return site


@pytest.mark.parametrize(
    ("config", "dialect"),
    [
        ("title: x\n", "kramdown"),  # Jekyll's default renderer
        ("markdown: kramdown\nkramdown:\n  input: GFM\n", "kramdown"),
        ("markdown: CommonMarkGhPages\n", "commonmark"),
        ("markdown: commonmark\n", "commonmark"),
    ],
)
def test_the_site_config_names_the_dialect(tmp_path: Path, config: str, dialect: str) -> None:
    assert site_dialect(_site(tmp_path, config)) == dialect


def test_no_site_means_jekylls_default(tmp_path: Path) -> None:
    assert site_dialect(tmp_path / "site") == "kramdown"
    assert load_settings(root=tmp_path).dialect == "kramdown"


def test_the_projects_own_site_is_kramdown() -> None:
    assert site_dialect(REPO / "site") == "kramdown"


@pytest.mark.parametrize(
    ("config", "message", "line"),
    [
        ("markdown: redcarpet\n", "unknown Markdown renderer 'markdown: redcarpet'", None),
        ("title: [unclosed\nmarkdown: kramdown\n", "the site config does not parse", 2),
        ("kramdown:\n  hard_wrap: true\n", "hard_wrap: true", None),
    ],
)
def test_a_site_config_we_cannot_follow_names_the_file_and_the_fix(tmp_path: Path, config: str, message: str, line: int | None) -> None:
    site = _site(tmp_path, config)
    with pytest.raises(ConfigError) as raised:
        site_dialect(site)
    assert message in raised.value.message
    assert 'set [markdown] dialect = "kramdown" or "commonmark" in pipeline.toml' in raised.value.message
    assert raised.value.path == site / "_config.yml"
    assert raised.value.line == line
    assert raised.value.exit_code == 2


def test_pipeline_toml_overrides_the_site(tmp_path: Path) -> None:
    _site(tmp_path, "markdown: redcarpet\n")  # would be an error if it were read
    (tmp_path / "pipeline.toml").write_text('[markdown]\ndialect = "commonmark"\n', encoding="utf-8")
    assert load_settings(root=tmp_path).dialect == "commonmark"


def test_an_unknown_dialect_in_pipeline_toml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text('[markdown]\ndialect = "markdown-it"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="markdown dialect must be one of kramdown, commonmark"):
        load_settings(root=tmp_path)


def test_translate_with_a_broken_site_config_exits_2_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path)
    _site(tmp_path, "markdown: redcarpet\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "site/_config.yml" in lines[0] and "unknown Markdown renderer" in lines[0]
    assert not (tmp_path / "content" / "en").exists()


def test_the_run_report_says_which_dialect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path)
    shutil.copytree(REPO / "site", tmp_path / "site")
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo", "--report", "report.json")
    assert result.exit_code == 0, result.stderr
    assert "Markdown read as kramdown" in result.stdout
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["markdown_dialect"] == "kramdown"


def test_unclosed_liquid_and_ial_are_kept_and_reported_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path, posts=[])
    post = tmp_path / "content" / "ja" / "2025-01-01-broken.md"
    post.write_text("---\ntitle: 壊れた記事\n---\n\n詳しくは{{ site.baseurl と。\n\n{: .note\n段落です。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 0, result.stderr
    assert "content/ja/2025-01-01-broken.md:5: skipped: Liquid tag never closed" in result.stderr
    assert "content/ja/2025-01-01-broken.md:7: skipped: kramdown attribute list `{:` never closed" in result.stderr
    edition = (tmp_path / "content" / "en" / post.name).read_text(encoding="utf-8")
    assert "{{ site.baseurl と。" in edition and "{: .note\n" in edition
