"""Golden files: what the engine receives, what comes back, and whole English editions.

REGENERATING EXPECTED OUTPUTS: run

    .venv/bin/pytest tests/test_golden.py --regen-file-failure

(pytest-param-files rewrites the expected section of every failing case in place, then
still reports the failure), and READ the diff before keeping it: an expected section is a
claim about correct behaviour, not a snapshot of whatever the code does today. Cases
whose description starts with `xfail:` are never regenerated.

The fixtures live in tests/fixtures/golden/ in the markdown-it-py / mdformat fixture
format, read by pytest-param-files:

    [case-name] optional description
    .
    input
    .
    expected
    .

Bytes a text file would not keep visibly are written as markers in both sections:
`␍` is a carriage return (a CRLF line is written `text␍`), `␠` a space (used for trailing
spaces, which editors strip), and `␄` as the last character means "the text ends here,
without the line break that follows in the fixture file".

* protect.md — the input is a Markdown body (usually one paragraph); the expected section
  has one line per segment: the exact XML the engine receives, prefixed by the segment
  kind when it is not a paragraph and by `not sent:` when it has no Japanese prose (such a
  segment never reaches the engine), then an indented `attached (open|close of ID): XML` line
  for each text inside its markup sent on its own (a link title, an inline `alt`), or
  `skipped: LINE: reason` for a block kept as is.
  The glossary is tests/fixtures/golden/glossary/.
* restore.md — the input is a Markdown body with exactly one segment containing Japanese,
  a line `==>`, and the engine's answer (one line of XML); the expected section is the
  restored Markdown, or `StructureError: message` when the answer must be refused.
* posts.md — the input is a whole post; the expected section is the English edition the
  real `Translator` writes with the `pseudo` engine (offline, deterministic) and the golden
  glossary, followed, when the run flagged anything, by a line `⁂ flags` and one
  `LINE CODE message` line per flag.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.cache import MemoryCache
from pipeline.config import Settings
from pipeline.engines.pseudo import PseudoEngine
from pipeline.errors import StructureError
from pipeline.glossary import load_glossary
from pipeline.inline import filled, restore
from pipeline.run import Translator
from pipeline.segment import splice, split

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
GLOSSARY = load_glossary(GOLDEN / "glossary")
ANSWER = "==>"
FLAGS = "⁂ flags"


def decode(section: str) -> str:
    """A fixture section as the text it stands for (see the markers above)."""
    text = section.replace("␍", "\r").replace("␠", " ")
    if text.endswith("␄\n"):
        text = text[: -len("␄\n")]
    return text


def encode(text: str) -> str:
    """The inverse of `decode`, for writing actual output into a fixture section."""
    out = re.sub(r" +(?=\r?(?:\n|$))", lambda m: "␠" * len(m.group(0)), text).replace("\r", "␍")
    return out if out.endswith("\n") else out + "␄\n"


def check(file_params, actual: str, request: pytest.FixtureRequest) -> None:
    """Compare with the expected section; an `xfail:` case fails strictly and is never regenerated."""
    description = file_params.description or ""
    if description.startswith("xfail:"):
        request.applymarker(pytest.mark.xfail(strict=True, reason=description[len("xfail:") :].strip()))
        assert actual == file_params.expected
        return
    file_params.assert_expected(actual)


@pytest.mark.param_file(GOLDEN / "protect.md")
def test_protect(file_params, request: pytest.FixtureRequest) -> None:
    check(file_params, encode(_sent(decode(file_params.content), "commonmark")), request)


@pytest.mark.param_file(GOLDEN / "kramdown.md")
def test_protect_kramdown(file_params, request: pytest.FixtureRequest) -> None:
    """What is sent of a post read as Jekyll reads it, and the Markdown the pseudo engine's
    answer restores to (the kramdown syntax around it unchanged)."""
    body = decode(file_params.content)
    sent = _sent(body, "kramdown")
    skeleton = split(body, keep=GLOSSARY.keep_pattern, dialect="kramdown")
    sendable = [s for s in skeleton.segments if s.protected.has_prose or s.protected.attached]
    answers = PseudoEngine().translate([s.xml if s.protected.has_prose else "" for s in sendable])
    edits = []
    for s, a in zip(sendable, answers):
        titles = PseudoEngine().translate([t.protected.xml for t in s.protected.attached]) if s.protected.attached else []
        fills = [restore(answer.text, t.protected) for t, answer in zip(s.protected.attached, titles)]
        edits.append((s.start, s.end, restore(a.text if s.protected.has_prose else s.xml, filled(s.protected, fills))))
    english = splice(body, edits)
    check(file_params, encode(sent + "-->\n" + english), request)


def _sent(body: str, dialect: str) -> str:
    skeleton = split(body, keep=GLOSSARY.keep_pattern, dialect=dialect)
    lines = []
    for segment in skeleton.segments:
        # the engine text restores to exactly the Markdown it was made from
        assert restore(segment.xml, segment.protected) == segment.protected.joined
        kind = "" if segment.kind == "paragraph" else segment.kind + ": "
        sent = "" if segment.protected.has_prose else "not sent: "
        lines.append(f"{kind}{sent}{segment.xml}\n")
        lines += [f"  attached ({a.side} of {a.element}): {a.protected.xml}\n" for a in segment.protected.attached]
    lines += [f"skipped: {s.line}: {s.reason}\n" for s in skeleton.skipped]
    return "".join(lines)


@pytest.mark.param_file(GOLDEN / "restore.md")
def test_restore(file_params, request: pytest.FixtureRequest) -> None:
    source, separator, answer = file_params.content.partition(f"\n{ANSWER}\n")
    assert separator, f"the input needs a line {ANSWER!r} between the Markdown and the engine's answer"
    segments = [s for s in split(decode(source + "\n"), keep=GLOSSARY.keep_pattern).segments if s.protected.has_prose]
    assert len(segments) == 1, "the input must hold exactly one segment with Japanese prose"
    try:
        actual = restore(decode(answer).removesuffix("\n"), segments[0].protected)
    except StructureError as exc:
        actual = f"StructureError: {exc.message}"
    check(file_params, encode(actual + "\n"), request)


@pytest.mark.param_file(GOLDEN / "posts.md")
def test_post(file_params, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    source = tmp_path / "content" / "ja" / f"{file_params.title}.md"
    source.parent.mkdir(parents=True)
    source.write_bytes(decode(file_params.content).encode("utf-8"))
    settings = Settings(root=tmp_path)
    translator = Translator(settings, PseudoEngine(terms=GLOSSARY.terms), MemoryCache(), GLOSSARY)
    (result,) = translator.run([source]).posts
    assert result.error is None, str(result.error)
    assert result.status == "written" and result.output == tmp_path / "content" / "en" / source.name
    actual = encode(result.output.read_bytes().decode("utf-8"))
    if result.flags:
        actual += f"{FLAGS}\n" + "".join(f"{f.line} {f.code} {f.message}\n" for f in result.flags)
    check(file_params, actual, request)
