"""A second target language is configuration: `--to` another language than the configured
one writes folders of its own and never replaces the configured language's editions."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import make_site, run_cli

from pipeline.config import Settings
from pipeline.target import Target, retarget


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_another_target_gets_its_own_folders_and_leaves_the_configured_editions_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    english, state = _tree(tmp_path / "content" / "en"), _tree(tmp_path / "translations")
    result = run_cli("translate", "--engine", "pseudo", "--to", "EN-GB")
    assert result.exit_code == 0, result.stderr
    assert _tree(tmp_path / "content" / "en") == english
    assert {k: v for k, v in _tree(tmp_path / "translations").items() if not k.startswith("en-gb/")} == state
    british = sorted((tmp_path / "content" / "en-gb").glob("*.md"))
    assert [p.name for p in british] == sorted(english)
    assert "\nlang: en-gb" in british[0].read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "translations" / "en-gb").glob("*.json")) == sorted(f"{n}.json" for n in english)
    assert run_cli("check", "--engine", "pseudo", "--to", "EN-GB").exit_code == 0
    assert run_cli("check", "--engine", "pseudo").exit_code == 0


def test_the_configured_target_is_the_settings_own() -> None:
    settings = Settings()
    assert retarget(settings, "en-us") is settings
    target = Target.of(retarget(settings, "EN-GB"))
    assert (target.code, target.engine_code, target.lang_value) == ("en", "EN-GB", "en-gb")
    assert (target.output_dir, target.state_dir) == (Path("content/en-gb"), Path("translations/en-gb"))
    assert target.state_path(Path("a/b.md")) == Path("translations/en-gb/a/b.md.json")


def test_memory_entries_carry_their_languages_and_old_files_read_unchanged(tmp_path: Path) -> None:
    from pipeline.memory import TranslationMemory

    old = '{"en": "Tokyo", "ja": "東京", "origin": "human", "post": "a.md"}\n'
    path = tmp_path / "memory.jsonl"
    path.write_text(old, encoding="utf-8")
    memory = Target.of(Settings(root=tmp_path, state_dir=Path("."))).load_memory()
    entry = memory.get("東京")
    assert entry is not None and (entry.target, entry.source_lang, entry.target_lang) == ("Tokyo", "ja", "en")
    assert memory.dump().decode("utf-8") == old
    german = TranslationMemory(tmp_path / "de.jsonl", languages=("ja", "de"))
    german.approve("東京", "Tokio", "a.md")
    assert german.dump().decode("utf-8") == '{"de": "Tokio", "ja": "東京", "origin": "human", "post": "a.md"}\n'


def test_the_site_check_holds_editions_to_the_languages_it_is_given(tmp_path: Path) -> None:
    from pipeline.site.checks import source_problems

    (tmp_path / "ja").mkdir()
    (tmp_path / "en-gb").mkdir()
    source = tmp_path / "ja" / "2025-01-01-a.md"
    source.write_text("---\ntitle: 東京\n---\n本文\n", encoding="utf-8")
    edition = tmp_path / "en-gb" / "2025-01-01-a.md"
    edition.write_text("---\ntitle: Tokyo\nlang: en-gb\nref: 2025-01-01-a\n---\nText\n", encoding="utf-8")
    sources = {"ja": {"2025-01-01-a": source}, "en-gb": {"2025-01-01-a": edition}}
    assert source_problems("2025-01-01-a", sources) == []
    edition.write_text("---\ntitle: Tokyo\nlang: en\nref: 2025-01-01-a\n---\nText\n", encoding="utf-8")
    assert source_problems("2025-01-01-a", sources) == [f"{edition}: front matter must say lang: en-gb (found 'en')"]
