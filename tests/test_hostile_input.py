"""Posts built to be slow: long runs of backticks, a paragraph with no sentence end, openers
with no closer. Each scan that was super-linear is now linear; what they find is unchanged
(checked against the regexps they replace), and such posts translate byte for byte through
the identity engine. How long they take is a benchmark figure (benchmarks/run.py), not a test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cache import MemoryCache
from pipeline.config import Settings, create_engine, replace
from pipeline.errors import InputError
from pipeline.kramdown.blocks import _TRAILING_IAL, _trailing_ial
from pipeline.kramdown.code_blocks import _CLOSING_LINE, _FENCE_MATCH, _capped_fence_match
from pipeline.kramdown.tables import _TABLE_SEPARATOR, code_spans
from pipeline.lint import sentences
from pipeline.run import Translator
from pipeline.state import load_state

EXAMPLES = settings(max_examples=400, deadline=None)


def translate_body(tmp: Path, body: str) -> str:
    """`body` as a post's text, translated by the identity engine: the edition's body."""
    source = tmp / "ja"
    source.mkdir()
    post = source / "2020-01-01-hostile.md"
    post.write_text(f"---\ntitle: テスト\n---\n\n{body}", encoding="utf-8")
    settings_ = replace(
        Settings(root=tmp), source_dir=source, output_dir=tmp / "en", state_dir=tmp / "state", cache_dir=tmp / "cache", engine="identity"
    )
    report = Translator(settings_, create_engine("identity"), MemoryCache()).run([post])
    assert [p.status for p in report.posts] == ["written"], report.posts[0].error
    return (tmp / "en" / post.name).read_text(encoding="utf-8").split("\n---\n", 1)[1][1:]


def test_a_line_of_backticks_translates_byte_exact(tmp_path: Path) -> None:
    body = "`" * 3000 + "\n\n| a `" + "`" * 500 + " | b |\n"
    assert translate_body(tmp_path, body) == body


def test_a_paragraph_with_no_sentence_end_translates_byte_exact(tmp_path: Path) -> None:
    body = "word " * 12_000 + "\n"
    assert translate_body(tmp_path, body) == body


def test_openers_with_no_closer_translate_byte_exact(tmp_path: Path) -> None:
    body = "*a " * 3000 + "\n\nb" + " {:" * 3000 + "\n"
    assert translate_body(tmp_path, body) == body


_OLD_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")  # what kramdown._pipes used: cubic on a run of backticks


@EXAMPLES
@given(st.text(alphabet="`` a|\\", max_size=24))
def test_code_spans_are_where_the_regexp_found_them(line: str) -> None:
    assert code_spans(line) == [m.span() for m in _OLD_CODE_SPAN.finditer(line)]


_OLD_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]+[」』）)]*")  # lint's: quadratic on a paragraph with no end


@EXAMPLES
@given(st.text(alphabet="ab 。！?」)）", max_size=24))
def test_sentences_are_what_the_regexp_found(text: str) -> None:
    assert list(sentences(text)) == _OLD_SENTENCE.findall(text)


@EXAMPLES
@given(st.lists(st.sampled_from(["{:", " ", "}", "\\", "a", "\n", ":", "/", "{"]), max_size=14).map("".join))
def test_trailing_ial_is_what_the_search_found(content: str) -> None:
    found, expected = _trailing_ial(content), _TRAILING_IAL.search(content)
    assert (found and found.span()) == (expected and expected.span())


@EXAMPLES
@given(st.lists(st.sampled_from(["`", "`", "~", " ", "a", "?", "\n", "\n", "\t"]), max_size=18).map(lambda s: "".join(s) + "\n"))
def test_capped_fence_match_is_the_full_match(text: str) -> None:
    longest = max((len(m.group(1)) for m in _CLOSING_LINE.finditer(text, text.find("\n"))), default=0)
    capped = _capped_fence_match(longest).match(text) if longest >= 3 else None
    full = _FENCE_MATCH.match(text)
    assert (capped and (capped.groups(), capped.end())) == (full and (full.groups(), full.end()))


_OLD_SEPARATOR = re.compile(r"[+|: \t-]*?-[+|: \t-]*?[ \t]*|[+|: \t=]*?=[+|: \t=]*?[ \t]*")


@EXAMPLES
@given(st.text(alphabet="+|: \t-=x", max_size=16))
def test_table_separator_matches_what_it_matched(line: str) -> None:
    assert bool(_TABLE_SEPARATOR.fullmatch(line)) == bool(_OLD_SEPARATOR.fullmatch(line))


def test_front_matter_nested_too_deep_or_with_a_huge_number_is_one_clear_error(tmp_path: Path) -> None:
    cases = {
        "deep": "title: " + "[" * 5000 + "]" * 5000,
        "wide": "title: x\ntags: " + "9" * 6000,
        "flow": "title: x\nx: " + "{a: " * 3000 + "}" * 3000,
    }
    source = tmp_path / "ja"
    source.mkdir()
    posts = []
    for name, front in cases.items():
        posts.append(source / f"2020-01-01-{name}.md")
        posts[-1].write_text(f"---\n{front}\n---\n\n本文です。\n", encoding="utf-8")
    settings_ = replace(
        Settings(root=tmp_path), source_dir=source, output_dir=tmp_path / "en", state_dir=tmp_path / "state", engine="identity"
    )
    report = Translator(settings_, create_engine("identity"), MemoryCache()).run(posts)
    for result in report.posts:
        assert result.status == "failed" and isinstance(result.error, InputError), result.error
        assert "malformed YAML front matter" in str(result.error) and result.source.name in str(result.error)


def test_a_state_file_nested_too_deep_is_one_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "x.json"
    state.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(InputError, match="state file is damaged"):
        load_state(state)
