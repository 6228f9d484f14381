"""Texts inside markup (issue 14, item 2): a Markdown link or image title and the `alt`,
`title` and `aria-label` of inline HTML in running text are translated as texts of their
own and written back between their delimiters; the sentence around them is sent without
them, so an engine never weaves them into its words."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, make_site, run_cli

from pipeline.japanese import VISIBLE_JAPANESE
from pipeline.segment import split

POST = REPO / "tests" / "fixtures" / "jekyll" / "2025-02-03-titles-and-attributes.md"
TITLES = ["ドキュメントの説明", "構成図の題", "題だけの画像", "アプリケーションの接点", "小さな図", "閉じる", "表の中の題", "略語の説明", "トップへ"]


def _body(text: str) -> str:
    return text.split("---\n", 2)[2]


def test_each_title_is_a_text_of_its_own_and_never_inside_the_sentence() -> None:
    segments = split(_body(POST.read_text(encoding="utf-8")), dialect="kramdown").segments
    attached = [a.protected.xml for s in segments for a in s.protected.attached]
    assert attached == TITLES
    assert not any(title in s.xml for s in segments for title in TITLES)
    # a reference definition's title: a segment of its own (every link to it shows it)
    assert [(s.kind, s.xml) for s in segments if s.kind == "link_title"] == [("link_title", "参考資料の題")]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> Path:  # type: ignore[no-untyped-def]
    make_site(tmp_path, [POST])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _english(text: str, params: object) -> str:
    """The test server's answer: each Japanese run in brackets, as an English word would stand."""
    return re.sub(VISIBLE_JAPANESE.pattern + "+", lambda m: f"EN({len(m.group(0))})", text)


def test_titles_are_sent_apart_written_back_and_a_title_edit_bills_only_itself(site: Path, deepl_env) -> None:  # type: ignore[no-untyped-def]
    deepl_env.set_translator(_english)
    assert run_cli("translate").exit_code == 0
    sent = [t for r in deepl_env.requests if r.path.endswith("/translate") for t in r.texts]
    for title in TITLES:
        assert title in sent, (title, sent)
    english = _body((site / "content" / "en" / POST.name).read_text(encoding="utf-8"))
    labels = re.compile(r"\]\[[^\]]*\]|^\[[^\]]*\]:", re.MULTILINE)  # reference labels: never on the page
    assert VISIBLE_JAPANESE.findall(labels.sub("", english)) == [], english
    for written in (
        '[EN(8)](https://example.com/docs "EN(9)")',
        '![EN(3)](https://example.com/a.png "EN(5)")',
        "![](https://example.com/b.png 'EN(6)')",
        '<abbr title="EN(11)">API</abbr>',
        '<img src="https://example.com/c.png" alt="EN(4)" width="8">',
        '<a href="https://example.com/close" aria-label="EN(3)">×</a>',
        '[EN(3)](https://example.com/t "EN(5)")',
        '<abbr title="EN(5)">HTML</abbr>',
        '<a href="https://example.com/" title="EN(4)">',
        '[参考資料]: https://example.com/ref "EN(6)"',
        '<a href="https://example.com/card" title="EN(5)">',  # around blocks: a value of its own
    ):
        assert written in english, (written, english)
    # the author changes one title: only that title is bought again
    source = site / "content" / "ja" / POST.name
    source.write_text(source.read_text(encoding="utf-8").replace("構成図の題", "新しい構成図の題"), encoding="utf-8")
    billed = deepl_env.billed_characters
    assert run_cli("translate").exit_code == 0
    assert deepl_env.billed_characters - billed == len("新しい構成図の題")
    assert '![EN(3)](https://example.com/a.png "EN(8)")' in (site / "content" / "en" / POST.name).read_text(encoding="utf-8")


def test_a_translators_title_sticks_through_a_re_translation(site: Path, deepl_env) -> None:  # type: ignore[no-untyped-def]
    deepl_env.set_translator(_english)
    assert run_cli("translate").exit_code == 0
    edition = site / "content" / "en" / POST.name
    edition.write_text(edition.read_text(encoding="utf-8").replace('"EN(9)"', '"About the docs"'), encoding="utf-8")
    assert run_cli("translate", "--force").exit_code == 0
    assert '(https://example.com/docs "About the docs")' in edition.read_text(encoding="utf-8")


def test_a_title_answer_that_holds_its_delimiter_stays_a_title(site: Path, deepl_env) -> None:  # type: ignore[no-untyped-def]
    deepl_env.set_translator(lambda text, params: 'Say "hi" (now)' if "<" not in text else _english(text, params))
    assert run_cli("translate").exit_code == 0
    english = _body((site / "content" / "en" / POST.name).read_text(encoding="utf-8"))
    assert '(https://example.com/docs "Say \u201dhi\u201d (now)")' in english
    assert "(https://example.com/b.png 'Say \"hi\" (now)')" in english
    assert '<abbr title="Say &quot;hi&quot; (now)">API</abbr>' in english


def test_identity_round_trip_keeps_every_byte(site: Path) -> None:
    assert run_cli("translate", "--engine", "identity").exit_code == 0
    assert (site / "content" / "en" / POST.name).read_text(encoding="utf-8").split("---\n", 2)[2] == _body(POST.read_text(encoding="utf-8"))


def test_the_translated_attributes_are_a_setting(site: Path, deepl_env) -> None:  # type: ignore[no-untyped-def]
    """`[html] translate_attributes`: only `alt` here; titles of HTML stay, counted as left
    (Markdown titles are the title syntax of Markdown, not an HTML attribute: still sent)."""
    (site / "pipeline.toml").write_text('[html]\ntranslate_attributes = ["alt"]\n', encoding="utf-8")
    deepl_env.set_translator(_english)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    english = _body((site / "content" / "en" / POST.name).read_text(encoding="utf-8"))
    assert '<abbr title="アプリケーションの接点">API</abbr>' in english and 'alt="EN(4)"' in english
    assert 'aria-label="閉じる"' in english and '"EN(9)"' in english
    left = len("アプリケーションの接点" + "閉じる" + "略語の説明" + "トップへ" + "カードの題")
    assert f"{left} of " in result.stdout and f"attributes {left}" in result.stdout, result.stdout
    # the setting is part of what an edition was built with: changing it makes it stale
    (site / "pipeline.toml").write_text('[html]\ntranslate_attributes = ["alt", "title", "aria-label"]\n', encoding="utf-8")
    assert "1 stale" in run_cli("status").stdout
    (site / "pipeline.toml").write_text('[html]\ntranslate_attributes = ["Title!"]\n', encoding="utf-8")
    bad = run_cli("translate")
    assert bad.exit_code == 2 and "html.translate_attributes" in bad.stderr + bad.stdout


def _xliff_round_trip(site: Path, edits: dict[str, str], state: str = "translated") -> Any:
    """Export every unit, give the units whose source is a key of `edits` its value as a
    translator's target (`state`), and import the file: the import's result."""
    from lxml import etree
    from test_review import run_review
    from test_xliff import NS

    path = site / "out.xlf"
    assert run_review("export", "--all", "-o", str(path)).exit_code == 0
    tree = etree.parse(str(path))
    todo = dict(edits)
    for unit in tree.iterfind(".//x:trans-unit", NS):
        source = "".join(unit.find("x:source", NS).itertext())
        if source in todo:
            target = unit.find("x:target", NS)
            target.text = todo.pop(source)
            target.set("state", state)
    assert todo == {}, "a unit is missing from the export"
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return run_review("import", str(path))


def test_xliff_import_of_html_text_and_attribute_units_sticks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, item 6: the HTML note's text and attribute values are XLIFF units that a
    translator's CAT tool sends back; importing them writes exactly those texts, and the
    next run keeps them without asking the engine."""
    note = REPO / "tests" / "fixtures" / "jekyll" / "2025-02-01-html-note.md"
    make_site(tmp_path, [note])
    monkeypatch.chdir(tmp_path)
    deepl_env.set_translator(_english)
    assert run_cli("translate").exit_code == 0
    result = _xliff_round_trip(tmp_path, {"ヒント": "Tip", "注意の題": "About this note", "画像の説明": "A picture"})
    assert result.exit_code == 0 and "3 segment(s) applied" in result.stdout, result.stdout + result.stderr
    edition = tmp_path / "content" / "en" / note.name
    english = edition.read_text(encoding="utf-8")
    for written in ("<h5>Tip</h5>", '<p title="About this note">', 'alt="A picture"'):
        assert written in english, (written, english)
    deepl_env.reset_log()
    assert run_cli("translate", "--force").exit_code == 0
    assert deepl_env.translate_requests == [] and edition.read_text(encoding="utf-8") == english


def test_xliff_carries_titles_as_units_and_imports_them_into_their_markup(site: Path, deepl_env) -> None:  # type: ignore[no-untyped-def]
    """Issue 14, item 6: each title is a unit of its own (after its paragraph's); the
    paragraph's target keeps its English titles; importing a title writes it between its
    delimiters (or into its attribute), alongside an edit of its paragraph's words."""
    from lxml import etree
    from test_review import run_review
    from test_xliff import NS, xliff_schema

    deepl_env.set_translator(_english)
    assert run_cli("translate").exit_code == 0
    path = site / "out.xlf"
    assert run_review("export", "--all", "-o", str(path)).exit_code == 0
    tree = etree.parse(str(path))
    assert xliff_schema().validate(tree)
    units = {"".join(u.find("x:source", NS).itertext()): u for u in tree.iterfind(".//x:trans-unit", NS)}
    for title in TITLES:
        assert ", title " in units[title].get("resname"), title
    edits = {"構成図の題": 'The "big" picture', "アプリケーションの接点": "Where <apps> meet", "参考資料の題": "References"}
    for source, text in edits.items():
        target = units[source].find("x:target", NS)
        target.text = text
        target.set("state", "translated")
    paragraph = next(u for s, u in units.items() if s.startswith("構成図と"))
    target = paragraph.find("x:target", NS)
    target.text = "Reviewed: " + (target.text or "")
    target.set("state", "translated")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    result = run_review("import", str(path))
    assert result.exit_code == 0 and "4 segment(s) applied" in result.stdout, result.stdout + result.stderr
    edition = site / "content" / "en" / POST.name
    english = edition.read_text(encoding="utf-8")
    assert '[参考資料]: https://example.com/ref "References"' in english, english
    assert 'Reviewed: ![EN(3)](https://example.com/a.png "The \u201dbig\u201d picture")' in english, english
    assert '<abbr title="Where &lt;apps> meet">API</abbr>' in english, english
    deepl_env.reset_log()
    assert run_cli("translate", "--force").exit_code == 0
    assert deepl_env.translate_requests == [] and edition.read_text(encoding="utf-8") == english


def test_a_title_answer_that_lost_its_tags_keeps_the_japanese_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:  # type: ignore[no-untyped-def]
    """A title holding a glossary name travels with the name as a tag; an answer without it
    is refused: the Japanese title stays in the markup, flagged with its line, counted as left."""
    post = tmp_path / "post.md"
    post.write_text('---\ntitle: t\n---\n\n詳しくは[資料](/x "Amazon Bedrockの説明")を読む。\n', encoding="utf-8")
    make_site(tmp_path, [post])
    monkeypatch.chdir(tmp_path)
    deepl_env.set_translator(lambda text, params: re.sub(r"<x[^>]*>.*?</x>|<x[^>]*/>", "", text) if "Bedrock" in text else _english(text, params))
    result = run_cli("translate", "--report", "r.json")
    assert result.exit_code == 0, result.stdout + result.stderr
    english = (tmp_path / "content" / "en" / "post.md").read_text(encoding="utf-8")
    assert '[EN(2)](/x "Amazon Bedrockの説明")' in english, english
    report = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert '"code": "attribute-kept"' in report and "'Amazon Bedrockの説明'" in report and '"line": 5' in report, report
    assert f"{len('の説明')} of " in result.stdout, result.stdout


def test_a_glossary_term_in_a_title_is_checked_like_one_in_the_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:  # type: ignore[no-untyped-def]
    post = tmp_path / "post.md"
    post.write_text('---\ntitle: t\n---\n\n詳しくは[資料](/x "生成AIの説明")を読む。\n', encoding="utf-8")
    make_site(tmp_path, [post])
    monkeypatch.chdir(tmp_path)
    deepl_env.set_translator(lambda text, params: "An explanation" if text.startswith("生成") else _english(text, params))
    result = run_cli("translate", "--strict")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "生成AI" in result.stdout + result.stderr and "generative AI" in result.stdout + result.stderr
    deepl_env.set_translator(lambda text, params: "About generative AI" if text.startswith("生成") else _english(text, params))
    shutil.rmtree(tmp_path / ".cache")
    assert run_cli("translate", "--force", "--retry-flagged", "--strict").exit_code == 0


@pytest.mark.skipif(shutil.which("jekyll") is None, reason="needs Debian's jekyll (apt-get install -y jekyll ruby-jekyll-polyglot)")
def test_an_attribute_added_to_the_setting_is_translated_and_the_site_check_reads_it_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    post = tmp_path / "2025-03-01-tooltip.md"
    post.write_text('---\ntitle: t\n---\n\n<div class="x">\n<p>本文に<span data-tooltip="補足の説明">ヒント</span>があります。</p>\n</div>\n', encoding="utf-8")
    make_site(tmp_path, [post])
    shutil.copytree(REPO / "site", tmp_path / "site")
    (tmp_path / "pipeline.toml").write_text('[html]\ntranslate_attributes = ["alt", "title", "aria-label", "data-tooltip"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    assert 'data-tooltip="⟦hosoku no setsumei⟧"' in (tmp_path / "content" / "en" / post.name).read_text(encoding="utf-8")
    checked = run_cli("site", "check")
    assert checked.exit_code == 0 and "site check passed" in checked.stdout, checked.stdout + checked.stderr


def test_an_edition_recorded_before_definition_titles_were_read_still_lines_up(site: Path, deepl_env) -> None:  # type: ignore[no-untyped-def]
    """A state written before a reference definition's title was a segment has one record
    fewer than the edition now reads: the translator's edit is kept, nothing needs merging."""
    import json

    deepl_env.set_translator(_english)
    assert run_cli("translate").exit_code == 0
    state_file = site / "translations" / f"{POST.name}.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    body = [i for i, record in enumerate(state["segments"]) if record["f"] is None]
    del state["segments"][body[-1]]  # the definition's title: the last body segment here
    state_file.write_text(json.dumps(state), encoding="utf-8")
    edition = site / "content" / "en" / POST.name
    edition.write_text(edition.read_text(encoding="utf-8").replace('"EN(9)"', '"About the docs"'), encoding="utf-8")
    result = run_cli("translate", "--force")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert '(https://example.com/docs "About the docs")' in edition.read_text(encoding="utf-8")
    assert run_cli("check").exit_code == 0


def test_xliff_import_of_two_titles_of_one_element(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> None:  # type: ignore[no-untyped-def]
    post = tmp_path / "2025-03-02-img.md"
    post.write_text('---\ntitle: t\n---\n\n図は<img src="/a.png" alt="図の説明" title="図の題">です。\n', encoding="utf-8")
    make_site(tmp_path, [post])
    monkeypatch.chdir(tmp_path)
    deepl_env.set_translator(_english)
    assert run_cli("translate").exit_code == 0
    result = _xliff_round_trip(tmp_path, {"図の説明": "The figure, described", "図の題": "The figure's title"}, state="final")
    assert result.exit_code == 0 and "2 segment(s) applied" in result.stdout, result.stdout + result.stderr
    english = (tmp_path / "content" / "en" / post.name).read_text(encoding="utf-8")
    assert '<img src="/a.png" alt="The figure, described" title="The figure\'s title">' in english, english
