"""`pipeline review`: the side-by-side report of what a run changed, and its summary.

One scenario is built once for the module (it needs three translate runs and a git
commit): a fresh site is translated and committed, then a translator edits one paragraph
of the English (and leaves a Japanese word in it), the author changes the source under
an earlier translator's edit (needs review), and the author changes another paragraph
whose new machine translation misses a glossary term. `pipeline review` must show exactly
those three segments, with their flags and origins, in a report a browser opens cleanly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest
import typer
from helpers import REPO, make_site, run_cli
from typer.testing import CliRunner

from pipeline.cli.review import export, import_, review

try:  # tests/ is a rootdir-style test dir (no __init__.py)
    from deepl_server import DeepLTestServer
except ImportError:  # pragma: no cover
    from tests.deepl_server import DeepLTestServer

POST = "2025-09-30-aws-ai-revenue.md"
HUMAN_SOURCE = "でもね、今回のAWSのケースは、ただのバズワードで終わる話ではない、と直感しました。"
EDITED_SOURCE = "今回の情報によると、AWSのAI事業はすでに"
GLOSSARY_SOURCE = "機械学習のトレーニングや生成AIアプリケーションに最適化されたカスタムAIチップ"
HUMAN_TEXT = "But this time, I sensed, AWS is not just another buzzword story."
EDITED_TEXT = "AWS's AI business already earns several billion dollars a year, 三桁 growth included."
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TERMS = dict(
    line.split("\t")[1:3]
    for line in (REPO / "glossary" / "terms.tsv").read_text(encoding="utf-8").splitlines()
    if line.startswith("term\t")
)
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]+")
_WORDS = "the of cloud growth market revenue customers build model and service scale chips data".split()
_PUNCT = str.maketrans({"、": ", ", "。": ". ", "「": '"', "」": '"', "（": " (", "）": ") ", "？": "? ", "！": "! ", "：": ": "})


def fake_english(text: str, params: dict[str, Any]) -> str:
    """A DeepL stand-in whose output reads like English: glossary terms applied (except
    機械学習 in the paragraph the tests change, to provoke a glossary miss), every other
    Japanese run replaced by a word. Tags are ASCII and pass through untouched."""
    for ja, en in TERMS.items():
        if not (ja == "機械学習" and "独自AIチップ" in text):
            text = text.replace(ja, f" {en} ")
    text = text.replace("機械学習", " ML ").translate(_PUNCT)
    text = _JAPANESE.sub(lambda m: " " + _WORDS[sum(map(ord, m.group(0))) % len(_WORDS)] + " ", text)
    return re.sub(r"(?<=\S) {2,}(?=\S)", " ", text).strip()


def cli() -> typer.Typer:
    """The review commands on an app of their own (the main app registers them too)."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    app.command("review")(review)
    app.command("export")(export)
    app.command("import")(import_)
    return app


def run_review(*args: str) -> Any:
    """Invoke `review`, `export` or `import` like the command line does."""
    return CliRunner().invoke(cli(), list(args), catch_exceptions=False)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=root, check=True, capture_output=True,
    )


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def replace_matching(edition: Path, source: Path, containing: str, new: str) -> str:
    """Replace the English paragraph that translates the source paragraph `containing`
    (both files are front matter then blank-line separated paragraphs, in the same order)."""
    index = next(i for i, p in enumerate(source.read_text(encoding="utf-8").split("\n\n")) if containing in p)
    paragraphs = edition.read_text(encoding="utf-8").split("\n\n")
    old, paragraphs[index] = paragraphs[index], new
    edition.write_text("\n\n".join(paragraphs), encoding="utf-8")
    return old


@dataclass
class Scenario:
    root: Path
    machine_before_edit: str  # the machine English the translator replaced (at HEAD)
    review_stdout: str

    @property
    def html(self) -> str:
        return (self.root / ".cache" / "pipeline" / "review" / "report.html").read_text(encoding="utf-8")

    @property
    def summary(self) -> str:
        return (self.root / ".cache" / "pipeline" / "review" / "summary.md").read_text(encoding="utf-8")


def build(root: Path, server: DeepLTestServer) -> Scenario:
    make_site(root)
    (root / ".gitignore").write_text(".cache/\n", encoding="utf-8")
    server.set_translator(fake_english)
    assert run_cli("translate").exit_code == 0
    edition = root / "content" / "en" / POST
    source = root / "content" / "ja" / POST
    # a translator's edit, recorded as human by the next run, then committed
    replace_matching(edition, source, HUMAN_SOURCE, HUMAN_TEXT)
    assert run_cli("translate").exit_code == 0
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "translated")
    # then: a new translator edit, a source change under the old edit, a glossary miss
    machine = replace_matching(edition, source, EDITED_SOURCE, EDITED_TEXT)
    replace_in(source, HUMAN_SOURCE, HUMAN_SOURCE.replace("直感しました", "確信しました"))
    replace_in(source, GLOSSARY_SOURCE, GLOSSARY_SOURCE.replace("カスタムAIチップ", "独自AIチップ"))
    assert run_cli("translate").exit_code == 0
    result = run_review("review")
    assert result.exit_code == 0, result.stdout
    return Scenario(root, machine, result.stdout)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: review compares the working tree with a git revision")
    root = tmp_path_factory.mktemp("site")
    with DeepLTestServer() as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv("DEEPL_AUTH_KEY", server.auth_key)
        mp.setenv("DEEPL_SERVER_URL", server.url)
        mp.chdir(root)
        yield build(root, server)


def test_review_writes_the_report_and_the_summary(scenario: Scenario) -> None:
    assert "reviewed 1 post(s): 3 changed segment(s)" in scenario.review_stdout
    assert "report: .cache/pipeline/review/report.html" in scenario.review_stdout
    assert scenario.html.startswith("<!DOCTYPE html>")


def test_report_shows_each_changed_segment_with_its_flags(scenario: Scenario) -> None:
    html = scenario.html
    rows = re.findall(r'<tr id="post-1-\d+"[^>]*>.*?</tr>', html, re.S)
    assert len(rows) == 3
    edited, needs_review, glossary = (next(r for r in rows if key in r) for key in ("several billion", "確信", "独自"))
    # the translator's edit: previous machine English, new human English, origin human
    assert "origin-human" in edited and "Japanese left" in edited and "placeholder" not in edited
    assert f'data-label="Previous English">{html_escape(scenario.machine_before_edit)}</td>' in edited
    assert f"<ins>{html_escape(EDITED_TEXT)}</ins>" in edited  # rewritten as a whole: the old text is beside it
    # the changed source under an earlier translator's text: highlighted, flagged, old text shown
    assert "<del>直感</del><ins>確信</ins>" in needs_review
    assert "needs review" in needs_review and "replaced English" in needs_review
    assert HUMAN_TEXT in needs_review
    # the glossary miss found by the run, with the term named
    assert "glossary miss" in glossary and "machine learning" in glossary
    assert "<del>カスタム</del><ins>独自</ins>" in glossary
    assert "<del>machine learning</del><ins>ML</ins>" in glossary  # word-level difference in the English


def test_report_is_self_contained_and_navigable(scenario: Scenario) -> None:
    html = scenario.html
    assert not re.search(r'<(?:script|link|img|iframe)\b|\bsrc=|url\(', html)
    assert 'href="#main"' in html and 'id="contents"' in html and 'href="#post-1"' in html
    assert re.search(r"<h2 id=\"post-1-h\">" + re.escape(POST), html)


def test_summary_is_short_and_lists_the_flags(scenario: Scenario) -> None:
    summary = scenario.summary
    assert len(summary.splitlines()) < 60
    assert summary.startswith("### Translation review: 1 post(s), 3 changed segment(s)")
    assert f"| `{POST}` | 3 |" in summary
    assert "needs review" in summary and "glossary miss" in summary


def test_review_since_a_revision_and_of_named_posts(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(scenario.root)
    out = scenario.root / "since"
    result = run_review("review", "--since", "HEAD", "--out", str(out))
    assert result.exit_code == 0 and "reviewed 1 post(s): 3 changed segment(s)" in result.stdout
    other = "content/ja/2025-12-25-amazon-trillion-yen-ai-infrastructure.md"
    result = run_review("review", other, "--out", str(out))
    # nothing changed in it, but one segment's answer was refused (truncated) and its Japanese
    # kept: the committed state says so, and review shows it (issue 14) rather than hide it
    assert result.exit_code == 0 and "reviewed 1 post(s): 1 changed segment(s)" in result.stdout
    assert "truncated (Japanese kept)" in (out / "summary.md").read_text(encoding="utf-8")
    result = run_review("review", "--since", "no-such-rev", "--out", str(out))
    assert result.exit_code == 2 and "no such revision" in result.stderr


def test_source_change_committed_before_the_run_is_still_highlighted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: Scenario
) -> None:
    """The usual CI order: the editor commits the new Japanese, then the job translates and
    reviews against HEAD, whose source already has the change. The report must diff the
    Japanese against the version the old English was translated from."""
    root = tmp_path / "site"
    shutil.copytree(scenario.root, root)
    monkeypatch.chdir(root)
    git(root, "checkout", "-q", "HEAD", "--", "content/en", "translations")
    git(root, "add", "content/ja")
    git(root, "commit", "-q", "-m", "editor: new Japanese only")
    assert run_cli("translate").exit_code == 0
    result = run_review("review")
    assert result.exit_code == 0, result.stdout
    html = (root / ".cache" / "pipeline" / "review" / "report.html").read_text(encoding="utf-8")
    row = next(r for r in re.findall(r'<tr id="post-1-\d+"[^>]*>.*?</tr>', html, re.S) if "確信" in r)
    assert "<del>直感</del><ins>確信</ins>" in row and HUMAN_TEXT in row


def test_review_without_git_shows_everything_as_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: Scenario) -> None:
    shutil.copytree(scenario.root, tmp_path / "site", ignore=shutil.ignore_patterns(".git"))
    monkeypatch.chdir(tmp_path / "site")
    result = run_review("review", f"content/ja/{POST}")
    assert result.exit_code == 0, result.stdout
    html = (tmp_path / "site" / ".cache" / "pipeline" / "review" / "report.html").read_text(encoding="utf-8")
    assert "no previous version" in html and "kind-added" in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_report_in_a_real_browser(scenario: Scenario) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    report = scenario.root / ".cache" / "pipeline" / "review" / "report.html"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            problems: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            assert problems == []
            assert all(url.startswith("file://") for url in requests), requests
            assert page.title().startswith("Translation review: 1 post(s)")
            rows = page.locator("table.segments tbody tr")
            assert rows.count() == 3
            assert rows.filter(has_text="確信").locator("ul.flags").inner_text().lower().count("needs review") == 1
            assert page.get_by_role("link", name=POST).is_visible()
            # keyboard only: the first Tab shows the skip link, a few more reach the contents
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to the posts"
            assert page.evaluate("getComputedStyle(document.activeElement).top") != "-4rem"
            for _ in range(10):
                page.keyboard.press("Tab")
                if page.evaluate("!!document.activeElement.closest('#contents')"):
                    break
            assert page.evaluate("document.activeElement.getAttribute('href')") == "#post-1"
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
            page.keyboard.press("Enter")
            assert page.evaluate("location.hash") == "#post-1"
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / "review.png"))
            page.locator("#post-1").screenshot(path=str(ARTIFACTS / "review-post.png"))
            assert problems == []
        finally:
            browser.close()


def test_export_defaults_to_the_posts_needing_review(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(scenario.root)
    path = scenario.root / "needs-review.xlf"
    result = run_review("export", "-o", str(path))
    assert result.exit_code == 0 and "of 1 post(s)" in result.stdout
    xliff = path.read_text(encoding="utf-8")
    assert f'original="{POST}"' in xliff and "amazon-trillion" not in xliff
    unit = next(u for u in xliff.split("<trans-unit ")[1:] if "確信" in u)
    assert 'state="needs-review-translation"' in unit
    assert f"previous English by a translator: {HUMAN_TEXT}" in unit
    human = next(u for u in xliff.split("<trans-unit ")[1:] if "several billion" in u)
    assert '<target state="translated">' in human and "origin: human" in human
