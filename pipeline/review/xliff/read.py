"""Reading an XLIFF file a CAT tool saved: the XML tree with the line of every element
(so an error names the line a translator can find), a `<target>` as tokens, and those
tokens as the segment's Markdown through `inline.restore`.

Separate from `importing`, which decides what to apply, because this part only turns a
hostile file into checked data: DTDs and entities refused, tags the source does not have
or has lost refused, with nothing of the posts or the state in view.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import escape

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from pipeline.errors import InputError, StructureError
from pipeline.inline import Element, Protected, restore
from pipeline.review.xliff.tokens import Tok, merge


class _LineTarget:
    """An ElementTree builder that notes the line of every element it starts."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.lines: dict[ET.Element, int] = {}
        self.line: Callable[[], int] = lambda: 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = self.builder.start(tag, attrs)
        self.lines[element] = self.line()
        return element

    def end(self, tag: str) -> ET.Element:
        return self.builder.end(tag)

    def data(self, text: str) -> None:
        self.builder.data(text)

    def close(self) -> ET.Element:
        return self.builder.close()


def parse(data: bytes, path: Path) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The XML tree and the line of every element (for errors a translator can find).

    Through defusedxml, with DTDs forbidden: XLIFF needs no DOCTYPE, and a DOCTYPE or an
    entity declaration is where XML attacks (entity expansion, external files) hide; an
    entity used in a target would otherwise be dropped without a word."""
    target = _LineTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    expat_parser = parser.parser  # the pure-Python parser defusedxml wraps exposes expat's position
    target.line = lambda: expat_parser.CurrentLineNumber
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise InputError(
            f"a DOCTYPE or entity declaration ({exc}): XLIFF needs none and it is refused; save the file without it",
            path=path,
            line=expat_parser.CurrentLineNumber,
        ) from exc
    except ET.ParseError as exc:
        raise InputError(f"not well-formed XML: {expat.errors.messages.get(exc.code, exc)}", path=path, line=exc.position[0]) from exc
    return root, target.lines


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def target_stream(target: ET.Element) -> list[Tok]:
    """A `<target>`'s content as tokens; StructureError on inline elements we never write."""
    out: list[Tok] = []

    def visit(node: ET.Element) -> None:
        if node.text:
            out.append(Tok("text", text=node.text))
        for child in node:
            tag, ident = local_name(child.tag), child.get("id", "")
            if tag == "g":
                out.append(Tok("open", ident))
                visit(child)
                out.append(Tok("close", ident))
            elif tag == "mrk":  # segmentation or comment markers some tools add: keep their text
                visit(child)
            elif tag in ("x", "ph"):
                markup = "".join(child.itertext()) if tag == "ph" else ""
                out.append(Tok("xempty" if ident.startswith("e") else "empty", ident, markup=markup))
            elif tag in ("bpt", "ept"):
                out.append(Tok("xopen" if tag == "bpt" else "xclose", ident, markup="".join(child.itertext())))
            else:
                raise StructureError(f"unsupported inline element <{tag}> in the target")
            if child.tail:
                out.append(Tok("text", text=child.tail))

    visit(target)
    return merge(out)


_PAIR_MARKUP = (
    ("![", "img"),
    ("[", "a"),
    ("**", "b"),
    ("__", "b"),
    ("~~", "s"),
    ("~", "s"),
    ("*", "i"),
    ("_", "i"),
    ("<strong>", "b"),
    ("<em>", "i"),
    ("<s>", "s"),
)


def to_markdown(toks: Sequence[Tok], source: Protected) -> str:
    """A target's Markdown: our engine XML rebuilt from the tokens, through `inline.restore`."""
    present = {t.id for t in toks if t.kind != "text"}
    lost = sorted(element.open for ident, element in source.elements.items() if ident not in present)
    if lost:  # said here, not by `restore`, which blames the engine
        raise StructureError(
            f"the target lost {len(lost)} tag(s): {', '.join(repr(x) for x in lost)} (dropped in the CAT tool); "
            "put them back around the words they belong to"
        )
    target = _TargetXml(source, {t.id: t.markup for t in toks if t.kind == "xclose"})
    for t in toks:
        if t.kind in ("xopen", "xclose") and source.elements.get(t.id, Element("keep", "", "")).kind == "pair":
            t = Tok("open" if t.kind == "xopen" else "close", t.id)  # a tool that writes <g> as <bpt>/<ept>
        _TARGET_TOKENS.get(t.kind, _TargetXml.element)(target, t)
    return restore("".join(target.xml), replace(source, elements=target.elements))


class _TargetXml:
    """Our engine XML for a target, built token by token, and the elements it uses."""

    def __init__(self, source: Protected, closes: dict[str, str]) -> None:
        self.elements = dict(source.elements)
        self.closes = closes  # English-only pairs: their closing markup by id
        self.used: set[str] = set()
        self.xml: list[str] = []

    def text(self, t: Tok) -> None:
        self.xml.append(escape(t.text))

    def extra_empty(self, t: Tok) -> None:
        self.elements[t.id] = Element("keep", "x", t.markup)
        self.xml.append(f'<x id="{escape(t.id)}"/>')

    def extra_open(self, t: Tok) -> None:
        tag = next((tag for prefix, tag in _PAIR_MARKUP if t.markup.startswith(prefix)), None)
        if tag is None or t.id not in self.closes:
            raise StructureError(f"cannot tell what markup <bpt id={t.id!r}> stands for")
        self.elements[t.id] = Element("pair", tag, t.markup, self.closes[t.id])
        self.xml.append(f'<{tag} id="{escape(t.id)}">')

    def element(self, t: Tok) -> None:
        """A token standing for one of the source's elements (or an English pair's end)."""
        element = self.elements.get(t.id)
        if element is None:
            raise StructureError(f"the target has a tag (id {t.id!r}) its source does not have")
        if t.kind in ("open", "empty") and t.id in self.used:
            raise StructureError(f"the target repeats the tag id {t.id!r}; each tag of the source goes in once")
        self.used.add(t.id)
        if t.kind in ("xclose", "close"):
            self.xml.append(f"</{element.tag}>")
        elif t.kind == "open":
            if element.kind != "pair":
                raise StructureError(f"tag id {t.id!r} encloses text in the target but not in the source")
            self.xml.append(f'<{element.tag} id="{escape(t.id)}">')
        else:
            if element.kind == "pair":
                raise StructureError(f"tag id {t.id!r} encloses text in the source but is empty in the target")
            self.xml.append(f'<{element.tag} id="{escape(t.id)}"/>')


_TARGET_TOKENS: dict[str, Callable[[_TargetXml, Tok], None]] = {
    "text": _TargetXml.text,
    "xempty": _TargetXml.extra_empty,
    "xopen": _TargetXml.extra_open,
}
