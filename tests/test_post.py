"""post.py: decoding, locating the front matter, line numbers, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.post import line_of, parse_post, read_post, write_atomic

P = Path("p.md")


def post(text: str | bytes):
    return parse_post(P, text if isinstance(text, bytes) else text.encode("utf-8"))


@pytest.mark.parametrize(
    ("text", "fm_format", "fm_text", "body"),
    [
        ("---\ntitle: x\n---\n本文\n", "yaml", "title: x\n", "本文\n"),
        ("---  \ntitle: x\n...\n本文", "yaml", "title: x\n", "本文"),  # fence with trailing spaces, `...` closer
        ("---\n---\n本文", "yaml", "", "本文"),  # empty front matter
        ("---\ntitle: x\n---", "yaml", "title: x\n", ""),  # closing fence at the end of the file
        ("+++\r\ntitle = 1\r\n+++\r\nbody", "toml", "title = 1\r\n", "body"),
        ("---\rtitle: x\r---\r本文", "yaml", "title: x\r", "本文"),  # old Mac line endings
    ],
)
def test_front_matter_block_and_body(text: str, fm_format: str, fm_text: str, body: str) -> None:
    p = post(text)
    assert p.front_matter is not None
    assert (p.front_matter.format, p.front_matter.text, p.body) == (fm_format, fm_text, body)
    assert p.text[p.front_matter.start : p.front_matter.end] == fm_text


@pytest.mark.parametrize("text", ["本文\n---\ntitle: x\n---\n", " ---\ntitle: x\n---\n", "----\nx\n----\n", "---"])
def test_no_front_matter_unless_the_first_line_is_a_fence(text: str) -> None:
    p = post(text)
    assert p.front_matter is None and p.body == text


def test_toml_fence_is_not_closed_by_a_yaml_fence() -> None:
    with pytest.raises(InputError, match=r"opened with '\+\+\+' on line 1 is never closed") as info:
        post("+++\ntitle = 1\n---\n本文\n")
    assert info.value.line == 1


def test_bom_is_removed_from_the_text_and_written_back() -> None:
    p = post("\ufeff---\ntitle: x\n---\n本文\n".encode("utf-8"))
    assert p.bom and p.text.startswith("---") and p.front_matter is not None
    assert p.with_text("abc") == b"\xef\xbb\xbfabc"
    assert post("abc").with_text("abc") == b"abc"


@pytest.mark.parametrize(("text", "newline"), [("a\r\nb\n", "\r\n"), ("a\rb", "\r"), ("a\nb\r\n", "\n"), ("abc", "\n")])
def test_newline_is_the_first_line_ending_of_the_post(text: str, newline: str) -> None:
    assert post(text).newline == newline


def test_line_numbers_count_every_line_ending_style() -> None:
    text = "a\r\nb\rc\nd"
    assert [line_of(text, text.index(c)) for c in "abcd"] == [1, 2, 3, 4]
    assert post("---\r\nt: 1\r\n---\r\n\r\n本文").body_first_line == 4


def test_invalid_utf8_names_line_and_column() -> None:
    with pytest.raises(InputError) as info:
        post(b"---\ntitle: x\n---\nab\xe9c\n")
    assert info.value.line == 4 and "byte 0xe9 at column 3" in str(info.value)


def test_source_hash_is_of_the_raw_bytes() -> None:
    assert post("本文\n").source_hash != post("本文\r\n").source_hash
    assert post("\ufeff本文\n").source_hash != post("本文\n").source_hash


def test_read_post_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_post(tmp_path / "missing.md")


def test_write_atomic_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "en" / "post.md"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["post.md"]


def test_write_atomic_failure_keeps_the_old_file_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "post.md"
    target.write_bytes(b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["post.md"]
