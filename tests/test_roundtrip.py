"""Round trips over real Japanese Markdown and over generated documents.

Why: the pipeline's first promise is that nothing but prose changes. The identity engine
returns every text unchanged, so an English edition made with it must equal the source
byte for byte except the two front matter lines the pipeline adds (`lang`, `ref`); any
other difference is a byte the split/protect/restore/splice chain lost or invented. The
pseudo engine really rewrites every prose run (romanised, NFKC-folded punctuation, ⟦ ⟧
brackets), so its output exercises restoring markup around new text: rendered to HTML it
must have the same element structure as the source.

The corpus (tests/fixtures/corpus, 170 files of the Vue and React Japanese docs, CC BY 4.0,
see its README.md and MANIFEST.tsv) and the repository's sample posts are checked file by
file; a hypothesis grammar of blocks and inlines covers the combinations they lack.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cache import MemoryCache
from pipeline.config import Settings
from pipeline.engines.identity import IdentityEngine
from pipeline.engines.pseudo import PseudoEngine
from pipeline.inline import restore
from pipeline.markdown import DIALECTS, render
from pipeline.post import parse_post
from pipeline.report import PostResult
from pipeline.run import Translator
from pipeline.segment import split, splice

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
POSTS = sorted((CORPUS / "ja").rglob("*.md")) + sorted((ROOT / "content" / "ja").glob("*.md"))


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


class _Structure(HTMLParser):
    """Start and end tag names in document order; text, attributes and comments ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag + "/")

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)


def html_structure(markdown: str, dialect: str = "commonmark") -> list[str]:
    """The element structure a reader gets from `markdown`, as rendered by the project's renderer."""
    parser = _Structure()
    parser.feed(render(markdown, dialect))
    parser.close()
    return parser.tags


def _translate(path: Path, out_dir: Path, engine: IdentityEngine | PseudoEngine) -> Path:
    """Run the user-facing Translator on one post; return the English edition's path."""
    settings = Settings(root=out_dir, source_dir=path.parent, output_dir=out_dir / "en")
    report = Translator(settings, engine, MemoryCache()).run([path])
    (result,) = report.posts
    return _written(result)


def _written(result: PostResult) -> Path:
    """The English edition's path of a post the Translator wrote cleanly."""
    assert result.error is None, str(result.error)
    assert result.status == "written"
    assert result.output is not None
    assert not [f for f in result.flags if f.code in ("structure", "skipped")], result.flags
    return result.output


def test_corpus_is_complete() -> None:
    """Every file the manifest lists is present, unmodified in size (the attribution travels with it)."""
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 170
    for row in rows:
        local_path, *_, size = row.split("\t")
        assert (CORPUS / local_path).stat().st_size == int(size), local_path
    assert "CC BY 4.0" in (CORPUS / "README.md").read_text(encoding="utf-8")
    assert len(POSTS) == 172


@pytest.mark.parametrize("path", POSTS, ids=_id)
def test_identity_edition_equals_source(path: Path, tmp_path: Path) -> None:
    """Identity engine through the Translator: the edition is the source plus `lang` and `ref`."""
    raw = path.read_bytes()
    post = parse_post(path, raw)
    assert post.front_matter is not None and post.front_matter.format == "yaml"
    output = _translate(path, tmp_path, IdentityEngine())
    nl = post.newline
    fm_end = post.front_matter.end
    head = post.text[:fm_end]
    if head and not head.endswith(("\n", "\r")):
        head += nl
    expected = post.with_text(head + f"lang: en{nl}ref: {path.stem}{nl}" + post.text[fm_end:])
    assert output.read_bytes() == expected


@pytest.mark.parametrize("path", POSTS, ids=_id)
def test_identity_segments_restore_exactly(path: Path) -> None:
    """Every segment is located, its engine text is well-formed XML, and restore(protect(x)) == joined."""
    post = parse_post(path, path.read_bytes())
    skeleton = split(post.body)
    assert skeleton.skipped == ()
    assert skeleton.segments, "a post without a single translatable block is not a useful fixture"
    previous_end = 0
    for segment in skeleton.segments:
        assert segment.start >= previous_end, "segments overlap"
        previous_end = segment.end
        ET.fromstring(f"<seg>{segment.xml}</seg>")
        assert restore(segment.xml, segment.protected) == segment.protected.joined
    assert splice(post.body, [(s.start, s.end, s.source) for s in skeleton.segments]) == post.body


@pytest.mark.parametrize("path", POSTS, ids=_id)
def test_pseudo_edition_keeps_html_structure(path: Path, pseudo_corpus: dict[Path, PostResult]) -> None:
    """Pseudo engine through the Translator: every prose run changes, the rendered element structure does not.

    The editions are the pseudo run over the corpus that test_leftovers.py counts too
    (conftest.py's pseudo_corpus: the same Translator, engine and settings, one run per folder)."""
    source = parse_post(path, path.read_bytes())
    output = _written(pseudo_corpus[path])
    english = parse_post(output, output.read_bytes())
    if any(s.protected.has_prose for s in split(source.body, dialect="kramdown").segments):
        assert "⟦" in english.body, "the pseudo engine translated nothing"
    else:  # all its Japanese sits in kramdown HTML blocks (`<Intro>…</Intro>`), which stay as written
        assert english.body == source.body
    assert html_structure(english.body, "kramdown") == html_structure(source.body, "kramdown")


# --- generated documents -------------------------------------------------------------

_JA_WORDS = [
    "日本語", "翻訳", "です", "「引用」", "テスト、", "終わり。", "（注）", "ＡＷＳ", "は", "強調", "＊", "＃", "１．", "＿",
    "［注］", "｜", "＄", "＜", "＞", "－", "＝", "｀", "＼", "〜", "＆ａｍｐ；",
]  # fmt: skip
_ASCII_WORDS = [
    "AWS", "foo", "v1.2", "a_b", "C++", "x*y", "100%", "#tag", "1.", "-", "+", "&", "<", ">", "!", "$5", "[x]", "~",
    "|", "*", "**", "_", "`", "\\", "$", "1)", "(x)", "]", "[", ":",
]  # fmt: skip
_WORDS = st.sampled_from(_JA_WORDS + _ASCII_WORDS)


# Table cells: no `|` (it would change the column count) and no backtick (GFM splits a row
# at every `|` before inline parsing, so a code span cannot hold an unescaped `|`; backticks in cells
# are covered by test_backtick_in_a_table_cell_stays_in_its_cell in test_inline.py).
_CELL_WORDS = st.sampled_from([w for w in _JA_WORDS + _ASCII_WORDS if w not in ("|", "`")])


@st.composite
def _text(draw: st.DrawFn, words: st.SearchStrategy[str] = _WORDS) -> str:
    chosen = draw(st.lists(words, min_size=1, max_size=4))
    return draw(st.sampled_from(["", " "])).join(chosen)


_INLINE_KINDS = [
    "text", "text", "text", "em", "strong", "em_", "strike", "cjk_strong_before", "cjk_strong_after", "code",
    "code2", "link", "reflink", "image", "autolink", "url", "liquid_out", "liquid_tag", "html_open", "html_close",
    "footnote", "escape", "entity", "math",
]  # fmt: skip


@st.composite
def _inline(draw: st.DrawFn, depth: int = 0) -> str:
    """One inline construct; emphasis and links nest one level."""
    kind = draw(st.sampled_from(_INLINE_KINDS))
    if kind in ("em", "strong", "em_", "strike", "link"):
        inner = draw(_text()) if depth else draw(_inline(depth=1))
        return {"em": "*{}*", "strong": "**{}**", "em_": "_{}_", "strike": "~~{}~~", "link": "[{}](https://example.com/a_b)"}[
            kind
        ].format(inner)
    fixed = {
        "code": "`code | x`",
        "code2": "``a ` b``",
        "autolink": "<https://example.com>",
        "url": "https://example.com/path_a?q=1",
        "liquid_out": "{{ page.title }}",
        "liquid_tag": "{% link a.md %}",
        "html_open": '<span class="x">',
        "html_close": "</span>",
        "footnote": "[^1]",
        "escape": "\\*",
        "entity": "&amp;",
        "math": "$x^2$",
    }
    if kind in fixed:
        return fixed[kind]
    text = draw(_text())
    return {
        "text": "{}",
        "cjk_strong_before": "**「{}」**は",
        "cjk_strong_after": "「{}」**は**",
        "reflink": "[{}][ref]",
        "image": '![{}](img.png "題")',
    }[kind].format(text)


@st.composite
def _line(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_inline(), min_size=1, max_size=4))
    line = draw(st.sampled_from(["", " "])).join(parts)
    return line.strip() or "本文"


@st.composite
def _paragraph(draw: st.DrawFn, prefix: str = "") -> str:
    """Lines joined by soft or hard breaks; `prefix` is the container indentation of continuation lines."""
    lines = draw(st.lists(_line(), min_size=1, max_size=3))
    out = draw(st.sampled_from(["", "", " ", "   "])) + lines[0]
    for line in lines[1:]:
        brk = draw(st.sampled_from(["\n", "\n", " \n", "  \n", "\\\n"]))
        out += brk + prefix + draw(st.sampled_from(["", "", "  "])) + line
    return out


_BLOCK_KINDS = [
    "paragraph", "paragraph", "atx", "setext", "list", "olist", "quote", "table", "fence", "indented", "hr",
    "liquid", "html", "math", "refdef",
]  # fmt: skip


def _indent(block: str, pad: str) -> str:
    return "\n".join(pad + ln if ln else ln for ln in block.split("\n"))


@st.composite
def _block(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(_BLOCK_KINDS))
    if kind == "paragraph":
        return draw(_paragraph())
    if kind == "atx":
        level = "#" * draw(st.integers(1, 6))
        closing = draw(st.sampled_from(["", " " + level, " #", "   ", "#", " ##  "]))
        return f"{level}{draw(st.sampled_from([' ', '  ', chr(9)]))}{draw(_line())}{closing}"
    if kind == "setext":
        return f"{draw(_paragraph())}\n{draw(st.sampled_from(['===', '---', '-', '=== ']))}"
    if kind in ("list", "olist"):
        items = []
        start = draw(st.sampled_from([1, 1, 3, 10]))
        for n in range(draw(st.integers(1, 3))):
            if kind == "olist":
                marker = f"{start + n}{draw(st.sampled_from(['.', ')']))}{draw(st.sampled_from([' ', '  ']))}"
            else:
                marker = draw(st.sampled_from(["- ", "* ", "+ ", "-   "]))
            pad = " " * len(marker)
            item = marker + draw(_paragraph(prefix=pad)).lstrip()
            if depth == 0 and draw(st.booleans()):
                item += draw(st.sampled_from(["\n", "\n\n"])) + _indent(draw(_block(depth=1)), pad)
            items.append(item)
        return draw(st.sampled_from(["\n", "\n\n"])).join(items)
    if kind == "quote":
        if depth == 0 and draw(st.booleans()):
            return "\n".join("> " + ln if ln else ">" for ln in draw(_block(depth=1)).split("\n"))
        lines = draw(_paragraph()).split("\n")
        lazy = draw(st.booleans())  # a continuation line without `>` still belongs to the quote
        return "\n".join(("" if lazy and i else draw(st.sampled_from(["> ", ">"]))) + ln for i, ln in enumerate(lines))
    if kind == "table":
        cols = draw(st.integers(1, 3))
        cell = st.one_of(_text(_CELL_WORDS), st.just("`a \\| b`"), st.just("**太字**"), st.just("セル\\|パイプ"), st.just(""))
        rows = [[draw(_text(_CELL_WORDS)) for _ in range(cols)], [draw(st.sampled_from(["---", ":---", ":-:", "--:"])) for _ in range(cols)]]
        rows += [[draw(cell) for _ in range(cols)] for _ in range(draw(st.integers(0, 2)))]
        edge = draw(st.booleans())
        return "\n".join(("| " if edge else "") + " | ".join(r) + (" |" if edge else "") for r in rows)
    if kind == "fence":
        return f"```python\n# {draw(_text())}\nprint('**x**')\n```"
    if kind == "indented":
        return f"    {draw(_text())}\n    **コード**"
    if kind == "hr":
        return draw(st.sampled_from(["---", "***", "___", "- - -"]))
    if kind == "liquid":
        return draw(
            st.sampled_from(
                [
                    "{% highlight ruby %}\n# 日本語 **x**\n{% endhighlight %}",
                    "{% raw %}\n{{ 日本語 }}\n{% endraw %}",
                    "{% include note.html %}",
                ]
            )
        )
    if kind == "html":
        return draw(st.sampled_from([f"<div class=\"note\">\n{draw(_text())}\n</div>", "<!-- コメント -->"]))
    if kind == "math":
        return "$$\nx^2 + 日本語\n$$"
    return "[ref]: https://example.com/ref \"題名\""


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A Markdown body: blocks separated by blank lines, LF or CRLF, with or without a final newline."""
    blocks = draw(st.lists(_block(), min_size=1, max_size=5))
    if any("[^1]" in b for b in blocks):
        blocks.append("[^1]: 脚注の本文です。")
    doc = ""
    for i, block in enumerate(blocks):
        doc += (draw(st.sampled_from(["\n\n", "\n\n", "\n \n", "\n\n\n"])) if i else "") + block
    doc += draw(st.sampled_from(["", "\n", "\n\n"]))
    if draw(st.booleans()):
        doc = doc.replace("\n", "\r\n")
    return doc


def _identity(body: str, dialect: str = "commonmark") -> str:
    """What run.py writes for the identity engine: the source span wherever restore gives `joined`."""
    skeleton = split(body, dialect=dialect)
    edits = []
    for segment in skeleton.segments:
        ET.fromstring(f"<seg>{segment.xml}</seg>")  # the engine gets well-formed XML
        text = restore(segment.xml, segment.protected)
        assert text == segment.protected.joined
        edits.append((segment.start, segment.end, segment.source if text == segment.protected.joined else text))
    return splice(body, edits)


def _pseudo(body: str, brackets: bool = True, dialect: str = "commonmark") -> str:
    engine = PseudoEngine(brackets=brackets)
    skeleton = split(body, dialect=dialect)
    segments = [s for s in skeleton.segments if s.protected.has_prose]
    answers = engine.translate([s.xml for s in segments])
    return splice(body, [(s.start, s.end, restore(a.text, s.protected)) for s, a in zip(segments, answers)])


ROUNDTRIP = settings(
    max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@pytest.mark.parametrize("dialect", DIALECTS)
@ROUNDTRIP
@given(body=documents())
def test_generated_identity_is_byte_exact(body: str, dialect: str) -> None:
    """Any mix of the supported blocks and inlines comes back byte for byte, with nothing skipped."""
    assert _identity(body, dialect) == body
    assert split(body, dialect=dialect).skipped == ()


@pytest.mark.parametrize("dialect", DIALECTS)
@ROUNDTRIP
@given(body=documents())
def test_generated_pseudo_keeps_html_structure(body: str, dialect: str) -> None:
    """New prose around restored markup renders to the same elements, whatever punctuation it has.

    Without the ⟦ ⟧ brackets the translation of `＃見出し` starts with `#`: it must stay text.
    """
    assert html_structure(_pseudo(body, dialect=dialect), dialect) == html_structure(body, dialect)
    assert html_structure(_pseudo(body, brackets=False, dialect=dialect), dialect) == html_structure(body, dialect)
