"""The term base: validation with file and line, protection, DeepL glossary sync, checks."""

from __future__ import annotations

from pathlib import Path

import tomllib

import pytest
import yaml
from deepl_server import billable
from helpers import make_site, run_cli

from pipeline.errors import GlossaryError
from pipeline.glossary import load_glossary, prose_of_markdown


def write_tsv(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "terms.tsv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("term\t生成AI\tgenerative AI\t\nterm\t生成AI\tgen AI\t\n", 2, "already defined"),
        ("term\t生成AI\t\t\n", 1, "empty English target"),
        ("# comment\nterm 生成AI generative AI\n", 2, "are the tabs spaces?"),
        ("brand\tAWS\t\t\n", 1, "unknown kind 'brand'"),
        ("name\tAWS\tAmazon Web Services\t\n", 1, "never translated"),
    ],
)
def test_bad_entries_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write_tsv(tmp_path / "glossary", text)
    with pytest.raises(GlossaryError) as info:
        load_glossary(tmp_path / "glossary")
    assert info.value.path == path and info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_repo_glossary_is_valid_and_covers_the_samples() -> None:
    glossary = load_glossary(Path(__file__).parent.parent / "glossary")
    for name in ("Amazon Bedrock", "SageMaker", "Trainium", "Inferentia2", "Nvidia", "Anthropic", "Claude",
                 "CodeWhisperer", "AWS re:Invent", "Titan", "Llama", "H100", "GH200"):
        assert name in glossary.names
    assert glossary.terms["基盤モデル"] == "foundation model"
    assert glossary.taxonomy["投資分析"] == "Investment Analysis"
    pattern = glossary.keep_pattern
    assert pattern is not None
    assert [m.group(0) for m in pattern.finditer("Amazon BedrockとTitaniumとTitan")] == ["Amazon Bedrock", "Titan"]


def test_glossary_check_command_lists_terms_and_fails_on_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    ok = run_cli("glossary", "check")
    assert ok.exit_code == 0
    assert "基盤モデル → foundation model ×8" in ok.stdout
    (tmp_path / "glossary" / "zz.tsv").write_text("term\t基盤モデル\tbase model\t\n", encoding="utf-8")
    bad = run_cli("glossary", "check")
    assert bad.exit_code == 2
    assert "zz.tsv:1:" in bad.stderr and "foundation model" in bad.stderr


class TestWithTheServer:
    @pytest.fixture
    def site(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> Path:
        make_site(tmp_path)
        monkeypatch.chdir(tmp_path)
        return tmp_path

    def test_glossary_created_once_and_its_id_sent_every_time(self, site: Path, deepl_env) -> None:
        assert run_cli("translate").exit_code == 0
        assert run_cli("translate", "--force", "--to", "EN-GB").exit_code == 0
        assert deepl_env.glossaries_created == 1
        (glossary,) = deepl_env.glossaries.values()
        assert glossary.name.startswith("pipeline-")
        requests = deepl_env.translate_requests
        assert requests and all(r.body.get("glossary_id") == glossary.glossary_id for r in requests)

    def test_new_glossary_version_replaces_the_old(self, site: Path, deepl_env) -> None:
        assert run_cli("translate").exit_code == 0
        (old,) = deepl_env.glossaries.values()
        old.creation_time = "2000-01-01T00:00:00.000Z"  # past the grace period (a younger one may be another tree's)
        with (site / "glossary" / "terms.tsv").open("a", encoding="utf-8") as handle:
            handle.write("term\t半導体\tsemiconductor\t\n")
        assert run_cli("translate").exit_code == 0
        assert deepl_env.glossaries_created == 2 and deepl_env.glossaries_deleted == 1
        assert len(deepl_env.glossaries) == 1

    def test_editing_one_term_rebills_only_segments_containing_it(self, site: Path, deepl_env) -> None:
        assert run_cli("translate").exit_code == 0
        deepl_env.reset_log()
        terms = site / "glossary" / "terms.tsv"
        terms.write_text(terms.read_text(encoding="utf-8").replace("\tinference\t", "\tinferencing\t"), encoding="utf-8")
        assert run_cli("translate").exit_code == 0
        sent = deepl_env.texts_sent
        assert sent, "the edited term's segments were not re-sent"
        assert all("推論" in text for text in sent)
        # 4 occurrences of 推論 in the samples, in 4 distinct segments
        assert len(sent) == 4
        assert deepl_env.billed_characters == sum(billable(t, "xml") for t in sent)

    def test_names_survive_the_engine_unchanged(self, site: Path, deepl_env) -> None:
        deepl_env.set_translator(lambda text, params: text.replace("Bedrock", "Bed rock"))
        assert run_cli("translate").exit_code == 0
        edition = (site / "content" / "en" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")
        assert "Bed rock" not in edition and "**Amazon Bedrock**" in edition

    def test_check_flags_a_wrong_term_and_strict_fails(self, site: Path, deepl_env) -> None:
        deepl_env.set_translator(lambda text, params: text.replace("基盤モデル", "basic model"))
        result = run_cli("translate", "--strict")
        assert result.exit_code == 1
        assert "glossary: term '基盤モデル' should be translated as 'foundation model'" in result.stderr

def test_strict_stays_failed_while_a_miss_remains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:
    """--strict is sticky (issue 15, item 18): the miss is recorded in the state, so a
    re-run that has nothing to translate, and `check --strict`, still fail on it until a
    person fixes the English."""
    make_site(tmp_path, [])
    (tmp_path / "content" / "ja" / "2025-01-01-model.md").write_text(
        "---\ntitle: 記事\n---\n\n基盤モデルを使います。\n\n別の段落です。\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    # English throughout (no Japanese left for --strict to fail on), with the term wrong
    deepl_env.set_translator(lambda text, params: "We use the basic model." if "基盤モデル" in text else "Other words.")
    assert run_cli("translate", "--strict").exit_code == 1
    again = run_cli("translate", "--strict")
    assert again.exit_code == 1, again.stdout + again.stderr
    assert "2025-01-01-model.md: glossary: still missing from the English: 基盤モデル" in again.stderr
    assert run_cli("translate").exit_code == 0  # without --strict a miss is a warning
    check = run_cli("check", "--strict")
    assert check.exit_code == 1 and "glossary: content/ja/2025-01-01-model.md" in check.stdout and "基盤モデル" in check.stdout, check.stdout
    assert run_cli("check").exit_code == 0
    # a translator puts the term right: the miss is gone, from the state too
    edition = tmp_path / "content" / "en" / "2025-01-01-model.md"
    edition.write_text(edition.read_text(encoding="utf-8").replace("basic model", "foundation model"), encoding="utf-8")
    fixed = run_cli("translate", "--strict")
    assert fixed.exit_code == 0, fixed.stderr
    assert run_cli("check", "--strict").exit_code == 0


def test_pseudo_keeps_names_and_applies_terms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo", "--strict")
    assert result.exit_code == 0, result.stderr
    edition = (tmp_path / "content" / "en" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")
    assert "**Amazon Bedrock**" in edition and "foundation model" in edition
    assert 'categories: ["Investment Analysis"]' in edition
    assert 'tags: ["AI", "Latest News", "Tech Trends", "Amazon", "Investment", "Chips"]' in edition


OVERLAPPING = "term\t推論\tinference\t\nterm\t推論モデル\treasoning model\t\n"


def test_the_longest_term_wins_where_terms_overlap(tmp_path: Path) -> None:
    write_tsv(tmp_path / "glossary", OVERLAPPING)
    glossary = load_glossary(tmp_path / "glossary")
    assert glossary.misses("推論モデルを使う", "use a reasoning model") == []
    assert glossary.misses("推論モデルの推論は速い", "the reasoning model reasons fast") == [("推論", "inference")]
    assert glossary.occurrences("推論モデルと推論モデル、そして推論") == {"推論モデル": 2, "推論": 1}


def test_overlapping_terms_strict_run_and_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:
    make_site(tmp_path, [])
    write_tsv(tmp_path / "glossary", OVERLAPPING)
    post = tmp_path / "content" / "ja" / "2025-01-01-reasoning.md"
    post.write_text("---\ntitle: 推論\n---\n\n推論モデルを使う。推論モデルは速い。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    deepl_env.set_translator(lambda text, params: text.replace("推論モデルを使う。推論モデルは速い。", "Use a reasoning model. Reasoning models are fast.").replace("推論", "inference"))
    result = run_cli("translate", "--strict")
    assert result.exit_code == 0, result.stderr
    assert "glossary:" not in result.stderr
    usage = run_cli("glossary", "check")
    assert "推論 → inference ×1, 推論モデル → reasoning model ×2" in usage.stdout, usage.stdout


def test_glossary_check_reports_every_error_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path, [])
    (tmp_path / "glossary" / "zz.tsv").write_text(
        "brand\tAWS\t\t\nterm\t生成AI\t\t\nterm\t基盤モデル\tbase model\t\n", encoding="utf-8"
    )
    (tmp_path / "glossary" / "zzz.tsv").write_text("term 推論 inference\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("glossary", "check")
    assert result.exit_code == 2
    for where in ("zz.tsv:1: unknown kind", "zz.tsv:2: empty English target", "zz.tsv:3: '基盤モデル' is already defined", "zzz.tsv:1: malformed line"):
        assert where in result.stderr, result.stderr
    assert "4 errors in the glossary" in result.stderr


def test_a_term_split_by_markup_in_reused_english_is_not_a_miss() -> None:
    assert prose_of_markdown("the **foundation** model, [`AWS`](https://x) and <em>it</em>") == "the foundation model, AWS(https://x) and it"


@pytest.mark.parametrize("fence", ["---", "+++"])
def test_space_separated_categories_and_tags_map_item_by_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fence: str) -> None:
    """Jekyll splits a `categories:` or `tags:` string on spaces (issue 15, item 21): each
    item maps through the taxonomy; English names with a space become a list, which Jekyll
    reads as the same items."""
    make_site(tmp_path, [])
    sep = ":" if fence == "---" else " ="
    q = "" if fence == "---" else '"'
    (tmp_path / "content" / "ja" / "2025-01-01-split.md").write_text(
        f"{fence}\ntitle{sep} {q}題名{q}\ncategories{sep} {q}投資 チップ{q}\ntags{sep} {q}投資分析 技術動向{q}\n{fence}\n\n本文です。\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 0, result.stderr
    assert "unmapped-taxonomy" not in result.stderr, result.stderr
    edition = (tmp_path / "content" / "en" / "2025-01-01-split.md").read_text(encoding="utf-8")
    head = edition.split(fence)[1]
    values = yaml.safe_load(head) if fence == "---" else tomllib.loads(head)
    assert values["categories"] == "Investment Chips"  # still a string: Jekyll splits it into the two
    assert values["tags"] == ["Investment Analysis", "Tech Trends"]
