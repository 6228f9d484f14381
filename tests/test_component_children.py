"""When the text inside an HTML element is Markdown, and when it is raw HTML text, as Jekyll's
kramdown reads it (pipeline.html_block `_markdown_children`).

Each case is a small document holding `*強調*`. Debian's kramdown, with Jekyll's options, says
how the page shows it: `<em>強調</em>` (the element's text was read as Markdown) or `*強調*`
as written (raw HTML text). The pipeline must send that text the same way: as a Markdown
paragraph, or as the text of an HTML block, whose `*` is prose.
"""

from __future__ import annotations

import pytest

import kramdown_oracle as oracle
from pipeline.segment import split

MARKDOWN, RAW = "markdown", "raw"
BODY = "文 *強調* です"

CASES = {
    # parse_block_html is off: every element kramdown reads as block HTML is raw inside
    "component, blank lines around its text": (f"<Challenges>\n\n{BODY}\n\n</Challenges>\n", RAW),
    "component, no blank lines": (f"<Intro>\n{BODY}\n</Intro>\n", RAW),
    "component on one line": (f"<Intro>{BODY}</Intro>\n", RAW),
    "component right after a paragraph line": (f"段落\n<Intro>\n\n{BODY}\n\n</Intro>\n", RAW),
    "component with a prop": (f'<TeamMember name="Dan" permalink="dan">\n\n{BODY}\n\n</TeamMember>\n', RAW),
    "component inside a component": (f"<Challenges>\n<Hint>\n\n{BODY}\n\n</Hint>\n</Challenges>\n", RAW),
    "component never closed": (f"<Intro>\n\n{BODY}\n", RAW),
    "dashed custom element": (f"<my-note>\n\n{BODY}\n\n</my-note>\n", RAW),
    "div": (f"<div>\n\n{BODY}\n\n</div>\n", RAW),
    # markdown="1" gives the element's own content model: :raw for a name kramdown does not know
    'component with markdown="1"': (f'<Intro markdown="1">\n\n{BODY}\n\n</Intro>\n', RAW),
    'div with markdown="0"': (f'<div markdown="0">{BODY}</div>\n', RAW),
    # the attribute's other values parse it whatever the name
    'custom element with markdown="block"': (f'<my-note markdown="block">\n\n{BODY}\n\n</my-note>\n', MARKDOWN),
    'component with markdown="span"': (f'<Intro markdown="span">{BODY}</Intro>\n', MARKDOWN),
    'div with markdown="1", text on the tag line': (f'<div markdown="1">{BODY}</div>\n', MARKDOWN),
    'p with markdown="1" (span content)': (f'<p markdown="1">{BODY}</p>\n', MARKDOWN),
    'markdown="block" inside a raw div': (f'<div>\n<my-note markdown="block">\n\n{BODY}\n\n</my-note>\n</div>\n', MARKDOWN),
    # no HTML to kramdown at all (HTML_TAG_RE: a JSX value is not an attribute value)
    "component with a JSX prop": (f"<Intro isChapter={{true}}>\n\n{BODY}\n\n</Intro>\n", MARKDOWN),
    # where the element stands depends on kramdown's code blocks: ```` ```js {1} ```` is no
    # fence to kramdown-parser-gfm (one-word info strings only), so the next ``` opens one that
    # swallows the start tag, and the text after it is a paragraph
    "start tag inside code kramdown reads": (f"```js {{1}}\na\n```\n\n<Intro>\n\n```js\nb\n```\n\n{BODY}\n\n</Intro>\n", MARKDOWN),
    # an indented code block takes the following non-blank lines (CODEBLOCK_MATCH), ``` too
    "fence line taken by an indented code block": (f"段落\n\n    a\n  b\n```\n\n<Intro>\n\n{BODY}\n\n</Intro>\n", RAW),
}

pytestmark = pytest.mark.skipif(not oracle.available(), reason="needs Debian's ruby-kramdown")


@pytest.fixture(scope="module")
def renders() -> dict[str, str]:
    return oracle.render_many({name: (text, {}) for name, (text, _) in CASES.items()})


def _kramdown_reads(html: str) -> str:
    if "<em>強調</em>" in html:
        return MARKDOWN
    assert "*強調*" in html, html
    return RAW


def _pipeline_reads(text: str) -> str:
    found = [s for s in split(text, dialect="kramdown").segments if "強調" in s.source]
    assert len(found) == 1, found
    return RAW if found[0].kind == "html" else MARKDOWN


@pytest.mark.parametrize("name", CASES)
def test_an_elements_text_is_sent_as_kramdown_reads_it(name: str, renders: dict[str, str]) -> None:
    text, expected = CASES[name]
    assert _kramdown_reads(renders[name]) == expected, renders[name]
    assert _pipeline_reads(text) == expected
