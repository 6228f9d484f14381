"""kramdown's own test cases (../shared/kramdown, MIT) read the way Jekyll's kramdown reads them.

Every case's text goes through the pipeline's split, an engine that changes every segment's
prose (the pseudo engine, brackets on, also for text with no Japanese), restore and splice;
Debian's kramdown then renders the original and the result with Jekyll's options, and the
two renders must have the same element structure. A difference means the pipeline read the
Markdown differently from kramdown: it sent markup as prose, or wrote prose that kramdown
reads as markup.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.engines.pseudo import PseudoEngine
from pipeline.errors import StructureError
from pipeline.inline import restore
from pipeline.segment import split, splice
import kramdown_oracle as oracle

SUITE = Path(__file__).resolve().parents[2] / "shared" / "kramdown"
CASES = sorted(SUITE.rglob("*.text")) if SUITE.is_dir() else []
# Options that change how kramdown parses (not only what it writes): the pipeline reads posts
# as Jekyll's defaults have them, so cases that need these are not cases of our dialect.
_PARSING_OPTIONS = {"parse_block_html", "parse_span_html", "html_to_native", "hard_wrap", "gfm_quirks", "input"}

pytestmark = pytest.mark.skipif(not CASES or not oracle.available(), reason="needs ../shared/kramdown and Debian's ruby-kramdown")


def _options(case: Path) -> dict | None:
    path = case.with_suffix(".options")
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    options = {str(k).lstrip(":"): v for k, v in loaded.items()}
    return None if set(options) & _PARSING_OPTIONS else options


def _translate(text: str) -> str:
    """As the pipeline writes it: a segment whose answer would not restore keeps its source."""
    skeleton = split(text, dialect="kramdown")
    answers = PseudoEngine().translate([s.xml for s in skeleton.segments])
    edits = []
    for segment, answer in zip(skeleton.segments, answers):
        try:
            edits.append((segment.start, segment.end, restore(answer.text, segment.protected)))
        except StructureError:
            KEPT.append(segment.source)
    return splice(text, edits)


KEPT: list[str] = []  # segments kept as written because the answer would not restore


@pytest.fixture(scope="module")
def renders() -> dict[str, str]:
    docs: dict[str, tuple[str, dict]] = {}
    for case in CASES:
        options = _options(case)
        if options is None:
            continue
        text = case.read_text(encoding="utf-8", errors="replace")
        name = str(case.relative_to(SUITE))
        docs[name] = (text, options)
        docs[name + "#translated"] = (_translate(text), options)
    return oracle.render_many(docs)


@pytest.mark.parametrize("case", CASES, ids=lambda p: str(p.relative_to(SUITE)))
def test_translation_renders_to_the_same_elements(case: Path, renders: dict[str, str]) -> None:
    name = str(case.relative_to(SUITE))
    if name not in renders:
        pytest.skip("the case sets a kramdown option that changes parsing, which Jekyll's defaults do not")
    assert oracle.structure(renders[name + "#translated"]) == oracle.structure(renders[name])
