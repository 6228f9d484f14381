"""Check a built site: per post, and for the site as a whole, into a `SiteReport`.

The English editions are only useful if the site that serves them works: every post needs a
page in both languages, the English page must say it is English and point back to the
Japanese original (and the original to it), Jekyll must not have complained, no Japanese may
be left in the English text, the page must have the original's element structure, and
nothing it links to may be missing.  This module asks those questions of the pages
`pipeline.site.pages` read from the build `pipeline.site.build` made, and of the source
files themselves (names, `lang` and `ref` in their front matter).  `check_site_editions` is
the whole command: one build, then one report per edition language.  The core never
prints; `pipeline.cli.site` prints the report (`pipeline site check`).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from pipeline.dialect import site_dialect
from pipeline.errors import InputError, PipelineError
from pipeline.frontmatter import read_values
from pipeline.japanese import JAPANESE_RUN, KANA, POST_NAME
from pipeline.post import find_front_matter
from pipeline.site.build import EN, LANGS, BuildResult, Content, Diagnostic, Languages, build
from pipeline.site.pages import Intent, Page, broken_links, links_to, page_language_area, read_pages, structure_differences

KANA_RUN = re.compile(KANA.pattern + "+")
Intents = Callable[[Path], "Intent"]  # an edition's file → the differences meant in it


# --------------------------------------------------------------------------------------
# Results


@dataclass
class PostRow:
    """The check results for one post (one Japanese original and its English edition)."""

    post: str
    ja_page: str | None = None
    en_page: str | None = None
    lang_ok: bool = False
    hreflang_ok: bool = False
    leftover_japanese: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    structure: str | None = None  # where the English page's elements first differ from the Japanese
    by_translator: list[str] = field(default_factory=list)  # differences a translator made on purpose (no failure)

    @property
    def ok(self) -> bool:
        return (
            self.structure is None
            and self.ja_page is not None
            and self.en_page is not None
            and self.lang_ok
            and self.hreflang_ok
            and not self.leftover_japanese
            and not self.broken_links
            and not self.warnings
            and not self.problems
        )


@dataclass
class SiteReport:
    """Per-post rows plus what is wrong with the site as a whole."""

    rows: list[PostRow]
    warnings: list[str] = field(default_factory=list)  # Jekyll output not tied to one post
    problems: list[str] = field(default_factory=list)  # build failure, other English pages
    build_seconds: float = 0.0
    stopped: str | None = None  # `file:line: why` of the post whose Liquid stopped the build (no page was built)
    causes: list[str] = field(default_factory=list)  # what left posts unbuilt (a missing layout): said before the rows

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r.ok for r in self.rows) and not self.warnings and not self.problems


# --------------------------------------------------------------------------------------
# Text checks


def leftover_japanese(texts: Iterable[str], allow: Iterable[str] = (), han_script: bool = False) -> list[str]:
    """Japanese runs in English text, each with a little context; allowed names removed first.
    In an edition written with Han characters (`han_script`: Chinese) the runs are of kana:
    its own script is no sign of Japanese there.

    `allow` holds names the glossary says must never be translated (e.g. a company name
    written in Japanese); they are cut out before looking, longest first, so that an allowed
    name inside a longer leftover does not hide the rest.
    """
    allowed = sorted({a for a in allow if a}, key=len, reverse=True)
    found: list[str] = []
    for text in texts:
        for name in allowed:
            text = text.replace(name, " ")
        runs = (KANA_RUN if han_script else JAPANESE_RUN).finditer(text)
        for start, end in _merge_close(m.span() for m in runs if m.group().strip()):
            snippet = _context(text, start, end)
            if snippet not in found:
                found.append(snippet)
    return found


def _merge_close(spans: Iterable[tuple[int, int]], gap: int = 40) -> list[tuple[int, int]]:
    """Join runs a few words apart, so one half-translated sentence is one finding."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _context(text: str, start: int, end: int, width: int = 20) -> str:
    """text[start:end] with up to `width` characters either side, cut at spaces."""
    left = text.rfind(" ", 0, max(0, start - width)) + 1 if start > width else 0
    right = text.find(" ", end + width)
    snippet = text[left : right if right != -1 else len(text)]
    return " ".join(snippet.split())


# --------------------------------------------------------------------------------------
# Front matter of the sources


def front_matter(path: Path) -> dict[str, Any] | None:
    """The front matter of a post (YAML or TOML) as a dict; None when it is missing or does
    not parse. A byte order mark is no reason to miss it: Jekyll reads such a post as any other."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        block = find_front_matter(path, text)
        return read_values(block, path) if block is not None else None
    except InputError:
        return None


def source_problems(stem: str, sources: dict[str, dict[str, Path]], edition: str | None = None) -> list[str]:
    """What is wrong with the pair of source files (the sources' and the `edition`
    language's) before Jekyll even sees them."""
    problems = []
    langs = Languages.of(sources, edition)
    ja, en = sources[langs.source].get(stem), sources[langs.edition].get(stem)
    for path in (p for p in (ja, en) if p is not None):
        if not POST_NAME.match(path.name):
            problems.append(f"{path}: not a Jekyll post name (YYYY-MM-DD-title.md); Jekyll skips it")
    if ja is None:
        problems.append(f"no Japanese original for {en} (expected {langs.source}/{stem}.md)")
    elif (front_matter(ja) or {}).get("lang", langs.source) != langs.source:
        problems.append(f"{ja}: a Japanese post must not set lang other than {langs.source}")
    if en is None:
        problems.append(f"no English edition (expected {langs.edition}/{stem}.md)")
        return problems
    values = front_matter(en)
    if values is None:
        problems.append(f"{en}: front matter missing or not valid YAML")
    else:
        if values.get("lang") != langs.edition:
            problems.append(f"{en}: front matter must say lang: {langs.edition} (found {values.get('lang')!r})")
        name = stem.rsplit("/", 1)[-1]  # `ref` is the file's stem; `stem` has its sub-folder
        if str(values.get("ref", "")) != name:
            problems.append(f"{en}: front matter must say ref: {name} (found {values.get('ref')!r})")
    return problems


# --------------------------------------------------------------------------------------
# The check


def index_post_pages(pages: Iterable[Page], dest: Path, langs: Languages = Languages()) -> dict[tuple[str, str], Page]:
    """(language area, post stem) -> the page polyglot built for it (root = ja, /en/ = en)."""
    index: dict[tuple[str, str], Page] = {}
    for page in pages:
        if page.post is not None:
            index.setdefault((page_language_area(dest, page.file, langs), page.post), page)
    return index


def check_post(
    stem: str,
    result: BuildResult,
    pages: dict[Path, Page],
    post_pages: dict[tuple[str, str], Page],
    allow: Iterable[str],
    intents: Intents | None = None,
) -> PostRow:
    """All checks for one post; `intents`: the differences meant in an edition (`Intent`)."""
    langs = result.languages
    row = PostRow(post=stem, problems=source_problems(stem, result.sources, result.edition))
    paths = {p for p in (result.sources[langs.source].get(stem), result.sources[langs.edition].get(stem)) if p}
    row.warnings = [d.text for d in result.diagnostics if d.source in paths]
    ja, en = post_pages.get((langs.source, stem)), post_pages.get((langs.edition, stem))
    row.ja_page = ja.url if ja else None
    row.en_page = en.url if en else None
    if ja is None:
        row.problems.append("no Japanese page in the built site")
    if en is None:
        row.problems.append("no English page in the built site")
        return row
    if ja is not None and ja.lang != langs.source:
        row.problems.append(f"{ja.url} is not a Japanese page (lang={ja.lang!r})")
    row.broken_links = broken_links(en, pages, result)
    if not en.lang.startswith(langs.edition):
        # Polyglot serves the Japanese post under /en/ when there is no English edition;
        # the page is Japanese, so the English-page checks below do not apply to it.
        row.problems.append(f"{en.url} is not the English edition (lang={en.lang!r}; polyglot fell back to Japanese)")
        return row
    row.lang_ok = ja is None or ja.lang == langs.source
    row.hreflang_ok = check_hreflang(row, ja, en, result)
    row.leftover_japanese = leftover_japanese(en.english_text, allow, langs.han_script)
    row.leftover_japanese += [
        f"{snippet} (in an element marked with another language)" for snippet in leftover_japanese(en.marked_text, allow, langs.han_script)
    ]
    if ja is not None:
        edition = result.sources[langs.edition].get(stem)
        intent = intents(edition) if intents is not None and edition is not None else Intent()
        row.structure, row.by_translator = structure_differences(ja.structure, en.structure, f"{result.baseurl}/{langs.edition}", intent)
    return row


def check_hreflang(row: PostRow, ja: Page | None, en: Page, result: BuildResult) -> bool:
    """Check the links between the two editions, noting each missing one on the row."""
    langs = result.languages
    alternate = '<link rel="alternate" hreflang="{}">'
    expectations = [
        (en, en.alternates.get(langs.source, []), ja, f"{alternate.format(langs.source)} to the original"),
        (en, en.language_links.get(langs.source, []), ja, f'<a hreflang="{langs.source}"> link to the original'),
    ]
    if ja is not None:
        expectations.append((ja, ja.alternates.get(langs.edition, []), en, f"{alternate.format(langs.edition)} to the English page"))
    ok = ja is not None and ja.lang == langs.source
    for page, hrefs, wanted, what in expectations:
        if not links_to(page, hrefs, wanted, result):
            ok = False
            row.problems.append(f"{page.url} lacks a {what}")
    return ok


def check_other_english_pages(result: BuildResult, pages: dict[Path, Page], allow: Iterable[str]) -> list[str]:
    """The English pages that are not posts (the index): links resolve, no Japanese left."""
    problems = []
    langs = result.languages
    for page in pages.values():
        if page.post is not None or page_language_area(result.dest, page.file, result.languages) != langs.edition:
            continue
        for href in broken_links(page, pages, result):
            problems.append(f"{page.url}: broken link {href}")
        if page.lang.startswith(langs.edition):
            for snippet in leftover_japanese(page.english_text, allow, langs.han_script):
                problems.append(f"{page.url}: Japanese left in English text: {snippet}")
    return problems


_LIQUID_LINE = re.compile(r" ?\(line (\d+)\)")
# Jekyll's own front matter pattern (Jekyll::Document::YAML_FRONT_MATTER_REGEXP): the blank
# lines under the closing fence belong to it, so Liquid counts body lines from the first line after them.
_JEKYLL_FRONT_MATTER = re.compile(r"---\s*\n.*?\n?^(?:---|\.\.\.)\s*$\n?", re.M | re.S)


def stopped_at(result: BuildResult) -> str | None:
    """`file:line: why` for the post whose Liquid error stopped a failed build, or None.

    Jekyll names the post and a line counted from its body; the line is turned into the
    file's own, so the message points where the author must look."""
    if result.returncode == 0:
        return None
    for diagnostic in result.diagnostics:
        if diagnostic.source is None or not diagnostic.text.startswith("Liquid Exception:"):
            continue
        message = diagnostic.text[len("Liquid Exception:") :].strip()
        suffix = f" in {diagnostic.source}"
        message = message[: -len(suffix)] if message.endswith(suffix) else message
        found = _LIQUID_LINE.search(message)
        where = str(diagnostic.source)
        if found is not None:
            where += f":{_file_line(diagnostic.source, int(found.group(1)))}"
            message = message[: found.start()] + message[found.end() :]
        return f"{where}: the Jekyll build stopped here: {message}"
    return None


_MISSING_LAYOUT = re.compile(r"Layout '([^']*)' requested in .* does not exist")


def missing_layouts(diagnostics: Iterable[Diagnostic]) -> list[str]:
    """One line per layout the posts name that the site lacks: Jekyll then builds their pages
    bare (no post article), which the rows report as pages missing, one line per post."""
    posts: dict[str, list[str]] = {}
    for diagnostic in diagnostics:
        found = _MISSING_LAYOUT.search(diagnostic.text)
        if found is not None and diagnostic.source is not None:
            posts.setdefault(found.group(1), []).append(str(diagnostic.source))
    causes = []
    for layout, names in posts.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        causes.append(
            f"layout '{layout}' does not exist in the site's _layouts/ (asked for by {shown}): "
            "those pages are built without it, so their post pages are missing below"
        )
    return causes


def dialect_mismatch(dialect: str, site_dir: Path) -> str | None:
    """Why the site's pages may differ from what the pipeline expects: it reads the posts in
    one Markdown dialect and the site renders them in another (a CommonMark blog checked
    against the bundled kramdown site fails on structure with no word of the reason)."""
    try:
        renders = site_dialect(site_dir)
    except PipelineError:  # the build reports a site config it cannot read
        return None
    if renders == dialect:
        return None
    return (
        f"the pipeline reads the posts as {dialect} ([markdown] dialect) but the site in {site_dir} renders them with "
        f"{renders} (its _config.yml `markdown:`); pages differ wherever the two do: use the site that publishes "
        f'the posts (--site, [paths] site), or set [markdown] dialect = "{renders}"'
    )


def _file_line(path: Path, body_line: int) -> int:
    """The file line of line `body_line` of a post's body, as Jekyll's Liquid counts it."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return body_line
    found = _JEKYLL_FRONT_MATTER.match(text)
    return text.count("\n", 0, found.end() if found else 0) + body_line


def check(
    result: BuildResult, *, allow: Iterable[str] = (), text_attributes: Iterable[str] = (), intents: Intents | None = None
) -> SiteReport:
    """Check a built site; `allow` lists Japanese names allowed in English text,
    `text_attributes` the attributes translated (not structure), `intents` the differences
    meant in an edition (localised links, a translator's changes)."""
    allow = list(allow)
    langs = result.languages
    pages = read_pages(result.dest, result.baseurl, langs, text_attributes) if result.dest.is_dir() else {}
    stems = sorted(set(result.sources[langs.source]) | set(result.sources.get(langs.edition, {})))
    post_pages = index_post_pages(pages.values(), result.dest, langs)
    stopped = stopped_at(result)
    report = SiteReport(
        # a build that stopped built no page: a "missing" row per post would bury the cause
        rows=[] if stopped else [check_post(stem, result, pages, post_pages, allow, intents) for stem in stems],
        build_seconds=result.seconds,
        stopped=stopped,
    )
    tied = {p for posts in result.sources.values() for p in posts.values()}
    report.warnings = [d.text for d in result.diagnostics if d.source not in tied]
    report.causes = missing_layouts(result.diagnostics)
    if stopped:
        report.problems.append(f"jekyll build failed (exit status {result.returncode})")
        return report
    if result.returncode != 0:
        report.problems.append(f"jekyll build failed (exit status {result.returncode})")
    if not stems:
        report.problems.append("no posts found")
    report.problems.extend(check_other_english_pages(result, pages, allow))
    return report


def check_site(
    site_dir: Path,
    content_dir: Content,
    *,
    allow: Iterable[str] = (),
    dest: Path | None = None,
    jekyll: str = "jekyll",
    text_attributes: Iterable[str] = (),
    intents: Intents | None = None,
) -> SiteReport:
    """Build into `dest` (a temporary directory when None) and check the result."""
    reports = check_site_editions(
        site_dir, content_dir, allow=allow, dest=dest, jekyll=jekyll, text_attributes=text_attributes, intents=intents
    )
    return next(iter(reports.values()))


def check_site_editions(
    site_dir: Path,
    content_dir: Content,
    *,
    languages: Iterable[str] = LANGS,
    allow: Iterable[str] = (),
    dest: Path | None = None,
    jekyll: str = "jekyll",
    text_attributes: Iterable[str] = (),
    intents: Intents | None = None,
) -> dict[str, SiteReport]:
    """One build with every language's posts (the sources' first; `languages` name the
    sub-folders when `content_dir` is one folder), then the check of each edition
    language against the Japanese pages, by language. `intents`: the differences meant in an
    edition (`Intent`), asked with the edition's file."""
    with tempfile.TemporaryDirectory(prefix="pipeline-site-out-") as tmp:
        result = build(site_dir, content_dir, dest or Path(tmp) / "_site", jekyll=jekyll, languages=languages)
        return {
            code: check(result.pair(code), allow=allow, text_attributes=text_attributes, intents=intents)
            for code in result.editions or [EN]
        }
