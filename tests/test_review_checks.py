"""review/checks.py on real segments: what the report flags in an English segment compared
with its Japanese (issue 15, item 19: images kept, links lost)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import REPO

from pipeline.glossary import load_glossary
from pipeline.inline import Protected
from pipeline.post import parse_post
from pipeline.review.checks import check
from pipeline.segment import split_post

GLOSSARY = load_glossary(REPO / "glossary")


def segment(markdown: str) -> Protected:
    post = parse_post(Path("p.md"), f"---\ntitle: t\n---\n\n{markdown}\n".encode())
    (found,) = split_post(post, "kramdown", GLOSSARY.keep_pattern).segments
    return found.protected


def codes(ja: str, en: str) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in check(GLOSSARY, segment(ja), segment(en), None)]


@pytest.mark.parametrize(
    ("ja", "en"),
    [
        ("![猫の写真](/img/cat.png)を見てください。", "Look at ![a photo of a cat](/img/cat.png)."),
        ("![猫の写真](/img/cat.png \"猫\")を見てください。", "Look at ![a photo of a cat](/img/cat.png \"Cat\")."),
        ("![猫](/img/cat.png){: .wide}を見てください。", "Look at ![Cat](/img/cat.png){: .wide}."),
        ("[こちら](https://example.com/a)を参照。", "See [here](https://example.com/a)."),
        ("[AWS](https://aws.amazon.com)を使う。", "Use [AWS](https://aws.amazon.com)."),
    ],
)
def test_a_translated_image_or_link_is_not_flagged(ja: str, en: str) -> None:
    assert codes(ja, en) == []


@pytest.mark.parametrize(
    ("ja", "en", "url"),
    [
        ("[こちら](https://example.com/a)を参照。", "See here (https://example.com/a).", "https://example.com/a"),
        ("[こちら](https://example.com/a)を参照。", "See here.", "https://example.com/a"),
        ("[AWS](https://aws.amazon.com)を使う。", "Use AWS.", "https://aws.amazon.com"),
        ("[資料](https://example.com/a)と[別](https://example.com/b)。", "The [paper](https://example.com/a) and the other.", "https://example.com/b"),
        ("[こちら](https://example.com/a)を参照。", "See `[here](https://example.com/a)`.", "https://example.com/a"),
    ],
)
def test_a_source_link_that_is_no_longer_a_link_is_flagged_as_such(ja: str, en: str, url: str) -> None:
    assert codes(ja, en) == [("link", f"the link to {url} is no longer a link in the English")]


def test_a_lost_image_and_a_lost_code_span_are_still_flagged() -> None:
    found = codes("![猫](/img/cat.png)と`code`です。", "It is a cat.")
    assert ("image", "the image /img/cat.png is missing from the English") in found
    assert any(code == "placeholder" and "`code`" in message for code, message in found)
