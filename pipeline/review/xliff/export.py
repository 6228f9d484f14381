"""Writing XLIFF 1.2: one `<file>` per post, one `<trans-unit>` per translatable text,
the current English pre-filled as `<target>` with a `state` saying what it is (see the
package docstring), and which posts need review.

Only writes: reading a file back is `read`'s and applying it `importing`'s, so a change to
either direction is made and read in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.glossary import Glossary
from pipeline.inline import Element, Protected, filled
from pipeline.review.xliff.texts import Text, exported_state, load, unit_id
from pipeline.review.xliff.tokens import Tok, english_stream, source_stream, visible_texts
from pipeline.state import SegmentRecord, load_state, state_path

NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_NS = "http://www.w3.org/XML/1998/namespace"
TOOL_ID = "pipeline"
REVIEW_CODES = ("needs-review", "glossary", "structure", "truncated", "unmapped-taxonomy")
TAXONOMY_KEYS = ("categories", "category", "tags", "tag")
_G_CTYPE = {"b": "bold", "i": "italic", "a": "link", "s": "x-strikethrough", "img": "x-image-alt"}


# --- writing ----------------------------------------------------------------------------


def _ph_ctype(element: Element, names: frozenset[str]) -> str:
    text = element.open
    if element.kind == "literal":
        return "x-literal"
    if text in names:
        return "x-name"
    if text.startswith("`"):
        return "x-code"
    if text.startswith(("{%", "{{")):
        return "x-liquid"
    if text.startswith("[^") or text.startswith("^["):
        return "x-footnote"
    if text.startswith("<"):
        return "x-html"
    if text.startswith("$"):
        return "x-math"
    if re.match(r"(?:https?|ftp)://|www\.", text):
        return "x-url"
    if text.startswith("!["):
        return "image"
    return "x-protected"


@dataclass(frozen=True)
class _Inline:
    """What rendering one segment's tokens as XLIFF inline elements needs to know."""

    source: Protected
    visible: dict[str, str]  # what a reader sees of each protected element
    names: frozenset[str]  # glossary names


def _xliff_empty(r: _Inline, t: Tok) -> str:
    element = r.source.elements[t.id]
    if element.kind == "break":
        return f'<x id="{t.id}" ctype="lb"/>'
    seen = r.visible.get(t.id, "")
    equiv = f" equiv-text={quoteattr(seen)}" if seen else ""
    return f'<ph id="{t.id}" ctype="{_ph_ctype(element, r.names)}"{equiv}>{escape(element.open)}</ph>'


# Each token kind as XLIFF 1.2 inline markup: <g> for the source's pairs, <ph>/<x> for its
# empty elements, <bpt>/<ept>/<ph> for markup only the English has.
_XLIFF_INLINE: dict[str, Callable[[_Inline, Tok], str]] = {
    "text": lambda r, t: escape(t.text),
    "open": lambda r, t: f'<g id="{t.id}" ctype="{_G_CTYPE.get(r.source.elements[t.id].tag, "x-markup")}">',
    "close": lambda r, t: "</g>",
    "empty": _xliff_empty,
    "xopen": lambda r, t: f'<bpt id="{t.id}">{escape(t.markup)}</bpt>',
    "xclose": lambda r, t: f'<ept id="{t.id}">{escape(t.markup)}</ept>',
    "xempty": lambda r, t: f'<ph id="{t.id}" ctype="x-markdown">{escape(t.markup)}</ph>',
}


def render_inline(toks: Sequence[Tok], source: Protected, visible: dict[str, str], names: frozenset[str] = frozenset()) -> str:
    r = _Inline(source, visible, names)
    return "".join(_XLIFF_INLINE[t.kind](r, t) for t in toks if t.kind in _XLIFF_INLINE)


# --- export -----------------------------------------------------------------------------


@dataclass
class ExportResult:
    xml: str
    posts: int = 0
    units: int = 0
    skipped: list[str] = field(default_factory=list)  # posts left out, with why


def _warnings(run: dict[str, Any] | None, source: Path, settings: Settings) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for p in (run or {}).get("posts", []):
        path = Path(p["source"])
        candidates = [path, settings.path(path)]
        if any(c.exists() and c.resolve() == source.resolve() for c in candidates):
            for w in p.get("warnings", []):
                found.setdefault(int(w.get("line", 0)), []).append(w)
    return found


def needs_review(source: Path, settings: Settings, run: dict[str, Any] | None) -> bool:
    """A post with a segment flagged for review in its state, or flagged by the last run."""
    try:
        record = load_state(state_path(settings, settings.relative(source)))
    except PipelineError:
        return False
    if record is not None and any(r.review for r in record.segments):
        return True
    return any(w.get("code") in REVIEW_CODES for ws in _warnings(run, source, settings).values() for w in ws)


def export(sources: Sequence[Path], settings: Settings, glossary: Glossary, run: dict[str, Any] | None = None) -> ExportResult:
    """XLIFF 1.2 for the translatable texts of `sources` (posts with an up-to-date edition)."""
    target_lang = settings.target_lang.lower()
    files: list[str] = []
    result = ExportResult("")
    for source in sources:
        try:
            loaded = load(source, settings, glossary)
        except PipelineError as exc:
            result.skipped.append(str(exc))
            continue
        warnings = _warnings(run, source, settings)
        units = []
        for src, en, record in loaded.pairs():
            if record.o == "source" or not src.protected.has_prose:
                continue  # nothing to translate
            if src.fm_field is not None and src.fm_field.key in TAXONOMY_KEYS and src.fm_field.value in glossary.taxonomy:
                continue  # the glossary's taxonomy decides these
            fills = loaded.fills(src)
            units.append(_unit(src, en, record, warnings.get(src.line, []), frozenset(glossary.names), fills))
        if not units:
            continue
        result.posts += 1
        result.units += len(units)
        files.append(
            f'  <file original={quoteattr(loaded.relative.as_posix())} source-language="{settings.source_lang.lower()}" '
            f'target-language="{target_lang}" datatype="plaintext" tool-id="{TOOL_ID}">\n'
            f'    <header>\n      <tool tool-id="{TOOL_ID}" tool-name="pipeline"/>\n'
            f"      <note>Japanese source {escape(settings.source_dir.as_posix())}/{escape(loaded.relative.as_posix())}; "
            f"English edition {escape(settings.output_dir.as_posix())}/{escape(loaded.relative.as_posix())}</note>\n"
            "    </header>\n    <body>\n" + "".join(units) + "    </body>\n  </file>\n"
        )
    result.xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="{NS}">\n' + "".join(files) + "</xliff>\n"
    return result


def _unit(
    src: Text, en: Text, record: SegmentRecord, warnings: list[dict[str, Any]], names: frozenset[str], fills: Sequence[str | None] = ()
) -> str:
    visible = visible_texts(src.protected)
    source_xml = render_inline(source_stream(src.protected), src.protected, visible, names)
    flagged = any(w.get("code") in REVIEW_CODES for w in warnings)
    notes = [f"{w.get('code')}: {w.get('message')}" for w in warnings]
    notes += [f"previous English by a translator: {w['previous']}" for w in warnings if w.get("previous")]
    if record.review and not any(w.get("code") == "needs-review" for w in warnings):
        notes.append("needs-review: the source changed under a translator's English, which was re-translated")
    untranslated = en.protected.joined == src.protected.joined
    notes.append(
        f"{src.label}, line {src.line} of the Japanese source; English origin: {'none (Japanese kept)' if untranslated else record.o}"
    )
    attrs = f"id={quoteattr(unit_id(src, en))} resname={quoteattr(src.label)}"
    target = ""
    if not untranslated:
        state = exported_state(record, flagged)
        qualifier = ' state-qualifier="leveraged-mt"' if record.o == "machine" else ""
        if state in ("final", "translated"):  # a person's text: without it translate-toolkit reads it as fuzzy
            attrs += ' approved="yes"'
        # the source's markup with the edition's English titles (units of their own)
        target_xml = render_inline(english_stream(src.protected, en.protected), filled(src.protected, fills), visible, names)
        target = f'        <target state="{state}"{qualifier}>{target_xml}</target>\n'
    note_xml = "".join(f'        <note from="{TOOL_ID}">{escape(n)}</note>\n' for n in notes)
    return (
        f'      <trans-unit {attrs} xml:space="preserve">\n        <source>{source_xml}</source>\n{target}{note_xml}      </trans-unit>\n'
    )
