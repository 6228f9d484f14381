"""Debian's kramdown (the renderer Jekyll uses) as an oracle: render many documents in one
Ruby process and compare the element structure of two renders."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from pipeline.engines.pseudo import PseudoEngine
from pipeline.inline import restore
from pipeline.segment import splice, split
from pipeline.site.pages import Structure

RENDER_SCRIPT = Path(__file__).with_name("kramdown_render.rb")


def available() -> bool:
    if shutil.which("ruby") is None:
        return False
    probe = subprocess.run(["ruby", "-e", "require 'kramdown'; require 'kramdown-parser-gfm'"], capture_output=True)
    return probe.returncode == 0


def render_many(docs: dict[str, tuple[str, dict]]) -> dict[str, str]:
    """name -> HTML kramdown makes of the text, with Jekyll's options plus the given ones."""
    payload = [{"name": name, "text": text, "options": options} for name, (text, options) in docs.items()]
    proc = subprocess.run(
        ["ruby", str(RENDER_SCRIPT)], input=json.dumps(payload), capture_output=True, text=True, timeout=600, check=True
    )
    rendered = json.loads(proc.stdout)
    for name, html in rendered.items():
        if isinstance(html, dict):
            raise AssertionError(f"kramdown failed on {name}: {html['error']}")
    return rendered


class _Feed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.structure = Structure()
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.structure.start(tag, {k: v or "" for k, v in attrs}, self.depth)
        if tag not in ("br", "hr", "img", "input", "meta", "link", "col", "wbr", "source", "area", "embed"):
            self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.structure.start(tag, {k: v or "" for k, v in attrs}, self.depth)

    def handle_endtag(self, tag: str) -> None:
        self.depth = max(0, self.depth - 1)
        self.structure.end(tag)

    def handle_data(self, data: str) -> None:
        self.structure.text(data)


def structure(html: str) -> list[str]:
    feed = _Feed()
    feed.feed(html)
    feed.close()
    return feed.structure.finish()


def pseudo_translated(text: str) -> str:
    """The pseudo engine's edition of a kramdown body: each segment's answer restored in its
    place (straight quotes, as an English answer would have them)."""
    segments = list(split(text, dialect="kramdown").segments)
    answers = PseudoEngine().translate([s.xml for s in segments])
    return splice(text, [(s.start, s.end, restore(a.text, s.protected)) for s, a in zip(segments, answers)])


def render_with_translations(cases: dict[str, str]) -> dict[str, str]:
    """Each case rendered by kramdown, and its pseudo translation under `name#translated`."""
    docs = {name: (text, {}) for name, text in cases.items()}
    docs.update({name + "#translated": (pseudo_translated(text), {}) for name, text in cases.items()})
    return render_many(docs)
