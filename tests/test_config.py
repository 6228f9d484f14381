"""Settings files: where their relative paths point."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SAMPLES, make_site, run_cli

from pipeline.config import load_settings


def test_paths_in_a_config_file_given_with_config_are_relative_to_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's rule: relative to the project root, wherever the file itself sits."""
    make_site(tmp_path, SAMPLES[:1])
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "english.toml").write_text('[paths]\noutput = "site/en"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(Path("ci/english.toml"))
    assert settings.path(settings.output_dir).resolve() == tmp_path / "site" / "en"
    result = run_cli("translate", "--engine", "pseudo", "--config", "ci/english.toml")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "site" / "en" / SAMPLES[0].name).is_file()
    assert not (tmp_path / "ci" / "site").exists()


@pytest.mark.parametrize(
    ("output", "how"), [("content/ja/en", "is inside"), ("content/ja", "is"), ("content", "contains"), ("./content/ja/", "is")]
)
def test_an_output_folder_inside_equal_to_or_containing_the_source_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str, how: str
) -> None:
    """Issue 23: `output = "_posts/en"` under `source = "_posts"` read editions as sources and
    nested `en/en/…` deeper every run. Refused before anything is read, naming both folders."""
    make_site(tmp_path, SAMPLES[:1])
    (tmp_path / "pipeline.toml").write_text(f'[paths]\nsource = "content/ja"\noutput = "{output}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo")
    message = result.stdout + result.stderr
    assert result.exit_code == 2, message
    assert f"paths.output ({Path(output)}) {how} paths.source (content/ja)" in message
    assert not (tmp_path / "content" / "ja" / "en").exists()
    assert sorted(p.name for p in (tmp_path / "content" / "ja").iterdir()) == [SAMPLES[0].name]
