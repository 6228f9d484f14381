"""Build the bilingual Jekyll site and check what it publishes.

The English editions are only useful if the site that serves them works: every post needs a
page in both languages, the English page must say it is English and point back to the
Japanese original (and the original to it), Jekyll must not have complained, no Japanese may
be left in the English text, and nothing the English page links to may be missing.  Those
are properties of the *built* site, so this module runs the real Jekyll (with the
jekyll-polyglot plugin, see site/_config.yml) and reads the HTML it writes.

The core never prints.  `build` stages site/ plus content/ja and content/en into a temporary
copy (the repository is never written to) and runs `jekyll build`; `check` turns the output
into a `SiteReport`; `pipeline.cli.site` prints it (`pipeline site check`).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Iterable
from urllib.parse import unquote, urljoin, urlsplit

import yaml

from pipeline.dialect import site_dialect
from pipeline.errors import InputError, PipelineError
from pipeline.frontmatter import read_values
from pipeline.heading_ids import auto_id
from pipeline.post import find_front_matter
from pipeline.japanese import JAPANESE_RUN, KANA, POST_NAME

DEFAULT_LANG = "ja"
EN = "en"
LANGS = (DEFAULT_LANG, EN)


@dataclass(frozen=True)
class Languages:
    """The language codes of a post's two editions: the sources' and the editions'
    (polyglot's `default_lang` and the site's other language). They come from the folders
    the command reads (the settings' source language and `lang_value`)."""

    source: str = DEFAULT_LANG
    edition: str = EN
    others: tuple[str, ...] = ()  # the other editions of the same build (their pages live in /<code>/ too)

    @classmethod
    def of(cls, sources: Mapping[str, object], edition: str | None = None) -> Languages:
        """From posts keyed by language, the sources' first; the edition checked is
        `edition`, else the second language."""
        codes = list(sources)
        if len(codes) < 2:
            return cls()
        edition = edition or codes[1]
        return cls(codes[0], edition, tuple(c for c in codes[1:] if c != edition))

    @property
    def han_script(self) -> bool:
        """The edition is written with Han characters (Chinese): Japanese left in its pages
        is kana (`leftover_japanese`)."""
        return self.edition.split("-")[0] == "zh"


KANA_RUN = re.compile(KANA.pattern + "+")
INSTALL_HINT = "apt-get install -y jekyll ruby-jekyll-polyglot"
JEKYLL_TIMEOUT_SECONDS = 300


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Lines Jekyll prints around a fatal error that carry no information of their own.
NOISE_LINE = re.compile(r"^\s*(?:from \S+:\d+:in |-{10,}$|Jekyll \d[\d.]*\s+Please append|for any additional information)")
# The Ruby exception line after a fatal error repeats Jekyll's own message, when there is one.
RUBY_EXCEPTION = re.compile(r"^/\S+\.rb:\d+:in ")


# --------------------------------------------------------------------------------------
# Errors


class SiteError(PipelineError):
    """The site could not be built or checked at all (as opposed to: checked and failed)."""

    exit_code = 2


class JekyllNotInstalled(SiteError):
    """`jekyll` (or the jekyll-polyglot plugin) is missing; the message is the one-line fix."""

    def __init__(self, missing: str = "jekyll") -> None:
        super().__init__(f"{missing} is not installed; install Jekyll and its plugin with: {INSTALL_HINT}")
        self.missing = missing


# --------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Diagnostic:
    """One warning or error line Jekyll printed, with the repository file it is about."""

    text: str
    source: Path | None = None


@dataclass
class BuildResult:
    """What one `jekyll build` produced: the site in `dest` and everything it complained about."""

    dest: Path
    returncode: int
    diagnostics: list[Diagnostic]
    seconds: float
    sources: dict[str, dict[str, Path]]  # lang -> post stem -> file in content/<lang>/
    baseurl: str = ""
    site_url: str = ""
    output: str = ""  # everything Jekyll printed, ANSI colours removed, for debugging
    edition: str | None = None  # the edition language the checks look at (None: the second language)

    @property
    def languages(self) -> Languages:
        return Languages.of(self.sources, self.edition)

    @property
    def editions(self) -> list[str]:
        """Every edition language of the build (all but the sources')."""
        return list(self.sources)[1:]

    def pair(self, edition: str) -> BuildResult:
        """The same build, its checks looking at the `edition` language's pages."""
        return dataclasses.replace(self, edition=edition)

    def pair_sources(self) -> dict[str, dict[str, Path]]:
        """The sources' and the checked edition's posts."""
        langs = self.languages
        return {langs.source: self.sources[langs.source], langs.edition: self.sources.get(langs.edition, {})}


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
# Build


def find_jekyll(executable: str = "jekyll") -> str:
    """Locate the Jekyll executable, or say in one line how to install it."""
    found = shutil.which(executable)
    if found is None:
        raise JekyllNotInstalled()
    return found


Content = Path | Mapping[str, Path]  # language code → its posts' folder, or a folder holding ja/ and en/
Intents = Callable[[Path], "Intent"]  # an edition's file → the differences meant in it


def post_sources(content: Content, languages: Iterable[str] = LANGS) -> dict[str, dict[str, Path]]:
    """The Markdown files of each language's folder, keyed by language and file stem.

    `content`: the folders by language code (the command reads them from the settings:
    `paths.source`, `paths.output` and every target's), or one folder holding a sub-folder
    per language of `languages` (the sources' first)."""
    folders = content if isinstance(content, Mapping) else {lang: content / lang for lang in languages}
    return {lang: _posts_in(folder) for lang, folder in folders.items()}


def _posts_in(folder: Path) -> dict[str, Path]:
    """Every post `translate` takes from `folder` (sub-folders too), keyed by its path in the
    folder without the extension: `2023/2024-03-14-groonga-14.0.1` (a dot in a name is no
    extension; two posts of one name in two sub-folders stay two posts)."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).with_suffix("").as_posix(): p for p in sorted(folder.rglob("*.md")) if p.is_file()}


def stage(site_dir: Path, sources: dict[str, dict[str, Path]], staging: Path) -> None:
    """Copy the site and drop each language's posts into _posts/<lang>/.

    Both editions of a post have the same file name, so they cannot share a folder; Jekyll
    reads sub-folders of _posts and (with no folder before _posts) takes no category from them.
    """
    shutil.copytree(
        site_dir,
        staging,
        ignore=shutil.ignore_patterns("_site", ".jekyll-cache", ".jekyll-metadata", ".sass-cache"),
        dirs_exist_ok=True,
    )
    for lang, posts in sources.items():
        (staging / "_posts" / lang).mkdir(parents=True, exist_ok=True)
        for post, path in posts.items():
            target = staging / "_posts" / lang / f"{post}{path.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    set_languages(staging / "_config.yml", list(sources))


def set_languages(config_path: Path, languages: list[str]) -> None:
    """Polyglot's `languages` and `default_lang` from the languages of the posts (the
    sources' first, then every target's), so the site publishes each edition the run
    wrote. The file is left as it is when it says so already (its comments kept)."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    if not isinstance(config, dict) or (config.get("languages") == languages and config.get("default_lang") == languages[0]):
        return
    config.update(languages=languages, default_lang=languages[0])
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_jekyll(jekyll: str, source: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    """Run `jekyll build` with the options a check build needs.

    --future: a post dated after today is still a post to check.  No Bundler: a Gemfile in
    site/ must not make an offline CI machine try to resolve gems; Debian's gems are used.
    """
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", JEKYLL_NO_BUNDLER_REQUIRE="true")
    env.pop("BUNDLE_GEMFILE", None)
    # absolute: Jekyll runs in the staging folder, where a relative destination would be lost with it
    command = [jekyll, "build", "--source", str(source), "--destination", str(dest.resolve()), "--future", "--disable-disk-cache"]
    try:
        return subprocess.run(
            command,
            cwd=source,
            env=env,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=JEKYLL_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError as exc:
        raise JekyllNotInstalled() from exc
    except subprocess.TimeoutExpired as exc:
        raise SiteError(f"jekyll build took longer than {JEKYLL_TIMEOUT_SECONDS}s and was stopped") from exc


def parse_diagnostics(stderr: str, stdout: str, staging: Path, sources: dict[str, dict[str, Path]]) -> list[Diagnostic]:
    """Every warning/error line Jekyll printed, rewritten to name the repository file.

    Jekyll writes warnings and errors (yellow/red) to stderr and progress to stdout, so every
    stderr line counts, minus the Ruby backtrace that follows a fatal error.
    """
    by_staged = {f"_posts/{lang}/{post}{path.suffix}": path for lang, posts in sources.items() for post, path in posts.items()}
    diagnostics: list[Diagnostic] = []
    lines = [*stderr.splitlines(), *(line for line in stdout.splitlines() if re.search(r"(?i)warning|error", line))]
    for raw in lines:
        line = ANSI_ESCAPE.sub("", raw).strip()
        if not line or NOISE_LINE.match(line) or (RUBY_EXCEPTION.match(line) and diagnostics):
            continue
        line = line.replace(f"{staging}/", "")
        source = None
        for staged, path in by_staged.items():
            if staged in line:
                line = line.replace(staged, str(path))
                source = path
                break
        diagnostics.append(Diagnostic(line, source))
    return diagnostics


def missing_dependency(output: str) -> str | None:
    """The gem Jekyll could not load (e.g. jekyll-polyglot), if that is why it stopped."""
    found = re.search(r"you don't have (\S+) or one of its dependencies installed", output)
    return found.group(1) if found else None


def read_site_config(site_dir: Path) -> dict[str, Any]:
    """_config.yml as a dict: baseurl and url decide which links are internal."""
    config_path = site_dir / "_config.yml"
    if not config_path.is_file():
        raise SiteError(f"no Jekyll site here (missing {config_path})", path=config_path)
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SiteError(f"_config.yml is not valid YAML: {exc}", path=config_path) from exc
    return config if isinstance(config, dict) else {}


def build(site_dir: Path, content_dir: Content, dest: Path, *, jekyll: str = "jekyll", languages: Iterable[str] = LANGS) -> BuildResult:
    """Build site/ with the posts of content/ja and content/en into `dest`.

    The staging copy lives in a temporary directory that is removed afterwards; only `dest`
    remains.  A failed build is returned (non-zero returncode, diagnostics), not raised:
    the report should show it next to everything else.  Only a missing Jekyll raises.
    """
    executable = find_jekyll(jekyll)
    config = read_site_config(site_dir)
    sources = post_sources(content_dir, languages)
    with tempfile.TemporaryDirectory(prefix="pipeline-site-") as tmp:
        staging = Path(tmp) / "src"
        stage(site_dir, sources, staging)
        started = time.monotonic()
        proc = run_jekyll(executable, staging, dest)
        seconds = time.monotonic() - started
        output = ANSI_ESCAPE.sub("", proc.stdout + proc.stderr)
        missing = missing_dependency(output)
        if missing is not None:
            raise JekyllNotInstalled(missing)
        diagnostics = parse_diagnostics(proc.stderr, proc.stdout, staging, sources)
    return BuildResult(
        dest=dest,
        returncode=proc.returncode,
        diagnostics=diagnostics,
        seconds=seconds,
        sources=sources,
        baseurl=str(config.get("baseurl") or "").rstrip("/"),
        site_url=str(config.get("url") or "").rstrip("/"),
        output=output,
    )


# --------------------------------------------------------------------------------------
# Reading the built HTML

VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Text that is not prose: the pipeline keeps code byte for byte, so Japanese there is expected.
NON_PROSE = frozenset("script style code pre kbd samp template".split())
URL_ATTRIBUTES = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "script": ("src",),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
}


@dataclass
class Page:
    """What the checks need from one built HTML page."""

    file: Path
    url: str
    lang: str = ""
    post: str | None = None  # data-post of the <article>: the post's file stem
    alternates: dict[str, list[str]] = field(default_factory=dict)  # <link rel=alternate hreflang>
    language_links: dict[str, list[str]] = field(default_factory=dict)  # <a hreflang>
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    english_text: list[str] = field(default_factory=list)  # text whose language is English
    # the post's own text in an element marked with another language (`<p lang="ja">` of an
    # embedded tweet): the reader of the English page sees it too, so it is counted
    marked_text: list[str] = field(default_factory=list)
    structure: list[str] = field(default_factory=list)  # the post content's elements (see `Structure`)


class PageParser(HTMLParser):
    """Collects links, ids and per-language text, tracking the `lang` attribute down the tree."""

    def __init__(self, page: Page, edition: str = EN, text_attributes: Iterable[str] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.edition = edition  # the language whose text is checked for Japanese left in it
        self.stack: list[tuple[str, str, bool]] = []  # (tag, lang, inside non-prose)
        self.content = Structure(text_attributes)
        self.content_depth: int | None = None  # stack depth of <div class="post-content">

    @property
    def lang(self) -> str:
        return self.stack[-1][1] if self.stack else self.page.lang

    @property
    def non_prose(self) -> bool:
        return bool(self.stack) and self.stack[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        lang = values.get("lang", self.lang).lower()
        if tag == "html":
            self.page.lang = lang
        self._collect(tag, values, lang)
        if self.content_depth is not None:
            self.content.start(tag, values, len(self.stack) - self.content_depth)
        elif tag == "div" and "post-content" in values.get("class", "").split():
            self.content_depth = len(self.stack) + 1
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, lang, self.non_prose or tag in NON_PROSE))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                if self.content_depth is not None:
                    if len(self.stack) < self.content_depth:
                        self.content_depth = None
                        self.page.structure = self.content.finish()
                    else:
                        self.content.end(tag)
                return

    def handle_data(self, data: str) -> None:
        if self.content_depth is not None:
            self.content.text(data)
        if not self.non_prose and self.lang.startswith(self.edition):
            self.page.english_text.append(data)
        elif not self.non_prose and self.content_depth is not None:
            self.page.marked_text.append(data)

    def _collect(self, tag: str, values: dict[str, str], lang: str) -> None:
        page = self.page
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                page.ids.add(values[key])
        if tag == "article" and "data-post" in values:
            page.post = values["data-post"]
        self._collect_language_link(tag, values)
        for attribute in URL_ATTRIBUTES.get(tag, ()):
            if values.get(attribute):
                page.links.extend(_split_srcset(values[attribute]) if attribute == "srcset" else [values[attribute]])
        if lang.startswith(self.edition) and not self.non_prose:
            page.english_text.extend(values[attribute] for attribute in ("alt", "title") if values.get(attribute))
            if tag == "meta" and values.get("name") == "description":
                page.english_text.append(values.get("content", ""))

    def _collect_language_link(self, tag: str, values: dict[str, str]) -> None:
        """`<link rel=alternate hreflang>` and `<a hreflang>`: how the editions point at each other."""
        hreflang = values.get("hreflang", "").lower()
        if not hreflang or "href" not in values:
            return
        if tag == "a":
            self.page.language_links.setdefault(hreflang, []).append(values["href"])
        elif tag == "link" and "alternate" in values.get("rel", "").split():
            self.page.alternates.setdefault(hreflang, []).append(values["href"])


_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())

# Attributes whose value is text a translator changes; every other attribute is structure.
_TEXT_ATTRIBUTES = frozenset({"alt", "title", "aria-label", "placeholder", "content"})


class Structure:
    """The element structure of a post's content, as a reader's page has it: element names in
    order with their depth and their attributes (classes, link and image targets, the ids
    and attributes the author set).

    Text is left out (it is what translation changes), and so is what the renderer derives
    from text: attributes holding text (`alt`, `title`, ...), the ids kramdown generates from
    heading text (`auto_ids`) and the table of contents' links to them, which differ between
    the languages by design.
    """

    def __init__(self, text_attributes: Iterable[str] = ()) -> None:
        self.text_attributes = _TEXT_ATTRIBUTES | frozenset(text_attributes)  # and those the settings translate
        self.rows: list[tuple[str, dict[str, str]]] = []  # (depth + name, attributes)
        self.open_heading: tuple[int, list[str]] | None = None  # (row, text pieces)
        self.auto: set[str] = set()

    def start(self, tag: str, values: dict[str, str], depth: int) -> None:
        attributes = {k: v for k, v in values.items() if k not in self.text_attributes}
        if "class" in attributes:
            attributes["class"] = " ".join(sorted(attributes["class"].split()))
        self.rows.append(("  " * depth + tag, attributes))
        if tag in _HEADINGS:
            self.open_heading = (len(self.rows) - 1, [])

    def text(self, data: str) -> None:
        if self.open_heading is not None:
            self.open_heading[1].append(data)

    def end(self, tag: str) -> None:
        if tag in _HEADINGS and self.open_heading is not None:
            row, pieces = self.open_heading
            element_id = self.rows[row][1].get("id", "")
            generated = {auto_id("".join(pieces).strip()), auto_id("".join(pieces))}
            if element_id and (element_id in generated or re.sub(r"-\d+$", "", element_id) in generated):
                self.auto.add(element_id)  # kramdown's own, or with the counter it adds to repeats
            self.open_heading = None

    def finish(self) -> list[str]:
        lines = []
        for name, attributes in self.rows:
            shown = dict(attributes)
            href = shown.get("href", "")
            if href.startswith("#") and unquote(href[1:]) in self.auto:
                shown["href"] = "#(heading)"
            element_id = shown.get("id", "")
            if element_id in self.auto or (element_id.startswith("markdown-toc-") and element_id[13:] in self.auto):
                shown["id"] = "(heading)"
            lines.append(name + "".join(f" {k}={v!r}" for k, v in sorted(shown.items())))
        return lines


@dataclass(frozen=True)
class Intent:
    """The differences between a post's two pages that are meant: links the settings map to
    localised pages (`[links]`: Japanese prefix → English prefix), and what a translator wrote
    in the edition on purpose (the state knows it is theirs: `survey.translator_texts`)."""

    links: tuple[tuple[str, str], ...] = ()
    english: str = ""  # the translator's English: their segments and their lines outside them
    japanese: str = ""  # the Japanese of the segments they rewrote


_VALUE = re.compile(r"""=(?:'([^']*)'|"([^"]*)")""")


def _localised(line: str, links: Iterable[tuple[str, str]]) -> str:
    """A Japanese page's element with its link targets mapped as `[links]` says."""
    for ja_prefix, en_prefix in links:
        line = re.sub(r"""=(['"])""" + re.escape(ja_prefix), r"=\g<1>" + en_prefix.replace("\\", "\\\\"), line)
    return line


def _by_translator(elements: Sequence[str], text: str) -> bool:
    """Whether a translator's own text holds every link target and attribute of `elements`."""
    values = [a or b for line in elements for a, b in _VALUE.findall(line)]
    return bool(text) and bool(values) and all(v in text for v in values)


def structure_differences(ja: list[str], en: list[str], en_prefix: str, intent: Intent = Intent()) -> tuple[str | None, list[str]]:
    """Where the English page's structure first differs from the Japanese one (in words), and
    the differences a translator made on purpose, which are no failure.

    `en_prefix` is the folder polyglot puts the English site under (`/en`): it rewrites the
    English page's internal links into it, which is no difference a reader sees."""
    en = [line.replace(f"='{en_prefix}/", "='/") for line in en]
    ja = [_localised(line, intent.links) for line in ja] if intent.links else ja
    meant: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=ja, b=en, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "delete":
            words = f"element {i1 + 1}: the English page lacks <{ja[i1].strip()}>"
        elif tag == "insert":
            words = f"element {i1 + 1}: the English page has <{en[j1].strip()}>, which the Japanese page does not"
        else:
            words = f"element {i1 + 1}: Japanese <{ja[i1].strip()}>, English <{en[j1].strip()}>"
        if _by_translator(en[j1:j2], intent.english) if tag != "delete" else _by_translator(ja[i1:i2], intent.japanese):
            meant.append(words)
        else:
            return words, meant
    return None, meant


def structure_difference(ja: list[str], en: list[str], en_prefix: str) -> str | None:
    """Where the English page's structure first differs from the Japanese one, in words."""
    return structure_differences(ja, en, en_prefix)[0]


def _split_srcset(value: str) -> list[str]:
    return [candidate.strip().split()[0] for candidate in value.split(",") if candidate.strip()]


def page_url(dest: Path, file: Path, baseurl: str) -> str:
    """The URL a server gives a built file: …/index.html is served as …/."""
    relative = file.relative_to(dest).as_posix()
    if relative == "index.html":
        relative = ""
    elif relative.endswith("/index.html"):
        relative = relative[: -len("index.html")]
    return f"{baseurl}/{relative}"


def read_pages(dest: Path, baseurl: str, langs: Languages = Languages(), text_attributes: Iterable[str] = ()) -> dict[Path, Page]:
    """Parse every HTML page of the built site; `text_attributes`: attributes translated
    (`[html] translate_attributes`), left out of the structure as `alt` and `title` are."""
    pages = {}
    for file in sorted(dest.rglob("*.html")):
        page = Page(file=file, url=page_url(dest, file, baseurl))
        parser = PageParser(page, langs.edition, text_attributes)
        parser.feed(file.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        pages[file] = page
    return pages


def page_language_area(dest: Path, file: Path, langs: Languages = Languages()) -> str:
    """Polyglot writes each edition's build under /<code>/ (/en/, /ko/) and the default
    language at the root."""
    first = file.relative_to(dest).parts[0]
    return first if first in (langs.edition, *langs.others) and first != langs.source else langs.source


# --------------------------------------------------------------------------------------
# Link resolution


@dataclass(frozen=True)
class Resolved:
    """Where an internal link leads: a file in the built site (None: nowhere)."""

    file: Path | None
    fragment: str = ""


def resolve(href: str, page: Page, dest: Path, baseurl: str, site_url: str) -> Resolved | None:
    """Resolve a link of `page` to a file in `dest`; None for external links."""
    parts = urlsplit(href)
    if parts.scheme in ("mailto", "tel", "javascript", "data"):
        return None
    path = parts.path
    if parts.scheme or parts.netloc or href.startswith("//"):
        if not site_url or not href.startswith(site_url + "/") and href != site_url:
            return None
        path = urlsplit(href[len(site_url) :] or "/").path
    path = unquote(urljoin(page.url, path) if path else page.url)
    fragment = unquote(parts.fragment)
    if baseurl:
        if path != baseurl and not path.startswith(baseurl + "/"):
            return Resolved(None, fragment)
        path = path[len(baseurl) :] or "/"
    candidate = dest / path.lstrip("/")
    if path.endswith("/"):
        options = [candidate / "index.html"]
    else:  # servers redirect a directory to dir/, and many serve x.html for x
        options = [candidate, candidate / "index.html", candidate.with_name(candidate.name + ".html")]
    for option in options:
        if option.is_file():
            return Resolved(option, fragment)
    return Resolved(None, fragment)


def broken_links(page: Page, pages: dict[Path, Page], result: BuildResult) -> list[str]:
    """Internal links and images of `page` that lead to no file, or to a missing #anchor."""
    broken = []
    for href in dict.fromkeys(page.links):
        target = resolve(href, page, result.dest, result.baseurl, result.site_url)
        if target is None:
            continue
        if target.file is None:
            broken.append(href)
        elif target.fragment and target.file in pages and target.fragment not in pages[target.file].ids:
            broken.append(f"{href} (no element with id {target.fragment!r})")
    return broken


def links_to(page: Page, hrefs: Iterable[str], wanted: Page | None, result: BuildResult) -> bool:
    """True when one of `hrefs` (found on `page`) resolves to the page `wanted`."""
    if wanted is None:
        return False
    for href in hrefs:
        target = resolve(href, page, result.dest, result.baseurl, result.site_url)
        if target is not None and target.file == wanted.file:
            return True
    return False


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
