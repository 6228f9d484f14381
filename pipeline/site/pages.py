"""Read the HTML Jekyll built: each page's language, links, ids, text and element structure.

The checks compare what a reader sees, not the Markdown, so this module turns every built
page into a `Page`: the text in the edition's language (where Japanese must not be left),
the `hreflang` links between the editions, the ids links may point at, and the `Structure`
of the post's content (elements, depth and attributes, without the text translation
changes), which must match between a post's two pages except where a difference is meant
(`Intent`).  It also resolves a page's internal links to the built files they lead to, as
a server would.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable
from urllib.parse import unquote, urljoin, urlsplit

from pipeline.heading_ids import auto_id, converter_id
from pipeline.site.build import EN, BuildResult, Languages

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


# The elements kramdown makes of Markdown around a heading (lists, quotes, tables, definition
# lists): kramdown-parser-gfm gives the headings inside them its ids. Any other element around
# one is the author's HTML (`<div markdown="1">`), which that parser does not enter.
_KRAMDOWN_CONTAINERS = frozenset({"ul", "ol", "li", "blockquote", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th"})


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
        self.in_html = False  # the open heading stands inside an HTML element of the post (`markdown="1"`)
        self.path: list[str] = []  # the tags open above the element last started, the post content's first
        self.in_note_mark = False  # inside a heading's footnote marker, whose number is not in its id
        self.auto: set[str] = set()

    def start(self, tag: str, values: dict[str, str], depth: int) -> None:
        attributes = {k: v for k, v in values.items() if k not in self.text_attributes}
        if "class" in attributes:
            attributes["class"] = " ".join(sorted(attributes["class"].split()))
        self.rows.append(("  " * depth + tag, attributes))
        self.path[depth:] = [tag]
        if tag in _HEADINGS:
            self.open_heading = (len(self.rows) - 1, [])
            self.in_html = any(t not in _KRAMDOWN_CONTAINERS for t in self.path[:depth])
        elif tag == "sup" and values.get("role") == "doc-noteref" and self.open_heading is not None:
            self.in_note_mark = True  # kramdown-parser-gfm makes the id of the heading's text without it

    def text(self, data: str) -> None:
        if self.open_heading is not None and not self.in_note_mark:
            self.open_heading[1].append(data)

    def end(self, tag: str) -> None:
        if tag == "sup":
            self.in_note_mark = False
        if tag in _HEADINGS and self.open_heading is not None:
            row, pieces = self.open_heading
            element_id = self.rows[row][1].get("id", "")
            text = "".join(pieces)
            # kramdown-parser-gfm's; its converter's for a heading inside `markdown="1"` HTML
            generated = {converter_id(text.strip())} if self.in_html else {auto_id(text.strip()), auto_id(text)}
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


def _outside(line: str, folder: str) -> str:
    """An element with its links into `folder` (the English site's, `/en`) read from the root."""
    return line.replace(f"='{folder}/", "='/")


def _by_translator(elements: Sequence[str], text: str) -> bool:
    """Whether a translator's own text holds every link target and attribute of `elements`."""
    values = [a or b for line in elements for a, b in _VALUE.findall(line)]
    return bool(text) and bool(values) and all(v in text for v in values)


def structure_differences(ja: list[str], en: list[str], en_prefix: str, intent: Intent = Intent()) -> tuple[str | None, list[str]]:
    """Where the English page's structure first differs from the Japanese one (in words), and
    the differences a translator made on purpose, which are no failure.

    `en_prefix` is the folder polyglot puts the English site under (`/en`): it rewrites the
    English page's internal links into it, which is no difference a reader sees. A Japanese
    page may link into that folder itself (a post that translates an English announcement,
    as www.ruby-lang.org's do), and the English page then shows the very same link: both
    sides are read without the folder, or the pair would differ where nothing does."""
    en = [_outside(line, en_prefix) for line in en]
    ja = [_outside(_localised(line, intent.links) if intent.links else line, en_prefix) for line in ja]
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
