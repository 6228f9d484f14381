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


# --- through the DeepL test server ------------------------------------------------------

POST = "2025-09-30-aws-ai-revenue.md"
SOURCE_SENTENCE = "でもね、今回のAWSのケースは、ただのバズワードで終わる話ではない、と直感しました。"


def _billed_by_language(server) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from deepl_server import billable

    billed: dict[str, int] = {}
    for request in server.translate_requests:
        language = request.body["target_lang"]
        billed[language] = billed.get(language, 0) + sum(billable(t, "xml") for t in request.texts)
    return billed


def _alone(root: Path, language: str, server, monkeypatch: pytest.MonkeyPatch) -> int:  # type: ignore[no-untyped-def]
    """What a run of `language` alone bills, in a tree of its own (no shared cache)."""
    _site(root, f'[translate]\ntargets = ["{language}"]\n')
    monkeypatch.chdir(root)
    server.reset_log()
    result = run_cli("translate")
    assert result.exit_code == 0, result.stderr
    assert set(_billed_by_language(server)) == {language}
    return server.billed_characters


def test_three_languages_each_billed_as_alone_then_nothing_and_a_new_language_only_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    site = _site(tmp_path / "site")
    monkeypatch.chdir(site)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stderr
    for folder, mark in (("en", "EN: "), ("zh-hans", "ZH: "), ("ko", "KO: ")):
        names = sorted(p.name for p in (site / "content" / folder).glob("*.md"))
        assert names == sorted(p.name for p in (site / "content" / "ja").glob("*.md"))
        text = (site / "content" / folder / POST).read_text(encoding="utf-8")
        assert mark in text and f"\nlang: {folder}\n" in text
    together = _billed_by_language(deepl_env)
    assert set(together) == {"EN-US", "ZH-HANS", "KO"} and all(together.values())
    assert result.stdout.count("characters billed") == 3
    for language in ("EN-US", "ZH-HANS", "KO"):
        assert _alone(tmp_path / language, language, deepl_env, monkeypatch) == together[language]
    monkeypatch.chdir(site)
    deepl_env.reset_log()
    assert run_cli("translate").exit_code == 0 and deepl_env.billed_characters == 0
    shutil.rmtree(site / ".cache")  # a fresh clone: the committed editions and state only
    assert run_cli("translate").exit_code == 0 and deepl_env.billed_characters == 0
    assert run_cli("check").exit_code == 0
    (site / "pipeline.toml").write_text('[translate]\ntargets = ["EN-US", "ZH-HANS", "KO", "DE"]\n', encoding="utf-8")
    result = run_cli("translate")
    assert result.exit_code == 0, result.stderr
    german = _billed_by_language(deepl_env)
    assert list(german) == ["DE"] and german["DE"] == together["ZH-HANS"]  # the same texts (no taxonomy in either), in German
    assert "DE: " in (site / "content" / "de" / POST).read_text(encoding="utf-8")


def test_a_korean_edit_stays_through_runs_and_a_rename_and_nowhere_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    site = _site(tmp_path)
    monkeypatch.chdir(site)
    assert run_cli("translate").exit_code == 0
    korean = site / "content" / "ko" / POST
    text = korean.read_text(encoding="utf-8")
    paragraph = next(p for p in text.split("\n\n") if SOURCE_SENTENCE in p)
    human = "하지만 이번 AWS 사례는 단순한 유행어로 끝날 이야기가 아니라고 직감했습니다."
    korean.write_text(text.replace(paragraph, human), encoding="utf-8")
    others = {f: (site / "content" / f / POST).read_bytes() for f in ("en", "zh-hans")}
    for _ in range(2):
        assert run_cli("translate").exit_code == 0
        assert human in korean.read_text(encoding="utf-8")
    assert {f: (site / "content" / f / POST).read_bytes() for f in others} == others
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "editions"], check=True)
    renamed = "2025-09-30-aws-ai-revenue-renamed.md"
    subprocess.run([*git, "mv", f"content/ja/{POST}", f"content/ja/{renamed}"], check=True)
    result = run_cli("translate", "--prune")
    assert result.exit_code == 0, result.stderr
    assert not korean.exists()
    assert human in (site / "content" / "ko" / renamed).read_text(encoding="utf-8")
    for folder in ("en", "zh-hans", "ko"):
        memory = site / "translations" / ("" if folder == "en" else folder) / "memory.jsonl"
        assert (human in memory.read_text(encoding="utf-8")) == (folder == "ko") if memory.exists() else folder != "ko"
    for folder in ("en", "zh-hans", "de"):
        for edition in (site / "content" / folder).glob("*.md") if (site / "content" / folder).is_dir() else []:
            assert human not in edition.read_text(encoding="utf-8")


# --- the glossary per language -----------------------------------------------------------

TERMS = (
    "kind\tja\ten\tzh-hans\tko\tnote\n"
    "term\t生成AI\tgenerative AI\t生成式人工智能\t생성형 AI\t\n"
    "term\t機械学習\tmachine learning\t\t머신러닝\tno Chinese yet\n"
    "name\tAnthropic\t\t\tAnthropic\t\n"
)


def test_a_header_names_a_column_per_language_and_a_file_without_one_reads_as_today(tmp_path: Path) -> None:
    from pipeline.errors import GlossaryError
    from pipeline.glossary import load_glossary

    (tmp_path / "terms.tsv").write_text(TERMS, encoding="utf-8")
    (tmp_path / "old.tsv").write_text("term\t推論\tinference\t\n", encoding="utf-8")
    glossary = load_glossary(tmp_path)
    assert glossary.in_language("EN-US").terms == {"生成AI": "generative AI", "機械学習": "machine learning", "推論": "inference"}
    assert glossary.in_language("ZH-HANS").terms == {"生成AI": "生成式人工智能"}
    assert glossary.in_language("KO").terms == {"生成AI": "생성형 AI", "機械学習": "머신러닝"}
    assert glossary.in_language("DE").terms == {}
    assert [g.names for g in (glossary.in_language("KO"), glossary.in_language("DE"))] == [("Anthropic",), ("Anthropic",)]
    (tmp_path / "names.tsv").write_text("# kind\tja\ten\tko\nname\tClaude\t\t클로드\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"names\.tsv:2: a name is never translated: leave the ko column empty"):
        load_glossary(tmp_path)


def test_each_language_uses_its_terms_and_deepl_holds_one_glossary_per_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env
) -> None:  # type: ignore[no-untyped-def]
    site = _site(tmp_path)
    (site / "glossary" / "terms.tsv").write_text(TERMS, encoding="utf-8")
    monkeypatch.chdir(site)
    assert run_cli("translate").exit_code == 0
    pairs = {(d.source_lang, d.target_lang): dict(d.entries) for g in deepl_env.glossaries.values() for d in g.dictionaries}
    assert pairs == {
        ("ja", "en"): {"生成AI": "generative AI", "機械学習": "machine learning"},
        ("ja", "zh"): {"生成AI": "生成式人工智能"},
        ("ja", "ko"): {"生成AI": "생성형 AI", "機械学習": "머신러닝"},
    }
    editions = {f: (site / "content" / f / POST).read_text(encoding="utf-8") for f in ("en", "zh-hans", "ko")}
    assert "generative AI" in editions["en"] and "生成式人工智能" in editions["zh-hans"] and "생성형 AI" in editions["ko"]
    assert "생성형 AI" not in editions["en"] + editions["zh-hans"] and "生成式人工智能" not in editions["en"] + editions["ko"]
    assert all("**Anthropic**" in text for text in editions.values())
    ids = {g.dictionaries[0].target_lang: g.glossary_id for g in deepl_env.glossaries.values()}
    from datetime import datetime, timedelta, timezone

    for glossary in deepl_env.glossaries.values():  # old enough to be deleted as stale, were they of the same pair
        glossary.creation_time = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    deepl_env.reset_log()
    assert run_cli("translate").exit_code == 0
    assert (deepl_env.glossaries_created, deepl_env.glossaries_deleted) == (0, 0)
    (site / "glossary" / "terms.tsv").write_text(TERMS.replace("머신러닝", "기계 학습"), encoding="utf-8")
    assert run_cli("translate").exit_code == 0
    assert (deepl_env.glossaries_created, deepl_env.glossaries_deleted) == (1, 1)  # Korean's, and only it
    now = {g.dictionaries[0].target_lang: g.glossary_id for g in deepl_env.glossaries.values()}
    assert (now["en"], now["zh"]) == (ids["en"], ids["zh"]) and now["ko"] != ids["ko"]
    assert "기계 학습" in (site / "content" / "ko" / POST).read_text(encoding="utf-8")


def test_japanese_left_in_chinese_counts_kana_not_every_han_character(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:  # type: ignore[no-untyped-def]
    """An engine answering in Han characters (the source with 的 for each kana: Chinese enough
    for a count) leaves no Japanese in a Chinese edition but the paragraph it gave back as it
    came; the same answers in an English edition are Japanese left throughout."""
    import json

    from deepl_server import transform_xml

    from pipeline.japanese import KANA, VISIBLE_JAPANESE

    site = _site(tmp_path, '[translate]\ntargets = ["EN-US", "ZH-HANS"]\n')
    monkeypatch.chdir(site)
    deepl_env.set_translator(lambda text, params: text if "と直感しました。なぜなら" in text else transform_xml(text, lambda s: KANA.sub("的", s)))
    paragraph = next(p for p in (site / "content" / "ja" / POST).read_text(encoding="utf-8").split("\n\n") if SOURCE_SENTENCE in p)
    result = run_cli("translate", "--report", "report.json")
    assert result.exit_code == 0, result.stderr
    english, chinese = (json.loads((site / name).read_text(encoding="utf-8")) for name in ("report.json", "report.zh-hans.json"))
    assert chinese["japanese_source"] == english["japanese_source"] > 10_000
    places = {place: sum(p["japanese_left"][place] for p in chinese["posts"]) for place in ("text", "front_matter")}
    # the paragraph given back; in the front matter, values no engine changed: author 編集部 (twice, not
    # translated), and 投資分析, 技術動向, 投資 (no kana, so the hook gives them back as they came)
    assert places == {"text": len(VISIBLE_JAPANESE.findall(paragraph)), "front_matter": 3 * 2 + 4 + 4 + 2}
    assert chinese["japanese_left"] == sum(places.values())
    assert english["japanese_left"] > 50 * chinese["japanese_left"]  # in English every Han character and 的 counts


# --- engines per language ----------------------------------------------------------------


def test_deepl_for_english_an_llm_for_the_others_each_with_its_own_style_guide_and_terms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env, openai_server
) -> None:  # type: ignore[no-untyped-def]
    from openai_server import DEFAULT_MODEL

    config = (
        THREE + f'engine = "openai"\n\n[openai]\nmodel = "{DEFAULT_MODEL}"\nretries = 1\ntimeout = 5\n\n[targets.EN-US]\nengine = "deepl"\n'
    )
    site = _site(tmp_path, config)
    (site / "glossary" / "terms.tsv").write_text(TERMS, encoding="utf-8")
    (site / "glossary" / "style.ko.md").write_text("# 한국어 스타일 가이드\n\n존댓말로 번역하세요.\n", encoding="utf-8")
    monkeypatch.chdir(site)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stderr
    assert set(_billed_by_language(deepl_env)) == {"EN-US"}
    by_language: dict[str, list] = {}  # type: ignore[type-arg]
    for request in openai_server.answered:
        language = next(name for name in ("Korean", "Simplified Chinese", "English") if f"into {name}." in request.system)
        by_language.setdefault(language, []).append(request)
    assert sorted(by_language) == ["Korean", "Simplified Chinese"]
    style = (site / "glossary" / "style.md").read_text(encoding="utf-8").rstrip()
    assert all(r.system.startswith("# 한국어 스타일 가이드") for r in by_language["Korean"])
    assert all(r.system.startswith(style) for r in by_language["Simplified Chinese"])
    assert "to the Korean that must be used" in by_language["Korean"][0].system
    glossaries = {language: {k: v for r in requests for k, v in r.glossary.items()} for language, requests in by_language.items()}
    assert glossaries == {"Korean": {"生成AI": "생성형 AI", "機械学習": "머신러닝"}, "Simplified Chinese": {"生成AI": "生成式人工智能"}}
    assert "\nlang: ko\n" in (site / "content" / "ko" / POST).read_text(encoding="utf-8")
    assert result.stdout.count("to openai") == 2 and result.stdout.count("to deepl") == 1


def test_a_dry_run_says_per_language_what_it_would_bill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEEPL_AUTH_KEY", raising=False)  # a dry run needs no key
    result = run_cli("translate", "--dry-run")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("dry run:")]
    assert len(lines) == 3 and all("would bill" in line and "to deepl" in line for line in lines)
    assert [line.split(" → ")[0] for line in result.stdout.splitlines() if " → " in line] == ["EN-US", "ZH-HANS", "KO"]
    assert not (tmp_path / "content" / "ko").exists()


# --- the site ------------------------------------------------------------------------------


@pytest.mark.skipif(__import__("shutil").which("jekyll") is None, reason="needs Jekyll (apt-get install jekyll ruby-jekyll-polyglot)")
def test_jekyll_builds_every_language_and_the_site_check_passes_for_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import REPO

    _site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    keep = tmp_path / "built"
    result = run_cli("site", "check", "--site", str(REPO / "site"), "--keep", str(keep))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "site check passed: 2 posts, 0 failing" in result.stdout
    assert "site check passed for zh-hans: 2 posts, 0 failing" in result.stdout
    assert "site check passed for ko: 2 posts, 0 failing" in result.stdout
    page = "2025/09/30/aws-ai-revenue/index.html"
    langs = {folder: (keep / folder / page).read_text(encoding="utf-8") for folder in ("", "en", "zh-hans", "ko")}
    for folder, html in langs.items():
        assert f'<html lang="{folder or "ja"}">' in html
        for other in ("ja", "en", "zh-hans", "ko"):  # every edition is linked from every page
            url = f"/{other}/{page[: -len('index.html')]}" if other != "ja" else f"/{page[: -len('index.html')]}"
            assert f'<link rel="alternate" hreflang="{other}" href="{url}">' in html, (folder, other)
    assert 'lang="ko"' in langs["zh-hans"] and "한국어</a>" in langs["zh-hans"] and "⟦ko: " in langs["ko"]
    # a Korean page with Japanese left in it fails the check for Korean only
    korean = tmp_path / "content" / "ko" / "2025-09-30-aws-ai-revenue.md"
    korean.write_text(korean.read_text(encoding="utf-8").replace("⟦ko: ", "⟦ko: まだ日本語 ", 1), encoding="utf-8")
    result = run_cli("site", "check", "--site", str(REPO / "site"))
    assert result.exit_code == 1
    assert "site check failed for ko" in result.stdout and "site check passed for zh-hans" in result.stdout
    assert "site check passed: 2 posts" in result.stdout and "Japanese left: ⟦ko: まだ日本語" in result.stdout


def test_the_site_check_finds_kana_in_chinese_text_not_its_han_characters() -> None:
    from pipeline.site.checks import leftover_japanese

    assert leftover_japanese(["生成式人工智能很重要。"], han_script=True) == []
    assert leftover_japanese(["生成式人工智能很重要。東京ですね"], han_script=True) == ["生成式人工智能很重要。東京ですね"]
    assert leftover_japanese(["生成式人工智能很重要。"]) == ["生成式人工智能很重要。"]  # in any other language it is Japanese left


# --- review, XLIFF ---------------------------------------------------------------------------


def test_xliff_per_language_and_import_writes_into_the_language_the_file_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lxml import etree

    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    _site(tmp_path, '[translate]\ntargets = ["EN-US", "KO"]\n')
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    result = run_cli("review")
    assert result.exit_code == 0, result.stdout + result.stderr
    review = tmp_path / ".cache" / "pipeline" / "review"
    assert "⟦ko: " in (review / "report.ko.html").read_text(encoding="utf-8")
    assert "⟦ko: " not in (review / "report.html").read_text(encoding="utf-8") and (review / "summary.ko.md").is_file()
    result = run_cli("export", "--all", "-o", "out.xlf")
    assert result.exit_code == 0, result.stdout + result.stderr
    english, korean = etree.parse("out.xlf"), etree.parse("out.ko.xlf")
    assert {f.get("target-language") for f in english.findall("x:file", ns)} == {"en-us"}
    assert {f.get("target-language") for f in korean.findall("x:file", ns)} == {"ko"}
    unit = next(u for u in korean.iterfind(".//x:trans-unit", ns) if "倫理的な問題" in "".join(u.find("x:source", ns).itertext()))
    target = unit.find("x:target", ns)
    assert "⟦ko: " in "".join(target.itertext())
    target.text, target.attrib["state"] = "검토: " + (target.text or ""), "translated"
    korean.write("out.ko.xlf", xml_declaration=True, encoding="UTF-8")
    before = _tree(tmp_path / "content") | _tree(tmp_path / "translations")
    result = run_cli("import", "out.ko.xlf")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 segment(s) applied" in result.stdout
    after = _tree(tmp_path / "content") | _tree(tmp_path / "translations")
    assert {k for k in after if before.get(k) != after[k]} == {f"ko/{POST}", f"ko/{POST}.json", "ko/memory.jsonl"}
    assert "\n검토: ⟦ko: " in after[f"ko/{POST}"].decode("utf-8") and "검토" in after["ko/memory.jsonl"].decode("utf-8")
    # a file holding two languages is refused whole
    english.getroot().append(korean.find("x:file", ns))
    english.write("mixed.xlf", xml_declaration=True, encoding="UTF-8")
    result = run_cli("import", "mixed.xlf")
    assert result.exit_code != 0 and "is in 'ko', not 'en-us': one language per file" in result.stdout + result.stderr


# --- CI shards ---------------------------------------------------------------------------------


def test_merge_shards_gathers_every_language_each_with_its_own_report_and_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    main = _site(tmp_path / "main")
    for k in (1, 2):
        shard = tmp_path / f"shard-{k}"
        shutil.copytree(main, shard)
        monkeypatch.chdir(shard)
        result = run_cli("translate", "--engine", "pseudo", "--shard", f"{k}/2", "--report", "report.json")
        assert result.exit_code == 0, result.stderr
        assert {p.name for p in shard.glob("report*.json")} == {"report.json", "report.zh-hans.json", "report.ko.json"}
    monkeypatch.chdir(main)
    result = run_cli("merge-shards", str(tmp_path / "shard-1"), str(tmp_path / "shard-2"), "--summary", "summary.md")
    assert result.exit_code == 0, result.stdout + result.stderr
    names = sorted(p.name for p in (main / "content" / "ja").glob("*.md"))
    for folder, state in (("en", "translations"), ("zh-hans", "translations/zh-hans"), ("ko", "translations/ko")):
        assert sorted(p.name for p in (main / "content" / folder).glob("*.md")) == names
        assert sorted(p.name for p in (main / state).glob("*.md.json")) == [f"{n}.json" for n in names]
    summaries = {p.name: p.read_text(encoding="utf-8") for p in main.glob("summary*.md")}
    assert sorted(summaries) == ["summary.ko.md", "summary.md", "summary.zh-hans.md"]
    assert summaries["summary.ko.md"].startswith("### KO (content/ko)\n\n**2 edition(s) written** by 2 shard(s)")
    assert summaries["summary.md"].startswith("### EN-US (content/en)\n\n**2 edition(s) written** by 2 shard(s)")
    assert run_cli("check", "--engine", "pseudo").exit_code == 0


def test_glossary_check_counts_each_languages_terms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    (site / "glossary" / "terms.tsv").write_text(TERMS, encoding="utf-8")
    monkeypatch.chdir(site)
    result = run_cli("glossary", "check")
    assert result.exit_code == 0, result.stderr
    assert "per language: EN-US 2 terms, 6 taxonomy, ZH-HANS 1 terms, 0 taxonomy, KO 2 terms, 0 taxonomy" in result.stdout


def test_the_review_flags_kana_and_untranslated_text_in_chinese_not_han_characters() -> None:
    from pipeline.inline import protect_plain
    from pipeline.review.checks import japanese_left

    source = protect_plain("生成AIは重要です。", None)
    chinese, kana, copied = (protect_plain(t, None) for t in ("生成式人工智能很重要。", "生成式人工智能はとても重要。", "生成AIは重要です。"))
    assert japanese_left(chinese, source, han_script=True) is None
    found = japanese_left(kana, source, han_script=True)
    assert found is not None and "はとても" in found.message
    found = japanese_left(copied, source, han_script=True)
    assert found is not None and found.message == "the translation is the Japanese source as it was"
    assert japanese_left(chinese, source) is not None  # in English, Han characters are Japanese left
