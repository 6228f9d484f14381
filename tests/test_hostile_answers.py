"""What an engine's answer brings is judged, never trusted (issue 25): Liquid an engine appends
is shown on the page, not run by Jekyll, while the author's own Liquid comes back as it was;
an answer that is not valid Unicode is asked once more, then the run's error, never a traceback."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from deepl_server import DeepLTestServer, ServerError
from helpers import REPO, make_site, run_cli
from openai_server import OpenAITestServer
from test_openai_engine import CONFIG

from pipeline import liquid
from pipeline.inline import restore
from pipeline.post import parse_post
from pipeline.segment import split
from pipeline.site.checks import check_site

IDIOMS = REPO / "tests" / "fixtures" / "jekyll"
POSTS = [IDIOMS / "2025-01-01-jekyll-idioms.md", IDIOMS / "2025-02-01-html-note.md", IDIOMS / "2025-02-03-titles-and-attributes.md"]
HOSTILE = " {{ site.time }} {% include x.html %}"
needs_jekyll = pytest.mark.skipif(
    shutil.which("jekyll") is None, reason="needs Debian's jekyll (apt-get install -y jekyll ruby-jekyll-polyglot)"
)


def _tree(root: Path) -> Path:
    (root / "content" / "ja").mkdir(parents=True)
    for post in POSTS:
        shutil.copyfile(post, root / "content" / "ja" / post.name)
    shutil.copytree(REPO / "glossary", root / "glossary")
    shutil.copytree(REPO / "site", root / "site")
    return root


def _body_liquid(path: Path) -> Counter[str]:
    post = parse_post(path, path.read_bytes())
    return Counter(liquid.mask(post.body).tags)


def _assert_shown_not_run(root: Path) -> None:
    for post in POSTS:
        edition = root / "content" / "en" / post.name
        assert _body_liquid(edition) == _body_liquid(post), edition.read_text(encoding="utf-8")
    out = root / "built" / "_site"
    report = check_site(root / "site", root / "content", dest=out)
    assert not [p for p in report.problems if "Japanese left" not in p], report.problems
    assert {row.post: row.structure for row in report.rows} == {post.stem: None for post in POSTS}
    page = (out / "en" / "2025" / "01" / "01" / "jekyll-idioms" / "index.html").read_text(encoding="utf-8")
    # what the engine wrote is what the reader sees, in the text as in the title
    assert "を参照してください。 {{ site.time }} {% include x.html %}</p>" in page, page
    assert '<a href="/en/">' in page  # the author's own `{{ site.baseurl }}/` ran (polyglot adds /en)


@needs_jekyll
def test_liquid_a_deepl_answer_appends_is_shown_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer
) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    deepl_env.respond_with_appended_text(1000, HOSTILE)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    _assert_shown_not_run(root)
    written = {p.name: p.read_bytes() for p in (root / "content" / "en").glob("*.md")}
    again = run_cli("translate", "--force")  # from the cache: the escaped text is ours, not a translator's edit
    assert again.exit_code == 0 and "translator edit" not in again.stdout, again.stdout + again.stderr
    assert {p.name: p.read_bytes() for p in (root / "content" / "en").glob("*.md")} == written


@needs_jekyll
def test_liquid_an_openai_answer_appends_is_shown_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer
) -> None:
    root = _tree(tmp_path)
    (root / "pipeline.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(root)
    openai_server.append_to_answers(1000, HOSTILE)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    _assert_shown_not_run(root)


@pytest.mark.parametrize("dialect", ["kramdown", "commonmark"])
@pytest.mark.parametrize(
    ("answer", "written"),
    [
        ('A {{ x }} and {%y%}<x id="1"/>', "A &#123;{ x }} and &#123;%y%}{{ site.url }}"),
        ('A {<x id="1"/>', "A &#123;{{ site.url }}"),  # the engine's `{` before the author's tag
        ('<x id="1"/>{% x %}', "{{ site.url }}&#123;% x %}"),
    ],
)
def test_an_answers_liquid_is_written_as_a_character_reference(dialect: str, answer: str, written: str) -> None:
    (segment,) = split("本文{{ site.url }}\n", dialect=dialect).segments
    assert segment.protected.xml == '本文<x id="1"/>'
    assert restore(answer, segment.protected) == written


@pytest.mark.parametrize("engine", ["deepl", "openai"])
def test_a_lone_surrogate_is_asked_again_then_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, engine: str
) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    server: DeepLTestServer | OpenAITestServer = request.getfixturevalue("deepl_env" if engine == "deepl" else "openai_server")
    if isinstance(server, DeepLTestServer):
        surrogates = server.respond_with_lone_surrogates
    else:
        surrogates = server.answer_lone_surrogates
        (root / "pipeline.toml").write_text(CONFIG, encoding="utf-8")
    surrogates(1)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [r.fault for r in server.requests].count("surrogate") == 1  # asked once more, and that answer kept
    assert all("\ud800" not in p.read_text(encoding="utf-8") for p in (root / "content" / "en").glob("*.md"))
    for folder in ("content/en", ".cache", "translations"):
        shutil.rmtree(root / folder)
    surrogates(1000)
    result = run_cli("translate")
    output = result.stdout + result.stderr
    assert result.exit_code == 4, output
    assert "Traceback" not in output and "not valid Unicode (a lone surrogate, U+D800)" in output, output


def test_an_answer_whose_pieces_would_make_liquid_keeps_its_japanese_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer
) -> None:
    """The author's `\\{` moved right before the author's `{{ site.url }}` would make `{{{`:
    no escaping of the engine's own text helps, so the answer is refused like a broken tag."""
    post = tmp_path / "2025-04-01-braces.md"
    post.write_text("---\ntitle: t\n---\n\n本文\\{と{{ site.url }}です。\n", encoding="utf-8")
    make_site(tmp_path, [post])
    monkeypatch.chdir(tmp_path)
    deepl_env.set_translator(lambda text, params: 'Text <x id="1">{</x><x id="2"/> end.' if "本文" in text else "T")
    result = run_cli("translate")
    output = result.stdout + result.stderr
    assert result.exit_code == 0, output
    assert "1 segments kept in Japanese" in output and "would add Liquid" in output, output
    assert "本文\\{と{{ site.url }}です。" in (tmp_path / "content" / "en" / post.name).read_text(encoding="utf-8")


def test_a_lone_surrogate_in_a_servers_error_message_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer
) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)

    def refuse(text: str, params: dict[str, object]) -> str:
        raise ServerError(400, "Bad input \ud800 here")

    deepl_env.set_translator(refuse)
    result = run_cli("translate", "--report", str(root / "report.json"))
    output = result.stdout + result.stderr
    assert result.exit_code == 4, output
    assert "Bad input \\ud800 here" in output  # shown escaped, in the output and the report
    assert "Bad input \\\\ud800 here" in (root / "report.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("source", "answer"),
    [
        ("ドキュメントのソート{%- include badge.html -%}", '<x id="1"/> Sorting documents'),  # the tag moved to the front
        ("ドキュメントのソート{%- include badge.html -%}", 'Sorting <x id="1"/> documents.'),  # inside the words
        ("{%- if x %}本文です。{% endif -%}", 'Body. <x id="1"/><x id="2"/>'),
    ],
)
def test_a_liquid_tag_that_trims_whitespace_stays_at_the_texts_end(source: str, answer: str) -> None:
    """jekyllrb-ja's docs: `## …{%- include docs_version_badge.html -%}` over a `{: #id}` line.
    The `-%}` eats the line break after it: on the Japanese page the IAL is part of the
    heading's text. An answer that moves the tag inside its words leaves the line break, and
    the English heading takes the IAL's id: another structure. Such a tag goes back to the
    end (a `{%-` to the start) of the English, where the source has it."""
    (segment,) = split(source + "\n", dialect="kramdown").segments
    restored = restore(answer, segment.protected)
    first, *_, last = liquid.mask(source).tags * 2
    assert restored.endswith(last) and restored.startswith(first) == source.startswith(first), restored
    assert "Sorting" in restored or "Body." in restored
