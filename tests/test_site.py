"""The bilingual site: the real Jekyll (Debian's jekyll + ruby-jekyll-polyglot) builds it.

Builds are skipped only where `jekyll` is not on PATH; the HTML-reading helpers are tested
without Jekyll.  Each build of 2-4 posts takes well under a second.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipeline.engines.pseudo import PseudoEngine
from pipeline.inline import restore
from pipeline.segment import splice, split
from pipeline.cli.site import site_app
from pipeline.site import checks, pages
from pipeline.site.build import INSTALL_HINT, JekyllNotInstalled, build
from pipeline.site.checks import SiteReport, check_site, leftover_japanese
from pipeline.site.pages import Page, PageParser

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
FIXTURES = ROOT / "tests" / "fixtures" / "site"
SAMPLES = ROOT / "content" / "ja"

needs_jekyll = pytest.mark.skipif(
    shutil.which("jekyll") is None,
    reason=f"jekyll is not installed; to run the site tests: {INSTALL_HINT}",
)


def tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def rows(report: SiteReport) -> dict[str, checks.PostRow]:
    return {row.post: row for row in report.rows}


@pytest.fixture(scope="module")
def good() -> SiteReport:
    return check_site(SITE, FIXTURES / "good")


@pytest.fixture(scope="module")
def bad() -> SiteReport:
    return check_site(SITE, FIXTURES / "bad")


# --------------------------------------------------------------------------------------
# With Jekyll


@needs_jekyll
def test_good_pairs_pass_every_check(good: SiteReport) -> None:
    assert good.ok, (good.rows, good.warnings, good.problems)
    first = rows(good)["2025-01-01-first-post"]
    assert first.ja_page == "/2025/01/01/first-post/"
    assert first.en_page == "/en/2025/01/01/first-post/"
    assert first.lang_ok and first.hreflang_ok
    assert set(rows(good)) == {"2025-01-01-first-post", "2025-01-02-second-post"}


@needs_jekyll
def test_build_is_fast(good: SiteReport) -> None:
    assert good.build_seconds < 20


@needs_jekyll
def test_english_page_markup(tmp_path: Path) -> None:
    """What the checks rely on, read straight from the HTML Jekyll wrote."""
    result = build(SITE, FIXTURES / "good", tmp_path / "out")
    assert result.returncode == 0 and result.diagnostics == []
    en = (tmp_path / "out/en/2025/01/01/first-post/index.html").read_text(encoding="utf-8")
    ja = (tmp_path / "out/2025/01/01/first-post/index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in en and '<html lang="ja">' in ja
    assert '<link rel="alternate" hreflang="ja" href="/2025/01/01/first-post/">' in en
    assert re.search(r'<a [^>]*hreflang="ja"[^>]*href="/2025/01/01/first-post/"', en)
    assert '<link rel="alternate" hreflang="en" href="/en/2025/01/01/first-post/">' in ja
    # polyglot points the English page's links at the English pages
    assert 'href="/en/2025/01/02/second-post/"' in en
    assert (tmp_path / "out/en/index.html").is_file() and (tmp_path / "out/index.html").is_file()


@needs_jekyll
def test_build_leaves_the_repository_alone() -> None:
    before_site, before_content = tree(SITE), tree(FIXTURES / "good")
    check_site(SITE, FIXTURES / "good")
    assert tree(SITE) == before_site
    assert tree(FIXTURES / "good") == before_content


@needs_jekyll
def test_bad_fixture_reports_each_problem(bad: SiteReport) -> None:
    assert not bad.ok
    by_post = rows(bad)
    leftovers = by_post["2025-02-01-leftovers"]
    assert leftovers.lang_ok and leftovers.hreflang_ok
    assert any("これは翻訳されていません" in s for s in leftovers.leftover_japanese)
    assert any("テスト" in s for s in leftovers.leftover_japanese)  # an untranslated category
    assert "/assets/missing-chart.png" in leftovers.broken_links
    assert "/en/2024/12/31/nowhere/" in leftovers.broken_links
    assert any(link.startswith("#nowhere") for link in leftovers.broken_links)
    assert any("Liquid Warning" in w and "bad/en/2025-02-01-leftovers.md" in w for w in leftovers.warnings)

    untranslated = by_post["2025-02-02-untranslated"]
    assert untranslated.ja_page == "/2025/02/02/untranslated/"
    assert not untranslated.lang_ok
    assert any("no English edition" in p for p in untranslated.problems)
    assert any("fell back to Japanese" in p for p in untranslated.problems)

    no_lang = by_post["2025-02-03-no-lang"]
    assert any("lang: en" in p for p in no_lang.problems)
    assert not no_lang.ok


@needs_jekyll
def test_a_fatal_liquid_error_fails_the_site(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "good", content)
    post = content / "en" / "2025-01-02-second-post.md"
    post.write_text(post.read_text(encoding="utf-8") + '\n{{ "x" | append: }}\n', encoding="utf-8")
    report = check_site(SITE, content)
    assert not report.ok
    line = post.read_text(encoding="utf-8").splitlines().index('{{ "x" | append: }}') + 1
    assert report.stopped is not None and report.stopped.startswith(f"{post}:{line}: "), report.stopped
    assert "wrong number of arguments" in report.stopped
    assert report.rows == [], "a build that stopped built no page: no row to show"
    assert not any("Please append" in w or w.startswith("from ") for w in report.warnings)


@needs_jekyll
@pytest.mark.parametrize("blank_lines", [0, 1, 3])
def test_site_check_names_the_post_and_line_that_stopped_the_build_first(tmp_path: Path, blank_lines: int) -> None:
    """Not a "missing" row per post (issue 15, item 22): the line Jekyll's Liquid counts
    from the body, which starts after the blank lines under the front matter."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "good", content)
    post = content / "en" / "2025-01-02-second-post.md"
    head, body = post.read_text(encoding="utf-8").split("\n---\n", 1)
    post.write_text(head + "\n---\n" + "\n" * blank_lines + body.lstrip("\n") + '\nA line.\n\n{{ "x" | append: }}\n', encoding="utf-8")
    line = post.read_text(encoding="utf-8").splitlines().index('{{ "x" | append: }}') + 1
    result = CliRunner().invoke(cli(), ["site", "check", "--site", str(SITE), "--content", str(content)])
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(f"{post}:{line}: ") and "wrong number of arguments" in first, result.output
    assert "missing" not in result.output, result.output


@needs_jekyll
def test_allowed_names_may_stay_in_japanese(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "good", content)
    sign(content, "Written by ALLFORCES編集部.")
    result = build(SITE, content, tmp_path / "out")
    failing = checks.check(result)
    assert not failing.ok
    assert rows(failing)["2025-01-02-second-post"].leftover_japanese == ["Written by ALLFORCES編集部."]
    assert checks.check(result, allow=["ALLFORCES編集部"]).ok


@needs_jekyll
def test_sample_posts_build_cleanly_with_english_editions(tmp_path: Path) -> None:
    """The two real Japanese posts, each with a stand-in English edition made per the contract."""
    content = tmp_path / "content"
    (content / "ja").mkdir(parents=True)
    (content / "en").mkdir()
    for source in sorted(SAMPLES.glob("*.md")):
        shutil.copyfile(source, content / "ja" / source.name)
        (content / "en" / source.name).write_text(stand_in_edition(source), encoding="utf-8")
    report = check_site(SITE, content, allow=["ALLFORCES編集部"])
    assert [row.post for row in report.rows] == [p.stem for p in sorted(SAMPLES.glob("*.md"))]
    assert report.ok, (report.rows, report.warnings, report.problems)


def good_pair_changed(tmp_path: Path, name: str, change: Callable[[bytes], bytes]) -> Path:
    """The good fixture's posts under tmp_path/content, with both editions of `name` changed."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "good", content)
    for lang in ("ja", "en"):
        post = content / lang / name
        post.write_bytes(change(post.read_bytes()))
    return content


def sign(content: Path, english: str) -> None:
    """A signature paragraph under the second post, in both languages (the pages keep the same
    elements; the English one keeps a Japanese name)."""
    for lang, line in (("ja", "執筆：ALLFORCES編集部。"), ("en", english)):
        post = content / lang / "2025-01-02-second-post.md"
        post.write_text(post.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def stand_in_edition(source: Path) -> str:
    """Front matter byte for byte except the translated fields, plus lang and ref."""
    text = source.read_text(encoding="utf-8")
    front, _, _ = text[4:].partition("\n---\n")
    replacements = {
        "title": '"A stand-in English title"',
        "excerpt": '"A stand-in English excerpt."',
        "categories": '["Investment analysis"]',
        "tags": '["AI", "Amazon"]',
    }
    lines = []
    for line in front.split("\n"):
        key = line.split(":", 1)[0]
        lines.append(f"{key}: {replacements[key]}" if key in replacements else line)
    lines += ["lang: en", f"ref: {source.stem}"]
    body = text[4 + len(front) + len("\n---\n") :]
    skeleton = split(body, dialect="kramdown")
    answers = PseudoEngine().translate([s.xml for s in skeleton.segments])
    body = splice(body, [(s.start, s.end, restore(a.text, s.protected)) for s, a in zip(skeleton.segments, answers)])
    return "---\n" + "\n".join(lines) + "\n---\n" + body


@needs_jekyll
def test_missing_plugin_is_reported_with_the_install_line(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    shutil.copytree(SITE, site_dir)
    config = site_dir / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("- jekyll-polyglot", "- jekyll-not-there"), encoding="utf-8")
    with pytest.raises(JekyllNotInstalled) as raised:
        build(site_dir, FIXTURES / "good", tmp_path / "out")
    assert "jekyll-not-there" in str(raised.value) and INSTALL_HINT in str(raised.value)


# --------------------------------------------------------------------------------------
# Command line


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(site_app, name="site")
    return app


@needs_jekyll
def test_cli_check_passes_on_good_pairs() -> None:
    result = CliRunner().invoke(cli(), ["site", "check", "--site", str(SITE), "--content", str(FIXTURES / "good")])
    assert result.exit_code == 0, result.output
    assert "2025-01-01-first-post" in result.output and "site check passed" in result.output


@needs_jekyll
def test_cli_check_fails_on_bad_pairs() -> None:
    result = CliRunner().invoke(cli(), ["site", "check", "--site", str(SITE), "--content", str(FIXTURES / "bad")])
    assert result.exit_code == 1, result.output
    assert "site check failed" in result.output
    assert "Japanese left" in result.output


@needs_jekyll
def test_cli_allow_file(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "good", content)
    sign(content, "By ALLFORCES編集部.")
    allow = tmp_path / "allow.txt"
    allow.write_text("# never translated\nALLFORCES編集部\n", encoding="utf-8")
    args = ["site", "check", "--site", str(SITE), "--content", str(content), "--glossary", str(tmp_path / "none")]
    assert CliRunner().invoke(cli(), args).exit_code == 1
    assert CliRunner().invoke(cli(), [*args, "--allow-file", str(allow)]).exit_code == 0
    assert CliRunner().invoke(cli(), [*args, "--allow", "ALLFORCES編集部"]).exit_code == 0


@needs_jekyll
def test_cli_allows_the_glossary_names(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "good", content)
    sign(content, "By ALLFORCES編集部.")
    glossary = tmp_path / "glossary"
    glossary.mkdir()
    (glossary / "names.tsv").write_text("# kind\tja\ten\tnote\nname\tALLFORCES編集部\t\t\n", encoding="utf-8")
    args = ["site", "check", "--site", str(SITE), "--content", str(content), "--glossary", str(glossary)]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 0, result.output


def test_cli_without_jekyll_prints_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = CliRunner().invoke(cli(), ["site", "check", "--site", str(SITE), "--content", str(FIXTURES / "good")])
    assert result.exit_code == 2
    assert INSTALL_HINT in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_missing_site_is_an_error_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/jekyll")
    result = CliRunner().invoke(cli(), ["site", "check", "--site", str(tmp_path / "nosite"), "--content", str(tmp_path)])
    assert result.exit_code == 2
    assert "no Jekyll site here" in result.output


def test_build_without_jekyll_raises(tmp_path: Path) -> None:
    with pytest.raises(JekyllNotInstalled, match=re.escape(INSTALL_HINT)):
        build(SITE, FIXTURES / "good", tmp_path / "out", jekyll="no-such-jekyll-binary")


# --------------------------------------------------------------------------------------
# Reading HTML (no Jekyll needed)


def parse(html: str, url: str = "/en/x/") -> Page:
    page = Page(file=Path("x.html"), url=url)
    parser = PageParser(page)
    parser.feed(html)
    parser.close()
    return page


def test_text_marked_as_japanese_or_code_is_not_english() -> None:
    page = parse(
        '<html lang="en"><head><title>Title 題</title><meta name="description" content="要約"></head><body>'
        '<p>Text <span lang="ja">日本語</span> more<br>line</p><pre><code>コード</code></pre>'
        '<img src="/a.png" alt="図"><script>var s = "スクリプト";</script></body></html>'
    )
    assert page.lang == "en"
    assert leftover_japanese(page.english_text) == ["Title 題", "要約", "図"]


def test_post_text_marked_as_japanese_is_counted() -> None:
    """Issue 26, item 11: the post's own text in a `lang="ja"` element (an embedded tweet) is
    seen by the English page's reader: counted, apart from the page's English text; the
    language switcher outside the post content is not."""
    page = parse(
        '<html lang="en"><body><a hreflang="ja" lang="ja" href="/x/">日本語</a><div class="post-content">'
        '<blockquote class="twitter-tweet"><p lang="ja" dir="ltr">新しいモデル</p>&mdash; Yamada</blockquote>'
        "<pre><code lang=\"ja\">コード</code></pre></div></body></html>"
    )
    assert leftover_japanese(page.english_text) == [] and leftover_japanese(page.marked_text) == ["新しいモデル"]


def test_alternates_language_links_and_ids() -> None:
    page = parse(
        '<html lang="en"><head><link rel="alternate" hreflang="ja" href="/x/"></head><body>'
        '<a hreflang="ja" lang="ja" href="/x/">日本語</a><h2 id="top">Top</h2>'
        '<article class="post" data-post="2025-01-01-x"><img srcset="/a.png 1x, /b.png 2x"></article></body></html>'
    )
    assert page.alternates == {"ja": ["/x/"]} and page.language_links == {"ja": ["/x/"]}
    assert page.post == "2025-01-01-x" and "top" in page.ids
    assert page.links == ["/x/", "/x/", "/a.png", "/b.png"]
    assert leftover_japanese(page.english_text) == []


def test_leftover_japanese_allow_list_and_fullwidth_punctuation() -> None:
    assert leftover_japanese(["Made by 株式会社ALLFORCES."], allow=["株式会社ALLFORCES"]) == []
    assert leftover_japanese(["A sentence（with full-width brackets）."]) == ["A sentence（with full-width brackets）."]
    assert leftover_japanese(["Plain English, café, naïve – fine."]) == []


def test_resolve_directories_files_and_fragments(tmp_path: Path) -> None:
    (tmp_path / "en/2025/01/01/a").mkdir(parents=True)
    (tmp_path / "en/2025/01/01/a/index.html").write_text("")
    (tmp_path / "img.png").write_text("")
    page = Page(file=tmp_path / "en/2025/01/01/a/index.html", url="/en/2025/01/01/a/")
    resolve = lambda href: pages.resolve(href, page, tmp_path, "", "")  # noqa: E731
    assert resolve("/en/2025/01/01/a/").file == tmp_path / "en/2025/01/01/a/index.html"
    assert resolve("/en/2025/01/01/a").file == tmp_path / "en/2025/01/01/a/index.html"
    assert resolve("../../../../../img.png").file == tmp_path / "img.png"
    assert resolve("#frag") == pages.Resolved(tmp_path / "en/2025/01/01/a/index.html", "frag")
    assert resolve("/missing/").file is None
    assert resolve("https://example.com/x") is None and resolve("mailto:a@b.c") is None


@needs_jekyll
def test_pipeline_editions_of_the_samples_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: the pseudo engine's editions of the real posts build and pass every check."""
    from helpers import make_site, run_cli

    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    result = run_cli("site", "check", "--site", str(SITE), "--content", "content", "--glossary", "glossary")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "site check passed: 2 posts, 0 failing" in result.stdout


@needs_jekyll
def test_a_post_with_a_byte_order_mark_passes(tmp_path: Path) -> None:
    """Issue 15 item 22: the front matter of a post saved with a BOM was not found ("must say lang: en")."""
    content = good_pair_changed(tmp_path, "2025-01-02-second-post.md", lambda data: b"\xef\xbb\xbf" + data)
    report = check_site(SITE, content)
    assert report.ok, [(r.post, r.problems, r.structure) for r in report.rows]


# --------------------------------------------------------------------------------------
# Every post `translate` takes (issue 24)


def _dotted_and_nested_project(root: Path) -> Path:
    """The two sample posts as a release-note blog names them: a dot in the file name, and one
    in a sub-folder of the sources (both of which `translate` handles)."""
    from helpers import make_site

    make_site(root, [])
    ja = root / "content" / "ja"
    (ja / "2023").mkdir()
    first, second = sorted(SAMPLES.glob("*.md"))
    shutil.copyfile(first, ja / "2024-03-14-groonga-14.0.1.md")
    shutil.copyfile(second, ja / "2023" / "2023-05-01-nested.md")
    return root


@needs_jekyll
def test_site_check_takes_posts_with_dots_and_in_sub_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """site/_layouts/post.html cut the name at its first dot (no page found for the post), and
    only the top of each language's folder was built and counted."""
    from helpers import run_cli

    project = _dotted_and_nested_project(tmp_path / "project")
    monkeypatch.chdir(project)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    assert (project / "content" / "en" / "2023" / "2023-05-01-nested.md").is_file()
    result = run_cli("site", "check", "--site", str(SITE))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "site check passed: 2 posts, 0 failing" in result.stdout, result.stdout
    report = check_site(SITE, {"ja": project / "content" / "ja", "en": project / "content" / "en"}, allow=["ALLFORCES編集部"])
    assert sorted(rows(report)) == ["2023/2023-05-01-nested", "2024-03-14-groonga-14.0.1"] and report.ok

    built = run_cli("site", "build", str(tmp_path / "built"), "--site", str(SITE))
    assert built.exit_code == 0, built.stdout
    pages = {p.relative_to(tmp_path / "built").as_posix() for p in (tmp_path / "built").rglob("index.html")}
    for lang in ("", "en/"):
        assert any(p.startswith(lang) and "groonga-14.0.1" in p for p in pages), pages
        assert any(p.startswith(lang) and "/nested/" in p for p in pages), pages


@needs_jekyll
def test_a_missing_layout_is_named_before_the_pages_it_left_unbuilt(tmp_path: Path) -> None:
    content = good_pair_changed(tmp_path, "2025-01-01-first-post.md", lambda data: data.replace(b"layout: post\n", b"layout: release-note\n"))
    result = CliRunner().invoke(cli(), ["site", "check", "--site", str(SITE), "--content", str(content)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    cause = next(i for i, line in enumerate(lines) if "layout 'release-note'" in line.lower() and "does not exist" in line)
    unbuilt = next(i for i, line in enumerate(lines) if "no Japanese page in the built site" in line)
    assert cause < unbuilt, result.stdout
    assert cause < next(i for i, line in enumerate(lines) if "Site check" in line), "the cause comes before the table"


@needs_jekyll
def test_site_check_warns_when_the_pipeline_reads_another_dialect_than_the_site_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURES / "good", tmp_path / "content")
    (tmp_path / "pipeline.toml").write_text('[markdown]\ndialect = "commonmark"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli(), ["site", "check", "--site", str(SITE), "--content", "content"])
    first = result.stdout.splitlines()[0]
    assert "commonmark" in first and "kramdown" in first and "warning" in first, result.stdout
    (tmp_path / "pipeline.toml").write_text('[markdown]\ndialect = "kramdown"\n', encoding="utf-8")
    agreeing = CliRunner().invoke(cli(), ["site", "check", "--site", str(SITE), "--content", "content"])
    assert agreeing.exit_code == 0 and "commonmark" not in agreeing.stdout, agreeing.stdout


@needs_jekyll
def test_a_link_localised_by_a_translator_or_through_links_passes_site_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 23: a translator points the English at English docs (`/ja/docs/…` → `/docs/…`).
    The state knows the edit is theirs: `site check` says "changed by a translator" and passes;
    without the state, a `[links]` table mapping the prefix passes it; with neither it fails."""
    from helpers import make_site, run_cli

    make_site(tmp_path, [])
    site_dir = tmp_path / "site"
    shutil.copytree(SITE, site_dir)
    (site_dir / "docs").mkdir()
    (site_dir / "docs" / "install.md").write_text("---\ntitle: Install\n---\n\nInstall it.\n", encoding="utf-8")
    post = "2026-03-01-docs.md"
    (tmp_path / "content" / "ja" / post).write_text(
        "---\ntitle: 導入\n---\n\n導入の手順は[インストール](/ja/docs/install/)を見てください。\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    edition = tmp_path / "content" / "en" / post
    edition.write_text(edition.read_text(encoding="utf-8").replace("(/ja/docs/install/)", "(/docs/install/)"), encoding="utf-8")
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0  # the edit is kept, and recorded as the translator's
    check = ("site", "check", "--site", str(site_dir), "--glossary", "glossary")
    kept = run_cli(*check)
    assert kept.exit_code == 0, kept.stdout
    assert f"{post[:-3]}: changed by a translator (not a failure): element" in kept.stdout
    assert "href='/docs/install/'" in kept.stdout
    shutil.rmtree(tmp_path / "translations")  # the state no longer says whose the link is
    failed = run_cli(*check)
    assert failed.exit_code == 1 and "structure differs" in failed.stdout, failed.stdout
    (tmp_path / "pipeline.toml").write_text('[links]\n"/ja/docs/" = "/docs/"\n', encoding="utf-8")
    mapped = run_cli(*check)
    assert mapped.exit_code == 0, mapped.stdout
    assert "changed by a translator" not in mapped.stdout


@needs_jekyll
def test_a_japanese_post_linking_into_the_english_site_passes_site_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """www.ruby-lang.org's Japanese news posts link to the English announcement they
    translate (`/en/news/…`). Both pages show that very link; the check once stripped the
    English site's `/en` from the English page's links only, and called the pair different."""
    site_dir = tmp_path / "site"
    shutil.copytree(SITE, site_dir)
    (site_dir / "news").mkdir()
    (site_dir / "news" / "release.md").write_text(
        "---\ntitle: Released\nlang: en\npermalink: /news/release/\n---\n\nOut now.\n", encoding="utf-8"
    )
    _one_post_passes_site_check(tmp_path, monkeypatch, "---\ntitle: リリース\n---\n\n[英語の告知](/en/news/release/)の翻訳です。\n", site_dir)
    assert pages.structure_difference(["a href='/en/news/x/'"], ["a href='/en/news/x/'"], "/en") is None
    assert pages.structure_difference(["a href='/en/news/x/'"], ["a href='/en/news/y/'"], "/en") is not None  # another page


@needs_jekyll
def test_a_heading_with_a_footnote_marker_keeps_its_generated_id_in_site_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """emacs-jp.github.io: `## …Google検索[^4]`. kramdown-parser-gfm makes the heading's id of
    its text without the footnote marker; the check once read the marker's number into the
    text, took the id for the author's own, and called the English page's other id a
    structure difference."""
    _one_post_passes_site_check(tmp_path, monkeypatch, "---\ntitle: 検索\n---\n\n## 単語のGoogle検索[^4]\n\n本文です。\n\n[^4]: 注です。\n", SITE)


@needs_jekyll
def test_a_heading_inside_a_markdown_html_block_keeps_its_generated_id_in_site_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """railsgirls.jp: `<div class="indent" markdown="1">` around `### テキストエディタ`.
    kramdown-parser-gfm does not reach a heading inside an HTML element; kramdown's converter
    gives it an ASCII-only id (`section`, `web` for `Webブラウザ`), which the check took for the
    author's own and called the English page's other id a structure difference."""
    text = (
        "---\ntitle: 道具\n---\n\n## ツールについて\n\n<div class=\"indent\" markdown=\"1\">\n\n"
        "### テキストエディタ\n\n本文です。\n\n### Webブラウザ\n\n本文です。\n\n### テキストエディタ\n\n本文です。\n\n</div>\n"
    )
    _one_post_passes_site_check(tmp_path, monkeypatch, text, SITE)


@needs_jekyll
def test_an_authors_id_that_the_converter_would_give_stays_the_authors_in_site_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Adobe's Japanese docs: `### 提供終了（EOL）に関する注意事項 {#eol}`. `eol` is what kramdown's
    converter would make of the text, but the heading is no HTML element's: kramdown-parser-gfm
    would have given it `提供終了eolに関する注意事項`, so `eol` is the author's, and the English
    heading keeps it."""
    _one_post_passes_site_check(tmp_path, monkeypatch, "---\ntitle: 注意\n---\n\n### 提供終了（EOL）に関する注意事項 {#eol}\n\n本文です。\n", SITE)


def _one_post_passes_site_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, site_dir: Path) -> None:
    """A project of one Japanese post (`text`), translated by the pseudo engine: its site check passes."""
    from helpers import make_site, run_cli

    make_site(tmp_path, [])
    (tmp_path / "content" / "ja" / "2026-03-02-post.md").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    built = run_cli("site", "check", "--site", str(site_dir), "--glossary", "glossary")
    assert built.exit_code == 0, built.stdout
    assert "structure differs" not in built.stdout
