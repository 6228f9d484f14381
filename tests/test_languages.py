"""Several target languages from one run: `[translate] targets`, `--to A,B`, and a
`[targets.CODE]` table; each language with its own folders, state, memory and bill."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import make_site, run_cli

from pipeline.config import load_settings
from pipeline.target import Target, all_target_settings

THREE = '[translate]\ntargets = ["EN-US", "ZH-HANS", "KO"]\n'


def _site(root: Path, config: str = THREE) -> Path:
    make_site(root)
    (root / "pipeline.toml").write_text(config, encoding="utf-8")
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_each_target_gets_its_folders_and_english_keeps_todays(tmp_path: Path) -> None:
    settings = load_settings(root=_site(tmp_path))
    targets = [Target.of(s) for s in all_target_settings(settings)]
    assert [(t.engine_code, t.lang_value) for t in targets] == [("EN-US", "en"), ("ZH-HANS", "zh-hans"), ("KO", "ko")]
    assert [t.output_dir.relative_to(tmp_path).as_posix() for t in targets] == ["content/en", "content/zh-hans", "content/ko"]
    assert [t.state_dir.relative_to(tmp_path).as_posix() for t in targets] == ["translations", "translations/zh-hans", "translations/ko"]
    subset = all_target_settings(settings, "zh-hans,KO")
    assert [s.target_lang for s in subset] == ["ZH-HANS", "KO"]


def test_a_target_table_overrides_folders_lang_value_and_engine(tmp_path: Path) -> None:
    config = THREE + '\n[targets.KO]\noutput = "ko-site/posts"\nstate = "state/ko"\nlang_value = "ko-KR"\nengine = "pseudo"\n'
    settings = load_settings(root=_site(tmp_path, config))
    korean = all_target_settings(settings, "KO")[0]
    target = Target.of(korean)
    assert (target.output_dir, target.state_dir) == (tmp_path / "ko-site/posts", tmp_path / "state/ko")
    assert (target.lang_value, korean.engine) == ("ko-KR", "pseudo")
    assert all_target_settings(settings, "ZH-HANS")[0].engine == "deepl"


@pytest.mark.parametrize(
    ("config", "wanted"),
    [
        ('[translate]\ntargets = ["EN-US", "KLINGON"]\n', "unknown target language 'KLINGON'"),
        ('[translate]\ntargets = ["JA"]\n', "is the sources' own language"),
        ('[targets.KO]\noutptu = "x"\n', "unknown setting 'targets.KO.outptu'"),
        ('[targets.KO]\nengine = "babelfish"\n', "unknown engine 'babelfish'"),
    ],
)
def test_a_bad_target_is_a_configuration_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, wanted: str) -> None:
    _site(tmp_path, config)
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 2
    assert wanted in result.stderr and "pipeline.toml" in result.stderr
    assert not (tmp_path / "content" / "en").exists()


def test_an_unknown_code_given_to_to_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo", "--to", "KO,XX")
    assert result.exit_code == 2 and "unknown target language 'XX'" in result.stderr
    assert not (tmp_path / "content" / "ko").exists()


def test_without_targets_a_run_writes_todays_folders_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "content").iterdir()) == ["en", "ja"]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "translations").iterdir() if p.is_dir()) == []


def test_one_run_writes_every_target_and_to_runs_a_subset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo", "--to", "ZH-HANS,KO")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "content").iterdir()) == ["ja", "ko", "zh-hans"]
    korean = (tmp_path / "content" / "ko" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")
    assert "\nlang: ko\n" in korean and "⟦ko: " in korean
    chinese = (tmp_path / "content" / "zh-hans" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")
    assert "\nlang: zh-hans\n" in chinese and "⟦zh-hans: " in chinese and "⟦ko: " not in chinese
    before = _tree(tmp_path / "content")
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("2 up to date") == 2 and "2 written" in result.stdout  # English is the one new language
    assert {k: v for k, v in _tree(tmp_path / "content").items() if not k.startswith("en/")} == before
    assert "⟦ko: " not in (tmp_path / "content" / "en" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")
    assert run_cli("check", "--engine", "pseudo", "--to", "KO").exit_code == 0


def test_status_and_check_speak_per_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo", "--to", "EN-US,KO").exit_code == 0
    result = run_cli("check", "--engine", "pseudo")
    assert result.exit_code == 1
    assert "all 2 English edition(s) are up to date" in result.stdout and "all 2 KO edition(s) are up to date" in result.stdout
    assert "ZH-HANS (content/zh-hans):\nnew: content/ja/2025-09-30-aws-ai-revenue.md" in result.stdout
    import json

    status = json.loads(run_cli("status", "--json", "--engine", "pseudo").stdout)
    assert {k: v["counts"]["up-to-date"] for k, v in status["languages"].items()} == {"en": 2, "zh-hans": 0, "ko": 2}
    assert run_cli("check", "--engine", "pseudo", "--to", "EN-US,KO").exit_code == 0
