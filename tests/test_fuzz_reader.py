"""Fuzzing the reader: post → segments → identity engine → edition. Whatever the post, the
edition's body is the source's byte for byte, or the post fails with a clear PipelineError;
never a bug (an InternalError: a traceback turned into "please report it").

Posts are built from lines of the real corpus (tests/fixtures/corpus) cut and spliced with the
Markdown, kramdown, Liquid and HTML pieces that make readers trip, under a fixed budget
(max_examples, no deadline) so it runs in every suite run and in CI.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from helpers import CORPUS_AND_SAMPLES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.cache import MemoryCache
from pipeline.config import Settings, create_engine, replace
from pipeline.errors import InternalError
from pipeline.post import read_post
from pipeline.run import Translator

PIECES = [
    "`",
    "``",
    "```",
    "~~~",
    "*",
    "**",
    "_",
    "__",
    "[",
    "]",
    "(",
    ")",
    "![",
    "<",
    ">",
    "</div>",
    "<div>",
    '<div markdown="1">',
    "<!--",
    "-->",
    "{:",
    "{::",
    "{: .c}",
    "{::nomarkdown}",
    "{:/}",
    "}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{% raw %}",
    "{% endraw %}",
    "{% highlight ruby %}",
    "{% endhighlight %}",
    "|",
    "\\",
    "&amp;",
    "&",
    "$$",
    "^",
    "[^1]",
    "[^1]: ",
    "*[HTML]: ",
    "- ",
    "1. ",
    "> ",
    "# ",
    "    ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "---",
    "===",
    "。",
    "「",
    "」",
    "日本語",
    "https://example.com/a?b=c",
    "\u3000",
    "\ufeff",
    "\u200b",
]


@cache
def corpus_lines() -> list[str]:
    lines: list[str] = []
    for path in CORPUS_AND_SAMPLES[::7]:  # every 7th document: enough variety, read once
        lines += [line for line in read_post(path).body.splitlines() if line.strip()][:40]
    return lines


@st.composite
def posts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(corpus_lines()), st.sampled_from(PIECES), st.text(max_size=8)), max_size=30))
    cuts = draw(st.lists(st.integers(0, 200), max_size=3))
    body = "".join(parts)
    for cut in cuts:  # a line cut mid-way, as an editor's accident does
        body = body[:cut] + body[cut + 1 :]
    title = draw(st.sampled_from(["テスト", "'引用: {{ x }}'", '"a: b"', "[リスト]", "|"]))
    return f"---\ntitle: {title}\n---\n\n{body}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(posts())
@example("---\ntitle: テスト\n---\n\n<!--# コミュニティーガイド {#community-guide}")  # an unclosed comment: kramdown's text
def test_a_post_reads_back_byte_exact_or_fails_clearly(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        source = tmp / "ja"
        source.mkdir()
        post = source / "2020-01-01-fuzz.md"
        post.write_bytes(text.encode("utf-8", "surrogatepass"))
        settings_ = replace(
            Settings(root=tmp),
            source_dir=source,
            output_dir=tmp / "en",
            state_dir=tmp / "state",
            cache_dir=tmp / "cache",
            engine="identity",
        )
        result = Translator(settings_, create_engine("identity"), MemoryCache()).run([post]).posts[0]
        assert not isinstance(result.error, InternalError), result.error
        if result.status == "written":
            edition = read_post(tmp / "en" / post.name)
            assert edition.body == read_post(post).body
        else:
            assert result.status in ("failed", "skipped") and result.error is not None and str(result.error)
