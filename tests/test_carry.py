"""The three-way merge of an edition's frame (pipeline/carry.py), on bytes in memory."""

from __future__ import annotations

from pathlib import Path

from pipeline.carry import frame_of, keys, line_key, merge
from pipeline.edition import read_texts
from pipeline.post import parse_post

KEYS = ("title", "tags")


def frame(text: str):  # type: ignore[no-untyped-def]
    return frame_of(read_texts(parse_post(Path("x.md"), text.encode("utf-8")), "kramdown", KEYS))


BASE = '---\r\ntitle: 題名\r\nlayout: post\r\n---\r\n\r\n段落です。\r\n\r\n```sh\r\n# 実行する\r\nrun\r\n```\r\n\r\n<div data-link="/ja/">注意</div>\r\n'


def test_a_translators_lines_are_kept_where_the_japanese_did_not_change_and_line_endings_stay() -> None:
    ours = frame(BASE.replace("題名", "Title").replace("段落です。", "A new paragraph.\r\nOn two lines."))
    theirs = frame(
        BASE.replace("layout: post", "layout: post-en").replace('data-link="/ja/"', 'data-link="/en/"').replace("段落です。", "Theirs.")
    )
    merged = merge(keys(frame(BASE)), ours, theirs)
    assert merged.text == (
        "---\r\ntitle: Title\r\nlayout: post-en\r\n---\r\n\r\nA new paragraph.\r\nOn two lines.\r\n\r\n```sh\r\n# 実行する\r\nrun\r\n```\r\n\r\n"
        '<div data-link="/en/">注意</div>\r\n'
    )
    assert merged.kept == (3, 14)  # lines of the merged edition
    assert merged.conflicts == ()


def test_the_japanese_changing_under_a_translators_line_is_a_conflict_at_the_editions_line() -> None:
    ours = frame(BASE.replace("\r\nrun\r\n", "\r\nrun --twice\r\n"))
    theirs = frame(BASE.replace("\r\nrun\r\n", "\r\nrun --quiet\r\n").replace("layout: post", "layout: post-en"))
    merged = merge(keys(frame(BASE)), ours, theirs)
    assert merged.text is None and merged.conflicts == (10,)
    resolved = merge(keys(frame(BASE)), ours, theirs, take_theirs=True)
    assert resolved.text is not None and "run --quiet\r\n" in resolved.text and "layout: post-en" in resolved.text


def test_a_translated_value_removed_by_hand_cannot_be_filled_and_needs_a_merge() -> None:
    ours = frame(BASE)
    theirs = frame(BASE.replace("title: 題名\r\n", ""))
    merged = merge(keys(frame(BASE)), ours, theirs)
    assert merged.text is None and merged.conflicts == ()


def test_the_keys_are_each_lines_own_hash_in_order_repeated_lines_too() -> None:
    """The state keeps them: a key must not depend on the lines around it (`carry.keys`
    hashes a repeated line once)."""
    made = frame("---\ntitle: 題\n---\n\n本文\n\n```\nx\n```\n\n本文\n")
    assert len(set(made.lines)) < len(made.lines)
    assert keys(made) == tuple(line_key(line) for line in made.lines)
