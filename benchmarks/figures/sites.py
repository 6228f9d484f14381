"""7. Real Japanese Jekyll sites, judged by the real Jekyll."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from benchmarks.figure import Context, Figure, Results
from benchmarks.inputs import REPO, failures
from benchmarks.server import Server, deepl_engine
from benchmarks.table import Row
from pipeline.cache import MemoryCache
from pipeline.config import Settings, create_engine, replace
from pipeline.engines import Engine
from pipeline.run import Translator

SITES = REPO / "tests" / "fixtures" / "sites"


def site_japanese(page_file: Path, lang: str) -> int:
    """Japanese characters a reader sees on a built page in language `lang`: its text outside
    pre/code/script (`pipeline.site.pages.PageParser`), alt and title values and the meta
    description, and aria-label values."""
    from html.parser import HTMLParser

    from pipeline.japanese import VISIBLE_JAPANESE
    from pipeline.site.pages import Page, PageParser

    page = Page(page_file, "")
    reader = PageParser(page, edition=lang)
    html = page_file.read_text(encoding="utf-8")
    reader.feed(html)
    reader.close()

    class Labels(HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found.extend(v or "" for k, v in attrs if k == "aria-label")

    labels = Labels()
    labels.found = []
    labels.feed(html)
    return sum(len(VISIBLE_JAPANESE.findall(t)) for t in [*page.english_text, *labels.found])


def stage_site(folder: Path, root: Path) -> list[Path]:
    """A project in `root` holding the site's sample posts (tests/fixtures/sites/<name>/), the
    repository's Jekyll site and glossary. A layout the posts name that the site lacks
    (`layout: blog`) is the site's post layout under that name, so every post is a post page;
    a dot in a post's name becomes `-` (the site check does not yet find the page of
    `2012-02-22-vim73w32-7.3.447.md`)."""
    (root / "content" / "ja").mkdir(parents=True)
    shutil.copytree(REPO / "site", root / "site")
    shutil.copytree(REPO / "glossary", root / "glossary")
    layouts = root / "site" / "_layouts"
    for post in sorted(folder.glob("*.md")):
        shutil.copyfile(post, root / "content" / "ja" / (post.stem.replace(".", "-") + post.suffix))
        named = re.search(r"^layout:\s*(\S+)\s*$", post.read_text(encoding="utf-8"), re.M)
        if named and not (layouts / f"{named.group(1)}.html").exists():
            shutil.copyfile(layouts / "post.html", layouts / f"{named.group(1)}.html")
    return sorted((root / "content" / "ja").glob("*.md"))


def _identity_exact(posts: list[Path], root: Path) -> list[str]:
    """The posts whose identity edition is not their source byte for byte, bar the `lang` and
    `ref` lines the pipeline writes into the front matter (a `lang: ja` becomes `lang: en`,
    `lang:   ja` `lang:   en`)."""
    identity = root / "identity"  # with a state folder of its own: the pseudo and DeepL runs write content/en later
    settings = replace(
        Settings(root=root), source_dir=root / "content" / "ja", output_dir=identity, state_dir=root / "identity-state", engine="identity"
    )
    report = Translator(settings, create_engine("identity"), MemoryCache()).run(posts)
    differ = []
    for post in report.posts:
        added = re.compile(rf"^(?:lang:[ \t]+[a-z]+|ref: {re.escape(post.source.stem)})\n", re.M)  # `lang:   ja` keeps its spaces
        edition = post.output.read_text(encoding="utf-8") if post.output and post.output.is_file() else None
        source = added.sub("", post.source.read_text(encoding="utf-8"), count=1)
        if post.status == "failed" or edition is None or added.sub("", edition, count=2) != source:
            differ.append(post.source.name)
    return differ


def _built_site(root: Path, engine: Engine, name: str) -> dict[str, Any]:
    """Translate the staged posts with `engine`, build both languages with Jekyll, and count."""
    from pipeline.site.checks import check_site

    for folder in ("content/en", "translations"):
        shutil.rmtree(root / folder, ignore_errors=True)
    settings = replace(Settings(root=root), source_dir=root / "content" / "ja", output_dir=root / "content" / "en", engine=engine.name)
    posts = sorted((root / "content" / "ja").glob("*.md"))
    report = Translator(settings, engine, MemoryCache()).run(posts)
    dest = root / f"built-{name}"
    shutil.rmtree(dest, ignore_errors=True)
    site = check_site(root / "site", root / "content", dest=dest)
    ja_chars = en_chars = 0
    for row in site.rows:
        if row.ja_page and row.en_page:
            ja_chars += site_japanese(_page_file(dest, row.ja_page), "ja")
            en_chars += site_japanese(_page_file(dest, row.en_page), "en")
    return {
        "posts": len(posts),
        "failed": failures(report),
        "pages": sum(1 for row in site.rows if row.ja_page and row.en_page),
        "structure_equal": sum(1 for row in site.rows if row.en_page and row.structure is None),
        "structure_differs": {row.post: row.structure for row in site.rows if row.structure is not None},
        "build_problems": [p for p in site.problems if "Japanese left" not in p],
        "japanese_on_ja_pages": ja_chars,
        "japanese_on_en_pages": en_chars,
    }


def _page_file(dest: Path, url: str) -> Path:
    """The built file of a page's URL: `…/index.html` for `/2024/01/01/post/`, the file itself for
    a page whose permalink names one (railsgirls.jp's `permalink: app` is built as `/app.html`)."""
    path = dest / url.lstrip("/")
    return path / "index.html" if url.endswith("/") else path


def real_sites(tmp: Path, server: "Server | None", quick: bool = False) -> dict[str, Any]:
    """7. Public Japanese Jekyll sites the pipeline was not built on (tests/fixtures/sites):
    identity byte for byte, and built with Jekyll after the pseudo engine and the DeepL test
    server, the English pages' element structure and the Japanese still seen on them.
    `quick`: the smallest site alone (a smoke run; tests/test_real_sites.py judges them all)."""
    from pipeline.site.build import find_jekyll

    try:
        find_jekyll()
    except Exception as exc:  # no Jekyll on this machine: the figure says so
        return {"error": f"needs Jekyll ({exc})"}
    out: dict[str, Any] = {}
    folders = sorted(p for p in SITES.iterdir() if p.is_dir())
    if quick:
        folders = [min(folders, key=lambda f: len(list(f.glob("*.md"))))]
    for folder in folders:
        root = tmp / folder.name
        posts = stage_site(folder, root)
        result: dict[str, Any] = {"posts": len(posts), "identity_differs": _identity_exact(posts, root)}
        result["pseudo"] = _built_site(root, create_engine("pseudo"), "pseudo")
        if server is not None:
            settings = replace(Settings(root=root), engine="deepl")
            result["deepl"] = _built_site(root, deepl_engine(server.url, settings), "deepl")
        out[folder.name] = result
    return out


def measure(ctx: Context) -> Results:
    ctx.step("7. real Japanese Jekyll sites: identity, then pseudo and the DeepL test server, built with Jekyll")
    with Server(0.0) as server:
        return {"real_sites": real_sites(ctx.tmp / "sites", server, ctx.quick)}


def rows(results: Results) -> list[Row]:
    """Figure 7's rows: the real sites' posts together."""
    sites = results.get("real_sites")
    if not sites:
        return []
    if "error" in sites:
        return [
            {"figure": "7. Real Japanese Jekyll sites", "measured": sites["error"], "baseline": "", "ratio": "", "target": "", "met": None}
        ]
    names = ", ".join(sites)
    posts = sum(s["posts"] for s in sites.values())
    exact = posts - sum(len(s["identity_differs"]) for s in sites.values())
    pages = {e: sum(s[e]["pages"] for s in sites.values()) for e in ("pseudo", "deepl")}
    equal = {e: sum(s[e]["structure_equal"] for s in sites.values()) for e in ("pseudo", "deepl")}
    ja = sum(s["pseudo"]["japanese_on_ja_pages"] for s in sites.values())
    en = sum(s["pseudo"]["japanese_on_en_pages"] for s in sites.values())
    return [
        {
            "figure": f"7a. Real Japanese Jekyll sites ({names}; {posts} posts): identity editions byte for byte",
            "measured": f"{exact} posts",
            "baseline": f"{posts} posts",
            "ratio": f"{exact / posts:.1%}",
            "target": "100%",
            "met": exact == posts,
        },
        {
            "figure": "7b. The same built with Jekyll: English pages with the Japanese page's element structure (pseudo; DeepL test server)",
            "measured": f"{equal['pseudo']}; {equal['deepl']} pages",
            "baseline": f"{pages['pseudo']}; {pages['deepl']} pages",
            "ratio": f"{equal['pseudo'] / max(pages['pseudo'], 1):.1%}; {equal['deepl'] / max(pages['deepl'], 1):.1%}",
            "target": "100%",
            "met": equal == pages and pages["pseudo"] == posts,
        },
        {
            "figure": "7c. Japanese a reader sees on the English pages (pseudo; text outside pre/code, alt, title, aria-label)",
            "measured": f"{en:,} chars",
            "baseline": f"{ja:,} chars on the Japanese pages",
            "ratio": f"{en / max(ja, 1):.3%}",
            "target": "≤ 0.1%",
            "met": en <= ja * 0.001,
        },
    ]


FIGURE = Figure(7, "real Jekyll sites", measure, rows)
