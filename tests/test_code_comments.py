"""Japanese comments in code blocks are translated; every other byte of the block is kept (issue 26).

Why: a reader of the English page reads a code sample's comments as much as its prose. The
comments are found by Pygments' lexer for the fence's language (pipeline/code.py), each comment
line a `code-comment` segment; the code around them, string literals included, is the author's.
An engine's answer cannot leave its comment: it is kept on one line, the block comment's markers
are broken up, and the lexer must still read one comment there, or the Japanese is kept.
The real Jekyll (Rouge) is the judge of the highlighted page's element structure.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from deepl_server import DeepLTestServer
from helpers import REPO, has_jekyll, make_site, run_cli

from pipeline import leftovers
from pipeline.code import Comment, comment_texts
from pipeline.config import Settings, load_settings
from pipeline.errors import StructureError
from pipeline.glossary import Glossary
from pipeline.post import read_post
from pipeline.engines.pseudo import PseudoEngine
from pipeline.inline import restore
from pipeline.segment import splice, split
from pipeline.site.checks import check_site
from pipeline.state import settings_fingerprint

POST = REPO / "tests" / "fixtures" / "jekyll" / "2025-03-01-code-comments.md"
# The fixture's Japanese comment texts and the English the test server gives for each
ENGLISH = {
    "設定ファイルを読み込む": "Load the settings file",
    "読み込んだ値を返す": "Return the loaded value",
    "複数行のコメント": "A comment of several lines",
    "初期化する": "Initialise",
    "二行目の説明": "What the second line does",
    "値を一つ増やす": "Add one to the value",
    "依存関係をインストールする": "Install the dependencies",
    "少し時間がかかります": "This takes a while",
    "挨拶を表示する": "Print a greeting",  # in a `{% highlight ruby %}` block
}
# What must stay Japanese: a string literal (code), the block with no language, the prose's own
# test-server answers aside
KEPT_IN_CODE = ('YAML.load_file("設定.yml")', 'echo "完了"', "# 言語なしのブロック", 'puts "こんにちは"')


def _without_comments(text: str, comments: list[str]) -> str:
    """`text` with each comment text (in order) cut out: what must stay byte for byte."""
    out, pos = [], 0
    for comment in comments:
        at = text.index(comment, pos)
        out.append(text[pos:at])
        pos = at + len(comment)
    out.append(text[pos:])
    return "".join(out)


def _body(path: Path) -> str:
    post = read_post(path)
    return post.body


def test_comment_lines_are_segments_and_strings_are_not() -> None:
    segments = [s for s in split(_body(POST), dialect="kramdown").segments if s.kind == "code-comment"]
    assert [s.source for s in segments] == list(ENGLISH)
    assert all("設定.yml" not in s.source and "完了" not in s.source for s in segments)


def test_a_console_sessions_command_comments_are_segments() -> None:
    """maku77's notes: ```` ```console ```` with `$ git log --name-only    # ファイル名を表示`.
    Rouge (and Pygments' session lexer) reads the words after `#` on a prompt line as a
    comment, shown on the page; lexed alone, without the prompt, the lexer read them as the
    session's output, so no comment was found and the Japanese stayed. An output line's `#`
    is output, as on the page, and stays."""
    body = "```console\n$ git log --name-only    # ファイル名を表示\n# 出力の行\n>>> x\n```\n\n```pycon\n>>> x = 1  # 値を入れる\n```\n"
    segments = [s for s in split(body, dialect="kramdown").segments if s.kind == "code-comment"]
    assert [s.source for s in segments] == ["ファイル名を表示", "値を入れる"]
    answers = PseudoEngine().translate([s.xml for s in segments])
    english = splice(body, [(s.start, s.end, restore(a.text, s.protected)) for s, a in zip(segments, answers)])
    assert "# ⟦fairu mei wo hyouji⟧" in english and "# 出力の行" in english and "# ⟦atai wo ire ru⟧" in english


def _english(text: str, params: object) -> str:
    """The test server's hook: the fixture's comments in English, every other text marked."""
    del params
    return ENGLISH.get(text, "EN: " + text)


def test_deepl_gives_english_comments_and_byte_identical_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path, [POST])
    monkeypatch.chdir(tmp_path)
    with DeepLTestServer() as server:
        server.set_translator(_english)
        monkeypatch.setenv("DEEPL_AUTH_KEY", server.auth_key)
        monkeypatch.setenv("DEEPL_SERVER_URL", server.url)
        result = run_cli("translate", "--engine", "deepl")
        sent = [text for request in server.translate_requests for text in request.texts]
    assert result.exit_code == 0, result.stdout + result.stderr
    assert set(ENGLISH) <= set(sent)  # each comment text sent on its own, markers left out
    english = (tmp_path / "content" / "en" / POST.name).read_text(encoding="utf-8")
    source = _body(POST)
    body = english.split("---\n", 2)[2]
    code = body.split("```", 1)[1]
    for japanese, text in ENGLISH.items():
        assert japanese not in code and text in code
    assert _without_comments(code, list(ENGLISH.values())) == _without_comments(source.split("```", 1)[1], list(ENGLISH))
    for code in KEPT_IN_CODE:
        assert code in body
    assert "Japanese characters in code blocks not translated" in result.stdout


def test_pseudo_and_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path, [POST])
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    edition = tmp_path / "content" / "en" / POST.name
    body = _body(edition)
    assert "# ⟦settei fairu wo yomikomu⟧\n" in body and "// ⟦atai wo hitotsu fuyasu⟧\n" in body
    assert '{% highlight ruby %}\n# ⟦aisatsu wo hyoujisu ru⟧\nputs "こんにちは"\n{% endhighlight %}' in body
    assert not any(japanese in body for japanese in ENGLISH)
    assert run_cli("translate", "--engine", "identity", "--force").exit_code == 0
    assert _body(edition) == _body(POST)


def test_answers_cannot_leave_their_comment() -> None:
    ruby = comment_texts("x = 1 # 値\n", "ruby")[0].comment
    assert ruby.settle("one\ntwo \\") == "one two"  # a line comment ends at the line break
    block = comment_texts("/* 説明 */\nx();\n", "js")[0].comment
    assert block.settle("ends */ x(); /* here") == "ends * / x(); / * here"
    assert Comment("html", "<!-- ", " -->").settle("a --> <script>") == "a -- > <script>"
    assert ruby.settle("{{ site.secret }} {% include x %}") == "{ { site.secret }} { % include x %}"
    lua = comment_texts("--[==[ 説明 ]==]\nlocal x = 1\n", "lua")[0].comment
    with pytest.raises(StructureError, match="code comment"):
        lua.settle("ends ]==] os.exit()")


def test_an_answer_breaking_out_is_refused_and_the_japanese_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    post = tmp_path / "2025-03-02-lua.md"
    post.write_text("---\ntitle: t\n---\n\n```lua\n--[==[ 説明 ]==]\nlocal x = 1\n```\n", encoding="utf-8")
    make_site(tmp_path, [post])
    monkeypatch.chdir(tmp_path)
    with DeepLTestServer() as server:
        server.set_translator(lambda text, params: "ends ]==] os.exit()" if text == "説明" else "EN " + text)
        monkeypatch.setenv("DEEPL_AUTH_KEY", server.auth_key)
        monkeypatch.setenv("DEEPL_SERVER_URL", server.url)
        result = run_cli("translate", "--engine", "deepl")
    assert "1 segments kept in Japanese (structure 1" in result.stdout, result.stdout
    assert "--[==[ 説明 ]==]\nlocal x = 1\n" in (tmp_path / "content" / "en" / post.name).read_text(encoding="utf-8")


def test_blocks_without_a_lexer_are_kept_and_counted() -> None:
    body = "```\n# コメント\n```\n\n```nosuchlanguage\n// コメント\n```\n\n    # 字下げ\n\n```ruby\n# 説明\nputs '文字'\n```\n"
    assert [s.source for s in split(body, dialect="kramdown").segments] == ["説明"]
    left = leftovers.count(body, "kramdown")
    assert (left.text, left.code) == (2, 4 + 4 + 3 + 2)
    off = leftovers.count(body, "kramdown", comments=False)
    assert (off.text, off.code) == (0, 15)


def test_translate_comments_false_turns_it_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pipeline.toml").write_text("[code]\ntranslate_comments = false\n", encoding="utf-8")
    settings = load_settings(root=tmp_path)
    assert settings.translate_comments is False
    assert settings_fingerprint(settings, Glossary([])) != settings_fingerprint(Settings(root=tmp_path), Glossary([]))
    make_site(tmp_path, [POST])
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    body = _body(tmp_path / "content" / "en" / POST.name)
    assert all(japanese in body for japanese in ENGLISH)
    (tmp_path / "pipeline.toml").write_text("[code]\ntranslate_comments = 1\n", encoding="utf-8")
    bad = run_cli("status")
    assert bad.exit_code != 0 and "'code.translate_comments' must be true or false" in bad.stdout + bad.stderr


_SPAN = re.compile(r'<span class="(c[a-z0-9]*)">([^<]*)</span>')


@pytest.mark.skipif(not has_jekyll(), reason="needs Debian's jekyll")
def test_rouge_highlights_the_english_comments_with_the_same_elements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path, [POST])
    shutil.copytree(REPO / "site", tmp_path / "site")
    monkeypatch.chdir(tmp_path)
    with DeepLTestServer() as server:
        server.set_translator(_english)
        monkeypatch.setenv("DEEPL_AUTH_KEY", server.auth_key)
        monkeypatch.setenv("DEEPL_SERVER_URL", server.url)
        assert run_cli("translate", "--engine", "deepl").exit_code == 0
    report = check_site(tmp_path / "site", tmp_path / "content", dest=tmp_path / "built")
    (row,) = report.rows
    assert row.structure is None, row.structure
    page = next((tmp_path / "built").rglob("en/**/code-comments/index.html")).read_text(encoding="utf-8")
    comments = [text for cls, text in _SPAN.findall(page) if cls in ("c", "c1", "cm")]
    assert "# Load the settings file" in comments and "// Add one to the value" in comments
    assert "# Print a greeting" in comments  # the `{% highlight %}` block's too
    assert not [c for c in comments if any(j in c for j in ENGLISH)]


def test_a_reviewed_comment_comes_back_through_xliff_inside_its_comment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lxml import etree
    from test_review import run_review

    make_site(tmp_path, [POST])
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    path = tmp_path / "out.xlf"
    assert run_review("export", "--all", "-o", str(path)).exit_code == 0
    tree = etree.parse(str(path))
    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    units = {"".join(u.find("x:source", ns).itertext()): u for u in tree.iterfind(".//x:trans-unit", ns)}
    assert set(ENGLISH) <= set(units)  # each comment line is a unit of its own
    assert units["値を一つ増やす"].get("resname", "").endswith("a comment in js code (one line)")
    for source, text in (("初期化する", "Set up\nfirst */ evil();"), ("値を一つ増やす", "Add one")):
        target = units[source].find("x:target", ns)
        target.text = text
        target.set("state", "translated")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    result = run_review("import", str(path))
    assert result.exit_code == 0 and "2 segment(s) applied" in result.stdout, result.stdout + result.stderr
    body = _body(tmp_path / "content" / "en" / POST.name)
    assert "/* Set up first * / evil();\n * ⟦nigyou meno setsumei⟧ */\nconst x = 1; // Add one\n" in body
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    assert "// Add one\n" in _body(tmp_path / "content" / "en" / POST.name)  # the next run keeps the reviewed comment


def test_an_edition_from_before_comments_keeps_its_translators_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Turned on after editions were written without comment segments: the recorded segments
    still line up (edition.lined_up leaves the comments out), so a translator's edit of the
    prose is kept while the comments get translated."""
    make_site(tmp_path, [POST])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipeline.toml").write_text("[code]\ntranslate_comments = false\n", encoding="utf-8")
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    edition = tmp_path / "content" / "en" / POST.name
    text = edition.read_text(encoding="utf-8")
    prose = "⟦settei fairu wo yomikomu rei desu .⟧"
    assert prose in text and "# 設定ファイルを読み込む" in text
    edition.write_text(text.replace(prose, "An example that reads the settings file."), encoding="utf-8")
    (tmp_path / "pipeline.toml").unlink()
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 0, result.stdout + result.stderr
    text = edition.read_text(encoding="utf-8")
    assert "An example that reads the settings file." in text
    assert "# ⟦settei fairu wo yomikomu⟧\n" in text


HADDOCK = "```haskell\n-- | 関数の説明\nrun :: Int -> IO ()\n  -- ^ 引数の説明\n{- | ブロックの説明 -}\n-- * 節の見出し\n-- ふつうの注釈\n```\n"


def test_haddock_markers_stay_the_authors() -> None:
    """haskell-jp's blog: `-- | …` is a documentation comment (Rouge: `cd`), `-- ^ …` documents
    the argument before it. The `|` and `^` are syntax, not words: sent with the text, an
    engine may move or drop them (the pseudo engine's `⟦| …⟧` made Rouge read a plain comment,
    `c1`, and the English page's elements differ)."""
    texts = [s.source for s in split("\n" + HADDOCK, dialect="kramdown").segments if s.kind == "code-comment"]
    assert texts == ["関数の説明", "引数の説明", "ブロックの説明", "節の見出し", "ふつうの注釈"]


@pytest.mark.skipif(not has_jekyll(), reason="needs Jekyll")
def test_haddock_comments_keep_rouges_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path, [])
    (tmp_path / "content" / "ja" / "2025-03-02-haddock.md").write_text("---\ntitle: 説明\n---\n\n" + HADDOCK, encoding="utf-8")
    shutil.copytree(REPO / "site", tmp_path / "site")
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    report = check_site(tmp_path / "site", tmp_path / "content", dest=tmp_path / "built")
    (row,) = report.rows
    assert row.structure is None, row.structure
    page = next((tmp_path / "built").rglob("en/**/haddock/index.html")).read_text(encoding="utf-8")
    assert [cls for cls, _ in _SPAN.findall(page) if cls in ("c", "c1", "cd", "cm")] == ["cd", "c1", "cm", "c1", "c1"], page
