"""frontmatter.py: which values are translatable, and in-place edits that keep every other byte."""

from __future__ import annotations

from pathlib import Path

import tomllib

import pytest
import yaml

from pipeline import frontmatter
from pipeline.errors import InputError
from pipeline.post import parse_post
from helpers import CORPUS_AND_SAMPLES

P = Path("p.md")
KEYS = ("title", "excerpt", "description", "tags")
ADDED = {"lang": "en", "ref": "p"}


def block(text: str):
    post = parse_post(P, text.encode("utf-8"))
    assert post.front_matter is not None
    return post.front_matter


def fields(text: str) -> list[frontmatter.Field]:
    return frontmatter.translatable_fields(block(text), KEYS, P)


def edited(text: str, translate, added=ADDED, newline: str = "\n") -> str:
    fm = block(text)
    edits = [(f, translate(f)) for f in frontmatter.translatable_fields(fm, KEYS, P)]
    return frontmatter.edit(fm, edits, added, newline)


def test_only_non_empty_strings_of_the_configured_keys_in_document_order() -> None:
    found = fields("---\ndate: 2025-01-01\ntags: [1, 題, '', true]\ntitle: 題名\ncount: 3\nauthor: 著者\n---\n")
    assert [(f.key, f.index, f.value, f.line) for f in found] == [("tags", 1, "題", 3), ("title", None, "題名", 4)]


def test_an_alias_to_english_is_left_as_it_is() -> None:
    text = "---\nbase: &a Title\ntitle: *a\n---\n"
    assert fields(text) == []
    assert edited(text, lambda f: "X") == "base: &a Title\ntitle: *a\nlang: en\nref: p\n"


@pytest.mark.parametrize(
    ("text", "line"),
    [("---\nbase: &a 題名\ntitle: *a\n---\n", 3), ("---\nbase: &t 投資\ntags: [AI, *t]\n---\n", 3)],
)
def test_an_alias_to_japanese_in_a_translated_key_names_the_anchor(text: str, line: int) -> None:
    """It stayed Japanese in the English edition, unsaid (issue 15, item 21): the alias
    cannot be translated in place, so the error names it and its anchor."""
    with pytest.raises(InputError, match=r"stands for the value anchored as &(a|t) on line 2") as info:
        fields(text)
    assert info.value.line == line


@pytest.mark.parametrize(
    ("line", "english", "expected"),
    [
        ("title: 題名", "A title", "title: A title"),  # plain stays plain
        ("title: 題名", "Note: a title", 'title: "Note: a title"'),  # plain would not parse back: double quotes
        ("title: 題名", "#1 title", 'title: "#1 title"'),  # would start a comment
        ("title: '題名'", "It's", "title: 'It''s'"),
        ('title: "題名"  # 注', 'A "quoted" title', 'title: "A \\"quoted\\" title"  # 注'),  # comment kept
        ('tags: ["AI", 投資]', "Invest, ment", 'tags: ["AI", "Invest, ment"]'),  # a comma in a flow list
        ("tags:\n  - 投資", "Investment", "tags:\n  - Investment"),
    ],
)
def test_yaml_value_keeps_the_authors_quoting_where_it_can(line: str, english: str, expected: str) -> None:
    text = f"---\n{line}\n---\n"
    result = edited(text, lambda f: f.value if f.value == "AI" else english)
    assert result == f"{expected}\nlang: en\nref: p\n"
    values = yaml.safe_load(result)
    assert english in ([values["title"]] if "title" in values else values["tags"])


def test_yaml_block_scalars_keep_their_style() -> None:
    text = "---\nexcerpt: >\n  折り畳み\n  の文\ndescription: |\n  一行目\n  二行目\ntitle: x\n---\n"
    result = edited(text, lambda f: "Line one\nLine two\n" if f.key == "description" else "Folded text\n" if f.key == "excerpt" else f.value)
    assert result == "excerpt: >\n  Folded text\ndescription: |\n  Line one\n  Line two\ntitle: x\nlang: en\nref: p\n"


def test_folded_block_with_a_line_break_falls_back_to_double_quotes() -> None:
    """`>` would fold the translation's line break into a space: the value must survive."""
    result = edited("---\nexcerpt: >\n  折り畳み\n---\n", lambda f: "two\nlines")
    assert result == 'excerpt: "two\\nlines\\n"\nlang: en\nref: p\n'  # ending as the Japanese did
    assert yaml.safe_load(result)["excerpt"] == "two\nlines\n"


def test_unchanged_values_keep_their_bytes_and_existing_keys_are_updated_in_place() -> None:
    text = "---\ntitle:   '題名'   # 注\nlang: ja\nref: p\nlayout: post\n---\n"
    assert edited(text, lambda f: f.value) == "title:   '題名'   # 注\nlang: en\nref: p\nlayout: post\n"


def test_added_keys_use_the_posts_line_ending() -> None:
    assert edited("---\r\ntitle: 題名\r\n---\r\n", lambda f: "T", newline="\r\n") == "title: T\r\nlang: en\r\nref: p\r\n"


def test_added_keys_on_an_empty_front_matter() -> None:
    assert edited("---\n---\n", lambda f: "T") == "lang: en\nref: p\n"


def test_derived_numbers_are_written_as_numbers() -> None:
    result = edited("---\ntitle: 題名\nreading_time: 12\n---\n", lambda f: "T", added={"reading_time": 3})
    assert result == "title: T\nreading_time: 3\n"
    assert yaml.safe_load(result)["reading_time"] == 3


def test_a_front_matter_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InputError, match="not a mapping") as info:
        fields("---\n- a\n- b\n---\n")
    assert info.value.line == 2


def test_toml_values_keep_their_quoting_and_keys_go_before_the_first_table() -> None:
    text = "+++\ntitle = '題名'\ntags = [\"投資\", 'AI']\n[extra]\nx = 1\n+++\n"
    result = edited(text, lambda f: "It's" if f.key == "title" else "Inv" if f.value == "投資" else f.value)
    assert result == "title = \"It's\"\ntags = [\"Inv\", 'AI']\nlang = \"en\"\nref = \"p\"\n[extra]\nx = 1\n"


def test_toml_multi_line_string_escapes_quotes() -> None:
    import tomllib

    result = edited('+++\ntitle = """\n題名"""\n+++\n', lambda f: 'T "q"')
    assert result.startswith('title = """\n')
    assert tomllib.loads(result)["title"] == 'T "q"'


def test_toml_the_scanner_does_not_follow_falls_back_to_tomlkit() -> None:
    """Dotted keys are beyond the small scanner: tomlkit edits them, values still right."""
    import tomllib

    result = edited('+++\na.b = 1\ntitle = "題名"\n+++\n', lambda f: "T")
    assert tomllib.loads(result) == {"a": {"b": 1}, "title": "T", "lang": "en", "ref": "p"}
    assert result.startswith("a.b = 1\n")


def test_toml_field_lines_are_file_lines() -> None:
    found = fields('+++\n# comment\ntitle = "題名"\ntags = [\n  "一",\n  "二",\n]\n+++\n')
    assert [(f.key, f.index, f.line) for f in found] == [("title", None, 3), ("tags", 0, 5), ("tags", 1, 6)]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: 題名\nref: [a, b]\n---\n", 3),
        ("---\ntitle: 題名\nlang:\n  ja: 日本語\n  en: English\n---\n", 3),
        ("---\nref:\n  - a\n  - b\ntitle: 題名\n---\n", 2),
    ],
)
def test_a_list_or_mapping_where_lang_or_ref_goes_is_refused_not_duplicated(text: str, line: int) -> None:
    """The edition's `lang`/`ref` would otherwise be appended as a second key of that name
    (issue 15, item 15): YAML forbids it, and readers disagree on which one wins."""
    with pytest.raises(InputError, match=r"(lang|ref): is a (list|mapping) in the Japanese front matter") as info:
        edited(text, lambda f: "T")
    assert info.value.line == line


def test_a_toml_list_where_ref_goes_is_replaced_once() -> None:
    result = edited("+++\ntitle = '題名'\nref = ['a', 'b']\n+++\n", lambda f: "T")
    assert result.count("ref") == 1 and tomllib.loads(result)["ref"] == "p"


@pytest.mark.parametrize(
    ("header", "english", "expected"),
    [
        (">", "A description.", ">\n  A description.\n"),  # the run's English has no final line break
        ("|", "Line one\nLine two", "|\n  Line one\n  Line two\n"),
        (">-", "A description.", ">-\n  A description.\n"),
    ],
)
def test_a_block_scalar_keeps_its_chomping_whatever_the_translation_ends_with(header: str, english: str, expected: str) -> None:
    """`description: >` came back as `>-` (issue 15, item 21): the English ends as the Japanese did."""
    text = f"---\ndescription: {header}\n  説明の\n  文です。\ntitle: x\n---\n"
    result = edited(text, lambda f: english if f.key == "description" else f.value)
    assert result == f"description: {expected}title: x\nlang: en\nref: p\n"


@pytest.mark.parametrize(
    "text",
    ["---\ntitle: &t 題名\nexcerpt: *t\n---\n", "---\ntitle: &t \"題名\"\nexcerpt: *t\n---\n", "---\ntitle: !!str &t 題名\nexcerpt: *t\n---\n"],
)
def test_a_translated_value_keeps_its_anchor_and_the_alias_follows(text: str) -> None:
    """It was refused with "write it as a block mapping" (issue 15, item 21): the anchor went with the value."""
    result = edited(text, lambda f: "A title")
    assert "&t" in result and yaml.safe_load(result) == {"title": "A title", "excerpt": "A title", "lang": "en", "ref": "p"}


ODD_FRONT_MATTERS = [
    "---\ntitle: 'なに\u3000か'\ntags: [AI, クラウド]\nexcerpt: |\n  日本語\n  テキスト\n---\n",
    '---\ntitle: "\\u3042 😀 b"\r\ndescription: >-\n  折り\n  返し\r\n---\n',
    "---\ntitle: &t 日本\ndescription: *t\n---\n",
    "---\ntitle: 日本\ufeff語\nexcerpt: 'x\ufeffy'\n---\n",
    "---\n\ufefftitle: 日本\nexcerpt: 語\n---\n",  # libyaml's marks would not count this byte order mark
]


@pytest.mark.parametrize("text", ODD_FRONT_MATTERS + [p.read_text(encoding="utf-8") for p in CORPUS_AND_SAMPLES[::7]])
def test_libyaml_reads_the_fields_where_pyyaml_does(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spans from libyaml's marks are spliced into the edition: they must be PyYAML's."""
    post = parse_post(P, text.encode("utf-8"))
    if post.front_matter is None or post.front_matter.format != "yaml":
        pytest.skip("no YAML front matter")
    keys = tuple(sorted({f.key for f in frontmatter.shown_fields(post.front_matter, P)}))
    fast = frontmatter.FORMATS["yaml"].fields(post.front_matter, keys)
    assert fast or not keys
    frontmatter._composed.cache_clear()
    monkeypatch.setattr(frontmatter, "_loader", lambda text: yaml.SafeLoader)
    assert frontmatter.FORMATS["yaml"].fields(post.front_matter, keys) == fast
    frontmatter._composed.cache_clear()
